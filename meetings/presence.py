"""Presence in the live room: one attendance span per socket, opened on join and closed on
leave, disconnect, the end of the meeting or a sweep of sockets gone with their process.

Presence is published (``meeting:presence``) only when someone's first socket arrives or
their last one leaves, and then coalesced: at most one list every 250 ms per room.
"""

from core.dbtypes import utcnow
from core.extensions import db
from core.realtime import SocketConnection, is_connected, publish_coalesced
from core.validation import payload_id
from meetings import permissions
from meetings.models import AttendanceSpan
from meetings.queries import load, meeting_for_socket, room


def present_user_ids(meeting_id):
    """Users with an open attendance span (a socket in the room), sorted.

    A Core query on the table, not on the mapped class: every join's ack carries the list, a row per person
    present, and ORM rows cost about twice as much (2,000 people: ~6 ms instead of ~15)."""
    spans = AttendanceSpan.__table__.c
    return db.session.execute(
        db.select(spans.user_id).distinct().where(spans.meeting_id == meeting_id, spans.left_at.is_(None))
        .order_by(spans.user_id)
    ).scalars().all()


def _user_open_spans(meeting_id, user_id):
    return db.session.scalar(
        db.select(db.func.count(AttendanceSpan.id)).where(
            AttendanceSpan.meeting_id == meeting_id, AttendanceSpan.user_id == user_id,
            AttendanceSpan.left_at.is_(None))
    )


def _publish_presence(meeting_id):
    """The room's presence list, sent at most every 250 ms and read when it goes out (many joins at once
    cost one list, not one per join to every socket)."""
    publish_coalesced("meeting:presence", lambda: {"meeting_id": meeting_id, "present": present_user_ids(meeting_id)},
                      to=room(meeting_id))


def join(user, data, sid, now=None):
    """A socket enters the room: an attendance span opens while the meeting runs.

    Returns (meeting, last_message_id). The caller puts the socket in the room,
    then asks :func:`replay` for what it missed, so nothing falls in between.
    """
    meeting = meeting_for_socket(user, data)
    last_id = payload_id(data, "last_message_id", required=False, minimum=0)
    if not meeting.is_over and is_connected(sid):
        # the user's open spans in this room: one read says whether this socket is in already and whether
        # the user was present before it (presence is published only when their first socket arrives)
        open_sids = db.session.scalars(
            db.select(AttendanceSpan.sid).where(AttendanceSpan.meeting_id == meeting.id,
                                                AttendanceSpan.user_id == user.id, AttendanceSpan.left_at.is_(None))
        ).all()
        if sid not in open_sids:
            db.session.execute(db.insert(AttendanceSpan).values(meeting_id=meeting.id, user_id=user.id, sid=sid,
                                                                joined_at=now or utcnow()))
            if not open_sids:
                _publish_presence(meeting.id)
            db.session.commit()
    return meeting, last_id


def still_allowed(user, meeting):
    """Read again after the socket entered the room: an invitation withdrawn between the join's
    check and the room entry must not leave the socket inside."""
    db.session.commit()  # a new transaction (and snapshot) for the second look
    fresh = load(meeting.id)
    return fresh is not None and permissions.can_join(user, fresh)


def close_spans(criteria, now=None):
    """Close open spans matching ``criteria``; publish presence where someone's last socket left."""
    spans = db.session.scalars(db.select(AttendanceSpan).where(AttendanceSpan.left_at.is_(None), *criteria)).all()
    if not spans:
        return 0
    now = now or utcnow()
    for span in spans:
        span.left_at = max(now, span.joined_at)
    db.session.flush()
    for meeting_id, user_id in {(s.meeting_id, s.user_id) for s in spans}:
        if _user_open_spans(meeting_id, user_id) == 0:
            _publish_presence(meeting_id)
    return len(spans)


def sweep_orphan_spans(now=None):
    """Close open spans whose socket is gone (its SocketConnection row was removed), e.g. a
    disconnect that raced a join. A scheduled job runs it; returns how many it closed."""
    live_sids = db.select(SocketConnection.sid)
    closed = close_spans([AttendanceSpan.sid.not_in(live_sids)], now=now)
    db.session.commit()
    return closed


def leave(user, data, sid):
    meeting = meeting_for_socket(user, data)
    close_spans([AttendanceSpan.meeting_id == meeting.id, AttendanceSpan.sid == sid])
    db.session.commit()
    return meeting


def close_socket(connection):
    """Disconnect hook: the socket's spans close (also for sockets of crashed processes)."""
    close_spans([AttendanceSpan.sid == connection.sid])
    # the caller (core.realtime) commits
