"""The realtime hub against a real `python wsgi.py`, once under gevent and once under eventlet.

Events are published from the test process through Redis (the server's message queue), the same
path a second server process uses, so publish-after-commit is checked end to end.
"""
import pytest
import requests
import socketio

from core import realtime
from core.extensions import db
from tests.conftest import Factory, LiveServer, need, redis_url
from tests.realtime.helpers import (
    Recorder,
    close,
    new_channel,
    publisher_app,
    quick_ws_close,  # noqa: F401  (fixture)
    redis_available,
    wait_disconnected,
)

pytestmark = [pytest.mark.realtime, pytest.mark.usefixtures("quick_ws_close")]


class World:
    """A started server, its publisher app, and people in two agencies."""

    def __init__(self, server, app, redis):
        self.server, self.app, self.redis = server, app, redis
        with app.app_context():
            f = Factory()
            self.health = f.agency(code="SYT", name="Sở Y tế")
            self.finance = f.agency(code="STC", name="Sở Tài chính")
            self.ids = {}
            for username, role, agency in [("syt1", "officer", self.health), ("syt2", "officer", self.health),
                                           ("stc1", "officer", self.finance), ("chutich", "leader", None),
                                           ("quantri", "admin", None)]:
                user = f.user(role=role, agency=agency, username=username)
                self.ids[username] = user.id
            self.health_id, self.finance_id = self.health.id, self.finance.id
            db.session.remove()

    def socket(self, username, events=("x:event", "x:marker")):
        client = self.server.socket(token=self.server.token(username))
        return client, Recorder(client, *events)

    def publish(self, event, payload, to, commit=True):
        with self.app.app_context():
            from core.audit import record

            record(None, "test.publish")
            realtime.publish(event, payload, to=to)
            if commit:
                db.session.commit()
            else:
                db.session.rollback()
            db.session.remove()


@pytest.fixture(scope="module", params=["gevent", "eventlet"])
def world(request, tmp_path_factory):
    tmp = tmp_path_factory.mktemp(f"rt-{request.param}")
    redis = redis_url() if redis_available() else None
    channel = new_channel()
    server = LiveServer(tmp, async_mode=request.param, redis=redis, env={"SOCKETIO_CHANNEL": channel}).start()
    app = publisher_app(tmp, server.database_url, redis, channel)
    try:
        yield World(server, app, redis)
    finally:
        server.stop()
        with app.app_context():
            db.engine.dispose()


def needs_redis(world):
    need(world.redis, "Redis")


# -- connecting -----------------------------------------------------------------

def test_unauthenticated_connection_is_refused(world):
    anon = socketio.Client(reconnection=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        anon.connect(world.server.url, transports=["websocket"], wait_timeout=5)
    assert not anon.connected


def test_bad_or_revoked_token_is_refused(world):
    for bad in ("not-a-token", "x" * 300):
        client = socketio.Client(reconnection=False)
        with pytest.raises(socketio.exceptions.ConnectionError):
            client.connect(world.server.url, auth={"token": bad}, transports=["websocket"], wait_timeout=5)
    token = world.server.token("syt1")
    assert requests.delete(world.server.url + "/api/v1/auth/token",
                           headers={"Authorization": f"Bearer {token}"}).status_code == 204
    with pytest.raises(socketio.exceptions.ConnectionError):
        world.server.socket(token=token)


def test_token_and_cookie_connections_are_accepted(world):
    by_token = world.server.socket(token=world.server.token("syt1"))
    session = world.server.session("syt2")  # logged in through the login form
    by_cookie = world.server.socket(session=session)
    assert by_token.connected and by_cookie.connected
    close(by_token, by_cookie)


def test_polling_transport_with_cookie_works_too(world):
    session = world.server.session("stc1")
    client = socketio.Client(reconnection=False)
    client.connect(world.server.url, headers={"Cookie": f"session={session.cookies['session']}"},
                   transports=["polling"], wait_timeout=10)
    assert client.connected
    close(client)


# -- rooms and publish-after-commit ---------------------------------------------

def test_agency_event_reaches_its_officers_and_nobody_else(world):
    needs_redis(world)
    syt1, r1 = world.socket("syt1")
    syt2, r2 = world.socket("syt2")
    stc1, r3 = world.socket("stc1")
    leader, r4 = world.socket("chutich")
    world.publish("x:event", {"n": 1}, to=realtime.agency_room(world.health_id))
    world.publish("x:marker", {}, to=realtime.LEADERS_ROOM)
    world.publish("x:marker", {}, to=realtime.agency_room(world.health_id))
    world.publish("x:marker", {}, to=realtime.agency_room(world.finance_id))
    for rec in (r1, r2, r3, r4):
        rec.wait_for("x:marker")  # everything published before the marker has arrived by now
    assert r1.wait_for("x:event") == {"n": 1} and r2.wait_for("x:event") == {"n": 1}
    assert "x:event" not in r3.names() and "x:event" not in r4.names()
    close(syt1, syt2, stc1, leader)


def test_user_and_leaders_rooms(world):
    needs_redis(world)
    syt1, r1 = world.socket("syt1")
    leader, r2 = world.socket("chutich")
    admin, r3 = world.socket("quantri")
    world.publish("x:event", {"to": "leaders"}, to=realtime.LEADERS_ROOM)
    world.publish("x:event", {"to": "syt1"}, to=realtime.user_room(world.ids["syt1"]))
    world.publish("x:marker", {}, to=realtime.LEADERS_ROOM)
    world.publish("x:marker", {}, to=realtime.user_room(world.ids["syt1"]))
    for rec in (r1, r2, r3):
        rec.wait_for("x:marker")
    assert [d for n, d in r1.events if n == "x:event"] == [{"to": "syt1"}]
    assert [d for n, d in r2.events if n == "x:event"] == [{"to": "leaders"}]
    assert [d for n, d in r3.events if n == "x:event"] == [{"to": "leaders"}]
    close(syt1, leader, admin)


def test_event_of_a_rolled_back_transaction_is_never_delivered(world):
    needs_redis(world)
    client, rec = world.socket("syt1")
    world.publish("x:event", {"state": "rolled back"}, to=realtime.agency_room(world.health_id), commit=False)
    world.publish("x:event", {"state": "committed"}, to=realtime.agency_room(world.health_id))
    world.publish("x:marker", {}, to=realtime.agency_room(world.health_id))
    rec.wait_for("x:marker")
    assert [d for n, d in rec.events if n == "x:event"] == [{"state": "committed"}]
    close(client)


def test_notification_reaches_the_user_live(world):
    needs_redis(world)
    client, rec = world.socket("syt2", events=("notification:new", "notification:count"))
    other, other_rec = world.socket("syt1", events=("notification:new",))
    with world.app.app_context():
        from auth.models import User
        from notifications.services import notify

        user = db.session.get(User, world.ids["syt2"])
        rows = notify([user], "test.hello", lambda u: f"Xin chào {u.full_name}", link="/notifications")
        db.session.commit()
        note_id = rows[0].id
        db.session.remove()
    data = rec.wait_for("notification:new")
    assert data["id"] == note_id and data["text"].startswith("Xin chào") and data["read"] is False
    # reading it through the API updates the count on every socket of that user
    token = world.server.token("syt2")
    res = requests.post(f"{world.server.url}/api/v1/notifications/{note_id}/read",
                        headers={"Authorization": f"Bearer {token}"})
    assert res.status_code == 200
    assert rec.wait_for("notification:count") == {"unread": res.json()["unread"]}
    assert other_rec.names() == []
    close(client, other)


# -- disconnecting --------------------------------------------------------------

def test_logout_disconnects_that_browsers_sockets_only(world):
    browser = world.server.session("syt1")
    other_browser = world.server.session("syt1")
    s1 = world.server.socket(session=browser)
    s2 = world.server.socket(session=other_browser)
    by_token = world.server.socket(token=world.server.token("syt1"))
    copied = requests.Session()
    copied.cookies.update(browser.cookies)  # a copy of the cookie, taken before the logout
    res = browser.post(world.server.url + "/logout", data={"csrf_token": browser.csrf}, allow_redirects=False)
    assert res.status_code == 302
    assert wait_disconnected(s1)
    assert s2.connected and by_token.connected
    # and the logged-out cookie cannot open a new socket
    with pytest.raises(socketio.exceptions.ConnectionError):
        world.server.socket(session=browser)
    with pytest.raises(socketio.exceptions.ConnectionError):
        world.server.socket(session=copied)
    assert copied.get(world.server.url + "/api/v1/me").status_code == 401
    close(s2, by_token)


def test_revoking_a_token_disconnects_its_sockets(world):
    token = world.server.token("stc1")
    keep = world.server.token("stc1")
    s1 = world.server.socket(token=token)
    s2 = world.server.socket(token=token)
    other = world.server.socket(token=keep)
    res = requests.delete(world.server.url + "/api/v1/auth/token", headers={"Authorization": f"Bearer {token}"})
    assert res.status_code == 204
    assert wait_disconnected(s1) and wait_disconnected(s2)
    assert other.connected
    close(other)


def test_deactivating_a_user_disconnects_their_sockets(world):
    admin = world.server.session("quantri")
    with world.app.app_context():

        victim = Factory().user(role="officer", agency=db.session.get(type(world.health), world.health_id),
                                username="tamthoi")
        victim_id = victim.id
        db.session.remove()
    sock = world.server.socket(token=world.server.token("tamthoi"))
    res = admin.patch(f"{world.server.url}/api/v1/users/{victim_id}", json={"active": False})
    assert res.status_code == 200, res.text
    assert wait_disconnected(sock)
