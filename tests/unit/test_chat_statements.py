"""What one chat message costs the database (issue 17). From a socket that has checked its invitation at the
meeting's current access_version: the meeting's row (read on every message: its state and access_version),
one INSERT of the message, the search index's row (a DELETE of any row of that id, an INSERT) and one
COMMIT. No SELECT of the invitation, no COUNT for the rate limit, no SELECT for the idempotency key first,
no read after the commit. A revocation made in another app instance (as on another process) is seen by the
very next message, because it bumps access_version in its own transaction."""
from datetime import timedelta

import pytest
from sqlalchemy import event

from core.dbtypes import utcnow
from core.extensions import db, socketio
from tests.conftest import make_test_config


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
    """fn()'s result, the SQL statements it ran (lower case, one line each) and how many COMMITs."""
    seen, commits = [], []

    def record(_conn, _cursor, statement, *_args):
        seen.append(" ".join(statement.split()).lower())

    def commit(conn):
        commits.append(conn)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    event.listen(engine, "commit", commit)
    try:
        result = fn()
    finally:
        event.remove(engine, "before_cursor_execute", record)
        event.remove(engine, "commit", commit)
    return result, seen, len(commits)


def _send(client, mid, client_id, body="Xin chào"):
    return client.emit("chat:send", {"meeting_id": mid, "body": body, "client_id": client_id}, callback=True)


#: a chat message from a socket whose check is kept, in order (besides the socket's user, which the
#: login loads for every event: auth's, not the chat's)
WARM = ["select meetings.", "insert into meeting_chat_messages", "delete from search_entries",
        "insert into search_entries"]


def _kinds(statements):
    rows = [s for s in statements if " from users" not in s]
    return [next((w for w in WARM if s.startswith(w)), s) for s in rows]


def test_a_chat_message_is_the_meeting_one_insert_and_one_commit(app, factory):
    mid, token = _room(factory)
    client = socketio.test_client(app, auth={"token": token})
    assert client.emit("meeting:join", {"meeting_id": mid}, callback=True)["ok"]
    first, statements, commits = _statements(app, lambda: _send(client, mid, "c-0"))
    assert first["ok"]
    # the socket's first message checks the invitation once
    assert any(s.startswith("select meeting_participants") for s in statements), statements

    ack, statements, commits = _statements(app, lambda: _send(client, mid, "c-1"))
    assert ack["ok"] and ack["message"]["body"] == "Xin chào" and ack["message"]["id"]
    assert _kinds(statements) == WARM, statements
    assert commits == 1

    # a retry: answered with the stored message, nothing stored twice, nothing counted
    again = _send(client, mid, "c-1")
    assert again["ok"] and again["message"]["id"] == ack["message"]["id"]
    from meetings.models import ChatMessage

    assert db.session.scalar(db.select(db.func.count(ChatMessage.id)).where(ChatMessage.meeting_id == mid)) == 2
    client.disconnect()


@pytest.fixture
def elsewhere(tmp_path):
    """Run fn in another app instance on the same database: its own session, nothing shared in memory with
    the app the socket is on, as on another process."""
    from core import create_app

    other = create_app(make_test_config(tmp_path))

    def run(fn):
        with other.app_context():
            try:
                return fn()
            finally:
                db.session.remove()

    yield run
    with other.app_context():
        db.engine.dispose()


def test_an_invitation_withdrawn_in_another_session_is_seen_by_the_next_message(app, factory, elsewhere):
    from auth.models import User
    from meetings import services
    from meetings.models import Meeting

    mid, token = _room(factory)
    client = socketio.test_client(app, auth={"token": token})
    assert client.emit("meeting:join", {"meeting_id": mid}, callback=True)["ok"]
    assert _send(client, mid, "a")["ok"] and _send(client, mid, "b")["ok"]  # the check is kept

    def withdraw():
        meeting = db.session.get(Meeting, mid)
        chair = meeting.chair
        data = {**services.current_values(meeting), "participant_ids": []}
        services.update_meeting(chair, meeting, data)

    elsewhere(withdraw)
    refused = _send(client, mid, "c")
    assert refused == {"ok": False, "error": "not_found", "message": refused["message"]}

    def invite_again():
        meeting = db.session.get(Meeting, mid)
        member_id = db.session.scalar(db.select(User.id).where(User.username == "member"))
        services.update_meeting(meeting.chair, meeting,
                                {**services.current_values(meeting), "participant_ids": [member_id]})

    elsewhere(invite_again)
    assert _send(client, mid, "d")["ok"]
    client.disconnect()


def test_a_meeting_ended_in_another_session_closes_the_chat_at_the_next_message(app, factory, elsewhere):
    from meetings import services
    from meetings.models import Meeting

    mid, token = _room(factory)
    client = socketio.test_client(app, auth={"token": token})
    assert client.emit("meeting:join", {"meeting_id": mid}, callback=True)["ok"]
    assert _send(client, mid, "a")["ok"] and _send(client, mid, "b")["ok"]

    def end():
        meeting = db.session.get(Meeting, mid)
        services.end_meeting(meeting.chair, meeting)

    elsewhere(end)
    refused = _send(client, mid, "c")
    assert refused["ok"] is False and refused["error"] == "meeting_ended"
    client.disconnect()


def test_a_socket_s_checks_go_when_it_disconnects(app, factory):
    mid, token = _room(factory)
    one = socketio.test_client(app, auth={"token": token})
    two = socketio.test_client(app, auth={"token": token})
    for client in (one, two):
        assert client.emit("meeting:join", {"meeting_id": mid}, callback=True)["ok"]
        assert _send(client, mid, f"m-{client.eio_sid}")["ok"]
    kept = app.extensions["meetings.socket_access"]
    assert len(kept) == 2
    one.disconnect()
    assert len(kept) == 1
    two.disconnect()
    assert kept == {}
