"""Reads of meetings that every part of the module shares: the meeting a user may see, its
room, its participants, the list and home pages. No writes here (services do those)."""
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload, selectinload

from auth.models import User
from auth.protocol import person_key
from core.dbtypes import utcnow
from core.errors import Conflict, NotFound
from core.extensions import db
from core.validation import display_zone, payload_id
from meetings import permissions
from meetings.models import MEETING_OVER, AgendaItem, Meeting, MeetingStatus, Participant, ParticipantRole


def room(meeting_id):
    """The Socket.IO room of one meeting."""
    return f"meeting:{meeting_id}"


def load(meeting_id, *options):
    """The meeting with this id (an int or its text), or None."""
    try:
        meeting_id = int(meeting_id)
    except (TypeError, ValueError):
        return None
    if options:
        return db.session.scalar(db.select(Meeting).where(Meeting.id == meeting_id).options(*options))
    return db.session.get(Meeting, meeting_id)


def get_meeting(user, meeting_id, full=False):
    """The meeting if ``user`` may see it; NotFound otherwise (also when it exists)."""
    options = ()
    if full:
        options = (
            selectinload(Meeting.participants).joinedload(Participant.user).joinedload(User.agency),
            selectinload(Meeting.agenda_items).joinedload(AgendaItem.presenter),
            joinedload(Meeting.chair),
            joinedload(Meeting.secretary),
        )
    meeting = load(meeting_id, *options)
    if meeting is None or not permissions.can_view(user, meeting):
        raise NotFound(_("Meeting not found."))
    return meeting


def visible_meeting(user, meeting_id):
    """The meeting if the user may see it, else None."""
    meeting = load(meeting_id)
    return meeting if meeting is not None and permissions.can_view(user, meeting) else None


def meeting_for_socket(user, data):
    """The meeting named in a socket payload, or the ack error the API contract names.

    A meeting the user may not join answers exactly as one that does not exist: no id oracle."""
    meeting = load(payload_id(data, "meeting_id"))
    if meeting is None or not permissions.can_join(user, meeting):
        raise NotFound(_("Meeting not found."))
    return meeting


#: one statement object for every message: SQLAlchemy computes its cache key once, not per execution
_CHAT_MEETING = (db.select(Meeting).where(Meeting.id == db.bindparam("id"))
                 .execution_options(populate_existing=True))


def meeting_for_chat(user, data, sid=None):
    """As meeting_for_socket, for a chat message: the meeting's row is read on every message (its state),
    the invitation only when socket ``sid`` has no check made at the row's access_version. That number
    grows in the transaction of every change to who may join, so the check kept is exact on every process,
    with no timer and no message bus."""
    # populate_existing: read now, even when the session already holds the meeting
    meeting = db.session.scalar(_CHAT_MEETING, {"id": payload_id(data, "meeting_id")})
    if meeting is None or not _may_join(user, meeting, sid):
        raise NotFound(_("Meeting not found."))
    return meeting


def _socket_access():
    """{sid: {meeting_id: (access_version, the user's facts, allowed)}} of this process's sockets."""
    return current_app.extensions.setdefault("meetings.socket_access", {})


def _may_join(user, meeting, sid):
    if sid is None:
        return permissions.can_join(user, meeting)
    # what can_join reads of the user as this event loaded it (all but the kind of their agency, which
    # only a leader's check reads: changing an agency's kind must close its users' sockets)
    facts = (user.id, user.role, user.agency_id, user.active)
    kept = _socket_access().get(sid, {}).get(meeting.id)
    if kept is not None and kept[0] == meeting.access_version and kept[1] == facts:
        return kept[2]
    allowed = permissions.can_join(user, meeting)
    _socket_access().setdefault(sid, {})[meeting.id] = (meeting.access_version, facts, allowed)
    return allowed


def forget_socket(conn):
    """Disconnect hook: the socket's checks go with it."""
    _socket_access().pop(conn.sid, None)


def require_not_over(meeting):
    """Votes and raised hands belong to a meeting that is still to come or live."""
    if meeting.is_over:
        raise Conflict(_("The meeting is over."), code="meeting_over")


def participants_of(meeting):
    """Participant rows with users and agencies: the chair, the secretary, then protocol order."""
    rows = db.session.scalars(
        db.select(Participant)
        .join(User, User.id == Participant.user_id)
        .where(Participant.meeting_id == meeting.id)
        .options(joinedload(Participant.user).joinedload(User.agency))
    ).all()
    rank = {role: n for n, role in enumerate(ParticipantRole)}  # chair, secretary, member, guest
    return sorted(rows, key=lambda p: (rank.get(p.role, 9), person_key(p.user)))


def invitable_users():
    """Every active user with their agency, in protocol order: the meeting form's pickers."""
    users = db.session.scalars(db.select(User).where(User.active.is_(True)).options(joinedload(User.agency))).all()
    return sorted(users, key=person_key)


def list_for(user, scope="mine"):
    """Meetings for the list page: {"live": [...], "upcoming": [...], "past": [...]}.

    ``scope="all"`` (leaders and admins) lists every meeting, otherwise the ones
    the user is invited to.
    """
    query = db.select(Meeting).options(joinedload(Meeting.chair))
    if not (scope == "all" and permissions.is_staff(user)):
        invited = db.select(Participant.meeting_id).where(Participant.user_id == user.id)
        query = query.where(db.or_(Meeting.id.in_(invited), Meeting.chair_id == user.id))
    live = db.session.scalars(
        query.where(Meeting.status == MeetingStatus.LIVE).order_by(Meeting.started_at.desc())
    ).all()
    upcoming = db.session.scalars(
        query.where(Meeting.status == MeetingStatus.SCHEDULED).order_by(Meeting.starts_at)
    ).all()
    past = db.session.scalars(
        query.where(Meeting.status.in_(MEETING_OVER))
        .order_by(db.func.coalesce(Meeting.ended_at, Meeting.starts_at).desc())
        .limit(100)
    ).all()
    counts = participant_counts([m.id for m in live + upcoming + past])
    return {"live": live, "upcoming": upcoming, "past": past, "counts": counts}


def participant_counts(meeting_ids):
    if not meeting_ids:
        return {}
    return dict(
        db.session.execute(
            db.select(Participant.meeting_id, db.func.count(Participant.id))
            .where(Participant.meeting_id.in_(meeting_ids))
            .group_by(Participant.meeting_id)
        ).all()
    )


def today_for(user, now=None):
    """The home section: the user's live meetings and those planned for today (display time zone)."""
    now = now or utcnow()
    local = now.astimezone(display_zone())
    day_start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    day_end = day_start + timedelta(days=1)
    invited = db.select(Participant.meeting_id).where(Participant.user_id == user.id)
    rows = db.session.scalars(
        db.select(Meeting)
        .where(Meeting.id.in_(invited))
        .where(
            db.or_(
                Meeting.status == MeetingStatus.LIVE,
                db.and_(Meeting.status == MeetingStatus.SCHEDULED, Meeting.starts_at >= day_start,
                        Meeting.starts_at < day_end),
            )
        )
        .order_by(Meeting.status != MeetingStatus.LIVE, Meeting.starts_at)
        .options(joinedload(Meeting.chair))
    ).all()
    return rows
