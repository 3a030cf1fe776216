"""What a socket costs the database (issue 17): the user is read once, when the socket connects, and kept for
its life; an event reads no user, and the connect writes in one transaction (its row and the token's last use)."""
from flask_login import current_user

from core import realtime
from core.extensions import db, socketio
from tests.conftest import login
from tests.unit.test_chat_statements import _room, _statements


@realtime.socket_handler("test:whoami")
def _whoami(_payload):
    return {"ok": True, "id": current_user.id, "name": current_user.full_name,
            "agency": current_user.agency.code if current_user.agency else None}


def _reads_users(statements):
    return [s for s in statements if s.startswith("select") and " from users" in s]


def test_a_token_socket_reads_its_user_once_at_connect(app, factory):
    agency = factory.agency(code="SYT")
    user = factory.user(agency=agency, full_name="Trần Thị An")
    token = factory.token(user)
    client, at_connect, commits = _statements(app, lambda: socketio.test_client(app, auth={"token": token}))
    assert client.is_connected() and commits == 1
    # the token with its user in one query; the socket's row and the token's last use in one transaction
    assert len([s for s in at_connect if s.startswith("select")]) == 1, at_connect
    assert "join users" in at_connect[0] and "from api_tokens" in at_connect[0]
    written = [s.split()[2] if s.startswith("insert") else s.split()[1]
               for s in at_connect if s.startswith(("insert", "update", "delete"))]
    assert sorted(written) == ["api_tokens", "socket_connections"], at_connect

    for _ in range(2):
        ack, statements, commits = _statements(app, lambda: client.emit("test:whoami", {}, callback=True))
        assert ack == {"ok": True, "id": user.id, "name": "Trần Thị An", "agency": "SYT"} and not commits
        assert _reads_users(statements) == [], statements
        assert not [s for s in statements if s.startswith(("insert", "update", "delete"))], statements


def test_a_cookie_socket_reads_its_user_once_at_connect(app, factory, client):
    user = factory.user(full_name="Lê Văn Bình")
    login(client, user)
    sock, at_connect, _commits = _statements(app, lambda: socketio.test_client(app, flask_test_client=client))
    assert sock.is_connected()
    assert len(_reads_users(at_connect)) == 1, at_connect
    ack, statements, _commits = _statements(app, lambda: sock.emit("test:whoami", {}, callback=True))
    assert ack["ok"] and ack["id"] == user.id and ack["name"] == "Lê Văn Bình"
    assert _reads_users(statements) == [], statements


def test_the_kept_user_ends_with_its_token_or_login(app, factory, monkeypatch):
    """A token that expires while its socket is open: the next event is refused, as an HTTP request would be."""
    from datetime import timedelta

    from core.dbtypes import utcnow

    monkeypatch.setitem(app.config, "API_TOKEN_DAYS", 30)
    sock = socketio.test_client(app, auth={"token": factory.token(factory.user())})
    assert sock.emit("test:whoami", {}, callback=True)["ok"]
    later = utcnow() + timedelta(days=31)
    monkeypatch.setattr(realtime, "utcnow", lambda: later)
    assert sock.emit("test:whoami", {}, callback=True) == {"ok": False, "error": "unauthorized"}


def test_closing_a_users_sockets_forgets_the_user_at_once(app, factory):
    from auth import services

    user = factory.user()
    sock = socketio.test_client(app, auth={"token": factory.token(user)})
    sid = next(iter(realtime._kept.keys() & set(db.session.scalars(
        db.select(realtime.SocketConnection.sid).where(realtime.SocketConnection.user_id == user.id)))))
    services.close_sockets(user)
    assert sid not in realtime._kept
    assert not sock.is_connected()


def test_joining_a_meeting_writes_one_span_and_reads_no_user(app, factory):
    mid, token = _room(factory)
    client = socketio.test_client(app, auth={"token": token})
    ack, statements, _commits = _statements(
        app, lambda: client.emit("meeting:join", {"meeting_id": mid}, callback=True))
    assert ack["ok"] and len(ack["present"]) == 1
    assert _reads_users(statements) == [], statements
    assert not [s for s in statements if "socket_connections" in s], statements
    on_spans = [s.split()[0] for s in statements if "meeting_attendance_spans" in s]
    # the user's open spans, the new one, who is here (the ack); the room's presence list is read here too only
    # because no server runs (a serving process reads it in its coalesced emit, after the commit)
    assert on_spans == ["select", "insert", "select", "select"], statements


def test_the_recheck_closes_sockets_whose_user_changed_behind_their_back(app, factory, monkeypatch):
    """Changes made without the services (which close the sockets themselves): the recheck finds them."""
    from auth.models import User

    monkeypatch.setattr(realtime, "_kept", {})  # only this test's sockets
    agency, other = factory.agency(code="SYT"), factory.agency(code="SXD")
    users = {name: factory.user(agency=agency, username=name) for name in ("same", "renamed", "moved", "gone")}
    socks = {name: socketio.test_client(app, auth={"token": factory.token(u)}) for name, u in users.items()}
    assert realtime.recheck_sockets() == 0
    db.session.execute(db.update(User).where(User.id == users["renamed"].id).values(full_name="Tên mới"))
    db.session.execute(db.update(User).where(User.id == users["moved"].id).values(agency_id=other.id))
    db.session.execute(db.update(User).where(User.id == users["gone"].id).values(active=False))
    db.session.commit()
    assert realtime.recheck_sockets() == 3  # a new name too: the chat shows the name the socket keeps
    assert {name for name, sock in socks.items() if sock.is_connected()} == {"same"}


def test_a_socket_opened_with_a_bearer_header_closes_when_its_token_is_revoked(app, factory):
    from auth import services
    from auth.models import ApiToken

    user = factory.user()
    raw = factory.token(user)
    sock = socketio.test_client(app, headers={"Authorization": f"Bearer {raw}"})
    assert sock.is_connected() and sock.emit("test:whoami", {}, callback=True)["id"] == user.id
    row = db.session.scalar(db.select(realtime.SocketConnection).where(realtime.SocketConnection.user_id == user.id))
    token = db.session.scalar(db.select(ApiToken).where(ApiToken.user_id == user.id))
    assert row.api_token_id == token.id  # so revoking the token finds the socket
    services.revoke_token(user, token)
    assert not sock.is_connected()


def test_closing_a_users_sockets_forgets_them_here_before_asking_the_database(app, monkeypatch):
    """While the query for the sockets to close waits (other greenlets run then), no event of this process may
    still act as the user: the kept user is forgotten first, with no I/O."""
    from types import SimpleNamespace

    def kept(user_id, token_id=None, login_id=None):
        return SimpleNamespace(user=SimpleNamespace(id=user_id, agency_id=1), api_token_id=token_id, login_id=login_id)

    monkeypatch.setattr(realtime, "_kept", {"s7": kept(7), "s8": kept(8, token_id=3), "s9": kept(9, login_id="L")})
    left_when_queried = []
    real_scalars = db.session.scalars

    def scalars(*args, **kwargs):
        left_when_queried.append(set(realtime._kept))
        return real_scalars(*args, **kwargs)

    monkeypatch.setattr(db.session, "scalars", scalars)
    from auth import services

    with app.app_context():
        realtime.disconnect_where(realtime.SocketConnection.user_id == 7, kept=lambda k: k.user.id == 7)
        services.logout_sockets("L")
    assert left_when_queried == [{"s8", "s9"}, {"s8"}]


def test_a_socket_whose_user_is_closed_while_it_connects_is_refused_and_leaves_no_row(app, factory, monkeypatch):
    """The connect's commit lets other greenlets run; a logout or deactivation that closes the user's sockets
    then forgets this one too (it is kept before the commit), so it is refused instead of keeping the old user."""
    user = factory.user()
    token, user_id = factory.token(user), user.id
    real_commit = db.session.commit

    def commit():
        real_commit()
        for sid, kept in list(realtime._kept.items()):  # what disconnect_where's kept test does meanwhile
            if kept.user.id == user_id:
                realtime._kept.pop(sid)

    monkeypatch.setattr(db.session, "commit", commit)
    sock = socketio.test_client(app, auth={"token": token})
    assert not sock.is_connected()
    monkeypatch.undo()
    assert db.session.scalar(db.select(db.func.count()).select_from(realtime.SocketConnection)
                             .where(realtime.SocketConnection.user_id == user_id)) == 0
