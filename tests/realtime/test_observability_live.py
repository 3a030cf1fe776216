"""Observability against a real `python wsgi.py`: the metrics of real sockets and chat, the access log, and
/readyz through a SIGTERM in each async mode (docs/operations.md "Observability")."""
import json
import signal
import socket
import time

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import PASSWORD, LiveServer
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


def wait_until(condition, timeout=20, what="condition"):
    """Poll instead of sleeping a fixed time: CI is a loaded 2-core machine."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def refused(server):
    try:
        requests.get(server.url + "/healthz", timeout=2)
    except requests.ConnectionError:
        return True
    return False


def readyz_stopping(server):
    res = requests.get(server.url + "/readyz", timeout=5)
    return res.status_code == 503 and res.json() == {"status": "stopping"}


def start_slow_request(server):
    """A POST whose body is only half sent: the app is answering it (it waits for the rest of the body)."""
    body = json.dumps({"username": "slow", "password": PASSWORD}).encode()
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=30)
    sock.sendall(b"POST /api/v1/auth/token HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                 + f"Content-Length: {len(body)}\r\n\r\n".encode() + body[:5])
    # the scrape itself is in flight too
    wait_until(lambda: scrape(server)[1].get(("chidao_http_requests_in_flight", ()), 0) >= 2, what="in flight")
    return sock, body[5:]


def read_all(sock):
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


@pytest.mark.parametrize("mode", ["gevent", "eventlet", "threading"])
def test_sigterm_answers_the_request_in_flight_then_exits(tmp_path, live_db, mode):
    """gevent closes its listener at once (nginx retries elsewhere on "connection refused"); eventlet and the
    threading server cannot, and answer /readyz 503 instead. Either way the request in flight gets its answer,
    and the process ends as soon as it is sent, well before SHUTDOWN_GRACE."""
    from tests.conftest import Factory

    server = LiveServer(tmp_path, async_mode=mode, env={"SHUTDOWN_GRACE": "30"}).start()
    try:
        with live_db(server):
            Factory().user(username="slow")
        sock, rest = start_slow_request(server)
        server.proc.send_signal(signal.SIGTERM)
        if mode == "gevent":
            wait_until(lambda: refused(server), what="connection refused")
        else:
            wait_until(lambda: readyz_stopping(server), what="/readyz 503")
        finished = time.monotonic()
        sock.sendall(rest)
        answer = read_all(sock)
        sock.close()
        assert answer.startswith(b"HTTP/1.1 201 "), answer[:300]
        assert b'"token"' in answer and b"connection: close" in answer.lower()
        assert server.proc.wait(20) == -signal.SIGTERM  # ended as SIGTERM's default action ends it
        assert time.monotonic() - finished < 8  # not the 30 s grace: it stopped once the request was answered
        assert "SIGTERM: " in server.output() and "still in flight" not in server.output()
    finally:
        server.stop()


def test_sigterm_exits_after_the_grace_when_a_request_never_ends(tmp_path, live_db):
    from tests.conftest import Factory

    server = LiveServer(tmp_path, env={"SHUTDOWN_GRACE": "2"}).start()
    try:
        with live_db(server):
            Factory().user(username="slow")
        sock, _rest = start_slow_request(server)
        sent = time.monotonic()
        server.proc.send_signal(signal.SIGTERM)
        assert server.proc.wait(20) == -signal.SIGTERM
        took = time.monotonic() - sent
        assert 1.8 < took < 10, took
        assert "1 requests still in flight after 2.0 s" in server.output()
        sock.close()
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
