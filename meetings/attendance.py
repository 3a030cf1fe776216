"""Attendance over the invitation list, computed from attendance spans.

The rules are pure functions (no database), so they are easy to test; the reads that feed
them (the attendance table, the present and absent lists of the minutes) follow at the end.

- a user is *present* when at least one of their spans overlaps the meeting's
  window (from the actual start, or from the first join when it never started,
  to the end, or ``now`` while it runs);
- ``present_seconds`` merges overlapping spans (several tabs, several devices)
  so time is never counted twice; open spans count up to ``now``;
- ``late_seconds`` is how long after the start the user first joined: the start
  is the planned time, or the actual start when the chair opened the room later;
  joining within ``grace_seconds`` is not late.
"""
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from auth.models import User
from auth.protocol import person_key
from core.dbtypes import utcnow
from core.errors import Forbidden, NotFound
from core.extensions import db
from meetings import connection_points, permissions
from meetings.models import AttendanceSpan, Participant, ParticipantRole
from meetings.queries import participants_of


@dataclass(frozen=True)
class Span:
    user_id: int
    joined_at: datetime
    left_at: datetime | None  # None while still connected


def merge(intervals):
    """Merge (start, end) pairs that overlap or touch; returns them sorted."""
    out = []
    for start, end in sorted(intervals):
        if end < start:
            continue
        if out and start <= out[-1][1]:
            if end > out[-1][1]:
                out[-1] = (out[-1][0], end)
        else:
            out.append((start, end))
    return out


def reference_start(starts_at, started_at):
    """When lateness is counted from: the planned start, or the real one if later."""
    if started_at is None:
        return starts_at
    return max(starts_at, started_at)


def compute(invitee_ids: Iterable[int], spans: Iterable[Span], *, starts_at, started_at=None, ended_at=None,
            now, grace_seconds=60):
    """One row per invited user (then any uninvited user who joined), in the given order.

    Each row: user_id, invited, status ("present"/"absent"), online, first_joined_at,
    last_left_at (None while online), present_seconds, late_seconds (None if absent), late.
    """
    window = (started_at, ended_at or now)
    by_user = {}
    for span in spans:
        by_user.setdefault(span.user_id, []).append(span)
    order = list(dict.fromkeys(invitee_ids))
    invited = set(order)
    order += [uid for uid in sorted(by_user) if uid not in invited]
    ref = reference_start(starts_at, started_at)
    return [_row(uid, by_user.get(uid, []), uid in invited, window, ended_at, ref, grace_seconds) for uid in order]


def _row(uid, user_spans, invited, window, ended_at, ref, grace_seconds):
    """One user's row of :func:`compute`."""
    merged = _within(user_spans, *window)
    present = bool(merged)
    online = ended_at is None and any(span.left_at is None for span in user_spans)
    first = min(span.joined_at for span in user_spans) if present else None
    late_seconds = _seconds_late(first, ref)
    return {
        "user_id": uid,
        "invited": invited,
        "status": "present" if present else "absent",
        "online": online,
        "first_joined_at": first,
        "last_left_at": _last_left(user_spans, ended_at) if present and not online else None,
        "present_seconds": int(sum((end - start).total_seconds() for start, end in merged)),
        "late_seconds": late_seconds,
        "late": late_seconds is not None and late_seconds > grace_seconds,
    }


def _seconds_late(first_joined, ref):
    """How long after ``ref`` the user first joined (0 when on time); None when they never did."""
    return None if first_joined is None else max(0, int((first_joined - ref).total_seconds()))


def _within(user_spans, window_start, window_end):
    """The spans cut to the meeting's window (from its start, when it started) and merged."""
    clipped = []
    for span in user_spans:
        start = span.joined_at if window_start is None else max(span.joined_at, window_start)
        end = min(span.left_at or window_end, window_end)
        if end >= start:
            clipped.append((start, end))
    return merge(clipped)


def _last_left(user_spans, ended_at):
    """When the user's last socket left, never later than the meeting's end."""
    last_left = max((span.left_at for span in user_spans if span.left_at is not None), default=None)
    if ended_at is not None and (last_left is None or last_left > ended_at):
        return ended_at
    return last_left


def format_duration(seconds):
    """h:mm:ss for tables and exports."""
    if seconds is None:
        return ""
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


# -- reads: the attendance table, and who was there for the minutes ------------------------------

def table(user, meeting, now=None):
    """Rows for the attendance table / API over the whole invitation list (and uninvited joiners)."""
    if not permissions.can_see_attendance(user, meeting):
        if permissions.can_view(user, meeting):
            raise Forbidden(_("Only the chair, the secretary and leaders see attendance."))
        raise NotFound(_("Meeting not found."))
    participants = participants_of(meeting)
    rows = compute(
        [p.user_id for p in participants], _spans(meeting), starts_at=meeting.starts_at,
        started_at=meeting.started_at, ended_at=meeting.ended_at if meeting.is_over else None, now=now or utcnow(),
    )
    _add_people(rows, participants)
    return rows


def _spans(meeting):
    return [
        Span(uid, joined, left)
        for uid, joined, left in db.session.execute(
            db.select(AttendanceSpan.user_id, AttendanceSpan.joined_at, AttendanceSpan.left_at)
            .where(AttendanceSpan.meeting_id == meeting.id)
        )
    ]


def _add_people(rows, participants):
    """Name, agency, role and when they joined the call on each row; an uninvited joiner is a guest."""
    by_id = {p.user_id: p for p in participants}
    others = _users_by_id([r["user_id"] for r in rows if r["user_id"] not in by_id])
    names = representation_names(participants)
    for row in rows:
        p = by_id.get(row["user_id"])
        person = p.user if p else others.get(row["user_id"])
        row["full_name"] = person.full_name if person else ""
        row["agency"] = person.agency.name if person and person.agency else ""
        row["role"] = p.role if p else ParticipantRole.GUEST
        row["joined_call_at"] = p.joined_call_at if p else None
        row["response"] = p.response if p else None
        row["representation"] = representation(p, names) if p else ""


def representation_names(participants):
    """{user id: full name} of the invitees and of anyone a substitute stands in for."""
    names = {p.user_id: p.user.full_name for p in participants}
    missing = [p.substitute_for_id for p in participants if p.substitute_for_id and p.substitute_for_id not in names]
    names.update({uid: u.full_name for uid, u in _users_by_id(missing).items()})
    return names


def representation(p, names):
    """How an invitation was answered for the agency: "sends X in their place", "in place of Y", "declined:
    reason" (the biên bản and the attendance table show it beside the name)."""
    if p.substitute_id:
        return _("Sends %(name)s in their place", name=names.get(p.substitute_id, ""))
    if p.substitute_for_id:
        return _("In place of %(name)s", name=names.get(p.substitute_for_id, ""))
    if p.response == "decline":
        return _("Declined: %(reason)s", reason=p.response_reason) if p.response_reason else _("Sent apologies")
    return ""


def _users_by_id(ids):
    if not ids:
        return {}
    users = db.session.scalars(db.select(User).where(User.id.in_(ids)).options(joinedload(User.agency)))
    return {u.id: u for u in users}


def present_and_absent(meeting):
    """(present, absent) as [(user, role)]: invited users who joined the live room at least once,
    and the others, in protocol order as in a biên bản."""
    joined = db.select(AttendanceSpan.user_id).where(AttendanceSpan.meeting_id == meeting.id).distinct()
    rows = db.session.execute(
        db.select(User, Participant.role, User.id.in_(joined))
        .join(Participant, Participant.user_id == User.id)
        .where(Participant.meeting_id == meeting.id)
        .options(joinedload(User.agency))
    ).all()
    rows = sorted(rows, key=lambda row: person_key(row[0]))
    present = [(user, role) for user, role, was_there in rows if was_there]
    absent = [(user, role) for user, role, was_there in rows if not was_there]
    return present, absent


def people_total(points, present_user_ids):
    """How many people attended: those counted at the connection points, and each participant present
    in the room who operates none (an operator is one of their hall's people, counted there)."""
    operators = {p.operator_id for p in points}
    return sum(p.people_present for p in points) + len(set(present_user_ids) - operators)


def summary(meeting, rows):
    """The attendance table's foot: {connection_points: [...], points, people_at_points, people_total}."""
    points = connection_points.for_meeting(meeting)
    present = [row["user_id"] for row in rows if row["status"] == "present"]
    return {
        "connection_points": [connection_points.point_dict(p) for p in points],
        "points": len(points),
        "people_at_points": sum(p.people_present for p in points),
        "people_total": people_total(points, present),
    }


def joined_call(meeting_id, user_id, now=None):
    """Note that the participant joined the meeting's call: the first time is kept (a conditional UPDATE,
    so two joins at once write once). Part of the caller's transaction (meetings.call.join commits)."""
    db.session.execute(
        db.update(Participant)
        .where(Participant.meeting_id == meeting_id, Participant.user_id == user_id,
               Participant.joined_call_at.is_(None))
        .values(joined_call_at=now or utcnow())
    )


def call_joiners(meeting):
    """{user_id: first joined the call} of the meeting's participants who joined its call."""
    return dict(db.session.execute(
        db.select(Participant.user_id, Participant.joined_call_at)
        .where(Participant.meeting_id == meeting.id, Participant.joined_call_at.is_not(None))
    ).all())
