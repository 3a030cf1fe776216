"""The calendar: a user's meetings and directive deadlines by week or month, and their private iCalendar feed.

Only what the user may see: the meetings they are invited to or chair, and the deadlines the directives'
own queries give them (an officer: their agency's assignments; a leader or admin: the lead assignments of
the directives they issued). The feed (/calendar/<token>.ics) holds the same, the deadlines as all-day events;
its token is random, kept per user, and replaced (the old URL then answers 404) by ``renew_feed``.
"""
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from icalendar import Calendar, Event
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from core import audit
from core.dbtypes import utcnow
from core.extensions import db
from core.validation import display_zone
from meetings import ics
from meetings.models import Meeting, MeetingStatus, Participant
from meetings.models_schedule import CalendarFeed

#: the feed holds this much of the past and the future
FEED_PAST_DAYS = 92
FEED_FUTURE_DAYS = 366
VIEWS = ("week", "month")
#: the years the pages move through (so a week or month never runs off the end of the calendar)
FIRST_YEAR, LAST_YEAR = 1970, 2999
TOKEN_CHARS = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


@dataclass
class Entry:
    """One line of the calendar: a meeting (at a time) or a deadline (on a day)."""

    kind: str  # "meeting" | "deadline"
    day: date  # in the display zone
    at: datetime  # aware UTC
    title: str
    url: str
    status: str
    detail: str = ""


# -- what the user has ------------------------------------------------------------------

def _local_day_start(day):
    return datetime.combine(day, datetime.min.time(), tzinfo=display_zone()).astimezone(UTC)


def my_meetings(user, start, end):
    """The meetings ``user`` is invited to or chairs that start in [start, end), by start."""
    invited = select(Participant.meeting_id).where(Participant.user_id == user.id)
    return db.session.scalars(
        select(Meeting).where(db.or_(Meeting.id.in_(invited), Meeting.chair_id == user.id),
                              Meeting.starts_at >= start, Meeting.starts_at < end)
        .order_by(Meeting.starts_at, Meeting.id).options(joinedload(Meeting.chair))
    ).all()


def my_deadlines(user, start, end):
    """The assignments whose deadline the user keeps, due in [start, end): an officer's agency's (the
    directives' own visibility), a leader's or admin's lead assignments of the directives they issued."""
    from directives import permissions as directive_permissions
    from directives.models import Assignment, AssignmentRole, Directive
    from directives.queries import assignment_list_query

    query = assignment_list_query(user, {}).where(Assignment.deadline >= start, Assignment.deadline < end)
    if directive_permissions.is_staff(user):
        query = query.where(Directive.issuer_id == user.id, Assignment.role == AssignmentRole.LEAD,
                            Assignment.parent_id.is_(None))
    return db.session.scalars(query).unique().all()


def entries(user, first_day, last_day, now=None):
    """{day: [Entry]} for the days first_day..last_day (display zone), meetings by time, deadlines first."""
    from directives.tracking import tracking_of

    now = now or utcnow()
    start, end = _local_day_start(first_day), _local_day_start(last_day + timedelta(days=1))
    zone = display_zone()
    out = {}
    for a in my_deadlines(user, start, end):
        d = a.directive
        out.setdefault(a.deadline.astimezone(zone).date(), []).append(Entry(
            "deadline", a.deadline.astimezone(zone).date(), a.deadline, f"{d.number} {d.title}",
            f"/directives/{d.id}", tracking_of(a, now), a.agency.name if a.agency else ""))
    for m in my_meetings(user, start, end):
        out.setdefault(m.starts_at.astimezone(zone).date(), []).append(Entry(
            "meeting", m.starts_at.astimezone(zone).date(), m.starts_at, m.title, f"/meetings/{m.id}", m.status,
            m.place))
    for day_entries in out.values():
        day_entries.sort(key=lambda e: (e.kind != "deadline", e.at))
    return out


# -- the grid ---------------------------------------------------------------------------

def period(view, anchor):
    """(first day, last day, previous anchor, next anchor) of the week (Monday first) or the month grid
    (whole weeks) holding ``anchor``."""
    if view == "week":
        first = anchor - timedelta(days=anchor.weekday())
        return first, first + timedelta(days=6), first - timedelta(days=7), first + timedelta(days=7)
    month_start = anchor.replace(day=1)
    next_month = (month_start + timedelta(days=32)).replace(day=1)
    first = month_start - timedelta(days=month_start.weekday())
    last_of_month = next_month - timedelta(days=1)
    last = last_of_month + timedelta(days=6 - last_of_month.weekday())
    previous = (month_start - timedelta(days=1)).replace(day=1)
    return first, last, previous, next_month


def weeks(first, last):
    """The days first..last in rows of seven."""
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    return [days[i:i + 7] for i in range(0, len(days), 7)]


def today(now=None):
    return (now or utcnow()).astimezone(display_zone()).date()


# -- the private feed -------------------------------------------------------------------

def feed_of(user):
    """The user's CalendarFeed, made on first use."""
    feed = db.session.get(CalendarFeed, user.id)
    if feed is None:
        feed = CalendarFeed(user_id=user.id, token=secrets.token_urlsafe(32), created_at=utcnow())
        db.session.add(feed)
        audit.record(user, "calendar.feed_create", user)
        db.session.commit()
    return feed


def renew_feed(user):
    """A new link: the old one stops working at once."""
    feed = db.session.get(CalendarFeed, user.id)
    if feed is None:
        return feed_of(user)
    feed.token = secrets.token_urlsafe(32)
    feed.created_at = utcnow()
    audit.record(user, "calendar.feed_renew", user)
    db.session.commit()
    return feed


def user_for_token(token):
    """The active user whose feed has this token, or None (revoked, unknown, malformed)."""
    if not token or len(token) > 64 or not set(token) <= TOKEN_CHARS:
        return None
    feed = db.session.scalar(select(CalendarFeed).where(CalendarFeed.token == token))
    if feed is None:
        return None
    from auth.models import User

    user = db.session.get(User, feed.user_id)
    return user if user is not None and user.active else None


def build_feed(user, now=None):
    """The user's meetings and deadlines as an iCalendar (bytes)."""
    now = now or utcnow()
    start, end = now - timedelta(days=FEED_PAST_DAYS), now + timedelta(days=FEED_FUTURE_DAYS)
    cal = Calendar()
    cal.add("prodid", "-//UBND tinh//Chi dao va Hop truc tuyen//VI")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", _("Meetings and deadlines: %(name)s", name=user.full_name))
    cal.add("x-wr-timezone", str(display_zone()))
    for meeting in my_meetings(user, start, end):
        cal.add_component(_meeting_event(meeting))
    zone = display_zone()
    for a in my_deadlines(user, start, end):
        cal.add_component(_deadline_event(a, a.deadline.astimezone(zone).date(), now))
    return cal.to_ical()


def _meeting_event(meeting):
    from meetings.ics_series import length_of, meeting_event

    status = "CANCELLED" if meeting.status == MeetingStatus.CANCELLED else "CONFIRMED"
    return meeting_event(meeting, ics.uid(meeting), meeting.starts_at, length_of(meeting), meeting.ics_sequence,
                         status=status, attendees=False)


def _deadline_event(assignment, day, now):
    d = assignment.directive
    url = f"{current_app.config.get('PUBLIC_URL', '').rstrip('/')}/directives/{d.id}"
    event = Event()
    event.add("uid", ics.uid(assignment).replace("meeting-", "deadline-", 1))  # deadline-<assignment>@host
    event.add("dtstamp", now)
    event.add("dtstart", day)
    event.add("dtend", day + timedelta(days=1))
    event.add("summary", _("Deadline: %(number)s %(title)s", number=d.number, title=d.title))
    agency = assignment.agency.name if assignment.agency else ""
    event.add("description", f"{agency}\n{url}".strip())
    event.add("url", url)
    event.add("transp", "TRANSPARENT")
    return event
