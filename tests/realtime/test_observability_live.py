"""Observability against a real `python wsgi.py`: the metrics of real sockets and chat, the access log, and
/readyz through a SIGTERM in each async mode (docs/operations.md "Observability")."""
import signal
import time

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import LiveServer
from tests.realtime.helpers import Recorder, close

pytestmark = pytest.mark.realtime


def scrape(server, **headers):
    res = requests.get(server.url + "/metrics", headers=headers, timeout=5)
    if res.status_code != 200:
        return res.status_code, {}
    values = {}
    for family in text_string_to_metric_families(res.text):
        for s in family.samples:
            values[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return 200, values


@pytest.mark.parametrize("mode", ["gevent", "eventlet", "threading"])
def test_sigterm_makes_readyz_503_then_the_process_exits(tmp_path, mode):
    server = LiveServer(tmp_path, async_mode=mode, env={"SHUTDOWN_GRACE": "2"}).start()
    try:
        assert requests.get(server.url + "/readyz", timeout=5).json() == {"status": "ok"}
        sent = time.monotonic()
        server.proc.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        res = requests.get(server.url + "/readyz", timeout=5)
        assert res.status_code == 503 and res.json() == {"status": "stopping"}
        assert requests.get(server.url + "/healthz", timeout=5).status_code == 200  # still serving meanwhile
        assert server.proc.wait(6) == -signal.SIGTERM  # ended as SIGTERM's default action ends it
        took = time.monotonic() - sent
        assert 1.8 < took < 4, took
        assert "SIGTERM: /readyz answers 503" in server.output()
    finally:
        server.stop()


def test_metrics_count_real_sockets_chat_and_requests(live_server, live_db):
    from meetings import services
    from tests.conftest import Factory

    with live_db(live_server):
        f = Factory()
        office = f.agency(code="VP")
        chair = f.user("leader", office, username="chair")
        member = f.user("officer", office, username="alice")
        meeting = services.create_meeting(chair, {"title": "Họp thử", "starts_at": "2026-12-01T08:00",
                                                  "participant_ids": [member.id]})
        services.start_meeting(chair, meeting)
        meeting_id, member_id = meeting.id, member.id
    status, before = scrape(live_server)
    assert status == 200
    assert before[("chidao_socketio_connected", ())] == 0

    tokens = {name: live_server.token(name) for name in ("chair", "alice")}
    clients = [live_server.socket(token=tokens[name]) for name in ("chair", "alice")]
    try:
        chair_events = Recorder(clients[0], "chat:message")
        for client in clients:
            assert client.call("meeting:join", {"meeting_id": meeting_id}, timeout=10)["ok"]
        ack = clients[1].call("chat:send", {"meeting_id": meeting_id, "body": "Xin chào", "client_id": "m-1"},
                              timeout=10)
        assert ack["ok"]
        chair_events.wait_for("chat:message")
        assert clients[1].call("chat:send", {"meeting_id": meeting_id, "body": "Xin chào", "client_id": "m-1"},
                               timeout=10)["ok"]  # a retry: stored once, broadcast once, timed once
        _, after = scrape(live_server)
        assert after[("chidao_socketio_connected", ())] == 2
        assert after[("chidao_chat_broadcast_seconds_count", ())] == 1
        assert 0 < after[("chidao_chat_broadcast_seconds_sum", ())] < 5
        chat_events = ("chidao_realtime_events_emitted_total", (("event", "chat:message"),))
        assert after[chat_events] == 1
        tokens_made = ("chidao_http_requests_total", (("endpoint", "auth_api.create_token"), ("method", "POST"),
                                                      ("status", "201")))
        assert after[tokens_made] == 2
        assert after[("process_open_fds", ())] > 0
    finally:
        close(*clients)
    deadline = time.time() + 10
    while scrape(live_server)[1][("chidao_socketio_connected", ())] != 0 and time.time() < deadline:
        time.sleep(0.1)
    assert scrape(live_server)[1][("chidao_socketio_connected", ())] == 0

    # as nginx would forward it: refused
    assert scrape(live_server, **{"X-Forwarded-For": "203.0.113.7"})[0] == 404
    me = live_server.url + "/api/v1/me?secret=abc"
    res = requests.get(me, headers={"Authorization": f"Bearer {tokens['alice']}"}, timeout=5)
    assert res.status_code == 200
    log = live_server.output()
    assert "GET /api/v1/me 200 " in log and f"user={member_id} addr=127.0.0.1" in log
    assert "secret=abc" not in log
