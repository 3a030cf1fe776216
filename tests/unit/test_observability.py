"""The request log, /metrics and who may read it, /healthz and /readyz (docs/operations.md "Observability")."""
import logging
import time

import pytest
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from core import create_app, lifecycle
from core.scheduler import JOBS, register_job, run_due_jobs
from tests.conftest import bearer, free_port, login, make_test_config, need, redis_url
from tests.realtime.helpers import redis_available

LOOPBACK = {"REMOTE_ADDR": "127.0.0.1"}
OUTSIDE = {"REMOTE_ADDR": "203.0.113.7"}


def access_lines(caplog):
    return [r.getMessage() for r in caplog.records if r.name == "chidao.access"]


def sample(name, **labels):
    return REGISTRY.get_sample_value(name, labels) or 0


# -- the request log ----------------------------------------------------------------------------------

def test_one_access_line_per_request_without_the_query_string(client, caplog):
    caplog.set_level(logging.INFO, logger="chidao.access")
    client.get("/healthz?token=s3cr3t-value", environ_base=OUTSIDE)
    client.get("/no-such-page/x%20y%0Az")
    [health, missing] = access_lines(caplog)
    method, path, status, took, user, addr = health.split(" ")
    assert (method, path, status, user, addr) == ("GET", "/healthz", "200", "user=-", "addr=203.0.113.7")
    assert took.endswith("ms") and float(took[:-2]) >= 0
    assert "s3cr3t" not in health
    assert missing.startswith("GET /no-such-page/x%20y%0Az 404 ")  # one line, one field


def test_a_token_in_the_path_is_masked(client, caplog):
    """A password-reset link and a calendar feed address are the credential itself."""
    caplog.set_level(logging.INFO, logger="chidao.access")
    secret = "Zq3xS3cr3tT0ken-_abc"
    client.get(f"/password/reset/{secret}")
    client.get(f"/calendar/{secret}.ics")
    client.get("/account/tokens/7/revoke")  # an id, not a secret: kept
    lines = access_lines(caplog)
    assert len(lines) == 3, lines
    assert not any(secret in line for line in lines), lines
    assert lines[0].startswith("GET /password/reset/<token> ")
    assert lines[1].startswith("GET /calendar/<token>.ics ")
    assert lines[2].startswith("GET /account/tokens/7/revoke ")


def test_the_access_line_names_the_signed_in_user_and_skips_static_files(client, factory, caplog):
    user = factory.user()
    token = factory.token(user)
    caplog.set_level(logging.INFO, logger="chidao.access")
    client.get("/api/v1/me", headers=bearer(token))
    client.get("/static/css/app.css")
    client.get("/api/v1/me")
    lines = access_lines(caplog)
    assert len(lines) == 2, lines
    assert lines[0].startswith("GET /api/v1/me 200 ") and f"user={user.id} " in lines[0]
    assert lines[1].startswith("GET /api/v1/me 401 ") and "user=- " in lines[1]


def test_the_address_is_the_client_behind_one_trusted_proxy(tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app(make_test_config(tmp_path, TRUSTED_PROXIES=1))
    caplog.set_level(logging.INFO, logger="chidao.access")
    with app.app_context():
        app.test_client().get("/readyz", headers={"X-Forwarded-For": "198.51.100.4, 10.0.0.9",
                                                  "X-Forwarded-Host": "evil.example"})
    [line] = access_lines(caplog)
    assert line.endswith("addr=10.0.0.9")


def test_x_forwarded_host_is_not_trusted(tmp_path, monkeypatch):
    """nginx passes the Host header itself; a forged X-Forwarded-Host must not become the host of links."""
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app(make_test_config(tmp_path, TRUSTED_PROXIES=1))

    @app.route("/_host")
    def _host():
        from flask import request

        return request.host

    res = app.test_client().get("/_host", headers={"Host": "chidao.example.gov.vn", "X-Forwarded-Host": "evil.example",
                                                    "X-Forwarded-For": "198.51.100.4"})
    assert res.get_data(as_text=True) == "chidao.example.gov.vn"


# -- /metrics -----------------------------------------------------------------------------------------

def test_metrics_are_served_to_loopback_only(client):
    before = sample("chidao_http_requests_total", method="GET", endpoint="core.health", status="200")
    client.get("/healthz")
    res = client.get("/metrics", environ_base=LOOPBACK)
    assert res.status_code == 200 and res.content_type.startswith("text/plain")
    families = {f.name: f for f in text_string_to_metric_families(res.get_data(as_text=True))}
    for name in ("chidao_http_requests", "chidao_http_request_duration_seconds", "chidao_socketio_connected",
                 "chidao_realtime_events_emitted", "chidao_chat_broadcast_seconds", "chidao_scheduler_runs",
                 "process_resident_memory_bytes"):
        assert name in families, name
    assert sample("chidao_http_requests_total", method="GET", endpoint="core.health", status="200") == before + 1
    assert client.get("/metrics", environ_base=OUTSIDE).status_code == 404
    # through nginx the peer is loopback too: the proxy's header gives it away
    assert client.get("/metrics", environ_base=LOOPBACK, headers={"X-Forwarded-For": "127.0.0.1"}).status_code == 404
    assert client.get("/metrics", environ_base=LOOPBACK, headers={"X-Real-IP": "203.0.113.7"}).status_code == 404


@pytest.mark.parametrize("app_config", [{"METRICS_TOKEN": "a-long-random-metrics-token"}])
def test_metrics_with_the_token_from_elsewhere(client):
    def scrape(token):
        return client.get("/metrics", environ_base=OUTSIDE, headers=bearer(token)).status_code

    assert scrape("a-long-random-metrics-token") == 200
    assert scrape("a-long-random-metrics-tokeX") == 404
    assert client.get("/metrics", environ_base=OUTSIDE).status_code == 404


def test_requests_are_counted_by_endpoint_not_by_path(client):
    def count():
        return sample("chidao_http_requests_total", method="GET", endpoint="none", status="404")

    before = count()
    client.get("/no-such-page-1")
    client.get("/no-such-page-2")
    assert count() == before + 2
    before = sample("chidao_http_requests_total", method="other", endpoint="none", status="405")
    client.open("/healthz", method="BREW")
    assert sample("chidao_http_requests_total", method="other", endpoint="none", status="405") == before + 1


def test_scheduler_runs_are_counted_by_job_and_outcome(app):
    def failing():
        raise RuntimeError("boom")

    # the registry is the process's: another test (or a rerun) may have counted these already
    ok_before = sample("chidao_scheduler_runs_total", job="test_metrics_ok", outcome="ok")
    fail_before = sample("chidao_scheduler_runs_total", job="test_metrics_fail", outcome="error")
    register_job("test_metrics_ok", 60, lambda: None)
    register_job("test_metrics_fail", 60, failing)
    try:
        run_due_jobs(app)
    finally:
        JOBS.pop("test_metrics_ok")
        JOBS.pop("test_metrics_fail")
    assert sample("chidao_scheduler_runs_total", job="test_metrics_ok", outcome="ok") == ok_before + 1
    assert sample("chidao_scheduler_runs_total", job="test_metrics_fail", outcome="error") == fail_before + 1


def test_socket_gauge_and_emitted_events(app, factory):
    from core import realtime
    from core.extensions import db, socketio

    before = sample("chidao_socketio_connected")
    sock = socketio.test_client(app, auth={"token": factory.token(factory.user())})
    assert sock.is_connected()
    assert sample("chidao_socketio_connected") == before + 1
    emitted = sample("chidao_realtime_events_emitted_total", event="test:counted")
    realtime.publish("test:counted", {}, to="nobody")
    db.session.commit()
    assert sample("chidao_realtime_events_emitted_total", event="test:counted") == emitted + 1
    sock.disconnect()
    assert sample("chidao_socketio_connected") == before


# -- /healthz and /readyz ------------------------------------------------------------------------------

def test_healthz_names_redis_off_when_not_configured(client):
    res = client.get("/healthz")
    assert res.status_code == 200
    assert res.get_json() == {"status": "ok", "database": "ok", "redis": "off"}


@pytest.mark.parametrize("app_config", [{"REDIS_URL": redis_url()}])
def test_healthz_pings_redis(client):
    need(redis_available(), "Redis")
    assert client.get("/healthz").get_json() == {"status": "ok", "database": "ok", "redis": "ok"}


@pytest.mark.parametrize("app_config", [{"REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"}])
def test_healthz_is_503_naming_redis_when_it_is_down(client):
    started = time.monotonic()
    res = client.get("/healthz")
    assert res.status_code == 503
    assert res.get_json() == {"status": "error", "database": "ok", "redis": "error"}
    assert time.monotonic() - started < 3


@pytest.mark.parametrize("uri", ["sqlite:////nonexistent-folder/x/app.db",
                                 f"postgresql://postgres@127.0.0.1:{free_port()}/test"])
def test_healthz_and_readyz_are_503_naming_the_database_when_it_is_down(tmp_path, monkeypatch, uri):
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app(make_test_config(tmp_path, SQLALCHEMY_DATABASE_URI=uri))
    client = app.test_client()
    res = client.get("/healthz")
    assert res.status_code == 503
    assert res.get_json() == {"status": "error", "database": "error", "redis": "off"}
    assert client.get("/readyz").status_code == 503


def test_readyz_is_503_while_starting_and_once_stopping(app, client):
    assert client.get("/readyz").get_json() == {"status": "ok"}
    lifecycle.mark_started(app, False)
    assert client.get("/readyz").status_code == 503
    lifecycle.mark_started(app)
    lifecycle.state(app)["stopping"] = True
    res = client.get("/readyz")
    assert res.status_code == 503 and res.get_json() == {"status": "stopping"}
    assert client.get("/healthz").status_code == 200  # the database is still fine


def test_ops_endpoints_need_no_login_and_no_csrf(client, factory):
    for path in ("/healthz", "/readyz"):
        assert client.get(path).status_code == 200
    login(client, factory.user())
    for path in ("/healthz", "/readyz"):
        assert client.get(path).status_code == 200


def test_healthz_does_not_hang_on_a_database_server_that_never_answers(tmp_path, monkeypatch):
    """A PostgreSQL port that takes the connection and then says nothing: libpq gives up after PG_CONNECT_TIMEOUT."""
    import socket

    from core.config import PG_CONNECT_TIMEOUT

    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path / "instance"))
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)  # never accepted, never answered
        uri = f"postgresql://postgres@127.0.0.1:{silent.getsockname()[1]}/test"
        app = create_app(make_test_config(tmp_path, SQLALCHEMY_DATABASE_URI=uri))
        started = time.monotonic()
        res = app.test_client().get("/healthz")
        took = time.monotonic() - started
    assert res.status_code == 503 and res.get_json()["database"] == "error"
    assert PG_CONNECT_TIMEOUT - 1 < took < PG_CONNECT_TIMEOUT + 3, took
