"""Recurring meetings: a weekly or monthly series whose occurrences are meetings of their own, the .ics with
the RRULE, one occurrence moved, "this and the following" edited, the rest cancelled, the horizon."""
from datetime import UTC, datetime, timedelta

import pytest
from icalendar import Calendar

from core.dbtypes import utcnow
from core.extensions import db
from meetings import series
from meetings.models import Meeting
from meetings.models_schedule import MeetingSeries, SeriesOccurrence
from tests.conftest import bearer, csrf_from, login

MONDAY_8 = "2027-01-04T08:00:00+07:00"  # a Monday, 01:00 UTC


@pytest.fixture
def w(factory):
    office = factory.agency(code="VP", name="Văn phòng UBND tỉnh", kind="provincial_office")
    health = factory.agency(code="SYT", name="Sở Y tế")
    leader = factory.user("leader", office, username="chair")
    return {"leader": leader, "token": factory.token(leader), "h1": factory.user("officer", health, username="syt1"),
            "outsider": factory.user("officer", factory.agency(code="STC"), username="stc1"), "health": health}


def _create(client, w, **recurrence):
    res = client.post("/api/v1/meetings", headers=bearer(w["token"]), json={
        "title": "Giao ban sáng thứ Hai", "starts_at": MONDAY_8, "ends_at": "2027-01-04T09:30:00+07:00",
        "participant_ids": [w["h1"].id], "agenda": [{"title": "Tình hình tuần qua"}], "recurrence": recurrence})
    return res


def _occurrences(client, w, meeting_id):
    res = client.get(f"/api/v1/meetings/{meeting_id}/series", headers=bearer(w["token"]))
    assert res.status_code == 200, res.get_json()
    return res.get_json()


def _ics(client, w, meeting_id):
    browser = client.application.test_client()  # a page session of its own; the API calls stay bearer-only
    login(browser, w["leader"])
    res = browser.get(f"/meetings/{meeting_id}/series.ics")
    assert res.status_code == 200
    return Calendar.from_ical(res.data)


def test_a_weekly_series_is_meetings_of_their_own_linked_to_it(client, w):
    res = _create(client, w, freq="weekly", count=5)
    assert res.status_code == 201, res.get_json()
    first = res.get_json()
    info = _occurrences(client, w, first["id"])
    assert (info["freq"], info["count"], info["total"], info["position"]) == ("weekly", 5, 5, 1)
    starts = [o["starts_at"] for o in info["occurrences"]]
    assert starts == [(datetime(2027, 1, 4, 1, tzinfo=UTC) + timedelta(weeks=n)).isoformat() for n in range(5)]
    ids = [o["meeting_id"] for o in info["occurrences"]]
    assert len(set(ids)) == 5
    for meeting_id in ids:  # each its own meeting: invitations, agenda, minutes
        m = client.get(f"/api/v1/meetings/{meeting_id}", headers=bearer(w["token"])).get_json()
        assert {p["user_id"] for p in m["participants"]} == {w["leader"].id, w["h1"].id}
        assert [a["title"] for a in m["agenda"]] == ["Tình hình tuần qua"]
    saved = client.put(f"/api/v1/meetings/{ids[0]}/minutes", headers=bearer(w["token"]),
                       json={"body": "Biên bản buổi 1", "base_version": 0})
    assert saved.status_code == 200
    other = client.get(f"/api/v1/meetings/{ids[1]}/minutes", headers=bearer(w["token"])).get_json()
    assert other["body"] == "" and other["version"] == 0
    # the invitee was told once, of the series, not five times
    from notifications.models import Notification
    kinds = db.session.scalars(db.select(Notification.kind).where(Notification.user_id == w["h1"].id)).all()
    assert kinds == ["meeting.series_invited"]
    cal = _ics(client, w, ids[2])
    events = list(cal.walk("VEVENT"))
    assert len(events) == 1
    assert events[0]["RRULE"]["FREQ"] == ["WEEKLY"] and events[0]["RRULE"]["COUNT"] == [5]
    assert events[0]["UID"].startswith(f"series-{info['id']}@")


def test_one_occurrence_moved_then_this_and_following_edited_then_the_rest_cancelled(client, w):
    first = _create(client, w, freq="weekly", count=5).get_json()
    ids = [o["meeting_id"] for o in _occurrences(client, w, first["id"])["occurrences"]]
    base = [db.session.get(Meeting, i).starts_at for i in ids]

    # move the second one a day later, this one only
    moved = client.patch(f"/api/v1/meetings/{ids[1]}", headers=bearer(w["token"]),
                         json={"starts_at": "2027-01-12T14:00:00+07:00", "ends_at": "2027-01-12T15:00:00+07:00"})
    assert moved.status_code == 200, moved.get_json()
    info = _occurrences(client, w, first["id"])
    assert [o["moved"] for o in info["occurrences"]] == [False, True, False, False, False]

    # the third and the following: a new title and an hour later
    res = client.patch(f"/api/v1/meetings/{ids[2]}", headers=bearer(w["token"]),
                       json={"title": "Giao ban (giờ mới)", "starts_at": "2027-01-18T09:00:00+07:00",
                             "ends_at": "2027-01-18T10:30:00+07:00", "scope": "following"})
    assert res.status_code == 200, res.get_json()
    db.session.expire_all()
    meetings = [db.session.get(Meeting, i) for i in ids]
    assert [m.title for m in meetings] == ["Giao ban sáng thứ Hai"] * 2 + ["Giao ban (giờ mới)"] * 3
    assert meetings[0].starts_at == base[0]
    assert meetings[1].starts_at == datetime(2027, 1, 12, 7, tzinfo=UTC)  # its own move stays
    assert [m.starts_at for m in meetings[2:]] == [b + timedelta(hours=1) for b in base[2:]]
    assert all(m.ends_at - m.starts_at == timedelta(minutes=90) for m in meetings[2:])

    cal = _ics(client, w, ids[0])
    events = list(cal.walk("VEVENT"))
    master = [e for e in events if "RRULE" in e]
    overrides = {e["RECURRENCE-ID"].dt: e for e in events if "RECURRENCE-ID" in e}
    assert len(master) == 1
    assert set(overrides) == set(base[1:])  # the moved one and the three edited ones
    assert overrides[base[1]]["DTSTART"].dt == datetime(2027, 1, 12, 7, tzinfo=UTC)
    assert str(overrides[base[3]]["SUMMARY"]) == "Giao ban (giờ mới)"
    from notifications.models import Notification
    told = db.session.scalars(db.select(Notification.kind).where(Notification.user_id == w["h1"].id)
                              .order_by(Notification.id)).all()
    assert told == ["meeting.series_invited", "meeting.changed", "meeting.series_changed"]  # once for the three

    # cancel the fourth and the rest
    res = client.post(f"/api/v1/meetings/{ids[3]}/series/cancel", headers=bearer(w["token"]), json={"reason": "Nghỉ"})
    assert res.status_code == 200, res.get_json()
    assert [c["id"] for c in res.get_json()["cancelled"]] == ids[3:]
    db.session.expire_all()
    assert [db.session.get(Meeting, i).status for i in ids] == ["scheduled"] * 3 + ["cancelled"] * 2
    assert db.session.get(MeetingSeries, _occurrences(client, w, ids[0])["id"]).stopped_at == base[3]
    cal = _ics(client, w, ids[0])
    master = next(e for e in cal.walk("VEVENT") if "RRULE" in e)
    exdates = {d.dt for ex in (master["EXDATE"] if isinstance(master["EXDATE"], list) else [master["EXDATE"]])
               for d in ex.dts}
    assert exdates == set(base[3:])


def test_monthly_until_a_date_and_bad_rules_are_refused_naming_the_field(client, w):
    res = _create(client, w, freq="monthly", until="2027-06-30")
    assert res.status_code == 201, res.get_json()
    info = _occurrences(client, w, res.get_json()["id"])
    assert info["total"] == 6 and info["freq"] == "monthly"
    assert info["occurrences"][-1]["starts_at"].startswith("2027-06-04T01:00")
    before = db.session.scalar(db.select(db.func.count(Meeting.id)))
    for bad in ({"freq": "daily"}, {"freq": "weekly", "count": 1},
                {"freq": "weekly", "count": 3, "until": "2027-02-01"}, {"freq": "weekly", "until": "2026-12-01"},
                {"freq": "weekly", "until": "30/06/2027"}):
        res = _create(client, w, **bad)
        assert res.status_code == 422, (bad, res.get_json())
        assert "recurrence" in res.get_json()["error"]["fields"]
    res = client.post("/api/v1/meetings", headers=bearer(w["token"]), json={
        "title": "x", "starts_at": MONDAY_8, "participant_ids": [], "recurrence": "weekly"})
    assert res.status_code == 422
    assert db.session.scalar(db.select(db.func.count(Meeting.id))) == before
    res = client.patch(f"/api/v1/meetings/{info['occurrences'][0]['meeting_id']}", headers=bearer(w["token"]),
                       json={"scope": "all"})
    assert res.status_code == 422 and "scope" in res.get_json()["error"]["fields"]


def test_an_open_ended_series_is_made_a_year_ahead_and_extended_by_the_job(client, w):
    start = (utcnow() + timedelta(days=1)).replace(microsecond=0)
    res = client.post("/api/v1/meetings", headers=bearer(w["token"]), json={
        "title": "Giao ban", "starts_at": start.isoformat(), "participant_ids": [], "recurrence": {"freq": "weekly"}})
    assert res.status_code == 201, res.get_json()
    total = db.session.scalar(db.select(db.func.count(SeriesOccurrence.meeting_id)))
    assert 52 <= total <= 53
    assert series.extend_series(utcnow()) == 0
    assert series.extend_series(utcnow() + timedelta(days=28)) == 4
    assert series.extend_series(utcnow() + timedelta(days=28)) == 0


def test_the_form_makes_a_series_and_edits_this_and_the_following(client, w):
    csrf = login(client, w["leader"])
    res = client.post("/meetings/new", data={
        "csrf_token": csrf, "title": "Giao ban tuần", "starts_at": "2027-01-04T08:00", "chair_id": w["leader"].id,
        "participant_ids": [w["h1"].id], "online": "1", "repeat": "weekly", "repeat_end": "count",
        "repeat_count": "3"})
    assert res.status_code == 302, res.get_data(as_text=True)[:2000]
    first_id = int(res.headers["Location"].rsplit("/", 1)[1])
    ids = [o["meeting_id"] for o in _occurrences(client, w, first_id)["occurrences"]]
    assert len(ids) == 3
    page = client.get(f"/meetings/{ids[1]}").get_data(as_text=True)
    assert 'id="series-card"' in page and 'id="btn-series-cancel"' in page
    form = client.get(f"/meetings/{ids[1]}/edit").get_data(as_text=True)
    assert 'name="scope" value="following"' in form
    res = client.post(f"/meetings/{ids[1]}/edit", data={
        "csrf_token": csrf_from(form), "title": "Giao ban tuần (mới)", "starts_at": "2027-01-11T08:00",
        "participant_ids": [w["h1"].id], "online": "1", "scope": "following"})
    assert res.status_code == 302
    db.session.expire_all()
    assert [db.session.get(Meeting, i).title for i in ids] == ["Giao ban tuần"] + ["Giao ban tuần (mới)"] * 2
    bad = client.post("/meetings/new", data={
        "csrf_token": csrf, "title": "x", "starts_at": "2027-01-04T08:00", "chair_id": w["leader"].id,
        "repeat": "weekly", "repeat_end": "count", "repeat_count": "abc"})
    assert bad.status_code == 200 and 'id="repeat-fields"' in bad.get_data(as_text=True)
    res = client.post(f"/meetings/{ids[2]}/series/cancel", data={"csrf_token": csrf})
    assert res.status_code == 302
    db.session.expire_all()
    assert db.session.get(Meeting, ids[2]).status == "cancelled"


def test_outsiders_see_no_series_and_only_the_chair_cancels_it(client, w, factory):
    first = _create(client, w, freq="weekly", count=3).get_json()
    outsider = bearer(factory.token(w["outsider"]))
    invitee = bearer(factory.token(w["h1"]))
    assert client.get(f"/api/v1/meetings/{first['id']}/series", headers=outsider).status_code == 404
    assert client.post(f"/api/v1/meetings/{first['id']}/series/cancel", headers=outsider).status_code == 404
    assert client.get(f"/api/v1/meetings/{first['id']}/series", headers=invitee).status_code == 200
    assert client.post(f"/api/v1/meetings/{first['id']}/series/cancel", headers=invitee).status_code == 403
    single = client.post("/api/v1/meetings", headers=bearer(w["token"]), json={
        "title": "Họp lẻ", "starts_at": MONDAY_8, "participant_ids": []}).get_json()
    assert client.get(f"/api/v1/meetings/{single['id']}/series", headers=bearer(w["token"])).status_code == 404


def test_a_series_far_ahead_or_at_the_calendar_s_edges_is_no_500(client, w):
    far = client.post("/api/v1/meetings", headers=bearer(w["token"]), json={
        "title": "Hội nghị tổng kết", "starts_at": "2030-01-07T08:00:00+07:00", "participant_ids": [],
        "recurrence": {"freq": "monthly", "count": 3}})
    assert far.status_code == 201, far.get_json()  # two years ahead: its first occurrences all the same
    assert _occurrences(client, w, far.get_json()["id"])["total"] == 3
    for body in ({"starts_at": "9999-12-01T08:00:00+07:00", "recurrence": {"freq": "weekly", "until": "9999-12-31"}},
                 {"starts_at": MONDAY_8, "recurrence": {"freq": "weekly", "until": "0001-01-01"}}):
        res = client.post("/api/v1/meetings", headers=bearer(w["token"]),
                          json={"title": "x", "participant_ids": [], **body})
        assert res.status_code in (201, 422), res.get_json()


def test_the_series_invitation_mail_carries_the_whole_series(client, w, monkeypatch):
    from notifications import mail

    sent = []
    monkeypatch.setattr(mail, "mail_enabled", lambda: True)
    monkeypatch.setattr(mail, "send_after_commit",
                        lambda to, subject, body, attachments=(): sent.append((to, subject, attachments)))
    w["h1"].email = "syt1@x.vn"
    db.session.commit()
    assert _create(client, w, freq="weekly", count=3).status_code == 201
    assert [(to, subject) for to, subject, _a in sent] == [("syt1@x.vn", "Giấy mời họp: Giao ban sáng thứ Hai")]
    (name, mime, body), = sent[0][2]
    event = next(iter(Calendar.from_ical(body).walk("VEVENT")))
    assert mime == "text/calendar" and event["RRULE"]["COUNT"] == [3]
