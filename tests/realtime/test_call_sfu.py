"""The call through a real Janus (started from deploy/janus): the app creates the meeting's room, hands each
participant a token that opens that room only, refuses a join with someone else's token, takes a removed
participant's tokens back, and closes the room when the meeting ends. Janus answers for itself here: each
check joins its VideoRoom over the Janus WebSocket API with the token the app gave."""
import pytest
import requests

from tests.conftest import LiveServer
from tests.realtime.helpers import close, quick_ws_close  # noqa: F401  (fixture)
from tests.realtime.test_call_signalling import Person
from tests.realtime.test_chat import seed_meeting

pytestmark = [pytest.mark.realtime, pytest.mark.usefixtures("quick_ws_close")]

UNAUTHORIZED, NO_SUCH_ROOM = 433, 426


@pytest.fixture
def sfu_server(tmp_path, janus):
    server = LiveServer(tmp_path, env=dict(janus.env(), MEDIA_SFU_RECORD_DIR=str(tmp_path / "recordings"))).start()
    yield server
    server.stop()


@pytest.fixture
def people(sfu_server, live_db):
    ids = seed_meeting(sfu_server, live_db)
    made = {name: Person(sfu_server, name) for name in ("chair", "alice", "bob", "outsider")}
    made["ids"] = ids
    yield made
    close(*(p.socket for name, p in made.items() if name != "ids"))


def media(server, person, meeting_id):
    return requests.get(f"{server.url}/api/v1/meetings/{meeting_id}/media",
                        headers={"Authorization": f"Bearer {person.token}"}, timeout=10)


def janus_join(janus, sfu, room=None, token=None):
    """Join the VideoRoom as a publisher over Janus's own API with a token; Janus's answer (or its error code)."""
    from meetings.sfu import JanusError, Session

    with _janus_app(janus):
        try:
            with Session(sfu["url"], token=token or sfu["token"]) as session:
                return session.request({"request": "join", "ptype": "publisher", "room": room or sfu["room"],
                                        "display": "test", "token": token or sfu["token"]})
        except JanusError as exc:
            return {"error_code": exc.code}


def _janus_app(janus):
    from core import create_app
    from tests.conftest import make_test_config

    return create_app(make_test_config(janus.folder, **janus.app_config())).app_context()


def test_media_gives_the_janus_room_and_a_token_only_while_the_meeting_is_live(sfu_server, people, janus, live_db):
    ids = people["ids"]
    body = media(sfu_server, people["alice"], ids["meeting_id"]).json()
    assert body["mode"] == "sfu" and body["live"] is True
    assert body["sfu"]["url"] == janus.url and isinstance(body["sfu"]["room"], int)
    assert body["sfu"]["token"].split(":")[0].split(",")[1:3] == ["janus", "janus.plugin.videoroom"]
    assert janus_join(janus, body["sfu"])["videoroom"] == "joined"
    # the chair's token is another one, for the same room
    chair = media(sfu_server, people["chair"], ids["meeting_id"]).json()["sfu"]
    assert chair["room"] == body["sfu"]["room"] and chair["token"] != body["sfu"]["token"]
    assert media(sfu_server, people["outsider"], ids["meeting_id"]).status_code == 404
    # a meeting that has not started gets no token
    with live_db(sfu_server):
        from auth.models import User
        from core.extensions import db
        from meetings import services

        chair_user = db.session.get(User, ids["chair"])
        later = services.create_meeting(chair_user, {"title": "Sau", "starts_at": "2026-12-02T08:00",
                                                     "participant_ids": [ids["alice"]]}).id
    upcoming = media(sfu_server, people["alice"], later).json()
    assert upcoming["mode"] == "sfu" and "sfu" not in upcoming


def test_a_token_opens_its_own_meetings_room_and_no_other(sfu_server, people, janus, live_db):
    ids = people["ids"]
    with live_db(sfu_server):
        from auth.models import User
        from core.extensions import db
        from meetings import services

        chair_user = db.session.get(User, ids["chair"])
        other = services.create_meeting(chair_user, {"title": "Họp khác", "starts_at": "2026-12-01T09:00",
                                                     "participant_ids": [ids["alice"]]})
        services.start_meeting(chair_user, other)
        other_id = other.id
    mine = media(sfu_server, people["alice"], ids["meeting_id"]).json()["sfu"]
    theirs = media(sfu_server, people["alice"], other_id).json()["sfu"]
    assert mine["room"] != theirs["room"]
    # Janus itself refuses this meeting's token in the other meeting's room
    assert janus_join(janus, mine, room=theirs["room"])["error_code"] == UNAUTHORIZED
    assert janus_join(janus, theirs)["videoroom"] == "joined"
    # a token the app did not sign does not even open a Janus session
    forged = mine["token"].rsplit(":", 1)[0] + ":AAAAAAAAAAAAAAAAAAAAAAAAAAA="
    assert janus_join(janus, mine, token=forged)["error_code"] == 403
    # and the app refuses a call join with another meeting's token
    refused = people["alice"].emit("media:join", {"meeting_id": ids["meeting_id"], "audio": True, "video": True,
                                                  "token": theirs["token"]})
    assert refused["ok"] is False and refused["error"] == "invalid" and "token" in refused["fields"]


def test_join_ack_names_the_feed_of_every_member(sfu_server, people):
    ids, mid = people["ids"], people["ids"]["meeting_id"]
    chair, alice = people["chair"], people["alice"]
    token = media(sfu_server, chair, mid).json()["sfu"]["token"]
    first = chair.emit("media:join", {"meeting_id": mid, "audio": True, "video": True, "token": token})
    assert first["ok"] and first["mode"] == "sfu" and first["video_limit"] == 36
    token = media(sfu_server, alice, mid).json()["sfu"]["token"]
    second = alice.emit("media:join", {"meeting_id": mid, "audio": True, "video": True, "token": token})
    assert [(p["user_id"], p["publisher_id"]) for p in second["peers"]] == [(ids["chair"], first["publisher_id"])]
    joined = chair.heard.wait_for("media:peer_joined", where=lambda d: d["user_id"] == ids["alice"])
    assert joined["publisher_id"] == second["publisher_id"]
    # a join without the token /media gave is refused, naming the field
    bad = people["bob"].emit("media:join", {"meeting_id": mid, "audio": True, "video": True})
    assert bad["ok"] is False and "token" in bad["fields"]


def test_a_removed_participant_loses_the_room_and_an_ended_meeting_closes_it(sfu_server, people, janus):
    ids, mid = people["ids"], people["ids"]["meeting_id"]
    chair, bob = people["chair"], people["bob"]
    unused = media(sfu_server, bob, mid).json()["sfu"]  # fetched, never used for a call join
    joined = media(sfu_server, bob, mid).json()["sfu"]
    assert bob.emit("media:join", {"meeting_id": mid, "audio": True, "video": False, "token": joined["token"]})["ok"]
    res = requests.patch(f"{sfu_server.url}/api/v1/meetings/{mid}", json={"participant_ids": [ids["alice"]]},
                         headers={"Authorization": f"Bearer {chair.token}"}, timeout=10)
    assert res.status_code == 200
    bob.heard.wait_for("media:ended")
    for sfu in (unused, joined):
        assert _eventually(lambda s=sfu: janus_join(janus, s).get("error_code") == UNAUTHORIZED)
    alice = media(sfu_server, people["alice"], mid).json()["sfu"]
    assert requests.post(f"{sfu_server.url}/api/v1/meetings/{mid}/end",
                         headers={"Authorization": f"Bearer {chair.token}"}, timeout=10).status_code == 200
    assert _eventually(lambda: janus_join(janus, alice).get("error_code") == NO_SUCH_ROOM)


def _eventually(check, timeout=5):
    """Janus is told after the app's commit: give it a moment."""
    import time

    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def test_only_the_chair_records_and_the_state_is_kept(sfu_server, people):
    ids, mid = people["ids"], people["ids"]["meeting_id"]
    chair, alice, outsider = people["chair"], people["alice"], people["outsider"]

    def record(person, on):
        return person.emit("media:record", {"meeting_id": mid, "on": on})

    def state(person):
        return requests.get(f"{sfu_server.url}/api/v1/meetings/{mid}/recordings",
                            headers={"Authorization": f"Bearer {person.token}"}, timeout=10)

    assert record(alice, True)["error"] == "forbidden"
    assert record(outsider, True)["error"] == "not_found"
    bad = chair.emit("media:record", {"meeting_id": mid, "on": "yes"})
    assert bad["error"] == "invalid" and "on" in bad["fields"]
    assert state(alice).json() == {"recording": False, "items": []}
    assert record(chair, True) == {"ok": True, "recording": True}
    assert state(alice).json()["recording"] is True
    assert record(chair, True) == {"ok": True, "recording": True}  # again: nothing changes
    assert state(outsider).status_code == 404
    assert record(chair, False) == {"ok": True, "recording": False}
    assert state(chair).json() == {"recording": False, "items": []}  # nobody published: no tracks
    assert ids["chair"]
