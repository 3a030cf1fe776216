"""The live room across two server processes (gevent + eventlet) on one PostgreSQL and Redis:
chat reaches sockets on the other process, concurrent retries on both store one row, presence
and the rate limit hold across processes."""
import threading

import pytest

from core.extensions import db
from tests.conftest import Factory, LiveServer, make_test_config, need, redis_url
from tests.realtime.helpers import (
    Recorder,
    close,
    new_channel,
    quick_ws_close,  # noqa: F401  (fixture)
    redis_available,
)

pytestmark = [pytest.mark.scale, pytest.mark.usefixtures("quick_ws_close")]


def test_live_room_across_two_processes(tmp_path, pg_database):
    need(redis_available(), "Redis")
    env = {"SOCKETIO_CHANNEL": new_channel()}
    a = LiveServer(tmp_path, async_mode="gevent", database_url=pg_database, redis=redis_url(), env=env, name="a")
    b = LiveServer(tmp_path, async_mode="eventlet", database_url=pg_database, redis=redis_url(), env=env, name="b")
    a.start()
    b.start()
    from core import create_app

    seed = create_app(make_test_config(tmp_path, SQLALCHEMY_DATABASE_URI=pg_database))
    clients = []
    try:
        with seed.app_context():
            from meetings import services

            f = Factory()
            office = f.agency(code="VP")
            chair = f.user("leader", office, username="chair")
            alice = f.user("officer", office, username="alice", full_name="Trần Thị An")
            bob = f.user("officer", office, username="bob")
            meeting = services.create_meeting(chair, {"title": "Họp hai tiến trình", "starts_at": "2026-12-01T08:00",
                                                      "participant_ids": [alice.id, bob.id]})
            services.start_meeting(chair, meeting)
            mid, alice_id, bob_id = meeting.id, alice.id, bob.id
            db.session.remove()
            db.engine.dispose()

        alice_token, bob_token = a.token("alice"), a.token("bob")
        alice_a, alice_b = a.socket(token=alice_token), b.socket(token=alice_token)
        bob_b = b.socket(token=bob_token)
        clients += [alice_a, alice_b, bob_b]
        bob_rec = Recorder(bob_b, "chat:message", "meeting:presence")
        assert bob_b.call("meeting:join", {"meeting_id": mid}, timeout=10)["ok"]
        for sock in (alice_a, alice_b):
            assert sock.call("meeting:join", {"meeting_id": mid}, timeout=10)["ok"]
        bob_rec.wait_for("meeting:presence", where=lambda p: alice_id in p["present"])

        # stored on A, delivered to a socket on B
        ack = alice_a.call("chat:send", {"meeting_id": mid, "body": "Từ tiến trình A", "client_id": "x-1"}, timeout=10)
        assert ack["ok"]
        got = bob_rec.wait_for("chat:message", where=lambda m: m["client_id"] == "x-1")
        assert got["id"] == ack["message"]["id"]

        # the same retry through both processes at once: one row, one answer
        acks = []
        payload = {"meeting_id": mid, "body": "Gửi lại cùng lúc", "client_id": "race"}
        threads = [threading.Thread(target=lambda s=s: acks.append(s.call("chat:send", payload, timeout=15)))
                   for s in (alice_a, alice_b, alice_a, alice_b)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert all(x["ok"] for x in acks), acks
        assert len({x["message"]["id"] for x in acks}) == 1
        with seed.app_context():
            from meetings.models import ChatMessage

            assert db.session.scalar(db.select(db.func.count(ChatMessage.id)).where(
                ChatMessage.meeting_id == mid, ChatMessage.client_id == "race")) == 1
            db.session.remove()
            db.engine.dispose()

        # the rate limit (10 in 10 s) counts messages sent through either process
        results = [
            (alice_a if n % 2 else alice_b).call(
                "chat:send", {"meeting_id": mid, "body": f"nhanh {n}", "client_id": f"r{n}"}, timeout=10
            )
            for n in range(12)
        ]
        refused = [r for r in results if not r["ok"]]
        assert len(refused) >= 2 and {r["error"] for r in refused} == {"rate_limited"}
        with seed.app_context():
            from meetings.models import ChatMessage

            times = sorted(db.session.scalars(db.select(ChatMessage.created_at).where(
                ChatMessage.meeting_id == mid, ChatMessage.author_id == alice_id)))
            db.session.remove()
            db.engine.dispose()
        for i, t in enumerate(times):  # never more than 10 inside any 10-second window
            assert sum(1 for u in times[: i + 1] if (t - u).total_seconds() < 10) <= 10

        # Alice closes her tab on A: still present through B
        alice_a.disconnect()
        present = bob_b.call("meeting:join", {"meeting_id": mid}, timeout=10)["present"]
        assert alice_id in present and bob_id in present
        alice_b.disconnect()
        bob_rec.wait_for("meeting:presence", where=lambda p: p["present"] == [bob_id])
    finally:
        close(*clients)
        a.stop()
        b.stop()
        with seed.app_context():
            db.engine.dispose()
    assert "Traceback" not in a.output() and "Traceback" not in b.output(), a.output()[-2000:] + b.output()[-2000:]
