"""What one chat message costs the database (issue 17): the message is written by one INSERT and one COMMIT;
no SELECT for the idempotency key first (the unique constraint catches a retry), no read of the row after
the commit to build the ack. The invitation and the rate limit are still read from the database on each
message, so they hold on every process the moment they change."""
from datetime import timedelta

from sqlalchemy import event

from core.dbtypes import utcnow
from core.extensions import db, socketio


def _room(factory):
    from meetings import services

    office = factory.agency(code="VP")
    chair = factory.user("leader", office, username="chair")
    member = factory.user("officer", office, username="member")
    meeting = services.create_meeting(chair, {"title": "Giao ban", "participant_ids": [member.id],
                                              "starts_at": (utcnow() + timedelta(hours=1)).isoformat()})
    services.start_meeting(chair, meeting)
    return meeting.id, factory.token(member)


def _statements(app, fn):
    seen = []

    def record(_conn, _cursor, statement, *_args):
        seen.append(" ".join(statement.split()).lower())

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        result = fn()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return result, seen


def test_a_chat_message_is_one_insert_and_no_read_of_the_chat(app, factory):
    mid, token = _room(factory)
    client = socketio.test_client(app, auth={"token": token})
    assert client.emit("meeting:join", {"meeting_id": mid}, callback=True)["ok"]
    ack, statements = _statements(app, lambda: client.emit(
        "chat:send", {"meeting_id": mid, "body": "Xin chào", "client_id": "c-1"}, callback=True))
    assert ack["ok"] and ack["message"]["body"] == "Xin chào" and ack["message"]["id"]
    on_chat = [s for s in statements if "chat_messages" in s]
    assert len(on_chat) == 2, on_chat
    assert on_chat[0].startswith("select count(") and on_chat[1].startswith("insert into meeting_chat_messages")
    # besides: the invitation (and the meeting, when not already in the session) and the search index's row
    assert len(statements) <= 6, statements

    # a retry: answered with the stored message, nothing stored twice
    again = client.emit("chat:send", {"meeting_id": mid, "body": "Xin chào", "client_id": "c-1"}, callback=True)
    assert again["ok"] and again["message"]["id"] == ack["message"]["id"]
    from meetings.models import ChatMessage

    assert db.session.scalar(db.select(db.func.count(ChatMessage.id)).where(ChatMessage.meeting_id == mid)) == 1
