"""The authorization matrix of the outcomes API: every route for participant, chair, secretary,
leader, admin, non-participant (404) and anonymous (401)."""
import pytest

from meetings import conclusions, minutes, speakers, votes
from tests.conftest import bearer
from tests.outcomes_support import MeetingSetup

OK = "ok"


@pytest.fixture
def world(factory):
    s = MeetingSetup(factory)
    minutes.save_minutes(s.secretary, s.meeting, {"body": "v1", "base_version": 0})
    s.vote = votes.open_vote(s.chair, s.meeting, {"question": "Q?"})
    s.request = speakers.raise_hand(s.member2, s.meeting)
    s.conclusion = conclusions.add_conclusion(s.chair, s.meeting, {"text": "Kết luận"})
    return s


def routes(s):
    m, v, r, c = s.meeting_id, s.vote.id, s.request.id, s.conclusion.id
    return [
        ("GET", f"/api/v1/meetings/{m}/minutes", None),
        ("PUT", f"/api/v1/meetings/{m}/minutes", {"body": "x", "base_version": 1}),
        ("GET", f"/api/v1/meetings/{m}/minutes/revisions", None),
        ("GET", f"/api/v1/meetings/{m}/minutes/revisions/1", None),
        ("POST", f"/api/v1/meetings/{m}/minutes/revisions/1/restore", None),
        ("GET", f"/api/v1/meetings/{m}/votes", None),
        ("POST", f"/api/v1/meetings/{m}/votes", {"question": "Q2?"}),
        ("GET", f"/api/v1/votes/{v}", None),
        ("PUT", f"/api/v1/votes/{v}/ballot", {"choice": 0}),
        ("GET", f"/api/v1/meetings/{m}/speakers", None),
        ("POST", f"/api/v1/meetings/{m}/speakers", None),
        ("DELETE", f"/api/v1/meetings/{m}/speakers/me", None),
        ("POST", f"/api/v1/speaker-requests/{r}/grant", None),
        ("GET", f"/api/v1/meetings/{m}/conclusions", None),
        ("POST", f"/api/v1/meetings/{m}/conclusions", {"text": "Thêm"}),
        ("PATCH", f"/api/v1/conclusions/{c}", {"text": "Sửa"}),
        ("GET", f"/api/v1/meetings/{m}/directives", None),
        ("POST", f"/api/v1/votes/{v}/close", None),
        ("POST", f"/api/v1/meetings/{m}/minutes/finalize", None),
    ]


# expected status class per route (same order) for: member, chair, secretary, leader, admin
MATRIX = {
    "member":    [OK, 403, OK, OK, 403, OK, 403, OK, OK, OK, OK, OK, 403, OK, 403, 403, OK, 403, 403],
    "chair":     [OK, OK, OK, OK, OK, OK, OK, OK, OK, OK, OK, OK, OK, OK, OK, OK, OK, OK, OK],
    "secretary": [OK, OK, OK, OK, OK, OK, 403, OK, OK, OK, OK, OK, 403, OK, OK, OK, OK, 403, 403],
    "leader":    [OK, 403, OK, OK, 403, OK, 403, OK, 403, OK, 403, 403, 403, OK, 403, 403, OK, 403, 403],
    "admin":     [OK, 403, OK, OK, 403, OK, 403, OK, 403, OK, 403, 403, 403, OK, 403, 403, OK, 403, 403],
}


@pytest.mark.parametrize("who", sorted(MATRIX))
def test_matrix(client, factory, world, who):
    user = getattr(world, {"member": "member"}.get(who, who))
    headers = bearer(factory.token(user))
    for (method, url, body), expected in zip(routes(world), MATRIX[who], strict=True):
        res = client.open(url, method=method, json=body, headers=headers)
        if expected == OK:
            assert res.status_code in (200, 201, 204), (who, method, url, res.status_code, res.get_json())
        else:
            assert res.status_code == expected, (who, method, url, res.status_code, res.get_json())
            assert res.get_json()["error"]["code"]


def test_non_participants_get_404_and_anonymous_401_everywhere(client, factory, world):
    outsider = bearer(factory.token(world.outsider))
    for method, url, body in routes(world) + [("POST", f"/api/v1/conclusions/{world.conclusion.id}/directive", {}),
                                              ("DELETE", f"/api/v1/conclusions/{world.conclusion.id}", None),
                                              ("POST", f"/api/v1/speaker-requests/{world.request.id}/remove", None)]:
        res = client.open(url, method=method, json=body, headers=outsider)
        assert res.status_code == 404, (method, url, res.status_code)
        assert client.open(url, method=method, json=body).status_code == 401, (method, url)


def test_cookie_writes_need_csrf(app, client, world):
    from tests.conftest import login

    token = login(client, world.secretary)
    url = f"/api/v1/meetings/{world.meeting_id}/minutes"
    assert client.put(url, json={"body": "x", "base_version": 1}).status_code == 400
    assert client.put(url, json={"body": "x", "base_version": 1}, headers={"X-CSRFToken": token}).status_code == 200
