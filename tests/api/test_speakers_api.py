"""The speaker queue: ordered by raised hands, the chair gives the floor or removes a request."""
from datetime import timedelta

import pytest

from core.dbtypes import utcnow
from meetings import speakers
from tests.conftest import bearer
from tests.outcomes_support import MeetingSetup


@pytest.fixture
def setup(factory):
    return MeetingSetup(factory)


def test_queue_is_ordered_by_time_and_raising_twice_keeps_the_place(client, factory, setup, monkeypatch):
    t0 = utcnow()
    times = iter([t0, t0 + timedelta(seconds=1), t0 + timedelta(seconds=2), t0 + timedelta(seconds=3)])
    monkeypatch.setattr("meetings.speakers.utcnow", lambda: next(times))
    url = f"/api/v1/meetings/{setup.meeting_id}/speakers"
    for user in (setup.member2, setup.member, setup.secretary):
        assert client.post(url, headers=bearer(factory.token(user))).status_code == 201
    state = client.post(url, headers=bearer(factory.token(setup.member2))).get_json()  # again
    assert [r["user"]["full_name"] for r in state["queue"]] == ["Trần Văn Hùng", "Phạm Thị Hoa", "Lê Thu Trang"]
    assert state["current"] is None


def test_chair_gives_the_floor_and_removes_requests(client, factory, setup):
    url = f"/api/v1/meetings/{setup.meeting_id}/speakers"
    m1, m2 = bearer(factory.token(setup.member)), bearer(factory.token(setup.member2))
    chair = bearer(factory.token(setup.chair))
    first = client.post(url, headers=m1).get_json()["queue"][0]["id"]
    second = client.post(url, headers=m2).get_json()["queue"][1]["id"]
    # members may not run the queue
    for h in (m1, m2, bearer(factory.token(setup.secretary)), bearer(factory.token(setup.leader))):
        assert client.post(f"/api/v1/speaker-requests/{first}/grant", headers=h).status_code == 403
        assert client.post(f"/api/v1/speaker-requests/{second}/remove", headers=h).status_code == 403
    outsider = bearer(factory.token(setup.outsider))
    assert client.post(f"/api/v1/speaker-requests/{first}/grant", headers=outsider).status_code == 404
    state = client.post(f"/api/v1/speaker-requests/{first}/grant", headers=chair).get_json()
    assert state["current"]["user"]["full_name"] == "Phạm Thị Hoa"
    assert [r["id"] for r in state["queue"]] == [second]
    state = client.post(f"/api/v1/speaker-requests/{second}/grant", headers=chair).get_json()
    assert state["current"]["id"] == second and state["queue"] == []  # the previous speaker is done
    state = client.post(f"/api/v1/speaker-requests/{second}/remove", headers=chair).get_json()
    assert state["current"] is None
    res = client.post(f"/api/v1/speaker-requests/{first}/grant", headers=chair)
    assert res.status_code == 409  # done: no longer waiting


def test_lowering_a_hand_and_who_may_raise(client, factory, setup, monkeypatch):
    sent = []
    monkeypatch.setattr("core.realtime.socketio.emit",
                        lambda event, payload, to=None: sent.append((event, payload, to)))
    url = f"/api/v1/meetings/{setup.meeting_id}/speakers"
    h = bearer(factory.token(setup.member))
    client.post(url, headers=h)
    assert client.delete(url + "/me", headers=h).get_json()["queue"] == []
    assert client.delete(url + "/me", headers=h).status_code == 200  # nothing to lower: fine
    assert client.post(url, headers=bearer(factory.token(setup.leader))).status_code == 403
    assert client.post(url, headers=bearer(factory.token(setup.outsider))).status_code == 404
    assert client.get(url, headers=bearer(factory.token(setup.admin))).status_code == 200
    assert client.get(url).status_code == 401
    assert [e for e, _p, _t in sent] == ["speakers:updated", "speakers:updated"]
    assert sent[0][2] == f"meeting:{setup.meeting_id}" and len(sent[0][1]["queue"]) == 1


def test_service_grant_by_non_chair_is_refused(app, factory, setup):
    req = speakers.raise_hand(setup.member, setup.meeting)
    from core.errors import Forbidden

    with pytest.raises(Forbidden):
        speakers.grant_floor(setup.secretary, req, setup.meeting)
