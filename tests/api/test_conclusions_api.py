"""Conclusions, "Giao nhiệm vụ" (a conclusion becomes a directive) and the follow-up review."""
from datetime import timedelta

import pytest

from core.dbtypes import utcnow
from core.extensions import db
from meetings import conclusions
from meetings.models import Conclusion, ConclusionDirective, Meeting, Participant
from tests.conftest import bearer
from tests.outcomes_support import MeetingSetup


@pytest.fixture
def setup(factory):
    return MeetingSetup(factory)


def deadline(days=10):
    return (utcnow() + timedelta(days=days)).isoformat()


def add(client, token, s, text):
    return client.post(f"/api/v1/meetings/{s.meeting_id}/conclusions", json={"text": text}, headers=bearer(token))


def test_chair_and_secretary_record_conclusions(client, factory, setup):
    res = add(client, factory.token(setup.secretary), setup, "Giao Sở Y tế rà soát danh sách tiêm chủng.")
    assert res.status_code == 201
    body = res.get_json()
    assert body["text"] == "Giao Sở Y tế rà soát danh sách tiêm chủng." and isinstance(body["id"], int)
    assert add(client, factory.token(setup.chair), setup, "Kết luận thứ hai").status_code == 201
    assert add(client, factory.token(setup.member), setup, "x").status_code == 403
    assert add(client, factory.token(setup.leader), setup, "x").status_code == 403
    assert add(client, factory.token(setup.outsider), setup, "x").status_code == 404
    res = add(client, factory.token(setup.chair), setup, "")
    assert res.status_code == 422 and "text" in res.get_json()["error"]["fields"]
    assert db.session.scalar(db.select(db.func.count(Conclusion.id))) == 2  # the refused ones left nothing
    items = client.get(f"/api/v1/meetings/{setup.meeting_id}/conclusions",
                       headers=bearer(factory.token(setup.member))).get_json()["items"]
    assert [c["position"] for c in items] == [1, 2]
    cid = items[1]["id"]
    chair = bearer(factory.token(setup.chair))
    res = client.patch(f"/api/v1/conclusions/{cid}", json={"text": "Sửa lại"}, headers=chair)
    assert res.get_json()["text"] == "Sửa lại"
    assert client.delete(f"/api/v1/conclusions/{cid}", headers=chair).status_code == 204


def test_conclusion_becomes_a_directive_from_the_meeting(client, factory, setup):
    text = "Sở Y tế chủ trì triển khai tiêm chủng đợt 2."
    cid = add(client, factory.token(setup.secretary), setup, text).get_json()["id"]
    support = factory.agency(code="STC9", name="Sở Tài chính")
    res = client.post(f"/api/v1/conclusions/{cid}/directive",
                      json={"lead_agency_id": setup.health.id, "support_agency_ids": [support.id],
                            "deadline": deadline()},
                      headers=bearer(factory.token(setup.chair)))
    assert res.status_code == 201, res.get_json()
    directive = res.get_json()
    assert directive["source_meeting_id"] == setup.meeting_id
    assert directive["title"] == "Sở Y tế chủ trì triển khai tiêm chủng đợt 2."  # prefilled from the conclusion
    roles = sorted((a["agency_id"], a["role"]) for a in directive["assignments"])
    assert roles == sorted([(setup.health.id, "lead"), (support.id, "support")])
    link = db.session.scalar(db.select(ConclusionDirective))
    assert (link.conclusion_id, link.directive_id) == (cid, directive["id"])
    listed = client.get(f"/api/v1/meetings/{setup.meeting_id}/directives",
                        headers=bearer(factory.token(setup.member))).get_json()
    assert [d["id"] for d in listed["items"]] == [directive["id"]]
    assert listed["items"][0]["assignments"][0]["tracking"] == "on_track"
    conclusions = client.get(f"/api/v1/meetings/{setup.meeting_id}/conclusions",
                             headers=bearer(factory.token(setup.member))).get_json()["items"]
    assert conclusions[0]["directive_ids"] == [directive["id"]]
    # a conclusion with a directive is kept
    assert client.delete(f"/api/v1/conclusions/{cid}", headers=bearer(factory.token(setup.chair))).status_code == 409
    assert db.session.get(Conclusion, cid) is not None


def test_only_leaders_assign_tasks_and_bad_fields_are_422(client, factory, setup):
    cid = add(client, factory.token(setup.chair), setup, "Kết luận").get_json()["id"]
    url = f"/api/v1/conclusions/{cid}/directive"
    body = {"lead_agency_id": setup.health.id, "deadline": deadline()}
    assert client.post(url, json=body, headers=bearer(factory.token(setup.secretary))).status_code == 403
    assert client.post(url, json=body, headers=bearer(factory.token(setup.admin))).status_code == 403
    assert client.post(url, json=body, headers=bearer(factory.token(setup.outsider))).status_code == 404
    assert client.post(url, json=body).status_code == 401
    res = client.post(url, json={"lead_agency_id": 99999, "deadline": "soon"},
                      headers=bearer(factory.token(setup.leader)))
    assert res.status_code == 422
    assert {"lead_agency_id", "deadline"} <= set(res.get_json()["error"]["fields"])
    assert db.session.scalar(db.select(db.func.count(ConclusionDirective.id))) == 0
    # any leader who sees the meeting may assign it, not only its chair
    assert client.post(url, json=body, headers=bearer(factory.token(setup.leader))).status_code == 201


def test_follow_up_meeting_shows_the_earlier_meetings_directives(client, factory, setup):
    conclusion = conclusions.add_conclusion(setup.chair, setup.meeting, {"text": "Hoàn thành báo cáo quý"})
    directive = conclusions.issue_directive_from_conclusion(
        setup.chair, conclusion, setup.meeting, {"lead_agency_id": setup.health.id, "deadline": deadline(1)})
    follow = Meeting(title="Họp kiểm điểm", starts_at=utcnow(), chair_id=setup.chair.id, created_by_id=setup.chair.id,
                     follow_up_of_id=setup.meeting_id, status="scheduled")
    db.session.add(follow)
    db.session.flush()
    db.session.add(Participant(meeting_id=follow.id, user_id=setup.member.id, role="member"))
    db.session.commit()
    member = bearer(factory.token(setup.member))
    data = client.get(f"/api/v1/meetings/{follow.id}/directives", headers=member).get_json()
    assert data["items"] == [] and data["follow_up_of_id"] == setup.meeting_id
    assert [d["id"] for d in data["follow_up"]] == [directive.id]
    assert data["follow_up"][0]["assignments"][0]["tracking"] == "due_soon"


def test_the_chair_marks_a_meeting_as_follow_up(client, factory, setup):
    follow = Meeting(title="Họp kiểm điểm", starts_at=utcnow() + timedelta(days=7), chair_id=setup.chair.id,
                     created_by_id=setup.chair.id, status="scheduled")
    db.session.add(follow)
    db.session.commit()
    url = f"/api/v1/meetings/{follow.id}/follow-up"
    chair = bearer(factory.token(setup.chair))
    res = client.put(url, json={"follow_up_of_id": setup.meeting_id}, headers=chair)
    assert res.get_json()["follow_up_of_id"] == setup.meeting_id
    assert db.session.get(Meeting, follow.id).follow_up_of_id == setup.meeting_id
    # a later meeting, itself, or an unknown one are refused with the field named
    for bad in (follow.id, 99999):
        res = client.put(url, json={"follow_up_of_id": bad}, headers=chair)
        assert res.status_code == 422 and "follow_up_of_id" in res.get_json()["error"]["fields"]
    res = client.put(f"/api/v1/meetings/{setup.meeting_id}/follow-up", json={"follow_up_of_id": follow.id},
                     headers=chair)
    assert res.status_code == 422
    assert client.put(url, json={"follow_up_of_id": None}, headers=chair).get_json()["follow_up_of_id"] is None
    assert client.put(url, json={}, headers=bearer(factory.token(setup.leader))).status_code == 403
    assert client.put(url, json={}, headers=bearer(factory.token(setup.member))).status_code == 404
    db.session.expire_all()
    assert db.session.get(Meeting, follow.id).follow_up_of_id is None
    assert db.session.get(Meeting, setup.meeting_id).follow_up_of_id is None


def test_the_meetings_directives_list_the_agencies_it_went_to_not_what_they_passed_on(client, factory, setup):
    from directives import cascade
    from directives.models import Directive

    cid = add(client, factory.token(setup.secretary), setup, "Sở Y tế chủ trì.").get_json()["id"]
    res = client.post(f"/api/v1/conclusions/{cid}/directive",
                      json={"lead_agency_id": setup.health.id, "deadline": deadline()},
                      headers=bearer(factory.token(setup.chair)))
    directive = db.session.get(Directive, res.get_json()["id"])
    unit = factory.agency(code="TTYT9", name="Trung tâm Y tế huyện", parent=setup.health)
    cascade.pass_on(setup.member, directive.assignments[0], {"agency_ids": [unit.id], "deadline": deadline(5)})
    rows = conclusions.meeting_directives(db.session.get(Meeting, setup.meeting_id))
    assert [a["agency_name"] for a in rows[0]["assignments"]] == ["Sở Y tế"]
