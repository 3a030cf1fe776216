"""core.realtime at unit level (Flask-SocketIO's test client): connect auth, rooms, socket_handler acks."""
import pytest

from core import realtime
from core.errors import Invalid, NotFound
from core.extensions import db, socketio
from tests.conftest import login


@realtime.socket_handler("test:echo")
def _echo(payload):
    kind = payload.get("raise")
    if kind == "not_found":
        raise NotFound("no such thing")
    if kind == "invalid":
        raise Invalid({"body": "required"})
    if kind == "crash":
        from core.audit import record

        record(None, "test.half_written")
        raise RuntimeError("boom")
    return {"ok": True, "echo": payload.get("text")}


def connect(app, **kwargs):
    return socketio.test_client(app, **kwargs)


def test_connect_needs_a_user(app):
    assert not connect(app).is_connected()
    assert not connect(app, auth={"token": "bogus"}).is_connected()
    assert db.session.scalar(db.select(db.func.count()).select_from(realtime.SocketConnection)) == 0


def test_token_connection_joins_user_agency_and_leaders_rooms(app, factory):
    agency = factory.agency()
    officer = factory.user(agency=agency)
    leader = factory.user(role="leader")
    c_officer = connect(app, auth={"token": factory.token(officer)})
    c_leader = connect(app, auth={"token": factory.token(leader)})
    assert c_officer.is_connected() and c_leader.is_connected()
    conns = db.session.scalars(db.select(realtime.SocketConnection)).all()
    assert {c.user_id for c in conns} == {officer.id, leader.id}
    assert all(c.api_token_id and c.server_id == realtime.SERVER_ID for c in conns)
    socketio.emit("x", {"to": "agency"}, to=realtime.agency_room(agency.id))
    socketio.emit("x", {"to": "leaders"}, to=realtime.LEADERS_ROOM)
    socketio.emit("x", {"to": "officer"}, to=realtime.user_room(officer.id))
    got = lambda c: [e["args"][0]["to"] for e in c.get_received() if e["name"] == "x"]  # noqa: E731
    assert got(c_officer) == ["agency", "officer"]
    assert got(c_leader) == ["leaders"]
    c_officer.disconnect()
    assert db.session.scalar(db.select(db.func.count()).select_from(realtime.SocketConnection)) == 1


def test_cookie_connection_records_the_browser_login(app, factory, client):
    user = factory.user()
    login(client, user)
    sock = connect(app, flask_test_client=client)
    assert sock.is_connected()
    conn = db.session.scalar(db.select(realtime.SocketConnection))
    assert conn.user_id == user.id and conn.login_id and conn.api_token_id is None


@pytest.fixture
def sock(app, factory):
    return connect(app, auth={"token": factory.token(factory.user())})


def test_handler_answers_with_its_ack(sock):
    assert sock.emit("test:echo", {"text": "xin chào"}, callback=True) == {"ok": True, "echo": "xin chào"}


@pytest.mark.parametrize("payload", [None, "text", [1, 2]])
def test_payload_that_is_not_an_object_is_refused(sock, payload):
    ack = sock.emit("test:echo", payload, callback=True)
    assert ack["ok"] is False and ack["error"] == "bad_request"


def test_service_errors_become_acks(sock):
    assert sock.emit("test:echo", {"raise": "not_found"}, callback=True) == {
        "ok": False, "error": "not_found", "message": "no such thing"}
    ack = sock.emit("test:echo", {"raise": "invalid"}, callback=True)
    assert ack["ok"] is False and ack["error"] == "invalid" and ack["fields"] == {"body": "required"}


def test_crash_is_an_internal_error_ack_and_nothing_is_written(sock):
    from core.audit import AuditLog

    assert sock.emit("test:echo", {"raise": "crash"}, callback=True) == {"ok": False, "error": "internal_error"}
    db.session.commit()
    assert db.session.scalar(db.select(AuditLog.id).where(AuditLog.action == "test.half_written")) is None
    assert sock.emit("test:echo", {"text": "still alive"}, callback=True)["ok"] is True
