"""Meetings over the JSON API and the pages: scheduling, invitations, who sees what, .ics, attendance."""
from datetime import UTC, datetime, timedelta

import pytest
from icalendar import Calendar

from core.audit import AuditLog
from core.extensions import db
from meetings import presence, services
from meetings.models import AttendanceSpan, Meeting, Participant
from tests.conftest import bearer, login


@pytest.fixture
def people(factory):
    office = factory.agency(code="VP", name="Văn phòng UBND tỉnh", kind="provincial_office")
    health = factory.agency(code="SYT", name="Sở Y tế")
    other = factory.agency(code="STC", name="Sở Tài chính")
    return {
        "leader": factory.user("leader", office, username="chair", full_name="Nguyễn Văn Minh", email="chair@x.vn"),
        "leader2": factory.user("leader", office, username="vice"),
        "admin": factory.user("admin", office, username="root"),
        "secretary": factory.user("officer", office, username="thuky", email="thuky@x.vn"),
        "h1": factory.user("officer", health, username="syt1", email="syt1@x.vn"),
        "h2": factory.user("officer", health, username="syt2"),
        "outsider": factory.user("officer", other, username="stc1"),
        "health": health,
        "office": office,
    }


def _payload(people, **extra):
    data = {
        "title": "Họp giao ban tháng 11",
        "starts_at": "2026-12-01T08:00:00+07:00",
        "ends_at": "2026-12-01T10:00:00+07:00",
        "participant_ids": [people["secretary"].id],
        "agency_ids": [people["health"].id],
        "secretary_id": people["secretary"].id,
        "agenda": [
            {"title": "Tình hình kinh tế - xã hội"},
            {"title": "Công tác phòng chống dịch", "planned_minutes": 30},
        ],
    }
    data.update(extra)
    return data


def test_leader_creates_meeting_with_agencies_expanded_and_invitees_notified(client, factory, people):
    from notifications.models import Notification

    token = factory.token(people["leader"])
    res = client.post("/api/v1/meetings", json=_payload(people), headers=bearer(token))
    assert res.status_code == 201, res.get_json()
    body = res.get_json()
    assert body["chair_id"] == people["leader"].id
    assert body["secretary_id"] == people["secretary"].id
    roles = {p["user_id"]: (p["role"], p["via_agency_id"]) for p in body["participants"]}
    assert roles[people["leader"].id] == ("chair", None)
    assert roles[people["secretary"].id] == ("secretary", None)
    assert roles[people["h1"].id] == ("member", people["health"].id)
    assert roles[people["h2"].id] == ("member", people["health"].id)
    assert people["outsider"].id not in roles
    assert [a["title"] for a in body["agenda"]] == ["Tình hình kinh tế - xã hội", "Công tác phòng chống dịch"]
    assert body["starts_at"] == "2026-12-01T01:00:00+00:00"
    notified = set(db.session.scalars(db.select(Notification.user_id).where(Notification.kind == "meeting.invited")))
    assert notified == {people["secretary"].id, people["h1"].id, people["h2"].id}


def test_bad_fields_are_422_naming_them_and_nothing_is_written(client, factory, people):
    token = factory.token(people["leader"])
    res = client.post("/api/v1/meetings", json={"title": "", "starts_at": "soon", "participant_ids": [99999],
                                                "agenda": "x" * 10 and [{"title": ""}]}, headers=bearer(token))
    assert res.status_code == 422
    fields = res.get_json()["error"]["fields"]
    assert {"title", "starts_at", "participant_ids", "agenda"} <= set(fields)
    assert db.session.scalar(db.select(db.func.count(Meeting.id))) == 0
    res = client.post("/api/v1/meetings", json=_payload(people, ends_at="2026-12-01T07:00:00+07:00"),
                      headers=bearer(token))
    assert res.status_code == 422 and "ends_at" in res.get_json()["error"]["fields"]


def test_officer_cannot_schedule(client, factory, people):
    res = client.post("/api/v1/meetings", json=_payload(people), headers=bearer(factory.token(people["h1"])))
    assert res.status_code == 403


@pytest.fixture
def meeting(people):
    return services.create_meeting(people["leader"], _payload(people))


@pytest.mark.parametrize("who,status", [
    ("h1", 200), ("secretary", 200), ("leader", 200), ("leader2", 200), ("admin", 200), ("outsider", 404),
])
def test_who_sees_a_meeting_over_the_api(client, factory, people, meeting, who, status):
    res = client.get(f"/api/v1/meetings/{meeting.id}", headers=bearer(factory.token(people[who])))
    assert res.status_code == status
    if status == 404:
        assert res.get_json()["error"]["code"] == "not_found"
    res = client.get(f"/api/v1/meetings/{meeting.id}/messages", headers=bearer(factory.token(people[who])))
    assert res.status_code == status


def test_anonymous_gets_401_and_login_redirects(client, meeting):
    assert client.get(f"/api/v1/meetings/{meeting.id}").status_code == 401
    for path in ("", "/room", "/invite.ics", "/attendance.csv"):
        res = client.get(f"/meetings/{meeting.id}{path}")
        assert res.status_code == 302 and "/login" in res.headers["Location"]


@pytest.mark.parametrize("who,detail,room,edit,attendance", [
    ("h1", 200, 200, 403, 403),
    ("secretary", 200, 200, 403, 200),
    ("leader", 200, 200, 200, 200),
    ("leader2", 200, 200, 200, 200),  # API.md: leaders change meetings they do not chair
    ("admin", 200, 200, 200, 200),
    ("outsider", 404, 404, 404, 404),
])
def test_permission_matrix_for_the_pages(client, people, meeting, who, detail, room, edit, attendance):
    login(client, people[who])
    assert client.get(f"/meetings/{meeting.id}").status_code == detail
    assert client.get(f"/meetings/{meeting.id}/room").status_code == room
    assert client.get(f"/meetings/{meeting.id}/edit").status_code == edit
    assert client.get(f"/meetings/{meeting.id}/attendance.csv").status_code == attendance
    assert client.get(f"/meetings/{meeting.id}/invite.ics").status_code == detail
    assert client.get("/meetings").status_code == 200


def test_a_refused_change_changes_nothing(client, factory, people, meeting):
    title, invited = meeting.title, db.session.scalar(db.select(db.func.count(Participant.id)))
    url = f"/api/v1/meetings/{meeting.id}"
    assert client.patch(url, json={"title": "Đổi", "participant_ids": []},
                        headers=bearer(factory.token(people["h1"]))).status_code == 403
    assert client.patch(url, json={"title": "", "participant_ids": []},
                        headers=bearer(factory.token(people["leader"]))).status_code == 422
    db.session.expire_all()
    unchanged = db.session.get(Meeting, meeting.id)
    assert unchanged.title == title and unchanged.ics_sequence == 0
    assert db.session.scalar(db.select(db.func.count(Participant.id))) == invited
    assert not db.session.scalar(db.select(AuditLog.id).where(AuditLog.action == "meeting.update"))


@pytest.mark.parametrize("who,status", [("h1", 403), ("secretary", 200), ("leader", 200), ("leader2", 200),
                                        ("admin", 200), ("outsider", 404)])
def test_attendance_api_permissions(client, factory, people, meeting, who, status):
    res = client.get(f"/api/v1/meetings/{meeting.id}/attendance", headers=bearer(factory.token(people[who])))
    assert res.status_code == status


def test_only_the_chair_or_admin_starts_ends_and_cancels(client, factory, people, meeting):
    res = client.post(f"/api/v1/meetings/{meeting.id}/start", headers=bearer(factory.token(people["h1"])))
    assert res.status_code == 403
    res = client.post(f"/api/v1/meetings/{meeting.id}/start", headers=bearer(factory.token(people["outsider"])))
    assert res.status_code == 404
    res = client.post(f"/api/v1/meetings/{meeting.id}/start", headers=bearer(factory.token(people["leader"])))
    assert res.status_code == 200 and res.get_json()["status"] == "live"
    res = client.post(f"/api/v1/meetings/{meeting.id}/cancel", headers=bearer(factory.token(people["leader"])))
    assert res.status_code == 409
    res = client.post(f"/api/v1/meetings/{meeting.id}/end", headers=bearer(factory.token(people["admin"])))
    assert res.status_code == 200 and res.get_json()["status"] == "ended"


def test_attendance_over_the_invitation_list(client, factory, people, meeting, monkeypatch):
    start = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
    meeting.status, meeting.started_at, meeting.ended_at = "ended", start, start + timedelta(hours=1)
    h1 = people["h1"].id
    db.session.add_all([
        AttendanceSpan(meeting_id=meeting.id, user_id=h1, sid="a", joined_at=start + timedelta(minutes=10),
                       left_at=start + timedelta(minutes=40)),
        AttendanceSpan(meeting_id=meeting.id, user_id=h1, sid="b", joined_at=start + timedelta(minutes=30),
                       left_at=start + timedelta(minutes=50)),
    ])
    db.session.commit()
    res = client.get(f"/api/v1/meetings/{meeting.id}/attendance", headers=bearer(factory.token(people["leader"])))
    items = {i["user_id"]: i for i in res.get_json()["items"]}
    participants = db.session.scalars(db.select(Participant).where(Participant.meeting_id == meeting.id))
    invited = {p.user_id for p in participants}
    assert set(items) == invited
    assert items[h1]["status"] == "present"
    assert items[h1]["present_seconds"] == 40 * 60
    assert items[h1]["late_seconds"] == 10 * 60
    assert items[h1]["first_joined_at"] == (start + timedelta(minutes=10)).isoformat()
    assert items[h1]["last_left_at"] == (start + timedelta(minutes=50)).isoformat()
    assert items[people["h2"].id]["status"] == "absent"
    assert items[people["h2"].id]["present_seconds"] == 0
    login(client, people["leader"])
    csv = client.get(f"/meetings/{meeting.id}/attendance.csv")
    assert csv.status_code == 200 and "0:40:00" in csv.get_data(as_text=True)
    xlsx = client.get(f"/meetings/{meeting.id}/attendance.xlsx")
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"
    page = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert 'id="attendance"' in page and "0:40:00" in page


def test_ics_invitation_parses_back(client, people, meeting):
    login(client, people["h1"])
    res = client.get(f"/meetings/{meeting.id}/invite.ics")
    assert res.status_code == 200 and res.mimetype == "text/calendar"
    cal = Calendar.from_ical(res.data)
    assert str(cal["METHOD"]) == "REQUEST"
    event = next(iter(cal.walk("VEVENT")))
    assert str(event["SUMMARY"]) == "Họp giao ban tháng 11"
    assert event.decoded("DTSTART") == datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
    assert event.decoded("DTEND") == datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
    assert str(event["UID"]).startswith(f"meeting-{meeting.id}@")
    attendees = {str(a) for a in event.get("ATTENDEE")}
    assert "mailto:syt1@x.vn" in attendees
    assert str(event["ORGANIZER"]) == "mailto:chair@x.vn"


def test_invitation_mail_carries_the_ics(app, people, monkeypatch):
    sent = []
    app.config["MAIL_SERVER"] = "smtp.invalid"
    from notifications import mail

    monkeypatch.setattr(mail, "deliver", lambda settings, msg: sent.append(msg))
    monkeypatch.setattr("core.extensions.socketio.start_background_task", lambda fn, *a: fn(*a))
    services.create_meeting(people["leader"], _payload(people))
    by_to = {m["To"]: m for m in sent}
    assert {"syt1@x.vn", "thuky@x.vn"} <= set(by_to)
    parts = list(by_to["syt1@x.vn"].iter_attachments())
    assert parts and parts[0].get_content_type() == "text/calendar"
    cal = Calendar.from_ical(parts[0].get_content())
    assert str(cal["METHOD"]) == "REQUEST"


def test_meeting_form_keeps_what_was_typed_on_error_and_creates(client, people):
    csrf = login(client, people["leader"])
    res = client.post("/meetings/new", data={"csrf_token": csrf, "title": "Họp về dịch bệnh", "starts_at": "",
                                             "agenda": "Mục một\nMục hai", "participant_ids": [str(people["h1"].id)]})
    assert res.status_code == 200
    html = res.get_data(as_text=True)
    assert "Họp về dịch bệnh" in html and "Mục hai" in html and "is-invalid" in html
    res = client.post("/meetings/new", data={"csrf_token": csrf, "title": "Họp về dịch bệnh",
                                             "starts_at": "2026-12-02T14:00", "online": "1",
                                             "agenda": "Mục một\nMục hai", "participant_ids": [str(people["h1"].id)]})
    assert res.status_code == 302
    meeting = db.session.scalar(db.select(Meeting).where(Meeting.title == "Họp về dịch bệnh"))
    assert [a.title for a in meeting.agenda_items] == ["Mục một", "Mục hai"]
    assert meeting.starts_at == datetime(2026, 12, 2, 7, 0, tzinfo=UTC)
    listing = client.get("/meetings").get_data(as_text=True)
    assert "Họp về dịch bệnh" in listing


def test_edit_updates_invitations_and_cancel(client, people, meeting):
    csrf = login(client, people["leader"])
    res = client.post(f"/meetings/{meeting.id}/edit", data={
        "csrf_token": csrf, "title": "Họp giao ban (đổi giờ)", "starts_at": "2026-12-01T09:00",
        "participant_ids": [str(people["outsider"].id)], "agenda": "Một mục"})
    assert res.status_code == 302
    ids = set(db.session.scalars(db.select(Participant.user_id).where(Participant.meeting_id == meeting.id)))
    assert ids == {people["leader"].id, people["outsider"].id}
    res = client.post(f"/meetings/{meeting.id}/cancel", data={"csrf_token": csrf})
    assert res.status_code == 302
    db.session.refresh(meeting)
    assert meeting.status == "cancelled"


def test_changing_the_time_tells_invitees_and_cancelling_sends_a_cancel(app, client, factory, people, monkeypatch):
    from notifications import mail
    from notifications.models import Notification

    sent = []
    app.config["MAIL_SERVER"] = "smtp.invalid"
    monkeypatch.setattr(mail, "deliver", lambda settings, msg: sent.append(msg))
    monkeypatch.setattr("core.extensions.socketio.start_background_task", lambda fn, *a: fn(*a))
    meeting = services.create_meeting(people["leader"], _payload(people))
    sent.clear()
    token = factory.token(people["leader"])
    res = client.patch(f"/api/v1/meetings/{meeting.id}", json={"starts_at": "2026-12-01T09:30:00+07:00"},
                       headers=bearer(token))
    assert res.status_code == 200, res.get_json()
    assert res.get_json()["starts_at"] == "2026-12-01T02:30:00+00:00"
    # nothing else changed: agenda and invitations kept
    assert len(res.get_json()["agenda"]) == 2
    changed = set(db.session.scalars(db.select(Notification.user_id).where(Notification.kind == "meeting.changed")))
    assert changed == {people["secretary"].id, people["h1"].id, people["h2"].id}
    update = {m["To"]: m for m in sent}["syt1@x.vn"]
    cal = Calendar.from_ical(next(update.iter_attachments()).get_content())
    event = next(iter(cal.walk("VEVENT")))
    assert str(cal["METHOD"]) == "REQUEST" and int(event["SEQUENCE"]) == 1
    assert event.decoded("DTSTART") == datetime(2026, 12, 1, 2, 30, tzinfo=UTC)

    sent.clear()
    res = client.post(f"/api/v1/meetings/{meeting.id}/cancel", json={"reason": "Trùng lịch"}, headers=bearer(token))
    assert res.status_code == 200 and res.get_json()["status"] == "cancelled"
    cancel = {m["To"]: m for m in sent}["syt1@x.vn"]
    cal = Calendar.from_ical(next(cancel.iter_attachments()).get_content())
    event = next(iter(cal.walk("VEVENT")))
    assert str(cal["METHOD"]) == "CANCEL" and str(event["STATUS"]) == "CANCELLED" and int(event["SEQUENCE"]) == 2
    assert str(event["UID"]) == f"meeting-{meeting.id}@127.0.0.1"
    # a cancelled meeting cannot be edited or started
    assert client.patch(f"/api/v1/meetings/{meeting.id}", json={"title": "x"}, headers=bearer(token)).status_code == 409
    assert client.post(f"/api/v1/meetings/{meeting.id}/start", headers=bearer(token)).status_code == 409
    db.session.expire_all()
    unchanged = db.session.get(Meeting, meeting.id)
    assert unchanged.title != "x" and unchanged.status == "cancelled" and unchanged.ics_sequence == 2


def test_sweep_closes_spans_whose_socket_is_gone(people, meeting):
    from core.realtime import SocketConnection

    db.session.add(SocketConnection(sid="alive", user_id=people["h1"].id, server_id="x:1:y"))
    db.session.add_all([
        AttendanceSpan(meeting_id=meeting.id, user_id=people["h1"].id, sid="alive"),
        AttendanceSpan(meeting_id=meeting.id, user_id=people["h2"].id, sid="gone"),
    ])
    db.session.commit()
    assert presence.present_user_ids(meeting.id) == sorted([people["h1"].id, people["h2"].id])
    assert presence.sweep_orphan_spans() == 1
    assert presence.present_user_ids(meeting.id) == [people["h1"].id]
    assert presence.sweep_orphan_spans() == 0


def test_editing_agenda_titles_on_the_page_keeps_planned_minutes(client, people, meeting):
    csrf = login(client, people["leader"])
    res = client.post(f"/meetings/{meeting.id}/edit", data={
        "csrf_token": csrf, "title": meeting.title, "starts_at": "2026-12-01T08:00", "online": "1",
        "agency_ids": [str(people["health"].id)], "participant_ids": [str(people["secretary"].id)],
        "secretary_id": str(people["secretary"].id),
        "agenda": "Công tác phòng chống dịch\nMục mới"})
    assert res.status_code == 302
    db.session.refresh(meeting)
    assert [(a.title, a.planned_minutes) for a in meeting.agenda_items] == [
        ("Công tác phòng chống dịch", 30), ("Mục mới", None)]
