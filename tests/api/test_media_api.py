"""GET /api/v1/meetings/<id>/media: what a participant's browser needs to join the call, nothing for anyone else."""
import base64
import hashlib
import hmac
import time

import pytest

from meetings import services
from tests.conftest import bearer


@pytest.fixture
def world(factory):
    office = factory.agency(code="VP")
    chair = factory.user("leader", office, username="chair")
    member = factory.user("officer", office, username="alice")
    factory.user("officer", factory.agency(code="STC"), username="outsider")
    factory.user("leader", office, username="vice")
    meeting = services.create_meeting(chair, {"title": "Họp có gọi", "starts_at": "2026-12-01T08:00",
                                              "participant_ids": [member.id]})
    return {"meeting": meeting, "chair": chair, "member": member, "factory": factory}


def _media(client, world, username):
    from auth.models import User
    from core.extensions import db

    user = db.session.scalar(db.select(User).where(User.username == username))
    return client.get(f"/api/v1/meetings/{world['meeting'].id}/media",
                      headers=bearer(world["factory"].token(user)))


def test_a_participant_gets_the_mesh_and_no_ice_servers_by_default(client, world):
    res = _media(client, world, "alice")
    assert res.status_code == 200
    assert res.json == {"mode": "mesh", "ice_servers": [], "video_limit": 6, "live": False}
    services.start_meeting(world["chair"], world["meeting"])
    assert _media(client, world, "chair").json["live"] is True


@pytest.mark.parametrize("username", ["outsider", "vice"])
def test_a_non_participant_gets_404_even_a_leader_who_sees_the_meeting(client, world, username):
    res = _media(client, world, username)
    assert res.status_code == 404
    assert res.json["error"]["code"] == "not_found"


def test_stun_as_configured_and_turn_with_coturn_rest_credentials(app, client, world):
    app.config.update(MEDIA_TURN_URLS=["stun:turn.tinh.vn:3478", "turn:turn.tinh.vn:3478?transport=udp",
                                       "turns:turn.tinh.vn:5349"],
                      MEDIA_TURN_SECRET="bi-mat-coturn", MEDIA_TURN_TTL=3600, MEDIA_VIDEO_LIMIT=4)
    before = int(time.time())
    body = _media(client, world, "alice").json
    assert body["video_limit"] == 4
    stun, turn = body["ice_servers"]
    assert stun == {"urls": ["stun:turn.tinh.vn:3478"]}
    assert turn["urls"] == ["turn:turn.tinh.vn:3478?transport=udp", "turns:turn.tinh.vn:5349"]
    expiry, user_id = turn["username"].split(":")
    assert int(user_id) == world["member"].id
    assert before + 3600 <= int(expiry) <= int(time.time()) + 3600
    expected = base64.b64encode(hmac.new(b"bi-mat-coturn", turn["username"].encode(), hashlib.sha1).digest())
    assert turn["credential"] == expected.decode()


def test_turn_without_a_secret_has_no_credentials(app, client, world):
    app.config.update(MEDIA_TURN_URLS=["turn:10.0.0.5:3478"], MEDIA_TURN_SECRET=None)
    assert _media(client, world, "alice").json["ice_servers"] == [{"urls": ["turn:10.0.0.5:3478"]}]


def test_no_such_meeting_is_404(client, world):
    res = client.get("/api/v1/meetings/999999/media", headers=bearer(world["factory"].token(world["member"])))
    assert res.status_code == 404


def test_sfu_mode_without_a_reachable_janus_is_a_clear_503_and_no_token_before_the_start(app, client, world):
    from tests.conftest import free_port

    app.config.update(MEDIA_SFU_URL=[f"ws://127.0.0.1:{free_port()}"], MEDIA_SFU_TOKEN_SECRET="s",
                      MEDIA_SFU_ADMIN_KEY="k", MEDIA_SFU_TIMEOUT=1)
    before = _media(client, world, "alice")
    assert before.status_code == 200
    assert before.json["mode"] == "sfu" and before.json["video_limit"] == 36 and "sfu" not in before.json
    services.start_meeting(world["chair"], world["meeting"])
    res = _media(client, world, "alice")
    assert res.status_code == 503
    assert res.json["error"]["code"] == "unavailable"
    assert _media(client, world, "outsider").status_code == 404  # still nothing for a non-participant
