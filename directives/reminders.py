"""Reminders: due soon, overdue, not acknowledged after N hours, and a daily digest for leaders.

``run_reminders(now)`` runs inside the server every 5 minutes (core.scheduler: one process at a
time) and from cron as ``flask --app wsgi directives remind``. Each reminder has a unique key in
ReminderSent, inserted in the same transaction as its notifications, so none ever goes out twice,
even when two runs overlap. Keys carry the deadline, so an approved extension re-arms the
due-soon and overdue reminders for the new deadline.

Config: REMIND_UNACKNOWLEDGED_HOURS (4), DUE_SOON_DAYS (3), DIRECTIVE_DIGEST_HOUR (7, display zone).
"""
import logging
from datetime import timedelta

import click
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager, selectinload

from auth.models import User
from auth.queries import users_in_agencies
from core import audit
from core.dbtypes import isoformat, utcnow
from core.extensions import db
from core.scheduler import register_job
from core.validation import display_zone
from directives import bp, permissions
from directives.models import (
    AGENCY_OPEN_STATUSES,
    Assignment,
    AssignmentStatus,
    Directive,
    DirectiveStatus,
    ReminderKind,
    ReminderSent,
)
from directives.services import directive_path
from directives.tracking import due_soon_window, setting

log = logging.getLogger(__name__)


def _config_int(name, default):
    try:
        return int(setting(name, default))
    except (TypeError, ValueError):
        return default


def _claim(key, kind, assignment_id=None, now=None):
    """True if this reminder was not sent yet (and is now marked sent in this transaction)."""
    try:
        with db.session.begin_nested():
            db.session.add(ReminderSent(key=key, kind=kind, assignment_id=assignment_id, sent_at=now or utcnow()))
    except IntegrityError:
        return False
    return True


def _officers_by_agency(agency_ids):
    out = {}
    if not agency_ids:
        return out
    users = db.session.scalars(users_in_agencies(agency_ids, permissions.acts_for_agency())).all()
    for user in users:
        out.setdefault(user.agency_id, []).append(user)
    return out


def _candidates(*conditions):
    return db.session.scalars(
        select(Assignment)
        .join(Assignment.directive)
        .where(Directive.status == DirectiveStatus.ISSUED, Assignment.status.in_(AGENCY_OPEN_STATUSES), *conditions)
        .options(contains_eager(Assignment.directive).selectinload(Directive.issuer), selectinload(Assignment.agency))
        .order_by(Assignment.id)
    ).all()


def _already_sent(keys):
    if not keys:
        return set()
    return set(db.session.scalars(select(ReminderSent.key).where(ReminderSent.key.in_(list(keys)))))


def _local(value):
    return value.astimezone(display_zone()).strftime("%H:%M %d/%m/%Y")


def run_reminders(now=None):
    """Send every reminder that is due and was not sent before. Returns {kind: how many sent}."""
    now = now or utcnow()
    # the monthly report is its own job (directives/monthly_report.py)
    sent = dict.fromkeys((str(k) for k in ReminderKind if k != ReminderKind.MONTHLY_REPORT), 0)
    jobs = _due_reminders(now)
    officers = _officers_by_agency({a.agency_id for _kind, a, _key in jobs if not a.assignee_id})
    assignees = {u.id: u for u in db.session.scalars(select(User).where(
        User.id.in_({a.assignee_id for _kind, a, _key in jobs if a.assignee_id}), User.active.is_(True)))}
    for kind, a, key in jobs:
        if _claim(key, kind, a.id, now):
            # a share passed to one officer reminds that officer; an agency's reminds its people
            recipients = [assignees[a.assignee_id]] if a.assignee_id in assignees else (
                [] if a.assignee_id else officers.get(a.agency_id, []))
            _remind(kind, a, recipients)
            sent[kind] += 1
    sent[ReminderKind.DIGEST] = _daily_digest(now)
    if any(sent.values()):
        audit.record(None, "directive.reminders", object_type="system", **sent)
    db.session.commit()
    if any(sent.values()):
        log.info("directive reminders sent: %s", sent)
    return sent


def _due_reminders(now):
    """[(kind, assignment, key)] of the reminders due now and not sent yet."""
    window = due_soon_window()
    unack_hours = _config_int("REMIND_UNACKNOWLEDGED_HOURS", 4)
    due_soon = _candidates(Assignment.deadline > now, Assignment.deadline <= now + window)
    overdue = _candidates(Assignment.deadline <= now)
    unacknowledged = _candidates(Assignment.status == AssignmentStatus.PENDING,
                                 Directive.issued_at <= now - timedelta(hours=unack_hours))
    jobs = (
        [(ReminderKind.DUE_SOON, a, f"due_soon:{a.id}:{isoformat(a.deadline)}") for a in due_soon]
        + [(ReminderKind.OVERDUE, a, f"overdue:{a.id}:{isoformat(a.deadline)}") for a in overdue]
        + [(ReminderKind.UNACKNOWLEDGED, a, f"unacknowledged:{a.id}") for a in unacknowledged]
    )
    done = _already_sent(key for _kind, _a, key in jobs)
    return [job for job in jobs if job[2] not in done]


def _reminder_text(kind, d, a):
    if kind == ReminderKind.DUE_SOON:
        return lambda u: _("Due soon: %(number)s %(title)s (deadline %(deadline)s)", number=d.number,
                           title=d.title, deadline=_local(a.deadline))
    if kind == ReminderKind.OVERDUE:
        return lambda u: _("Overdue: %(number)s %(title)s (deadline was %(deadline)s)", number=d.number,
                           title=d.title, deadline=_local(a.deadline))
    return lambda u: _("Not yet acknowledged: %(number)s %(title)s", number=d.number, title=d.title)


def _remind(kind, a, recipients):
    """One reminder to the agency's officers; an overdue one to the issuer too."""
    from notifications.services import notify

    d = a.directive
    link = directive_path(d.id)
    text = _reminder_text(kind, d, a)
    if kind == ReminderKind.OVERDUE and d.issuer is not None and d.issuer.active:
        notify([d.issuer], "reminder.overdue",
               lambda u: _("%(agency)s is overdue on %(number)s %(title)s", agency=a.agency.name, number=d.number,
                           title=d.title), link=link)
    if recipients:
        notify(recipients, f"reminder.{kind}", text, link=link, email_subject=text,
               email_body=lambda u: f"{text(u)}\n\n{current_app.config['PUBLIC_URL']}{link}")


def _daily_digest(now):
    """Once a day, from DIRECTIVE_DIGEST_HOUR local time: each leader gets the overdue work, per agency."""
    local = now.astimezone(display_zone())
    if local.hour < _config_int("DIRECTIVE_DIGEST_HOUR", 7):
        return 0
    rows = db.session.execute(
        select(Assignment.agency_id, db.func.count(Assignment.id))
        .join(Directive, Directive.id == Assignment.directive_id)
        .where(Directive.status == DirectiveStatus.ISSUED, Assignment.status.in_(AGENCY_OPEN_STATUSES),
               Assignment.deadline <= now, Assignment.parent_id.is_(None))  # what the province gave, once
        .group_by(Assignment.agency_id)
    ).all()
    if not rows:
        return 0
    if not _claim(f"digest:{local.date().isoformat()}", ReminderKind.DIGEST, None, now):
        return 0
    from auth.models import Agency
    from notifications.services import notify

    names = dict(db.session.execute(select(Agency.id, Agency.name).where(Agency.id.in_([r[0] for r in rows]))).all())
    total = sum(count for _id, count in rows)
    lines = sorted(((names.get(agency_id, "?"), count) for agency_id, count in rows), key=lambda x: (-x[1], x[0]))
    # the province-wide digest is for the provincial leaders; an agency's leader follows its own board
    leaders = db.session.scalars(select(User).where(permissions.province_leaders(), User.active.is_(True))).all()

    def text(user):
        return _("Daily summary: %(count)d overdue assignments in %(agencies)d agencies", count=total,
                 agencies=len(rows))

    def body(user):
        detail = "\n".join(f"- {name}: {count}" for name, count in lines)
        return f"{text(user)}\n\n{detail}\n\n{current_app.config['PUBLIC_URL']}/directives/dashboard"

    notify(leaders, "reminder.digest", text, link="/directives/dashboard", email_subject=text, email_body=body)
    return len(leaders)


register_job("directives.reminders", 300, run_reminders)


@bp.cli.command("remind")
def remind_command():
    """Send due reminders now (for cron): due soon, overdue, not acknowledged, the daily digest."""
    sent = run_reminders()
    click.echo(", ".join(f"{kind}: {count}" for kind, count in sent.items()))
