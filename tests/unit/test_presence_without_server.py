"""Presence where no server runs to send a coalesced list later (a command, the test client): the list is read
inside the join's transaction and goes out once it commits, to everyone in the room."""
from core.extensions import socketio
from tests.unit.test_chat_statements import _room


def _presence(client):
    return [e["args"][0] for e in client.get_received() if e["name"] == "meeting:presence"]


def test_a_join_sends_the_room_its_presence_list_after_the_commit(app, factory):
    mid, member_token = _room(factory)
    from auth.models import User
    from core.extensions import db

    with app.app_context():
        chair = db.session.scalar(db.select(User).where(User.username == "chair"))
        chair_token, chair_id = factory.token(chair), chair.id
    first = socketio.test_client(app, auth={"token": member_token})
    assert first.emit("meeting:join", {"meeting_id": mid}, callback=True)["ok"]
    first.get_received()
    second = socketio.test_client(app, auth={"token": chair_token})
    assert second.emit("meeting:join", {"meeting_id": mid}, callback=True)["ok"]
    lists = _presence(first)
    assert lists, "no presence list reached the room"
    assert lists[-1]["meeting_id"] == mid and chair_id in lists[-1]["present"] and len(lists[-1]["present"]) == 2
