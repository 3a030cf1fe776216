"""Meeting chat against a real server process with real Socket.IO clients."""
import sqlite3
import threading
import time

import pytest
import requests

from tests.realtime.helpers import close, quick_ws_close  # noqa: F401  (fixture)

pytestmark = [pytest.mark.realtime, pytest.mark.usefixtures("quick_ws_close")]


def seed_meeting(live_server, live_db, status="live"):
    """Chair, two members, an outsider; a meeting the chair started."""
    from meetings import services
    from tests.conftest import Factory

    with live_db(live_server):
        f = Factory()
        office = f.agency(code="VP")
        chair = f.user("leader", office, username="chair", full_name="Nguyễn Văn Minh")
        a = f.user("officer", office, username="alice", full_name="Trần Thị An")
        b = f.user("officer", office, username="bob", full_name="Lê Văn Bình")
        f.user("officer", f.agency(code="STC"), username="outsider")
        meeting = services.create_meeting(chair, {"title": "Họp thử", "starts_at": "2026-12-01T08:00",
                                                  "participant_ids": [a.id, b.id]})
        if status == "live":
            services.start_meeting(chair, meeting)
        return {"meeting_id": meeting.id, "chair": chair.id, "alice": a.id, "bob": b.id}


class Listener:
    """Collects events of one client; wait_for blocks until a condition holds."""

    def __init__(self, client, *events):
        self.events = []
        self.cond = threading.Condition()
        for name in events:
            client.on(name, self._make(name))

    def _make(self, name):
        def handler(data):
            with self.cond:
                self.events.append((name, data))
                self.cond.notify_all()
        return handler

    def of(self, name):
        return [d for n, d in self.events if n == name]

    def wait_for(self, predicate, timeout=10):
        deadline = time.time() + timeout
        with self.cond:
            while not predicate():
                left = deadline - time.time()
                if left <= 0:
                    return False
                self.cond.wait(left)
            return True


def sqlite_path(server):
    return server.database_url.replace("sqlite:///", "")


def count_messages(server, meeting_id):
    with sqlite3.connect(sqlite_path(server)) as conn:
        row = conn.execute("select count(*) from meeting_chat_messages where meeting_id=?", (meeting_id,)).fetchone()
        return row[0]


@pytest.fixture
def room(live_server, live_db):
    ids = seed_meeting(live_server, live_db)
    tokens = {name: live_server.token(name) for name in ("chair", "alice", "bob", "outsider")}
    clients = []

    def connect(name, join=True, last=None):
        client = live_server.socket(token=tokens[name])
        clients.append(client)
        listener = Listener(client, "chat:message", "meeting:presence", "meeting:status")
        ack = None
        if join:
            payload = {"meeting_id": ids["meeting_id"]}
            if last is not None:
                payload["last_message_id"] = last
            ack = client.call("meeting:join", payload, timeout=10)
            assert ack["ok"], ack
        return client, listener, ack

    yield ids, connect, tokens
    close(*clients)  # in parallel: each websocket close waits up to 3 s for the server's frame


def test_message_is_stored_before_it_is_broadcast(live_server, room):
    ids, connect, _ = room
    alice, _, _ = connect("alice")
    bob, _, _ = connect("bob")
    seen_in_db = []
    got = threading.Event()

    def on_message(data):
        # the moment the broadcast arrives, the row must already be committed
        with sqlite3.connect(sqlite_path(live_server)) as conn:
            row = conn.execute("select body, client_id from meeting_chat_messages where id=?", (data["id"],)).fetchone()
        seen_in_db.append((data, row))
        got.set()

    bob.on("chat:message", on_message)
    ack = alice.call("chat:send", {"meeting_id": ids["meeting_id"], "body": "Xin chào <b>mọi người</b>",
                                   "client_id": "c-1"}, timeout=10)
    assert ack["ok"] is True
    msg = ack["message"]
    assert msg["body"] == "Xin chào <b>mọi người</b>"  # stored as typed; shown as text by the browser
    assert msg["author"] == {"id": ids["alice"], "full_name": "Trần Thị An"}
    assert msg["client_id"] == "c-1" and msg["meeting_id"] == ids["meeting_id"]
    assert got.wait(10)
    data, row = seen_in_db[0]
    assert row == ("Xin chào <b>mọi người</b>", "c-1")
    assert set(data) == {"id", "meeting_id", "author", "body", "created_at", "client_id"}
    assert data["id"] == msg["id"]


def test_retry_with_the_same_client_id_stores_one_message(live_server, room):
    ids, connect, _ = room
    alice, _, _ = connect("alice")
    bob, bob_events, _ = connect("bob")
    payload = {"meeting_id": ids["meeting_id"], "body": "Báo cáo đã gửi", "client_id": "retry-1"}
    first = alice.call("chat:send", payload, timeout=10)
    second = alice.call("chat:send", payload, timeout=10)
    # and from a second tab of the same user, after a reconnect
    alice2, _, _ = connect("alice")
    third = alice2.call("chat:send", payload, timeout=10)
    assert first["ok"] and second["ok"] and third["ok"]
    assert first["message"] == second["message"] == third["message"]
    assert count_messages(live_server, ids["meeting_id"]) == 1
    assert bob_events.wait_for(lambda: len(bob_events.of("chat:message")) >= 1)
    time.sleep(0.5)
    assert len(bob_events.of("chat:message")) == 1
    # another user may use the same client id: it is per author
    other = bob.call("chat:send", payload, timeout=10)
    assert other["ok"] and other["message"]["id"] != first["message"]["id"]


def test_concurrent_retries_race_to_one_row(live_server, room):
    ids, connect, _ = room
    tabs = [connect("alice")[0] for _ in range(4)]
    payload = {"meeting_id": ids["meeting_id"], "body": "Cùng lúc", "client_id": "race-1"}
    acks = []
    threads = [threading.Thread(target=lambda c=c: acks.append(c.call("chat:send", payload, timeout=15))) for c in tabs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(acks) == 4 and all(a["ok"] for a in acks), acks
    assert len({a["message"]["id"] for a in acks}) == 1
    assert count_messages(live_server, ids["meeting_id"]) == 1


def test_rejoining_with_the_last_id_replays_exactly_what_was_missed(live_server, room):
    ids, connect, _ = room
    alice, _, _ = connect("alice")
    bob, bob_events, _ = connect("bob")
    first = alice.call("chat:send", {"meeting_id": ids["meeting_id"], "body": "một", "client_id": "m1"}, timeout=10)
    assert bob_events.wait_for(lambda: bob_events.of("chat:message"))
    last_seen = bob_events.of("chat:message")[-1]["id"]
    assert last_seen == first["message"]["id"]
    bob.disconnect()
    missed = []
    for n in range(3):
        ack = alice.call("chat:send", {"meeting_id": ids["meeting_id"], "body": f"khi vắng {n}",
                                       "client_id": f"away-{n}"}, timeout=10)
        missed.append(ack["message"]["id"])
    _, _, ack = connect("bob", last=last_seen)
    assert [m["id"] for m in ack["messages"]] == missed
    assert [m["body"] for m in ack["messages"]] == ["khi vắng 0", "khi vắng 1", "khi vắng 2"]
    assert ids["bob"] in ack["present"] and ids["alice"] in ack["present"]
    # a first join without last id gets the latest page
    _, _, fresh = connect("bob")
    assert [m["id"] for m in fresh["messages"]] == [first["message"]["id"]] + missed


def test_history_api_pages_forward_and_back(live_server, room):
    ids, connect, _ = room
    alice, _, _ = connect("alice")
    sent = [alice.call("chat:send", {"meeting_id": ids["meeting_id"], "body": f"m{n}", "client_id": f"h{n}"},
                       timeout=10)["message"]["id"] for n in range(8)]
    s = live_server.session("bob")
    url = f"{live_server.url}/api/v1/meetings/{ids['meeting_id']}/messages"
    items = s.get(url, params={"after": sent[2], "limit": 3}).json()["items"]
    assert [m["id"] for m in items] == sent[3:6]
    items = s.get(url, params={"before": sent[5], "limit": 3}).json()["items"]
    assert [m["id"] for m in items] == sent[2:5]
    assert s.get(url, params={"limit": "many"}).status_code == 422
    assert live_server.session("outsider").get(url).status_code == 404


def test_outsiders_and_bad_payloads_are_refused_and_nothing_is_stored(live_server, room):
    ids, connect, _ = room
    mid = ids["meeting_id"]
    bob, bob_events, _ = connect("bob")
    outsider, _, _ = connect("outsider", join=False)
    # a meeting the user may not see answers exactly as one that does not exist: no id oracle
    missing = outsider.call("meeting:join", {"meeting_id": 99999}, timeout=10)
    assert missing["error"] == "not_found"
    assert outsider.call("meeting:join", {"meeting_id": mid}, timeout=10) == missing
    assert outsider.call("chat:send", {"meeting_id": mid, "body": "xin vào", "client_id": "x"}, timeout=10) \
        == outsider.call("chat:send", {"meeting_id": 99999, "body": "xin vào", "client_id": "x"}, timeout=10) \
        == missing
    alice, _, _ = connect("alice")
    cases = [
        ("not an object", "bad_request"),
        ([1, 2], "bad_request"),
        ({"body": "thiếu cuộc họp", "client_id": "a"}, "bad_request"),
        ({"meeting_id": mid, "body": "không có mã", "client_id": ""}, "bad_request"),
        ({"meeting_id": mid, "body": "   ", "client_id": "e1"}, "empty"),
        ({"meeting_id": mid, "body": 42, "client_id": "e2"}, "bad_request"),
        ({"meeting_id": mid, "body": "x" * 4001, "client_id": "e3"}, "too_long"),
        ({"meeting_id": 99999, "body": "đâu?", "client_id": "e4"}, "not_found"),
    ]
    for payload, code in cases:
        ack = alice.call("chat:send", payload, timeout=10)
        assert ack["ok"] is False and ack["error"] == code, (payload, ack)
    assert alice.call("meeting:join", "nope", timeout=10)["error"] == "bad_request"
    ack = alice.call("meeting:join", {"meeting_id": mid, "last_message_id": "abc"}, timeout=10)
    assert ack["error"] == "bad_request"
    ok = alice.call("chat:send", {"meeting_id": mid, "body": "x" * 4000, "client_id": "max"}, timeout=10)
    assert ok["ok"] is True  # exactly the limit is fine
    assert bob_events.wait_for(lambda: bob_events.of("chat:message"))
    time.sleep(0.3)
    assert [m["client_id"] for m in bob_events.of("chat:message")] == ["max"]
    assert count_messages(live_server, mid) == 1


def test_rate_limit_per_user_in_the_room(live_server, room):
    ids, connect, _ = room
    alice, _, _ = connect("alice")
    acks = [alice.call("chat:send", {"meeting_id": ids["meeting_id"], "body": f"nhanh {n}", "client_id": f"r{n}"},
                       timeout=10) for n in range(11)]
    assert all(a["ok"] for a in acks[:10])
    assert acks[10] == {"ok": False, "error": "rate_limited", "message": acks[10]["message"]}
    assert count_messages(live_server, ids["meeting_id"]) == 10
    # a retry of a message that was stored is still answered, not limited
    again = alice.call("chat:send", {"meeting_id": ids["meeting_id"], "body": "nhanh 0", "client_id": "r0"}, timeout=10)
    assert again["ok"] and again["message"]["id"] == acks[0]["message"]["id"]


def test_ended_meeting_refuses_chat_but_keeps_the_record(live_server, room):
    ids, connect, tokens = room
    mid = ids["meeting_id"]
    alice, alice_events, _ = connect("alice")
    sent = alice.call("chat:send", {"meeting_id": mid, "body": "trước khi kết thúc", "client_id": "b1"}, timeout=10)
    res = requests.post(f"{live_server.url}/api/v1/meetings/{mid}/end",
                        headers={"Authorization": f"Bearer {tokens['chair']}"})
    assert res.status_code == 200 and res.json()["status"] == "ended"
    assert alice_events.wait_for(lambda: any(s["status"] == "ended" for s in alice_events.of("meeting:status")))
    assert alice_events.wait_for(lambda: any(p["present"] == [] for p in alice_events.of("meeting:presence")))
    ack = alice.call("chat:send", {"meeting_id": mid, "body": "sau khi kết thúc", "client_id": "b2"}, timeout=10)
    assert ack["ok"] is False and ack["error"] == "meeting_ended"
    # the retry of what was stored before the end is still acknowledged
    again = alice.call("chat:send", {"meeting_id": mid, "body": "trước khi kết thúc", "client_id": "b1"}, timeout=10)
    assert again["ok"] and again["message"]["id"] == sent["message"]["id"]
    _, _, rejoin = connect("bob")
    assert rejoin["status"] == "ended" and rejoin["present"] == []
    assert [m["body"] for m in rejoin["messages"]] == ["trước khi kết thúc"]
    assert count_messages(live_server, mid) == 1
