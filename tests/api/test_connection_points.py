"""Connection points (điểm cầu): a participant declares the hall of an agency and the people in it; everyone
in the room sees the list; the chair or the secretary corrects or removes one; attendance and the biên
bản count them. Also the external bridge link of a meeting and "joined by call"."""
import io
from datetime import timedelta

import pytest
from docx import Document

from core.audit import AuditLog
from core.dbtypes import utcnow
from core.extensions import db
from meetings import attendance, connection_points, documents, services
from meetings.models import AttendanceSpan, ConnectionPoint, Meeting, Participant
from tests.conftest import bearer, login
from tests.outcomes_support import MeetingSetup


class Points(MeetingSetup):
    """The outcomes meeting, and a district invited as a whole with its officer."""

    def __init__(self, factory, status="live"):
        super().__init__(factory, status)
        self._factory = factory
        self.district = factory.agency(code=f"DS{factory.n}", name="UBND huyện Đông Sơn", kind="district")
        self.finance = factory.agency(code=f"TC{factory.n}", name="Sở Tài chính")
        self.district_officer = factory.user("officer", agency=self.district, full_name="Đỗ Văn Huyện")
        db.session.add(Participant(meeting_id=self.meeting_id, user_id=self.district_officer.id, role="member",
                                   via_agency_id=self.district.id))
        db.session.commit()
        self.url = f"/api/v1/meetings/{self.meeting_id}/connection-points"

    def h(self, user):
        return bearer(self._factory.token(user))


@pytest.fixture
def setup(factory):
    return Points(factory)


@pytest.fixture
def sent(monkeypatch):
    events = []
    monkeypatch.setattr("core.realtime.socketio.emit", lambda event, payload, to=None, **kw: events.append(
        (event, payload, to)))
    return events


def _audit(action):
    return db.session.scalars(db.select(AuditLog).where(AuditLog.action == action)).all()


def _count():
    return db.session.scalar(db.select(db.func.count(ConnectionPoint.id)))


def test_a_participant_declares_their_point_and_declaring_again_updates_it(client, setup, sent):
    res = client.post(setup.url, json={"people_present": 35}, headers=setup.h(setup.member))
    assert res.status_code == 200, res.get_json()
    body = res.get_json()
    assert body["points"] == 1 and body["people"] == 35
    item = body["items"][0]
    assert item["agency"] == {"id": setup.health.id, "name": "Sở Y tế"}  # the operator's own agency by default
    assert item["operator"]["full_name"] == "Phạm Thị Hoa" and body["mine"]["id"] == item["id"]
    assert sent[-1] == ("connection_points:updated", {k: v for k, v in body.items() if k != "mine"},
                        f"meeting:{setup.meeting_id}")

    body = client.post(setup.url, json={"people_present": "40"}, headers=setup.h(setup.member)).get_json()
    assert [(i["id"], i["people_present"]) for i in body["items"]] == [(item["id"], 40)]
    assert len(_audit("connection_point.declare")) == 1
    update = _audit("connection_point.update")
    assert len(update) == 1 and update[0].data["changed"] == {"people_present": [35, 40]}

    # the district's officer declares their invited district's hall; the list is in protocol order
    res = client.post(setup.url, json={"agency_id": setup.district.id, "people_present": 120},
                      headers=setup.h(setup.district_officer))
    assert res.status_code == 200
    listed = client.get(setup.url, headers=setup.h(setup.member2)).get_json()
    assert [i["agency"]["name"] for i in listed["items"]] == ["Sở Y tế", "UBND huyện Đông Sơn"]
    assert listed["people"] == 160 and listed["points"] == 2


def test_the_agency_must_be_invited_or_the_operators_own_and_not_taken(client, setup, sent):
    client.post(setup.url, json={"agency_id": setup.district.id, "people_present": 120},
                headers=setup.h(setup.district_officer))
    before, events = _count(), len(sent)
    for agency_id in (setup.finance.id, setup.district.id, 10**12):
        res = client.post(setup.url, json={"agency_id": agency_id, "people_present": 5},
                          headers=setup.h(setup.member))
        assert res.status_code == 422, res.get_json()
        assert list(res.get_json()["error"]["fields"]) == ["agency_id"]
    taken = client.post(setup.url, json={"agency_id": setup.district.id, "people_present": 5},
                        headers=setup.h(setup.member)).get_json()
    assert "Đỗ Văn Huyện" in taken["error"]["fields"]["agency_id"]  # who operates it already
    assert _count() == before and len(sent) == events  # nothing written, nothing told


@pytest.mark.parametrize("people, fields", [
    ({"people_present": 0}, ["people_present"]),
    ({"people_present": 10001}, ["people_present"]),
    ({"people_present": "ba mươi"}, ["people_present"]),
    ({"people_present": 2.5}, ["people_present"]),
    ({}, ["people_present"]),
    ({"people_present": -1, "agency_id": "x"}, ["agency_id", "people_present"]),
])
def test_invalid_input_names_the_field_and_writes_nothing(client, setup, sent, people, fields):
    res = client.post(setup.url, json=people, headers=setup.h(setup.member))
    assert res.status_code == 422
    assert sorted(res.get_json()["error"]["fields"]) == fields
    assert _count() == 0 and sent == [] and _audit("connection_point.declare") == []


def test_bounds_are_accepted(client, setup):
    assert client.post(setup.url, json={"people_present": 1}, headers=setup.h(setup.member)).status_code == 200
    res = client.post(setup.url, json={"people_present": 10000}, headers=setup.h(setup.member))
    assert res.get_json()["people"] == 10000


def test_who_may_see_declare_correct_and_remove(client, setup):
    point = client.post(setup.url, json={"people_present": 35}, headers=setup.h(setup.member)).get_json()["mine"]
    one = f"{setup.url}/{point['id']}"
    # an officer of another agency who is not invited: the meeting does not exist for them
    outsider = setup.h(setup.outsider)
    assert client.get(setup.url, headers=outsider).status_code == 404
    assert client.post(setup.url, json={"people_present": 3}, headers=outsider).status_code == 404
    assert client.patch(one, json={"people_present": 3}, headers=outsider).status_code == 404
    assert client.delete(one, headers=outsider).status_code == 404
    assert client.get(setup.url).status_code == 401
    # a leader who is not invited sees the list but is no connection point
    leader = setup.h(setup.leader)
    assert client.get(setup.url, headers=leader).get_json()["points"] == 1
    assert client.post(setup.url, json={"people_present": 3}, headers=leader).status_code == 403
    # another participant may neither correct nor remove someone else's point
    other = setup.h(setup.member2)
    assert client.patch(one, json={"people_present": 3}, headers=other).status_code == 403
    assert client.delete(one, headers=other).status_code == 403
    assert client.patch(one, json={"people_present": 3}, headers=setup.h(setup.member)).status_code == 403
    # a point id of another meeting is not found here
    assert client.delete(f"{setup.url}/{point['id'] + 1000}", headers=setup.h(setup.chair)).status_code == 404
    # the chair corrects it (field named on a bad value), the secretary removes it
    bad = client.patch(one, json={"people_present": 0}, headers=setup.h(setup.chair))
    assert bad.status_code == 422 and list(bad.get_json()["error"]["fields"]) == ["people_present"]
    fixed = client.patch(one, json={"people_present": 42}, headers=setup.h(setup.chair)).get_json()
    assert fixed["items"][0]["people_present"] == 42
    assert _audit("connection_point.correct")[0].data["changed"] == {"people_present": [35, 42]}
    assert client.delete(one, headers=setup.h(setup.secretary)).get_json()["items"] == []
    assert len(_audit("connection_point.remove")) == 1


def test_the_operator_withdraws_their_own_point(client, setup):
    point = client.post(setup.url, json={"people_present": 35}, headers=setup.h(setup.member)).get_json()["mine"]
    res = client.delete(f"{setup.url}/{point['id']}", headers=setup.h(setup.member))
    assert res.status_code == 200 and res.get_json()["points"] == 0


def test_a_scheduled_meeting_takes_points_an_ended_one_only_the_chairs_corrections(client, factory, setup):
    from meetings import minutes

    setup.meeting.status = "scheduled"
    db.session.commit()
    point = client.post(setup.url, json={"people_present": 20}, headers=setup.h(setup.member)).get_json()["mine"]
    services.start_meeting(setup.chair, setup.meeting)
    services.end_meeting(setup.chair, setup.meeting)
    over = client.post(setup.url, json={"people_present": 25}, headers=setup.h(setup.member))
    assert over.status_code == 409 and over.get_json()["error"]["code"] == "meeting_over"
    assert client.delete(f"{setup.url}/{point['id']}", headers=setup.h(setup.member)).status_code == 409
    # the biên bản is completed after the meeting: the chair may still correct the count
    one = f"{setup.url}/{point['id']}"
    assert client.patch(one, json={"people_present": 22}, headers=setup.h(setup.chair)).status_code == 200
    minutes.save_minutes(setup.chair, setup.meeting, {"body": "Nội dung", "base_version": 0})
    minutes.finalize_minutes(setup.chair, setup.meeting)
    final = client.patch(one, json={"people_present": 23}, headers=setup.h(setup.chair))
    assert final.status_code == 409 and final.get_json()["error"]["code"] == "minutes_final"
    assert db.session.get(ConnectionPoint, point["id"]).people_present == 22


def test_taking_the_operator_off_the_invitation_drops_their_point(client, setup, sent):
    client.post(setup.url, json={"agency_id": setup.district.id, "people_present": 120},
                headers=setup.h(setup.district_officer))
    data = services.current_values(setup.meeting)
    data["agency_ids"] = []  # the district is no longer invited: its officer goes
    services.update_meeting(setup.chair, setup.meeting, data)
    assert _count() == 0
    assert [p for e, p, _t in sent if e == "connection_points:updated"][-1]["items"] == []


# -- attendance, "joined by call" and the biên bản ------------------------------------------------------

def _attended(setup):
    now = utcnow()
    for user in (setup.chair, setup.secretary, setup.member, setup.district_officer):
        db.session.add(AttendanceSpan(meeting_id=setup.meeting_id, user_id=user.id, sid=f"s{user.id}",
                                      joined_at=now - timedelta(minutes=20), left_at=None))
    db.session.commit()
    connection_points.declare(setup.member, setup.meeting, {"people_present": 35})
    connection_points.declare(setup.district_officer, setup.meeting,
                              {"agency_id": setup.district.id, "people_present": 120})


def test_joined_call_keeps_the_first_join(app, setup):
    first = utcnow() - timedelta(minutes=5)
    attendance.joined_call(setup.meeting_id, setup.member.id, now=first)
    attendance.joined_call(setup.meeting_id, setup.member.id)
    attendance.joined_call(setup.meeting_id, setup.outsider.id)  # not a participant: nothing
    db.session.commit()
    assert attendance.call_joiners(setup.meeting) == {setup.member.id: first.replace(microsecond=first.microsecond)}


def test_attendance_lists_the_points_the_total_and_who_joined_by_call(client, setup):
    _attended(setup)
    attendance.joined_call(setup.meeting_id, setup.secretary.id)
    db.session.commit()
    body = client.get(f"/api/v1/meetings/{setup.meeting_id}/attendance", headers=setup.h(setup.chair)).get_json()
    assert [(p["agency"]["name"], p["people_present"]) for p in body["connection_points"]] == [
        ("Sở Y tế", 35), ("UBND huyện Đông Sơn", 120)]
    # 155 in the halls, and the chair and the secretary in the room (the two operators are counted in their hall)
    assert body["people_at_points"] == 155 and body["people_total"] == 157 and body["points"] == 2
    by_call = {row["user_id"]: row["joined_call_at"] for row in body["items"]}
    assert by_call[setup.secretary.id] is not None and by_call[setup.member.id] is None

    login(client, setup.chair)
    page = client.get(f"/meetings/{setup.meeting_id}").get_data(as_text=True)
    assert 'id="attendance-points"' in page and "UBND huyện Đông Sơn" in page and ">157<" in page
    csv = client.get(f"/meetings/{setup.meeting_id}/attendance.csv").get_data(as_text=True)
    assert "UBND huyện Đông Sơn,Đỗ Văn Huyện,120" in csv and ",157" in csv


def test_the_minutes_document_lists_the_points_and_the_total(app, setup):
    _attended(setup)
    attendance.joined_call(setup.meeting_id, setup.secretary.id)
    db.session.commit()
    doc = Document(io.BytesIO(documents.minutes_docx(setup.meeting)))
    text = [p.text for p in doc.paragraphs]
    assert "Các điểm cầu: 2 điểm cầu, 155 người" in text
    assert "Điểm cầu Sở Y tế: 35 người (đầu mối: Phạm Thị Hoa)" in text
    assert "Điểm cầu UBND huyện Đông Sơn: 120 người (đầu mối: Đỗ Văn Huyện)" in text
    assert "Tổng số người tham dự: 157 người" in text
    assert "Tham dự qua cuộc gọi trực tuyến: 1 người: Lê Thu Trang" in text


# -- the external bridge link ----------------------------------------------------------------------

@pytest.mark.parametrize("url", ["ftp://cau.thanhtam.gov.vn/phong-1", "javascript:alert(1)", "cau.thanhtam.gov.vn",
                                 "https://", "https://cau.gov.vn/a b", "https://[::1", "https://h.vn:99999/",
                                 "https://cau.thanhtam.gov.vn/" + "a" * 480])
def test_a_bridge_link_must_be_a_web_address(client, setup, url):
    res = client.patch(f"/api/v1/meetings/{setup.meeting_id}", json={"bridge_url": url}, headers=setup.h(setup.chair))
    assert res.status_code == 422, url
    assert list(res.get_json()["error"]["fields"]) == ["bridge_url"]
    assert db.session.get(Meeting, setup.meeting_id).bridge_url == ""


def test_the_bridge_link_is_kept_shown_and_cleared(app, client, setup):
    link = "https://cau.thanhtam.gov.vn/join?room=12&pin=3"
    url = f"/api/v1/meetings/{setup.meeting_id}"
    res = client.patch(url, json={"bridge_url": link}, headers=setup.h(setup.chair))
    assert res.status_code == 200 and res.get_json()["bridge_url"] == link
    assert client.get(url, headers=setup.h(setup.member)).get_json()["bridge_url"] == link
    browser = app.test_client()
    login(browser, setup.member)
    for page in (f"/meetings/{setup.meeting_id}", f"/meetings/{setup.meeting_id}/room"):
        html = browser.get(page).get_data(as_text=True)
        assert (f'href="{link.replace("&", "&amp;")}" target="_blank" rel="noopener noreferrer"' in html), page
    assert client.patch(url, json={"bridge_url": None}, headers=setup.h(setup.chair)).get_json()["bridge_url"] is None


def test_a_new_meeting_takes_a_bridge_link(client, setup):
    res = client.post("/api/v1/meetings", headers=setup.h(setup.chair), json={
        "title": "Hội nghị trực tuyến toàn tỉnh", "starts_at": "2026-12-01T08:00:00+07:00", "participant_ids": [],
        "bridge_url": "http://10.0.0.5/cau"})
    assert res.status_code == 201 and res.get_json()["bridge_url"] == "http://10.0.0.5/cau"
