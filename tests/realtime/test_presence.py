"""Presence in the live room: several tabs, abrupt disconnects, a crashed server."""
import subprocess
import sys
import textwrap
import time

import pytest

from tests.realtime.helpers import quick_ws_close  # noqa: F401  (fixture)
from tests.realtime.test_chat import Listener, seed_meeting, sqlite_path

pytestmark = [pytest.mark.realtime, pytest.mark.usefixtures("quick_ws_close")]


def open_spans(server, meeting_id):
    import sqlite3

    with sqlite3.connect(sqlite_path(server)) as conn:
        return conn.execute("select user_id from meeting_attendance_spans where meeting_id=? and left_at is null",
                            (meeting_id,)).fetchall()


def test_two_tabs_of_one_user_stay_present_until_both_close(live_server, live_db):
    ids = seed_meeting(live_server, live_db)
    mid = ids["meeting_id"]
    bob = live_server.socket(token=live_server.token("bob"))
    watch = Listener(bob, "meeting:presence")
    assert bob.call("meeting:join", {"meeting_id": mid}, timeout=10)["present"] == [ids["bob"]]
    token = live_server.token("alice")
    tab1 = live_server.socket(token=token)
    tab2 = live_server.socket(token=token)
    ack1 = tab1.call("meeting:join", {"meeting_id": mid}, timeout=10)
    assert sorted(ack1["present"]) == sorted([ids["alice"], ids["bob"]])
    assert watch.wait_for(lambda: any(ids["alice"] in p["present"] for p in watch.of("meeting:presence")))
    tab2.call("meeting:join", {"meeting_id": mid}, timeout=10)
    count = len(watch.of("meeting:presence"))
    tab1.disconnect()  # one tab closes: still present, no change announced
    time.sleep(1)
    assert len(watch.of("meeting:presence")) == count
    assert ids["alice"] in [row[0] for row in open_spans(live_server, mid)]
    assert ids["alice"] in bob.call("meeting:join", {"meeting_id": mid}, timeout=10)["present"]
    # the other tab leaves the room explicitly
    assert tab2.call("meeting:leave", {"meeting_id": mid}, timeout=10) == {"ok": True}
    assert watch.wait_for(lambda: watch.of("meeting:presence")[-1]["present"] == [ids["bob"]])
    tab2.disconnect()
    bob.disconnect()


CLIENT = textwrap.dedent("""
    import sys, time, socketio
    c = socketio.Client(reconnection=False)
    c.connect(sys.argv[1], auth={"token": sys.argv[2]}, transports=["websocket"], wait_timeout=10)
    print(c.call("meeting:join", {"meeting_id": int(sys.argv[3])}, timeout=10)["ok"], flush=True)
    time.sleep(120)
""")


def test_abrupt_disconnect_closes_presence(live_server, live_db):
    ids = seed_meeting(live_server, live_db)
    mid = ids["meeting_id"]
    bob = live_server.socket(token=live_server.token("bob"))
    watch = Listener(bob, "meeting:presence")
    bob.call("meeting:join", {"meeting_id": mid}, timeout=10)
    proc = subprocess.Popen([sys.executable, "-c", CLIENT, live_server.url, live_server.token("alice"), str(mid)],
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "True"
        assert watch.wait_for(lambda: any(ids["alice"] in p["present"] for p in watch.of("meeting:presence")))
    finally:
        proc.kill()  # no leave, no goodbye: the process is gone
        proc.wait(5)
    assert watch.wait_for(lambda: watch.of("meeting:presence")[-1]["present"] == [ids["bob"]], timeout=30)
    assert [row[0] for row in open_spans(live_server, mid)] == [ids["bob"]]
    bob.disconnect()


def test_spans_left_open_by_a_crashed_server_are_closed_on_restart(tmp_path, live_db):
    from tests.conftest import LiveServer

    server = LiveServer(tmp_path, name="first").start()
    try:
        ids = seed_meeting(server, live_db)
        alice = server.socket(token=server.token("alice"))
        alice.call("meeting:join", {"meeting_id": ids["meeting_id"]}, timeout=10)
        assert open_spans(server, ids["meeting_id"]) == [(ids["alice"],)]
    finally:
        server.kill()  # kill -9: no disconnect handler ran
    assert open_spans(server, ids["meeting_id"]) == [(ids["alice"],)]
    again = LiveServer(tmp_path, database_url=server.database_url, name="second").start()
    try:
        assert open_spans(again, ids["meeting_id"]) == []
        s = again.session("chair")
        res = s.get(f"{again.url}/api/v1/meetings/{ids['meeting_id']}/attendance").json()
        row = next(i for i in res["items"] if i["user_id"] == ids["alice"])
        assert row["status"] == "present" and row["last_left_at"] is not None
    finally:
        again.stop()
