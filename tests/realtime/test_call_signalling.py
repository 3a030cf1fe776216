"""The call's signalling over a real server and real sockets: who may join, where offers and candidates
go, the chair's mute, and the call ending for someone (leave, disconnect, removal) or for everyone.

To prove an event did not reach a socket, that socket makes a call of its own afterwards: its ack comes
back on the same connection after anything the server emitted to it before."""
import sqlite3

import pytest
import requests

from tests.realtime.helpers import Recorder, close, quick_ws_close, wait_disconnected  # noqa: F401  (fixture)
from tests.realtime.test_chat import seed_meeting, sqlite_path

pytestmark = [pytest.mark.realtime, pytest.mark.usefixtures("quick_ws_close")]

MEDIA_EVENTS = ("media:peer_joined", "media:peer_left", "media:peer_state", "media:signal", "media:muted",
                "media:ended")
#: about the size of a real offer with audio and video (browsers send 3 to 8 KB)
SDP = "v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\n" + "a=candidate:1 1 udp 2122260223 10.0.0.5 5000\r\n" * 150


def call_rows(server, meeting_id):
    with sqlite3.connect(sqlite_path(server)) as conn:
        return sorted(row[0] for row in conn.execute(
            "select user_id from meeting_call_members where meeting_id=?", (meeting_id,)))


class Person:
    def __init__(self, server, username):
        self.token = server.token(username)
        self.socket = server.socket(token=self.token)
        self.heard = Recorder(self.socket, *MEDIA_EVENTS)

    def emit(self, event, payload):
        return self.socket.call(event, payload, timeout=10)

    def join(self, mid, audio=True, video=True):
        return self.emit("media:join", {"meeting_id": mid, "audio": audio, "video": video})

    def media_events(self):
        """Everything emitted to this socket so far (flushed by a round trip of its own)."""
        self.emit("media:leave", {"meeting_id": 10**12})
        return [(name, data) for name, data in self.heard.events]


@pytest.fixture
def people(live_server, live_db):
    ids = seed_meeting(live_server, live_db)
    made = {name: Person(live_server, name) for name in ("chair", "alice", "bob", "outsider")}
    made["ids"] = ids
    yield made
    close(*(p.socket for name, p in made.items() if name != "ids"))


def test_join_answers_the_peers_and_tells_the_others(live_server, people):
    ids, mid = people["ids"], people["ids"]["meeting_id"]
    chair, alice, bob = people["chair"], people["alice"], people["bob"]
    first = chair.join(mid)
    assert first == {"ok": True, "self_user_id": ids["chair"], "peers": [], "video_allowed": True,
                     "video_limit": 6, "ice_servers": [], "mode": "mesh", "publisher_id": first["publisher_id"]}
    assert alice.join(mid, video=False)["peers"] == [
        {"user_id": ids["chair"], "full_name": "Nguyễn Văn Minh", "audio": True, "video": True,
         "screen": False, "publisher_id": first["publisher_id"]}]
    ack = bob.join(mid)
    assert [p["user_id"] for p in ack["peers"]] == [ids["chair"], ids["alice"]]  # oldest first
    assert ack["peers"][1]["video"] is False
    joined = chair.heard.wait_for("media:peer_joined", where=lambda d: d["user_id"] == ids["bob"])
    assert joined == {"meeting_id": mid, "user_id": ids["bob"], "full_name": "Lê Văn Bình", "audio": True,
                      "video": True, "screen": False, "publisher_id": ack["publisher_id"]}
    assert alice.heard.wait_for("media:peer_joined", where=lambda d: d["user_id"] == ids["bob"])
    # never to the joiner itself
    assert [d["user_id"] for n, d in bob.media_events() if n == "media:peer_joined"] == []
    assert call_rows(live_server, mid) == sorted([ids["chair"], ids["alice"], ids["bob"]])


def test_a_non_participant_gets_not_found_and_hears_nothing_of_the_call(live_server, people):
    mid = people["ids"]["meeting_id"]
    outsider, chair, alice = people["outsider"], people["chair"], people["alice"]
    refused = outsider.join(mid)
    assert refused["ok"] is False and refused["error"] == "not_found"
    assert chair.join(mid)["ok"] and alice.join(mid)["ok"]
    assert chair.heard.wait_for("media:peer_joined")
    ack = outsider.emit("media:signal", {"meeting_id": mid, "to_user_id": people["ids"]["chair"],
                                         "description": {"type": "offer", "sdp": SDP}})
    assert ack["error"] == "not_found"
    assert chair.emit("media:state", {"meeting_id": mid, "audio": False, "video": True}) == {"ok": True}
    assert alice.heard.wait_for("media:peer_state")
    assert outsider.media_events() == []  # the marker: its own ack came back after all of it
    assert call_rows(live_server, mid) == sorted([people["ids"]["chair"], people["ids"]["alice"]])


def test_a_leader_not_invited_sees_the_meeting_but_not_its_call(live_server, live_db, people):
    from tests.conftest import Factory

    with live_db(live_server):
        f = Factory()
        from auth.models import Agency
        from core.extensions import db

        f.user("leader", db.session.scalars(db.select(Agency)).first(), username="vice")
    vice = Person(live_server, "vice")
    try:
        refused = vice.join(people["ids"]["meeting_id"])
        assert refused["ok"] is False and refused["error"] == "not_found"
    finally:
        close(vice.socket)


def test_join_before_the_meeting_is_live_is_a_conflict(live_server, live_db):
    ids = seed_meeting(live_server, live_db, status="scheduled")
    chair = Person(live_server, "chair")
    try:
        ack = chair.join(ids["meeting_id"])
        assert ack["ok"] is False and ack["error"] == "conflict" and ack["message"]
        assert call_rows(live_server, ids["meeting_id"]) == []
    finally:
        close(chair.socket)


def test_a_signal_reaches_its_target_only(live_server, people):
    ids, mid = people["ids"], people["ids"]["meeting_id"]
    chair, alice, bob = people["chair"], people["alice"], people["bob"]
    for person in (chair, alice, bob):
        assert person.join(mid)["ok"]
    offer = {"meeting_id": mid, "to_user_id": ids["alice"], "description": {"type": "offer", "sdp": SDP}}
    assert bob.emit("media:signal", offer) == {"ok": True}
    candidate = {"candidate": "candidate:1 1 udp 2122260223 10.0.0.5 5000 typ host", "sdpMid": "0",
                 "sdpMLineIndex": 0}
    assert bob.emit("media:signal", {"meeting_id": mid, "to_user_id": ids["alice"], "candidate": candidate}) == {
        "ok": True}
    assert bob.emit("media:signal", {"meeting_id": mid, "to_user_id": ids["alice"], "candidate": None}) == {
        "ok": True}
    got = alice.heard.wait_for("media:signal", where=lambda d: "description" in d)
    assert got == {"meeting_id": mid, "from_user_id": ids["bob"], "description": {"type": "offer", "sdp": SDP}}
    signals = [d for n, d in alice.media_events() if n == "media:signal"]
    assert signals[1:] == [{"meeting_id": mid, "from_user_id": ids["bob"], "candidate": candidate},
                           {"meeting_id": mid, "from_user_id": ids["bob"], "candidate": None}]
    assert [n for n, _d in chair.media_events() if n == "media:signal"] == []  # the third member: nothing


def test_a_signal_outside_the_call_is_not_found(live_server, people):
    ids, mid = people["ids"], people["ids"]["meeting_id"]
    chair, alice = people["chair"], people["alice"]
    assert chair.join(mid)["ok"]
    offer = {"meeting_id": mid, "description": {"type": "offer", "sdp": SDP}}
    # to someone who is a participant but not in the call
    ack = chair.emit("media:signal", dict(offer, to_user_id=ids["bob"]))
    assert ack["ok"] is False and ack["error"] == "not_found"
    # from a socket not in the call (alice is a participant, but has not joined)
    ack = alice.emit("media:signal", dict(offer, to_user_id=ids["chair"]))
    assert ack["ok"] is False and ack["error"] == "not_found"
    assert [n for n, _d in chair.media_events() if n == "media:signal"] == []


def test_the_chair_mutes_one_or_everyone_and_an_officer_cannot(live_server, live_db, people):
    ids, mid = people["ids"], people["ids"]["meeting_id"]
    chair, alice, bob = people["chair"], people["alice"], people["bob"]
    for person in (chair, alice, bob):
        assert person.join(mid)["ok"]
    assert chair.emit("media:mute", {"meeting_id": mid, "user_id": ids["alice"], "kind": "audio"}) == {
        "ok": True, "muted": [ids["alice"]]}
    assert alice.heard.wait_for("media:muted") == {"meeting_id": mid, "kind": "audio", "by": ids["chair"]}
    assert [n for n, _d in bob.media_events() if n == "media:muted"] == []
    assert [n for n, _d in chair.media_events() if n == "media:muted"] == []

    refused = alice.emit("media:mute", {"meeting_id": mid, "user_id": ids["bob"], "kind": "audio"})
    assert refused["ok"] is False and refused["error"] == "forbidden"
    assert [n for n, _d in bob.media_events() if n == "media:muted"] == []

    everyone = chair.emit("media:mute", {"meeting_id": mid, "kind": "video"})
    assert everyone == {"ok": True, "muted": sorted([ids["alice"], ids["bob"]])}
    assert bob.heard.wait_for("media:muted") == {"meeting_id": mid, "kind": "video", "by": ids["chair"]}
    assert [n for n, _d in chair.media_events() if n == "media:muted"] == []
    with live_db(live_server):
        from core.audit import AuditLog
        from core.extensions import db

        rows = db.session.scalars(db.select(AuditLog).where(AuditLog.action == "call.mute")).all()
        assert [(r.actor_id, r.data["track"], r.data["user_ids"]) for r in rows] == [
            (ids["chair"], "audio", [ids["alice"]]), (ids["chair"], "video", sorted([ids["alice"], ids["bob"]]))]


def test_leaving_and_disconnecting_tell_the_others_and_drop_the_rows(live_server, people):
    ids, mid = people["ids"], people["ids"]["meeting_id"]
    chair, alice, bob = people["chair"], people["alice"], people["bob"]
    for person in (chair, alice, bob):
        assert person.join(mid)["ok"]
    assert alice.emit("media:leave", {"meeting_id": mid}) == {"ok": True}
    assert chair.heard.wait_for("media:peer_left") == {"meeting_id": mid, "user_id": ids["alice"]}
    assert call_rows(live_server, mid) == sorted([ids["chair"], ids["bob"]])
    bob.socket.disconnect()
    assert wait_disconnected(bob.socket)
    assert chair.heard.wait_for("media:peer_left", where=lambda d: d["user_id"] == ids["bob"])
    assert call_rows(live_server, mid) == [ids["chair"]]


def test_a_second_tab_replaces_the_first(live_server, people):
    ids, mid = people["ids"], people["ids"]["meeting_id"]
    chair, alice = people["chair"], people["alice"]
    first = chair.join(mid)
    assert first["ok"] and alice.join(mid)["ok"]
    tab = Person(live_server, "alice")
    try:
        assert tab.join(mid)["peers"] == [
            {"user_id": ids["chair"], "full_name": "Nguyễn Văn Minh", "audio": True, "video": True,
             "screen": False, "publisher_id": first["publisher_id"]}]
        assert alice.heard.wait_for("media:ended") == {"meeting_id": mid, "reason": "replaced"}
        assert call_rows(live_server, mid) == sorted([ids["chair"], ids["alice"]])
        signal = {"meeting_id": mid, "to_user_id": ids["alice"], "candidate": None}
        assert chair.emit("media:signal", signal) == {"ok": True}
        assert tab.heard.wait_for("media:signal")["from_user_id"] == ids["chair"]
        assert [n for n, _d in alice.media_events() if n == "media:signal"] == []
    finally:
        close(tab.socket)


def test_removal_from_the_meeting_ends_their_call(live_server, people):
    ids, mid = people["ids"], people["ids"]["meeting_id"]
    chair, alice, bob = people["chair"], people["alice"], people["bob"]
    for person in (chair, alice, bob):
        assert person.join(mid)["ok"]
    res = requests.patch(f"{live_server.url}/api/v1/meetings/{mid}", json={"participant_ids": [ids["bob"]]},
                         headers={"Authorization": f"Bearer {chair.token}"})
    assert res.status_code == 200, res.text
    assert alice.heard.wait_for("media:ended") == {"meeting_id": mid, "reason": "removed"}
    assert bob.heard.wait_for("media:peer_left") == {"meeting_id": mid, "user_id": ids["alice"]}
    assert chair.heard.wait_for("media:peer_left") == {"meeting_id": mid, "user_id": ids["alice"]}
    assert call_rows(live_server, mid) == sorted([ids["chair"], ids["bob"]])
    # the call goes on without her: she is out of its room and cannot come back
    before = len(alice.media_events())
    assert bob.emit("media:state", {"meeting_id": mid, "audio": False, "video": False}) == {"ok": True}
    assert chair.heard.wait_for("media:peer_state")
    assert alice.join(mid)["error"] == "not_found"
    assert alice.media_events()[before:] == []


def test_ending_the_meeting_ends_the_call_for_everyone(live_server, people):
    ids, mid = people["ids"], people["ids"]["meeting_id"]
    chair, alice, bob = people["chair"], people["alice"], people["bob"]
    for person in (chair, alice, bob):
        assert person.join(mid)["ok"]
    res = requests.post(f"{live_server.url}/api/v1/meetings/{mid}/end",
                        headers={"Authorization": f"Bearer {chair.token}"})
    assert res.status_code == 200, res.text
    for person in (chair, alice, bob):
        assert person.heard.wait_for("media:ended") == {"meeting_id": mid, "reason": "meeting_over"}
    assert call_rows(live_server, mid) == []
    ack = alice.join(mid)
    assert ack["ok"] is False and ack["error"] == "conflict"
    assert ids["chair"] not in call_rows(live_server, mid)
