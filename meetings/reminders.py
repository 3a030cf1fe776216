"""Reminders before a meeting's start: an in-app notification and an e-mail to each invitee at the offsets
in MEETING_REMINDERS (minutes before the start, default a day and a quarter of an hour).

``run_meeting_reminders(now)`` runs inside the server every minute (core.scheduler: one process at a time)
and from cron as ``flask --app wsgi meetings remind``. Each (meeting, invitee, offset, start) is a row of
MeetingReminderSent, inserted in the same transaction as the notification: a rerun or a second process
sends nothing twice. The start is part of the key, so a meeting moved to another time is reminded again.
A reminder whose moment came before the invitation is not sent (the invitation itself told them); when
several come due at once (a late run, a meeting set close to its start) one reminder covers them.
"""
import logging
from datetime import timedelta

import click
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from auth.models import User
from core import audit
from core.dbtypes import utcnow
from core.extensions import db
from core.i18n import datetime_filter
from core.scheduler import register_job
from meetings import bp
from meetings.models import Meeting, MeetingStatus, Participant
from meetings.models_schedule import MeetingReminderSent

log = logging.getLogger(__name__)


def offsets():
    """MEETING_REMINDERS: minutes before the start, largest first."""
    return sorted(current_app.config.get("MEETING_REMINDERS") or [], reverse=True)


#: invitation replies (Participant.response) whose invitee is not reminded: they declined, or sent a
#: substitute (who has an invitation of their own and is reminded)
NOT_COMING = ("decline", "substitute")


def _recipients(meeting):
    """The invitations to remind: every active invitee of the meeting who has not declined, with their user.

    The one place that says who is reminded. The reply column comes with the invitation replies; until it
    exists every invitee is reminded."""
    query = (select(Participant).join(User, User.id == Participant.user_id)
             .where(Participant.meeting_id == meeting.id, User.active.is_(True))
             .options(joinedload(Participant.user)))
    response = getattr(Participant, "response", None)
    if response is not None:
        query = query.where(db.or_(response.is_(None), response.not_in(NOT_COMING)))
    return db.session.scalars(query).all()


def _due_offsets(meeting, invited_at, now, marks):
    """The offsets whose moment has come for this invitee: after their invitation, not after now."""
    due = []
    for minutes in marks:
        moment = meeting.starts_at - timedelta(minutes=minutes)
        if invited_at <= moment <= now:
            due.append(minutes)
    return due


def _claim(meeting, user_id, minutes_list, now):
    """True if these reminders were not sent yet (and are now marked sent in this transaction)."""
    try:
        with db.session.begin_nested():
            db.session.add_all([
                MeetingReminderSent(meeting_id=meeting.id, user_id=user_id, offset_minutes=minutes,
                                    starts_at=meeting.starts_at, sent_at=now)
                for minutes in minutes_list
            ])
    except IntegrityError:
        return False
    return True


def _sent(meeting):
    return set(db.session.execute(
        select(MeetingReminderSent.user_id, MeetingReminderSent.offset_minutes)
        .where(MeetingReminderSent.meeting_id == meeting.id, MeetingReminderSent.starts_at == meeting.starts_at)
    ).all())


def run_meeting_reminders(now=None):
    """Send every reminder that is due and was not sent before. Returns how many invitees were reminded."""
    now = now or utcnow()
    marks = offsets()
    if not marks:
        return 0
    upcoming = db.session.scalars(
        select(Meeting).where(Meeting.status == MeetingStatus.SCHEDULED, Meeting.starts_at > now,
                              Meeting.starts_at <= now + timedelta(minutes=marks[0]))
        .order_by(Meeting.starts_at, Meeting.id)
    ).all()
    reminded = 0
    for meeting in upcoming:
        reminded += _remind_meeting(meeting, now, marks)
    if reminded:
        audit.record(None, "meeting.reminders", object_type="system", reminded=reminded)
    db.session.commit()
    if reminded:
        log.info("meeting reminders sent to %d invitee(s)", reminded)
    return reminded


def _remind_meeting(meeting, now, marks):
    done = _sent(meeting)
    users = []
    for participant in _recipients(meeting):
        fresh = [m for m in _due_offsets(meeting, participant.invited_at, now, marks)
                 if (participant.user_id, m) not in done]
        if fresh and _claim(meeting, participant.user_id, fresh, now):
            users.append(participant.user)
    if users:
        _notify(meeting, users)
    return len(users)


def _notify(meeting, users):
    from notifications.services import notify

    link = f"/meetings/{meeting.id}"

    def text(user):
        return _('Reminder: "%(title)s" starts at %(when)s', title=meeting.title,
                 when=datetime_filter(meeting.starts_at, "HH:mm dd/MM/yyyy"))

    def subject(user):
        return _("Meeting reminder: %(title)s", title=meeting.title)

    def body(user):
        place = meeting.place or _("Online")
        return f"{text(user)}\n{_('Place: %(place)s', place=place)}\n\n{current_app.config['PUBLIC_URL']}{link}"

    notify(users, "meeting.reminder", text, link=link, email_subject=subject, email_body=body)


register_job("meetings.reminders", 60, run_meeting_reminders)


@bp.cli.command("remind")
def remind_command():
    """Send the meeting reminders that are due (the scheduler runs this every minute)."""
    click.echo(f"reminded {run_meeting_reminders()} invitee(s)")
