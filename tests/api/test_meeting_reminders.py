"""Reminders before a meeting's start, with a clock the tests move: each offset once per invitee, at its
time, never twice (a rerun, a second process), again after the meeting is moved; the scheduler runs them."""
from datetime import timedelta

import pytest
from sqlalchemy.exc import IntegrityError

from core import scheduler
from core.dbtypes import utcnow
from core.extensions import db
from meetings import reminders, services
from meetings.models_schedule import MeetingReminderSent
from notifications.models import Notification


@pytest.fixture
def app_config():
    return {"MEETING_REMINDERS": [1440, 15], "MAIL_SERVER": "mail.invalid"}


@pytest.fixture
def w(factory):
    office = factory.agency(code="VP", name="Văn phòng UBND tỉnh", kind="provincial_office")
    health = factory.agency(code="SYT", name="Sở Y tế")
    return {
        "leader": factory.user("leader", office, username="chair", email="chair@x.vn"),
        "h1": factory.user("officer", health, username="syt1", email="syt1@x.vn"),
        "h2": factory.user("officer", health, username="syt2"),
        "outsider": factory.user("officer", factory.agency(code="STC"), username="stc1"),
        "health": health,
    }


@pytest.fixture
def mails(monkeypatch):
    sent = []
    from notifications import mail

    monkeypatch.setattr(mail, "send_after_commit", lambda to, subject, body, attachments=(): sent.append((to, subject)))
    return sent


def _start():
    return (utcnow() + timedelta(days=3)).replace(second=0, microsecond=0)


def _meeting(w, start):
    return services.create_meeting(w["leader"], {
        "title": "Họp giao ban Sở Y tế", "starts_at": start.isoformat(), "participant_ids": [],
        "agency_ids": [w["health"].id]})


def reminded(user):
    return db.session.scalar(db.select(db.func.count(Notification.id)).where(
        Notification.user_id == user.id, Notification.kind == "meeting.reminder"))


def test_each_offset_fires_once_at_its_time_for_every_invitee(w, mails):
    start = _start()
    _meeting(w, start)
    mails.clear()  # the invitations
    run = reminders.run_meeting_reminders
    assert run(start - timedelta(minutes=1441)) == 0
    assert run(start - timedelta(minutes=1440)) == 3  # the chair and the agency's two officers
    assert run(start - timedelta(minutes=1440)) == 0  # a rerun sends nothing
    assert run(start - timedelta(minutes=16)) == 0
    assert run(start - timedelta(minutes=15)) == 3
    assert run(start - timedelta(minutes=5)) == 0
    assert run(start + timedelta(minutes=1)) == 0  # started: no more
    assert [reminded(w[k]) for k in ("leader", "h1", "h2", "outsider")] == [2, 2, 2, 0]
    text = db.session.scalar(db.select(Notification.text).where(Notification.user_id == w["h1"].id,
                                                                Notification.kind == "meeting.reminder"))
    assert "Họp giao ban Sở Y tế" in text  # TRANSLATION-CHECK
    assert sorted(to for to, _subject in mails) == ["chair@x.vn", "chair@x.vn", "syt1@x.vn", "syt1@x.vn"]


def test_a_moved_meeting_is_reminded_again_for_its_new_time(w):
    start = _start()
    meeting = _meeting(w, start)
    assert reminders.run_meeting_reminders(start - timedelta(minutes=1440)) == 3
    later = start + timedelta(days=1)
    data = services.current_values(meeting)
    services.update_meeting(w["leader"], meeting, {**data, "starts_at": later.isoformat()})
    assert reminders.run_meeting_reminders(start - timedelta(minutes=1000)) == 0  # the old time is gone
    assert reminders.run_meeting_reminders(later - timedelta(minutes=1440)) == 3
    assert reminders.run_meeting_reminders(later - timedelta(minutes=1439)) == 0
    assert reminded(w["h1"]) == 2


def test_a_reminder_already_claimed_by_another_process_is_not_sent_again(w):
    start = _start()
    meeting = _meeting(w, start)
    db.session.add(MeetingReminderSent(meeting_id=meeting.id, user_id=w["h1"].id, offset_minutes=1440,
                                       starts_at=meeting.starts_at, sent_at=utcnow()))
    db.session.commit()
    assert reminders.run_meeting_reminders(start - timedelta(minutes=1440)) == 2
    assert reminded(w["h1"]) == 0
    with pytest.raises(IntegrityError):  # the unique constraint holds against a racing second insert
        db.session.add(MeetingReminderSent(meeting_id=meeting.id, user_id=w["h2"].id, offset_minutes=1440,
                                           starts_at=meeting.starts_at, sent_at=utcnow()))
        db.session.commit()
    db.session.rollback()


def test_reminders_due_at_once_go_out_as_one_and_none_before_the_invitation(w):
    """A meeting set an hour before its start: no "a day before" reminder (the invitation told them);
    a run that comes late sends one reminder for the offsets it missed."""
    start = (utcnow() + timedelta(minutes=60)).replace(second=0, microsecond=0)
    _meeting(w, start)
    assert reminders.run_meeting_reminders(start - timedelta(minutes=30)) == 0
    assert reminders.run_meeting_reminders(start - timedelta(minutes=10)) == 3  # late: the 15-minute one
    assert reminded(w["h1"]) == 1


def test_cancelled_meetings_and_inactive_invitees_get_none(w):
    start = _start()
    meeting = _meeting(w, start)
    w["h2"].active = False
    db.session.commit()
    assert reminders.run_meeting_reminders(start - timedelta(minutes=1440)) == 2
    services.cancel_meeting(w["leader"], meeting)
    assert reminders.run_meeting_reminders(start - timedelta(minutes=15)) == 0


def test_the_scheduler_runs_the_job_in_one_process(app, w, monkeypatch):
    start = _start()
    _meeting(w, start)
    monkeypatch.setattr(reminders, "utcnow", lambda: start - timedelta(minutes=15))
    assert "meetings.reminders" in scheduler.JOBS
    first = scheduler.run_due_jobs(app, now=start - timedelta(minutes=15))
    again = scheduler.run_due_jobs(app, now=start - timedelta(minutes=15))  # the lease is held: not run
    assert "meetings.reminders" in first and "meetings.reminders" not in again
    assert reminded(w["h1"]) == 1


def test_reminder_offsets_come_from_the_configuration(monkeypatch):
    from core.config import ConfigError, load_config

    monkeypatch.setenv("MEETING_REMINDERS", "15, 1440,60")
    assert load_config({"SECRET_KEY": "x"})["MEETING_REMINDERS"] == [1440, 60, 15]
    monkeypatch.setenv("MEETING_REMINDERS", "a day")
    with pytest.raises(ConfigError):
        load_config({"SECRET_KEY": "x"})
    monkeypatch.delenv("MEETING_REMINDERS")
    assert load_config({"SECRET_KEY": "x"})["MEETING_REMINDERS"] == [1440, 15]


def test_an_invitee_who_declined_or_sent_a_substitute_is_not_reminded(w):
    from meetings.models import Participant

    start = _start()
    meeting = _meeting(w, start)
    for user, answer in ((w["h1"], "decline"), (w["h2"], "substitute")):
        row = db.session.scalar(db.select(Participant).where(Participant.meeting_id == meeting.id,
                                                             Participant.user_id == user.id))
        row.response = answer
    db.session.commit()
    assert reminders.run_meeting_reminders(start - timedelta(minutes=1440)) == 1  # the chair only
    assert reminded(w["h1"]) == reminded(w["h2"]) == 0
