"""Recurring meetings: a weekly or monthly series (an RRULE, python-dateutil) whose occurrences are ordinary
meetings, each with its own invitations, minutes and attendance, linked to the series (SeriesOccurrence).

Occurrences are created ahead up to HORIZON_DAYS (or the rule's count or end), never infinitely; the
scheduled job ``meetings.extend_series`` (daily; ``flask meetings extend-series``) creates the ones that come
within the horizon, copying the latest occurrence. The rule runs in the display time zone, so "every Monday at
08:00" stays 08:00 there; a monthly rule on the 31st skips months without one (RFC 5545).

Editing: one occurrence is edited as any meeting; ``scope: "following"`` edits it and every later scheduled
occurrence alike (the same details, their starts moved by the same amount), and ``cancel_following`` cancels it
and the rest, and stops the series.
"""
import logging
from datetime import UTC, date, datetime, time, timedelta

import click
from dateutil.rrule import MONTHLY, WEEKLY, rrule
from flask_babel import gettext as _
from sqlalchemy import select

from core import audit
from core.dbtypes import isoformat, utcnow
from core.errors import Conflict, Forbidden, Invalid, NotFound
from core.extensions import db
from core.i18n import datetime_filter
from core.scheduler import register_job
from core.validation import Fields, display_zone
from meetings import bp, permissions
from meetings.models import AgendaItem, Meeting, MeetingStatus, Participant
from meetings.models_schedule import MeetingSeries, RecurrenceFreq, SeriesOccurrence

log = logging.getLogger(__name__)

#: occurrences are created this far ahead
HORIZON_DAYS = 366
#: the most occurrences a series may count
MAX_COUNT = 200
#: every N weeks or months, at most
MAX_INTERVAL = 12
SCOPES = ("this", "following")


# -- the rule -----------------------------------------------------------------------

def parse_recurrence(raw, starts_at):
    """``{"freq": "weekly"|"monthly", "interval"?, "count"?, "until"?}`` checked against the first start;
    Invalid on ``recurrence`` otherwise."""
    if not isinstance(raw, dict):
        raise Invalid({"recurrence": _('Must be an object such as {"freq": "weekly", "count": 10}.')})
    f = Fields(raw)
    rule = {
        "freq": f.choice("freq", tuple(RecurrenceFreq)),
        "interval": f.int("interval", required=False, min_value=1, max_value=MAX_INTERVAL, default=1),
        "count": f.int("count", required=False, min_value=2, max_value=MAX_COUNT),
        "until": _until(f, raw.get("until")),
    }
    if rule["count"] and rule["until"]:
        f.error("until", _("Give either a number of meetings or a last date, not both."))
    if rule["until"] and starts_at and rule["until"] < starts_at:
        f.error("until", _("The last date must not be before the first meeting."))
    if f.errors:
        name, message = next(iter(f.errors.items()))
        raise Invalid({"recurrence": f"{name}: {message}"})
    return rule


def _until(f, raw):
    """The last day (a date: up to the end of that day in the display zone) or a date and time."""
    if raw in (None, ""):
        return None
    if isinstance(raw, str) and len(raw.strip()) == 10:
        try:
            day = date.fromisoformat(raw.strip())
        except ValueError:
            f.error("until", _("Must be a date (YYYY-MM-DD)."))
            return None
        try:
            return datetime.combine(day, time(23, 59, 59), tzinfo=display_zone()).astimezone(UTC)
        except OverflowError:  # the first or last day the calendar has
            f.error("until", _("Must be a date (YYYY-MM-DD)."))
            return None
    return f.datetime("until")


def _local(value):
    return value.astimezone(display_zone()).replace(tzinfo=None)


def _rrule(series):
    kwargs = {"dtstart": _local(series.dtstart), "interval": series.interval}
    if series.count:
        kwargs["count"] = series.count
    if series.until:
        kwargs["until"] = _local(series.until)
    return rrule(WEEKLY if series.freq == RecurrenceFreq.WEEKLY else MONTHLY, **kwargs)


def starts_between(series, after, upto):
    """The rule's starts (aware UTC) later than ``after`` and not later than ``upto``."""
    zone = display_zone()
    found = _rrule(series).between(_local(after), _local(upto), inc=True)
    return [s.replace(tzinfo=zone).astimezone(UTC) for s in found if s.replace(tzinfo=zone) > after]


def rrule_dict(series):
    """The RRULE as icalendar takes it."""
    rule = {"freq": str(series.freq).upper(), "interval": series.interval}
    if series.count:
        rule["count"] = series.count
    elif series.stopped_at:
        rule["until"] = series.stopped_at - timedelta(seconds=1)
    elif series.until:
        rule["until"] = series.until
    return rule


# -- reading ------------------------------------------------------------------------

def occurrence_of(meeting):
    """The SeriesOccurrence of this meeting, or None."""
    return db.session.get(SeriesOccurrence, meeting.id) if meeting is not None else None


def occurrences(series_id):
    """[(SeriesOccurrence, Meeting)] of a series, in the rule's order."""
    return db.session.execute(
        select(SeriesOccurrence, Meeting).join(Meeting, Meeting.id == SeriesOccurrence.meeting_id)
        .where(SeriesOccurrence.series_id == series_id).order_by(SeriesOccurrence.recurrence_at)
    ).all()


def series_info(meeting):
    """{id, freq, interval, count, until, stopped_at, position, total} for a meeting of a series, else None."""
    occ = occurrence_of(meeting)
    if occ is None:
        return None
    s = occ.series
    rows = occurrences(s.id)
    position = next((n for n, (o, _m) in enumerate(rows, start=1) if o.meeting_id == meeting.id), None)
    return {"id": s.id, "freq": s.freq, "interval": s.interval, "count": s.count, "until": isoformat(s.until),
            "stopped_at": isoformat(s.stopped_at), "position": position, "total": len(rows),
            "recurrence_at": isoformat(occ.recurrence_at)}


def series_to_dict(meeting):
    info = series_info(meeting)
    if info is None:
        raise NotFound(_("This meeting is not part of a series."))
    info["occurrences"] = [
        {"meeting_id": m.id, "recurrence_at": isoformat(o.recurrence_at), "starts_at": isoformat(m.starts_at),
         "status": m.status, "moved": m.starts_at != o.recurrence_at, "title": m.title}
        for o, m in occurrences(info["id"])
    ]
    return info


# -- creating -----------------------------------------------------------------------

def create_series(actor, data):
    """The meeting form's or the API's meeting with ``recurrence``: the series and its occurrences up to the
    horizon; the invitees are told once, of the series. Returns the first meeting."""
    from meetings import services

    if not permissions.can_create(actor):
        raise Forbidden(_("Only leaders and administrators schedule meetings."))
    values, participant_ids, agency_ids, agenda = services._parse(data)
    rule = parse_recurrence(data.get("recurrence"), values["starts_at"])
    chair = services._chair_for(actor, data)
    now = utcnow()
    series = MeetingSeries(freq=rule["freq"], interval=rule["interval"], count=rule["count"], until=rule["until"],
                           dtstart=values["starts_at"], generated_until=values["starts_at"] - timedelta(seconds=1),
                           created_by_id=actor.id, created_at=now)
    db.session.add(series)
    db.session.flush()
    template = {
        "values": {k: v for k, v in values.items() if k not in ("starts_at", "ends_at")},
        "duration": values["ends_at"] - values["starts_at"] if values["ends_at"] else None,
        "chair_id": chair.id, "created_by_id": actor.id, "agenda": agenda,
        "desired": services._desired_invitations(chair, values["secretary_id"], participant_ids, agency_ids),
    }
    made = _generate(series, template, now)
    first = made[0]
    audit.record(actor, "meeting.series_create", first, series_id=series.id, freq=series.freq,
                 interval=series.interval, count=series.count, until=isoformat(series.until), created=len(made),
                 title=first.title, starts_at=isoformat(first.starts_at))
    _tell_series(series, first, [uid for uid in template["desired"] if uid != actor.id], "invited")
    db.session.commit()
    return first


def _generate(series, template, now):
    """Create the occurrences the rule gives from after generated_until up to the horizon."""
    upto = _horizon(max(now, series.dtstart))
    if series.until:
        upto = min(upto, series.until)
    made = []
    for start in starts_between(series, series.generated_until, upto):
        made.append(_add_occurrence(series, start, template, now))
    series.generated_until = max(series.generated_until, upto)
    db.session.flush()
    return made


def _horizon(base):
    """HORIZON_DAYS after ``base`` (the later of now and the first start, so a series starting further ahead
    still gets its first occurrences), or ``base`` itself at the end of the calendar."""
    try:
        return base + timedelta(days=HORIZON_DAYS)
    except OverflowError:
        return base


def _add_occurrence(series, start, template, now):
    from meetings import services

    duration = template["duration"]
    meeting = Meeting(chair_id=template["chair_id"], created_by_id=template["created_by_id"],
                      status=MeetingStatus.SCHEDULED, created_at=now, starts_at=start,
                      ends_at=start + duration if duration else None, **template["values"])
    db.session.add(meeting)
    db.session.flush()
    services._set_agenda(meeting, template["agenda"])
    services._sync_invitations(meeting, template["desired"], now)
    db.session.add(SeriesOccurrence(meeting_id=meeting.id, series_id=series.id, recurrence_at=start))
    return meeting


def _template_from(meeting):
    """What later occurrences copy: the latest occurrence's details, invitations and agenda."""
    return {
        "values": {"title": meeting.title, "description": meeting.description, "place": meeting.place,
                   "online": meeting.online, "bridge_url": meeting.bridge_url, "secretary_id": meeting.secretary_id},
        "duration": meeting.ends_at - meeting.starts_at if meeting.ends_at else None,
        "chair_id": meeting.chair_id, "created_by_id": meeting.created_by_id,
        "agenda": [{"title": a.title, "presenter_id": a.presenter_id, "planned_minutes": a.planned_minutes}
                   for a in db.session.scalars(select(AgendaItem).where(AgendaItem.meeting_id == meeting.id)
                                               .order_by(AgendaItem.position))],
        "desired": {p.user_id: (p.role, p.via_agency_id) for p in db.session.scalars(
            select(Participant).where(Participant.meeting_id == meeting.id))},
    }


def extend_series(now=None):
    """Create the occurrences that came within the horizon (the daily job). Returns how many were made."""
    now = now or utcnow()
    horizon = _horizon(now)
    open_series = db.session.scalars(
        select(MeetingSeries).where(MeetingSeries.stopped_at.is_(None), MeetingSeries.generated_until < horizon,
                                    db.or_(MeetingSeries.until.is_(None), MeetingSeries.generated_until
                                           < MeetingSeries.until))
    ).all()
    made = 0
    for series in open_series:
        rows = occurrences(series.id)
        if not rows:
            continue
        new = _generate(series, _template_from(rows[-1][1]), now)
        if new:
            audit.record(None, "meeting.series_extend", new[0], series_id=series.id, created=len(new))
        made += len(new)
    db.session.commit()
    return made


# -- changing -----------------------------------------------------------------------

def wants_following(data):
    """True when the change asks for this and the following occurrences (``scope``: this | following)."""
    f = Fields(data)
    scope = f.choice("scope", SCOPES, required=False)
    f.check()
    return scope == "following"


def _later(occ):
    """The scheduled meetings of the series after this occurrence, in order."""
    return [m for o, m in occurrences(occ.series_id)
            if o.recurrence_at > occ.recurrence_at and m.status == MeetingStatus.SCHEDULED]


def update_following(actor, meeting, data):
    """Edit this occurrence as asked, then every later scheduled one alike: the same details and invitations,
    each start moved by as much as this one's (a later occurrence moved on its own keeps its own day)."""
    from meetings import services

    data = {k: v for k, v in data.items() if k != "scope"}
    occ = occurrence_of(meeting)
    if occ is None:
        return services.update_meeting(actor, meeting, data)
    old_start, before = meeting.starts_at, _invitees(meeting)
    later = _later(occ)
    services.update_meeting(actor, meeting, data, tell=False)
    delta = meeting.starts_at - old_start
    duration = meeting.ends_at - meeting.starts_at if meeting.ends_at else None
    base = services.current_values(meeting)
    for other in later:
        start = other.starts_at + delta
        services.update_meeting(actor, other, {**base, "starts_at": start,
                                               "ends_at": start + duration if duration else None}, tell=False)
    # told once for them all: the invitees of the edited occurrence, with the series' calendar
    after = _invitees(meeting)
    services.invite(meeting, sorted(before - after), actor, "removed")
    _tell_series(occ.series, meeting, sorted(after - before - {actor.id}), "invited")
    _tell_series(occ.series, meeting, sorted((after & before) - {actor.id}), "changed")
    db.session.commit()
    return meeting


def _invitees(meeting):
    return set(db.session.scalars(select(Participant.user_id).where(Participant.meeting_id == meeting.id)))


def cancel_following(actor, meeting, reason=""):
    """Cancel this occurrence and every later scheduled one, and stop the series. Returns the meetings
    cancelled."""
    from meetings import services

    occ = occurrence_of(meeting)
    if occ is None:
        raise NotFound(_("This meeting is not part of a series."))
    if not permissions.can_manage(actor, meeting):
        raise Forbidden(_("Only the chair can cancel this meeting."))
    if meeting.status != MeetingStatus.SCHEDULED:
        raise Conflict(_("Only a meeting that has not started can be cancelled."), code="not_scheduled")
    later = _later(occ)
    occ.series.stopped_at = occ.recurrence_at
    services.cancel_meeting(actor, meeting, reason)
    for other in later:
        services.cancel_meeting(actor, other, reason, tell=False)
    return [meeting, *later]


def _tell_series(series, first, user_ids, kind):
    """One notification (and e-mail with the series' .ics) per invitee for the whole series: ``invited`` to it,
    or ``changed`` from ``first`` on."""
    if not user_ids:
        return
    from flask import current_app
    from flask_babel import force_locale

    from auth.models import User
    from notifications import mail
    from notifications.services import notify

    users = db.session.scalars(select(User).where(User.id.in_(list(user_ids)))).all()

    def text(user):
        when = datetime_filter(first.starts_at)
        if kind == "changed":
            return _('Recurring meeting changed from %(when)s on: "%(title)s", %(rule)s', title=first.title,
                     rule=rule_label(series), when=when)
        return _('Invitation to a recurring meeting: "%(title)s", %(rule)s, from %(when)s', title=first.title,
                 rule=rule_label(series), when=when)

    notify(users, f"meeting.series_{kind}", text, f"/meetings/{first.id}")
    if not mail.mail_enabled():
        return
    from meetings.ics_series import build_series

    db.session.flush()
    attachment = [("hop-dinh-ky.ics", "text/calendar", build_series(series))]
    for user in users:
        if user.email:
            with force_locale(user.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
                subject = (_("Meeting changed: %(title)s", title=first.title) if kind == "changed"
                           else _("Meeting invitation: %(title)s", title=first.title))
                body = f"{text(user)}\n\n{current_app.config.get('PUBLIC_URL', '').rstrip('/')}/meetings/{first.id}"
            mail.send_after_commit(user.email, subject, body, attachments=attachment)


def rule_label(series):
    """ "weekly", "every 2 months"...: how the pages name a series' rule."""
    if series.freq == RecurrenceFreq.WEEKLY:
        return _("weekly") if series.interval == 1 else _("every %(n)d weeks", n=series.interval)
    return _("monthly") if series.interval == 1 else _("every %(n)d months", n=series.interval)


def form_recurrence(form):
    """The meeting form's repeat fields as the ``recurrence`` the service takes (None: no repeat)."""
    freq = (form.get("repeat") or "").strip()
    if not freq or freq == "none":
        return None
    rule = {"freq": freq}
    if (form.get("repeat_end") or "count") == "until":
        rule["until"] = form.get("repeat_until", "")
    else:
        rule["count"] = form.get("repeat_count", "")
    return rule


register_job("meetings.extend_series", 24 * 3600, extend_series)


@bp.cli.command("extend-series")
def extend_series_command():
    """Create the occurrences of recurring meetings that came within the horizon (daily in the server)."""
    click.echo(f"created {extend_series()} meeting(s)")
