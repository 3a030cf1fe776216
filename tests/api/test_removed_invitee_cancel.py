"""Taken off a meeting's invitation (issue 13): the removed invitee gets a CANCEL calendar entry for the same
meeting (same UID, a higher SEQUENCE, naming them) and an in-app notice; the others get no cancellation."""
import pytest
from icalendar import Calendar

from core.extensions import db
from meetings import services
from notifications.models import Notification
from tests.conftest import bearer


@pytest.fixture
def mailbox(app, monkeypatch):
    sent = []
    app.config["MAIL_SERVER"] = "smtp.invalid"
    from notifications import mail

    monkeypatch.setattr(mail, "deliver", lambda settings, msg: sent.append(msg))
    monkeypatch.setattr("core.extensions.socketio.start_background_task", lambda fn, *a: fn(*a))
    return sent


def _calendar(message):
    part = next(p for p in message.iter_attachments() if p.get_content_type() == "text/calendar")
    cal = Calendar.from_ical(part.get_content())
    return cal, next(iter(cal.walk("VEVENT"))), part.get_filename()


def test_the_removed_invitee_gets_a_cancel_of_the_same_event_with_a_higher_sequence(client, factory, mailbox):
    office = factory.agency(code="VP", name="Văn phòng", kind="provincial_office")
    chair = factory.user("leader", office, username="chair", email="chair@x.vn")
    kept = factory.user("officer", office, username="kept", email="kept@x.vn")
    gone = factory.user("officer", office, username="gone", email="gone@x.vn", full_name="Đỗ Văn Rời")
    meeting = services.create_meeting(chair, {"title": "Họp giao ban", "starts_at": "2026-12-01T08:00:00+07:00",
                                              "participant_ids": [kept.id, gone.id]})
    _cal, invited, _name = _calendar({m["To"]: m for m in mailbox}["gone@x.vn"])
    first_sequence = int(invited["SEQUENCE"])
    mailbox.clear()

    res = client.patch(f"/api/v1/meetings/{meeting.id}", json={"participant_ids": [kept.id]},
                       headers=bearer(factory.token(chair)))
    assert res.status_code == 200, res.get_json()
    by_to = {m["To"]: m for m in mailbox}
    assert set(by_to) == {"gone@x.vn"}  # nothing on the calendar changed for the others
    cal, event, filename = _calendar(by_to["gone@x.vn"])
    assert str(cal["METHOD"]) == "CANCEL" and filename == "huy-hop.ics"
    assert str(event["UID"]) == str(invited["UID"]) == f"meeting-{meeting.id}@127.0.0.1"
    assert int(event["SEQUENCE"]) > first_sequence
    assert str(event["STATUS"]) == "CANCELLED"
    attendees = event.get("ATTENDEE")
    attendees = attendees if isinstance(attendees, list) else [attendees]
    assert [str(a) for a in attendees] == ["mailto:gone@x.vn"]  # them alone: not the list of who stays
    assert attendees[0].params["RSVP"] == "FALSE"
    notice = db.session.scalar(db.select(Notification).where(Notification.user_id == gone.id,
                                                              Notification.kind == "meeting.removed"))
    assert notice is not None and "Họp giao ban" in notice.text
