"""The speaker queue: raised hands in order, the floor given and taken by the chair. The only
writer of speaker requests.

Every action checks its permission (meetings.permissions), writes an audit row in the same
transaction, queues its realtime event (emitted after commit) and commits.
"""
from flask_babel import gettext as _

from auth.queries import user_brief
from core import audit
from core.dbtypes import isoformat, utcnow
from core.errors import Conflict, Forbidden, NotFound
from core.extensions import db
from core.realtime import publish
from meetings import permissions as perms
from meetings.models import SPEAKER_ACTIVE, SpeakerRequest, SpeakerStatus
from meetings.queries import require_not_over, room, visible_meeting


def speakers_state(meeting):
    """{meeting_id, current, queue}: who has the floor and who waits, in order of raised hands."""
    rows = db.session.scalars(
        db.select(SpeakerRequest)
        .where(SpeakerRequest.meeting_id == meeting.id, SpeakerRequest.status.in_(SPEAKER_ACTIVE))
        .options(db.joinedload(SpeakerRequest.user))
        .order_by(SpeakerRequest.requested_at, SpeakerRequest.id)
    ).all()
    current = next((r for r in rows if r.status == SpeakerStatus.SPEAKING), None)
    return {
        "meeting_id": meeting.id,
        "current": _speaker_dict(current) if current else None,
        "queue": [_speaker_dict(r) for r in rows if r.status == SpeakerStatus.WAITING],
    }


def _speaker_dict(req):
    return {
        "id": req.id,
        "user": user_brief(req.user),
        "status": req.status,
        "requested_at": isoformat(req.requested_at),
        "granted_at": isoformat(req.granted_at),
    }


def _publish_speakers(meeting):
    db.session.flush()
    publish("speakers:updated", speakers_state(meeting), to=room(meeting.id))


def _active_request(meeting, user_id):
    return db.session.scalar(
        db.select(SpeakerRequest)
        .where(SpeakerRequest.meeting_id == meeting.id, SpeakerRequest.user_id == user_id,
               SpeakerRequest.status.in_(SPEAKER_ACTIVE))
        .order_by(SpeakerRequest.id)
    )


def raise_hand(actor, meeting):
    """Ask for the floor; asking again while waiting changes nothing (the place in the queue is kept)."""
    if not perms.can_request_floor(actor, meeting):
        raise Forbidden(_("Only the meeting's participants ask for the floor."))
    require_not_over(meeting)
    existing = _active_request(meeting, actor.id)
    if existing is not None:
        return existing
    req = SpeakerRequest(meeting_id=meeting.id, user_id=actor.id, status=SpeakerStatus.WAITING, requested_at=utcnow())
    db.session.add(req)
    audit.record(actor, "speaker.raise", req, object_type="speaker_request", meeting_id=meeting.id)
    _publish_speakers(meeting)
    db.session.commit()
    return req


def lower_hand(actor, meeting):
    """Withdraw one's own request (or end one's own turn). Nothing to withdraw: nothing changes."""
    if not perms.can_request_floor(actor, meeting):
        raise Forbidden(_("Only the meeting's participants ask for the floor."))
    req = _active_request(meeting, actor.id)
    if req is None:
        return None
    req.status = SpeakerStatus.WITHDRAWN if req.status == SpeakerStatus.WAITING else SpeakerStatus.DONE
    req.ended_at = utcnow()
    audit.record(actor, "speaker.lower", req, object_type="speaker_request", meeting_id=meeting.id)
    _publish_speakers(meeting)
    db.session.commit()
    return req


def get_speaker_request(user, request_id):
    req = db.session.get(SpeakerRequest, request_id) if request_id is not None else None
    meeting = visible_meeting(user, req.meeting_id) if req is not None else None
    if meeting is None:
        raise NotFound(_("Request not found."))
    return req, meeting


def grant_floor(actor, req, meeting):
    """The chair gives the floor: the current speaker (if any) is done, this request speaks."""
    if not perms.can_run_speakers(actor, meeting):
        raise Forbidden(_("Only the chair gives the floor."))
    if req.status == SpeakerStatus.SPEAKING:
        return req
    if req.status != SpeakerStatus.WAITING:
        raise Conflict(_("This request is no longer waiting."), code="not_waiting")
    now = utcnow()
    for current in db.session.scalars(
        db.select(SpeakerRequest).where(SpeakerRequest.meeting_id == meeting.id,
                                        SpeakerRequest.status == SpeakerStatus.SPEAKING)
    ):
        current.status, current.ended_at = SpeakerStatus.DONE, now
    req.status, req.granted_at = SpeakerStatus.SPEAKING, now
    audit.record(actor, "speaker.grant", req, object_type="speaker_request", meeting_id=meeting.id,
                 user_id=req.user_id)
    _publish_speakers(meeting)
    db.session.commit()
    return req


def remove_request(actor, req, meeting):
    """The chair removes a request from the queue (or takes the floor back)."""
    if not perms.can_run_speakers(actor, meeting):
        raise Forbidden(_("Only the chair manages the speaker queue."))
    if req.status not in SPEAKER_ACTIVE:
        return req
    req.status = SpeakerStatus.REMOVED if req.status == SpeakerStatus.WAITING else SpeakerStatus.DONE
    req.ended_at = utcnow()
    audit.record(actor, "speaker.remove", req, object_type="speaker_request", meeting_id=meeting.id,
                 user_id=req.user_id)
    _publish_speakers(meeting)
    db.session.commit()
    return req



def lower_all_hands(actor, meeting):
    """The chair lowers every hand still waiting (the current speaker keeps the floor). Returns how many."""
    if not perms.can_run_speakers(actor, meeting):
        raise Forbidden(_("Only the chair manages the speaker queue."))
    waiting = db.session.scalars(db.select(SpeakerRequest).where(
        SpeakerRequest.meeting_id == meeting.id, SpeakerRequest.status == SpeakerStatus.WAITING)).all()
    if not waiting:
        return 0
    now = utcnow()
    for req in waiting:
        req.status, req.ended_at = SpeakerStatus.REMOVED, now
    audit.record(actor, "speaker.lower_all", meeting, user_ids=sorted(r.user_id for r in waiting))
    _publish_speakers(meeting)
    db.session.commit()
    return len(waiting)


def clear(meeting):
    """Empty the queue of a meeting that is over: the speaker's turn is done, the waiting hands removed."""
    now = utcnow()
    requests = db.session.scalars(
        db.select(SpeakerRequest).where(SpeakerRequest.meeting_id == meeting.id,
                                        SpeakerRequest.status.in_(SPEAKER_ACTIVE))
    ).all()
    for req in requests:
        req.status = SpeakerStatus.DONE if req.status == SpeakerStatus.SPEAKING else SpeakerStatus.REMOVED
        req.ended_at = now
    if requests:
        publish("speakers:updated", {"meeting_id": meeting.id, "current": None, "queue": []}, to=room(meeting.id))
