"""Reminders with a controlled clock: each is sent once, the digest once a day."""
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner

from core.extensions import db
from directives import extensions, reminders, services
from directives.models import ReminderSent
from notifications.models import Notification

T0 = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)  # 08:00 in Hà Nội


@pytest.fixture
def w(factory):
    agency, other = factory.agency("SYT"), factory.agency("SGD")
    return {
        "leader": factory.user("leader", username="lead", email="lead@example.vn"),
        "officer": factory.user("officer", agency, username="syt1", email="syt1@example.vn"),
        "other": factory.user("officer", other, username="sgd1"),
        "agency": agency,
    }


def issue(w, deadline_days=5):
    return services.issue_directive(w["leader"], {
        "title": "Báo cáo tình hình dịch bệnh", "deadline": (T0 + timedelta(days=deadline_days)).isoformat(),
        "lead_agency_id": w["agency"].id}, now=T0)


def kinds(user):
    return sorted(db.session.scalars(db.select(Notification.kind).where(Notification.user_id == user.id,
                                                                         Notification.kind.like("reminder.%"))))


def test_unacknowledged_after_n_hours_once(w, app):
    issue(w)
    assert reminders.run_reminders(T0 + timedelta(hours=3, minutes=59))["unacknowledged"] == 0
    assert reminders.run_reminders(T0 + timedelta(hours=4))["unacknowledged"] == 1
    assert reminders.run_reminders(T0 + timedelta(hours=5))["unacknowledged"] == 0
    assert kinds(w["officer"]) == ["reminder.unacknowledged"]
    assert kinds(w["other"]) == []
    app.config["REMIND_UNACKNOWLEDGED_HOURS"] = 1
    d = issue(w)
    services.acknowledge(w["officer"], d.assignments[0], now=T0 + timedelta(minutes=30))
    assert reminders.run_reminders(T0 + timedelta(hours=2))["unacknowledged"] == 0


def test_due_soon_then_overdue_each_once_and_rearmed_by_an_extension(w):
    d = issue(w, deadline_days=5)
    a = d.assignments[0]
    services.acknowledge(w["officer"], a, now=T0)
    assert reminders.run_reminders(T0 + timedelta(days=1))["due_soon"] == 0
    assert reminders.run_reminders(T0 + timedelta(days=2))["due_soon"] == 1  # 3 days left: the window edge
    assert reminders.run_reminders(T0 + timedelta(days=3))["due_soon"] == 0
    sent = reminders.run_reminders(T0 + timedelta(days=5))
    assert sent["overdue"] == 1
    assert reminders.run_reminders(T0 + timedelta(days=5, hours=1))["overdue"] == 0
    assert kinds(w["officer"]) == ["reminder.due_soon", "reminder.overdue"]
    assert "reminder.overdue" in kinds(w["leader"])  # the issuer hears of it too
    ext = extensions.request_extension(
        w["officer"],
        a,
        {"deadline": (T0 + timedelta(days=10)).isoformat(), "reason": "r"},
        now=T0 + timedelta(days=5, hours=2),
    )
    extensions.approve_extension(w["leader"], ext, now=T0 + timedelta(days=5, hours=3))
    assert reminders.run_reminders(T0 + timedelta(days=8))["due_soon"] == 1


def test_finished_and_submitted_work_gets_no_reminder(w):
    d = issue(w, deadline_days=1)
    a = d.assignments[0]
    services.acknowledge(w["officer"], a, now=T0)
    services.submit(w["officer"], a, {}, now=T0 + timedelta(hours=1))
    sent = reminders.run_reminders(T0 + timedelta(days=3))
    assert sent["due_soon"] == sent["overdue"] == sent["unacknowledged"] == 0


def test_daily_digest_for_leaders_once_a_day(w):
    issue(w, deadline_days=1)
    early = T0 + timedelta(days=2) - timedelta(hours=2)  # 06:00 local: before the digest hour
    assert reminders.run_reminders(early)["digest"] == 0
    assert reminders.run_reminders(T0 + timedelta(days=2))["digest"] == 1
    assert reminders.run_reminders(T0 + timedelta(days=2, hours=5))["digest"] == 0
    assert reminders.run_reminders(T0 + timedelta(days=3))["digest"] == 1
    digests = db.session.scalars(db.select(Notification).where(Notification.kind == "reminder.digest")).all()
    assert len(digests) == 2 and all(n.user_id == w["leader"].id for n in digests)
    assert "1" in digests[0].text


def test_reminder_keys_are_unique(w):
    issue(w)
    reminders.run_reminders(T0 + timedelta(hours=5))
    keys = db.session.scalars(db.select(ReminderSent.key)).all()
    assert len(keys) == len(set(keys)) == 1


def test_reminders_send_mail_when_configured(w, app, monkeypatch):
    from notifications import mail

    app.config["MAIL_SERVER"] = "127.0.0.1"
    sent = []
    monkeypatch.setattr(mail, "send_after_commit", lambda to, subject, body, attachments=(): sent.append((to, subject)))
    issue(w)
    sent.clear()
    reminders.run_reminders(T0 + timedelta(hours=5))
    assert [to for to, _subject in sent] == ["syt1@example.vn"]
    assert sent[0][1].startswith("Chưa tiếp nhận") or sent[0][1].startswith("Not yet acknowledged")


def test_cli_command_and_scheduler_registration(w, app):
    from core.scheduler import JOBS

    assert JOBS["directives.reminders"][1] is reminders.run_reminders
    issue(w)
    result = CliRunner().invoke(app.cli, ["directives", "remind"], obj=None)
    assert result.exit_code == 0, result.output
    assert "unacknowledged" in result.output
