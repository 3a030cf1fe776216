"""The provincial office's staff schedule meetings for a leader: the chair is not always the creator."""
import pytest

from core.extensions import db
from tests.conftest import bearer, login


@pytest.fixture
def office(factory):
    vp = factory.agency(code="VP", name="Văn phòng UBND tỉnh", kind="provincial_office")
    health = factory.agency(code="SYT", name="Sở Y tế")
    people = {
        "chairman": factory.user("leader", vp, full_name="Nguyễn Văn Minh"),
        "deputy": factory.user("leader", vp, full_name="Trần Thị Hương"),
        "staff": factory.user("officer", vp, full_name="Lê Thu Trang"),
        "officer": factory.user("officer", health, full_name="Phạm Thị Hoa"),
    }
    return people


def post(client, user, factory, **body):
    payload = {"title": "Giao ban tuần", "starts_at": "2027-01-05T08:00:00+07:00", "participant_ids": []}
    payload.update(body)
    return client.post("/api/v1/meetings", json=payload, headers=bearer(factory.token(user)))


def test_office_staff_schedule_a_meeting_chaired_by_a_leader(client, factory, office):
    res = post(client, office["staff"], factory, chair_id=office["chairman"].id,
               participant_ids=[office["officer"].id], secretary_id=office["staff"].id)
    assert res.status_code == 201, res.get_json()
    body = res.get_json()
    assert body["chair_id"] == office["chairman"].id
    from meetings.models import Meeting
    from notifications.models import Notification

    meeting = db.session.get(Meeting, body["id"])
    assert meeting.created_by_id == office["staff"].id
    # the chairman is told, like every invitee
    assert db.session.scalar(db.select(Notification.id).where(Notification.user_id == office["chairman"].id))
    # the organiser keeps the meeting in hand: changes it and starts it
    staff = bearer(factory.token(office["staff"]))
    assert client.patch(f"/api/v1/meetings/{meeting.id}", json={"place": "Phòng họp số 1"},
                        headers=staff).status_code == 200
    assert client.post(f"/api/v1/meetings/{meeting.id}/start", headers=staff).status_code == 200


def test_the_chair_must_be_named_and_be_a_leader(client, factory, office):
    res = post(client, office["staff"], factory)
    assert res.status_code == 422 and "chair_id" in res.get_json()["error"]["message"]
    res = post(client, office["staff"], factory, chair_id=office["officer"].id)
    assert res.status_code == 422 and "chair_id" in res.get_json()["error"]["message"]
    # a department's officer does not schedule meetings
    assert post(client, office["officer"], factory, chair_id=office["chairman"].id).status_code == 403
    from meetings.models import Meeting

    assert db.session.scalar(db.select(db.func.count(Meeting.id))) == 0


def test_a_leader_may_schedule_for_another_leader_and_change_a_meeting_they_do_not_chair(client, factory, office):
    res = post(client, office["deputy"], factory, chair_id=office["chairman"].id)
    assert res.status_code == 201 and res.get_json()["chair_id"] == office["chairman"].id
    mine = post(client, office["chairman"], factory).get_json()
    res = client.patch(f"/api/v1/meetings/{mine['id']}", json={"participant_ids": [office["officer"].id]},
                       headers=bearer(factory.token(office["deputy"])))
    assert res.status_code == 200  # API.md: the chair, leaders and admins change a meeting


def test_the_secretary_picker_offers_the_office_staff_first(client, factory, office):
    login(client, office["staff"])
    html = client.get("/meetings/new").get_data(as_text=True)
    picker = html[html.index('id="f-secretary_id"'):]
    picker = picker[:picker.index("</select>")]
    first_group = picker[picker.index("<optgroup"):picker.index("</optgroup>")]
    assert "Cán bộ Văn phòng UBND tỉnh" in first_group and "Lê Thu Trang" in first_group
    assert "Phạm Thị Hoa" not in first_group and "Phạm Thị Hoa" in picker
    assert "Nguyễn Văn Minh" not in picker  # leaders chair; they do not keep the minutes
    chair = html[html.index('id="f-chair_id"'):]
    assert "Nguyễn Văn Minh" in chair[:chair.index("</select>")]
    assert 'data-filter-select="f-secretary_id"' in html
