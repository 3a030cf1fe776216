"""Scale-out: two server processes sharing PostgreSQL and Redis behave as one deployment,
and the Alembic migrations build on PostgreSQL exactly the schema the models describe."""
import pytest
import requests

from core.extensions import db
from tests.conftest import Factory, LiveServer, make_test_config, need, redis_url
from tests.realtime.helpers import (
    Recorder,
    close,
    new_channel,
    quick_ws_close,  # noqa: F401  (fixture)
    redis_available,
    wait_disconnected,
)

pytestmark = [pytest.mark.scale, pytest.mark.usefixtures("quick_ws_close")]


def test_migrations_match_models_on_postgres(tmp_path, monkeypatch, pg_database):
    from core import create_app
    from tests.unit.test_migrations import _diff

    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path / "i"))
    app = create_app(make_test_config(tmp_path, SQLALCHEMY_DATABASE_URI=pg_database))
    try:
        assert _diff(app) == []
        with app.app_context():
            assert db.engine.dialect.name == "postgresql"
    finally:
        with app.app_context():
            db.engine.dispose()


def test_two_processes_share_sessions_tokens_events_and_disconnects(tmp_path, pg_database):
    need(redis_available(), "Redis")
    channel = new_channel()
    env = {"SOCKETIO_CHANNEL": channel}
    a = LiveServer(tmp_path, async_mode="gevent", database_url=pg_database, redis=redis_url(), env=env, name="a")
    b = LiveServer(tmp_path, async_mode="eventlet", database_url=pg_database, redis=redis_url(), env=env, name="b")
    a.start()  # A creates the schema; B finds it up to date
    b.start()
    from core import create_app

    seed = create_app(make_test_config(tmp_path, SQLALCHEMY_DATABASE_URI=pg_database))
    clients = []
    try:
        with seed.app_context():
            from notifications.services import notify

            f = Factory()
            health = f.agency(code="SYT", name="Sở Y tế")
            officer = f.user(role="officer", agency=health, username="syt1")
            f.user(role="admin", username="quantri")
            rows = notify([officer], "test.scale", "Có chỉ đạo mới")
            db.session.commit()
            note_id, officer_id = rows[0].id, officer.id
            db.session.remove()
            db.engine.dispose()

        # a token issued by A works on B, a login on A is a login on B
        token = a.token("syt1")
        me = requests.get(b.url + "/api/v1/me", headers={"Authorization": f"Bearer {token}"}).json()
        assert me["id"] == officer_id
        browser = a.session("syt1")
        assert browser.get(b.url + "/api/v1/me").json()["username"] == "syt1"

        on_b = b.socket(token=token)
        rec = Recorder(on_b, "notification:count")
        cookie_on_b = b.socket(session=browser)
        other_token = a.token("syt1")
        revoked_on_b = b.socket(token=other_token)
        clients += [on_b, cookie_on_b, revoked_on_b]

        # an event caused on A reaches the socket on B
        res = requests.post(f"{a.url}/api/v1/notifications/{note_id}/read",
                            headers={"Authorization": f"Bearer {token}"})
        assert res.status_code == 200 and res.json() == {"unread": 0}
        assert rec.wait_for("notification:count") == {"unread": 0}

        # logging out on A closes that browser's socket on B; revoking on A closes the token's socket on B
        res = browser.post(a.url + "/logout", data={"csrf_token": browser.csrf}, allow_redirects=False)
        assert res.status_code == 302
        assert wait_disconnected(cookie_on_b)
        assert requests.delete(a.url + "/api/v1/auth/token",
                               headers={"Authorization": f"Bearer {other_token}"}).status_code == 204
        assert wait_disconnected(revoked_on_b)
        assert on_b.connected
    finally:
        close(*clients)
        a.stop()
        b.stop()
        with seed.app_context():
            db.engine.dispose()
    assert "Traceback" not in a.output() and "Traceback" not in b.output(), a.output()[-2000:] + b.output()[-2000:]
