"""Invitation replies: attend, decline with a reason, or send a colleague of one's own agency in one's place
(POST /meetings/<id>/rsvp and the meeting page's form); the organisers' view; the agency's meeting contacts;
the attendance table and the biên bản say how each invitation was answered."""
import io

import pytest
from docx import Document

from core.extensions import db
from meetings import documents, services
from meetings.models import Participant
from notifications.models import Notification
from tests.conftest import bearer, csrf_from, login


@pytest.fixture
def world(factory):
    office = factory.agency(code="VP")
    health = factory.agency(code="SYT")
    chair = factory.user("leader", office, username="chair", full_name="Chủ tịch")
    secretary = factory.user("officer", office, username="sec", full_name="Thư ký")
    member = factory.user("officer", health, username="alice", full_name="Trần Thị An")
    colleague = factory.user("officer", health, username="bob", full_name="Lê Văn Bình")
    other = factory.user("officer", health, username="carol", full_name="Phạm Thị Cúc")
    factory.user("officer", office, username="clerk", full_name="Văn thư")
    meeting = services.create_meeting(chair, {"title": "Họp giao ban", "starts_at": "2026-12-01T08:00",
                                              "secretary_id": secretary.id, "participant_ids": [member.id]})
    return {"f": factory, "meeting": meeting, "chair": chair, "sec": secretary, "alice": member, "bob": colleague,
            "carol": other, "health": health}


def rsvp(client, world, who, body):
    return client.post(f"/api/v1/meetings/{world['meeting'].id}/rsvp", json=body,
                       headers=bearer(world["f"].token(world[who])))


def replies(client, world, who):
    return client.get(f"/api/v1/meetings/{world['meeting'].id}/replies", headers=bearer(world["f"].token(world[who])))


def invitation(world, who):
    return db.session.scalar(db.select(Participant).where(Participant.meeting_id == world["meeting"].id,
                                                          Participant.user_id == world[who].id))


def test_attend_and_decline_with_a_reason_are_kept_and_the_organisers_see_them(client, world):
    res = rsvp(client, world, "alice", {"response": "attend"})
    assert res.status_code == 200 and res.json == {"response": "attend", "substitute_id": None}
    assert replies(client, world, "chair").json["counts"] == {"attend": 1, "decline": 0, "substitute": 0, "none": 2}
    res = rsvp(client, world, "alice", {"response": "decline", "reason": "Đi công tác huyện"})
    assert res.status_code == 200
    body = replies(client, world, "sec").json
    mine = next(i for i in body["items"] if i["user_id"] == world["alice"].id)
    assert mine["response"] == "decline" and mine["reason"] == "Đi công tác huyện" and mine["responded_at"]
    assert body["counts"]["decline"] == 1 and body["counts"]["attend"] == 0
    # an invitee who is not an organiser does not see the others' answers; a stranger not even the meeting
    assert replies(client, world, "alice").status_code == 403
    assert replies(client, world, "carol").status_code == 404
    assert rsvp(client, world, "carol", {"response": "attend"}).status_code == 404


def test_a_substitute_of_the_same_agency_is_invited_in_ones_place_and_can_be_changed(client, world):
    res = rsvp(client, world, "alice", {"response": "substitute", "substitute_id": world["bob"].id,
                                        "reason": "Bận họp Bộ"})
    assert res.status_code == 200 and res.json == {"response": "substitute", "substitute_id": world["bob"].id}
    stand_in = invitation(world, "bob")
    assert stand_in is not None and stand_in.substitute_for_id == world["alice"].id
    assert db.session.scalar(db.select(Notification.kind).where(Notification.user_id == world["bob"].id)) \
        == "meeting.invited"
    # the substitute now has the meeting, and answers for themselves
    assert client.get(f"/api/v1/meetings/{world['meeting'].id}",
                      headers=bearer(world["f"].token(world["bob"]))).status_code == 200
    assert rsvp(client, world, "bob", {"response": "attend"}).status_code == 200
    # a substitute cannot pass it on
    res = rsvp(client, world, "bob", {"response": "substitute", "substitute_id": world["carol"].id})
    assert res.status_code == 422 and "response" in res.json["error"]["fields"]
    # another colleague instead: the first is no longer invited and is told
    assert rsvp(client, world, "alice", {"response": "substitute", "substitute_id": world["carol"].id}).status_code \
        == 200
    assert invitation(world, "bob") is None and invitation(world, "carol").substitute_for_id == world["alice"].id
    assert db.session.scalar(db.select(Notification.kind).where(Notification.user_id == world["bob"].id)
                             .order_by(Notification.id.desc())) == "meeting.removed"
    # editing the meeting keeps the substitute with the one they stand in for
    services.update_meeting(world["chair"], world["meeting"], dict(services.current_values(world["meeting"]),
                                                                   place="Phòng họp số 2"))
    assert invitation(world, "carol") is not None
    # attending after all: the substitute goes
    assert rsvp(client, world, "alice", {"response": "attend"}).json == {"response": "attend", "substitute_id": None}
    assert invitation(world, "carol") is None


@pytest.mark.parametrize("body, field", [
    ({}, "response"),
    ({"response": "maybe"}, "response"),
    ({"response": "substitute"}, "substitute_id"),
    ({"response": "decline", "reason": "x" * 501}, "reason"),
])
def test_bad_answers_are_refused_naming_the_field_and_nothing_changes(client, world, body, field):
    res = rsvp(client, world, "alice", body)
    assert res.status_code == 422 and field in res.json["error"]["fields"]
    assert invitation(world, "alice").response is None


def test_who_may_stand_in_and_who_may_not_send_anyone(client, world):
    # not of one's own agency, oneself, or someone already invited on their own
    for user in ("sec", "alice", "chair"):
        res = rsvp(client, world, "alice", {"response": "substitute", "substitute_id": world[user].id})
        assert res.status_code == 422 and "substitute_id" in res.json["error"]["fields"], user
    res = rsvp(client, world, "alice", {"response": "substitute", "substitute_id": 10**9})
    assert res.status_code == 422
    # the chair attends; the secretary may decline but not send someone to keep the minutes
    assert rsvp(client, world, "chair", {"response": "decline"}).status_code == 422
    assert rsvp(client, world, "sec", {"response": "substitute", "substitute_id": world["chair"].id}).status_code \
        == 422
    assert rsvp(client, world, "sec", {"response": "decline", "reason": "Ốm"}).status_code == 200
    assert all(invitation(world, w).response is None for w in ("alice", "chair"))


def test_a_meeting_that_is_over_can_no_longer_be_answered(client, world):
    services.start_meeting(world["chair"], world["meeting"])
    assert rsvp(client, world, "alice", {"response": "attend"}).status_code == 200  # still while it runs
    services.end_meeting(world["chair"], world["meeting"])
    res = rsvp(client, world, "alice", {"response": "decline"})
    assert res.status_code == 409 and res.json["error"]["code"] == "meeting_over"


def test_an_agency_invitation_reaches_its_contacts_or_everyone_when_it_names_none(world, factory):
    world["bob"].meeting_contact = True
    db.session.commit()
    office = db.session.get(type(world["chair"].agency), world["chair"].agency_id)
    meeting = services.create_meeting(world["chair"], {"title": "Họp các sở", "starts_at": "2026-12-02T08:00",
                                                       "agency_ids": [world["health"].id, office.id]})
    invited = {p.user_id for p in db.session.scalars(db.select(Participant).where(
        Participant.meeting_id == meeting.id))}
    assert world["bob"].id in invited  # the health department's contact, and only them of that agency
    assert world["alice"].id not in invited and world["carol"].id not in invited
    assert world["sec"].id in invited  # the office names no contact: all its accounts


def test_the_attendance_table_and_the_bien_ban_say_how_each_invitation_was_answered(client, world):
    assert rsvp(client, world, "alice", {"response": "substitute", "substitute_id": world["bob"].id}).status_code \
        == 200
    assert rsvp(client, world, "sec", {"response": "decline", "reason": "Ốm"}).status_code == 200
    services.start_meeting(world["chair"], world["meeting"])
    services.end_meeting(world["chair"], world["meeting"])
    res = client.get(f"/api/v1/meetings/{world['meeting'].id}/attendance",
                     headers=bearer(world["f"].token(world["chair"])))
    rows = {r["user_id"]: r for r in res.json["items"]}
    assert rows[world["alice"].id]["representation"] == "cử Lê Văn Bình dự thay"
    assert rows[world["bob"].id]["representation"] == "dự thay Trần Thị An"
    assert rows[world["sec"].id]["representation"] == "báo vắng: Ốm"
    lines = [p.text for p in Document(io.BytesIO(documents.minutes_docx(world["meeting"]))).paragraphs]
    said = {line.split(" - ")[0]: line for line in lines if " - " in line}
    assert said["Trần Thị An"].endswith("(cử Lê Văn Bình dự thay)")
    assert said["Lê Văn Bình"].endswith("(dự thay Trần Thị An)")
    assert said["Thư ký"].endswith("(báo vắng: Ốm)")


def test_the_meeting_page_form_answers_and_the_chair_sees_the_replies(app, client, world):
    login(client, world["alice"])
    page = client.get(f"/meetings/{world['meeting'].id}").get_data(as_text=True)
    assert 'data-testid="reply-form"' in page and "Lê Văn Bình" in page  # a colleague to send
    res = client.post(f"/meetings/{world['meeting'].id}/reply",
                      data={"response": "decline", "reason": "Trùng lịch", "csrf_token": csrf_from(page)})
    assert res.status_code == 302 and res.headers["Location"].endswith("#my-reply")
    assert invitation(world, "alice").response == "decline"
    refused = client.post(f"/meetings/{world['meeting'].id}/reply",
                          data={"response": "substitute", "csrf_token": csrf_from(page)}, follow_redirects=True)
    assert refused.status_code == 200 and invitation(world, "alice").response == "decline"
    chair = app.test_client()
    login(chair, world["chair"])
    page = chair.get(f"/meetings/{world['meeting'].id}").get_data(as_text=True)
    assert 'id="meeting-replies"' in page and "Trùng lịch" in page


def test_the_calendar_entry_asks_for_an_answer_and_carries_each_one(client, world):
    from icalendar import Calendar

    assert rsvp(client, world, "alice", {"response": "attend"}).status_code == 200
    assert rsvp(client, world, "sec", {"response": "decline"}).status_code == 200
    event = Calendar.from_ical(services.invitation_ics(world["meeting"])).walk("VEVENT")[0]
    attendees = event.get("attendee")
    by_name = {str(a.params["CN"]): a.params for a in (attendees if isinstance(attendees, list) else [attendees])}
    assert by_name["Trần Thị An"]["PARTSTAT"] == "ACCEPTED" and by_name["Trần Thị An"]["RSVP"] == "TRUE"
    assert by_name["Thư ký"]["PARTSTAT"] == "DECLINED"
