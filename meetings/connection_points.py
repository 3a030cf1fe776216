"""Connection points (điểm cầu) of a meeting: the halls linked to a provincial online conference, one per
agency, each with many people in front of one camera. The only writer of ConnectionPoint.

A participant declares "I am the connection point of <agency> with N people" (declaring again updates
it); the chair or the secretary corrects or removes one. Every change checks its permission
(meetings.permissions), validates (core.validation), writes an audit row in the same transaction,
queues ``connection_points:updated`` to the meeting's room (emitted after commit) and commits.

The people attending a meeting (attendance, the biên bản) are those counted at the connection points
plus the participants present in the room who operate none (an operator is one of their hall's people).
"""
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from auth.models import Agency
from auth.protocol import agency_key
from core import audit
from core.dbtypes import isoformat, utcnow
from core.errors import Conflict, Forbidden, Invalid, NotFound
from core.extensions import db
from core.realtime import publish
from core.validation import Fields
from meetings import permissions as perms
from meetings.models import MAX_PEOPLE_AT_POINT, ConnectionPoint, MeetingStatus, MinutesStatus, Participant
from meetings.queries import require_not_over, room

EVENT = "connection_points:updated"


# -- reads ----------------------------------------------------------------------------------------

def for_meeting(meeting):
    """The meeting's connection points with their agencies and operators, in protocol order of agencies."""
    rows = db.session.scalars(
        db.select(ConnectionPoint).where(ConnectionPoint.meeting_id == meeting.id)
        .options(db.joinedload(ConnectionPoint.agency), db.joinedload(ConnectionPoint.operator))
    ).all()
    return sorted(rows, key=lambda p: (agency_key(p.agency), p.id))


def point_dict(point):
    return {
        "id": point.id,
        "agency": {"id": point.agency_id, "name": point.agency.name if point.agency else ""},
        "operator": {"id": point.operator_id, "full_name": point.operator.full_name if point.operator else ""},
        "people_present": point.people_present,
        "declared_at": isoformat(point.declared_at),
        "updated_at": isoformat(point.updated_at),
    }


def state(meeting, points=None):
    """{meeting_id, items, points, people}: every point, how many there are and the people at them."""
    points = for_meeting(meeting) if points is None else points
    return {
        "meeting_id": meeting.id,
        "items": [point_dict(p) for p in points],
        "points": len(points),
        "people": sum(p.people_present for p in points),
    }


def invited_agency_ids(meeting):
    """The agencies invited as a whole (their people invited through them)."""
    return set(db.session.scalars(
        db.select(Participant.via_agency_id).where(Participant.meeting_id == meeting.id,
                                                   Participant.via_agency_id.is_not(None)).distinct()
    ))


def agency_choices(user, meeting):
    """The agencies ``user`` may declare a connection point for: the invited ones and their own,
    active, in protocol order; empty for whoever may not declare one."""
    if not perms.can_declare_connection_point(user, meeting):
        return []
    ids = invited_agency_ids(meeting) | ({user.agency_id} if user.agency_id else set())
    if not ids:
        return []
    agencies = db.session.scalars(db.select(Agency).where(Agency.id.in_(ids), Agency.active.is_(True))).all()
    return sorted(agencies, key=agency_key)


def get_point(user, meeting, point_id):
    """The meeting's point with this id (the meeting already visible to ``user``), else NotFound."""
    point = db.session.get(ConnectionPoint, point_id)
    if point is None or point.meeting_id != meeting.id:
        raise NotFound(_("Connection point not found."))
    return point


def _own_point(meeting, user_id):
    return db.session.scalar(db.select(ConnectionPoint).where(ConnectionPoint.meeting_id == meeting.id,
                                                              ConnectionPoint.operator_id == user_id))


# -- validation -------------------------------------------------------------------------------------

def _parse(data, default_agency_id, partial=False):
    """{agency_id, people_present} from a dict; ``partial``: only the fields given (a correction)."""
    f = Fields(data)
    values = {}
    if not partial or f.has("agency_id"):
        agency_id = f.id("agency_id", required=default_agency_id is None, default=default_agency_id)
        values["agency_id"] = agency_id
    if not partial or f.has("people_present"):
        values["people_present"] = f.int("people_present", min_value=1, max_value=MAX_PEOPLE_AT_POINT)
    if partial and not values:
        f.error("people_present", _("This field is required."))
    f.check()
    return values


def _check_agency(meeting, agency_id, operator, point=None):
    """The agency is one of the meeting's invited agencies or the operator's own, active, and has no
    other point in this meeting (its people are counted once); else Invalid on ``agency_id``."""
    allowed = invited_agency_ids(meeting) | ({operator.agency_id} if operator and operator.agency_id else set())
    agency = db.session.get(Agency, agency_id)
    if agency is None or not agency.active or agency_id not in allowed:
        raise Invalid({"agency_id": _("Choose one of the meeting's invited agencies or your own.")})
    taken = db.session.scalar(db.select(ConnectionPoint).where(
        ConnectionPoint.meeting_id == meeting.id, ConnectionPoint.agency_id == agency_id,
        ConnectionPoint.id != (point.id if point is not None else -1)))
    if taken is not None:
        raise Invalid({"agency_id": _("%(agency)s is already a connection point, operated by %(name)s.",
                                      agency=agency.name, name=taken.operator.full_name)})


def _require_open_record(meeting):
    """The chair and the secretary may correct the points until the minutes are final (the biên bản
    is often completed after the meeting); a cancelled meeting has no record to correct."""
    from meetings.minutes import minutes_row

    if meeting.status == MeetingStatus.CANCELLED:
        raise Conflict(_("The meeting was cancelled."), code="meeting_over")
    row = minutes_row(meeting)
    if row is not None and row.status == MinutesStatus.FINAL:
        raise Conflict(_("The minutes are final: the connection points can no longer change."),
                       code="minutes_final")


def _publish(meeting):
    db.session.flush()
    publish(EVENT, state(meeting), to=room(meeting.id))


# -- writes -------------------------------------------------------------------------------------------

def declare(actor, meeting, data):
    """Declare or update the actor's own connection point: {agency_id?, people_present}. The agency
    defaults to the actor's own (and to the point's current one on an update)."""
    if not perms.can_declare_connection_point(actor, meeting):
        raise Forbidden(_("Only the meeting's participants declare a connection point."))
    require_not_over(meeting)
    point = _own_point(meeting, actor.id)
    values = _parse(data, point.agency_id if point is not None else actor.agency_id)
    _check_agency(meeting, values["agency_id"], actor, point)
    now = utcnow()
    if point is None:
        point = ConnectionPoint(meeting_id=meeting.id, operator_id=actor.id, declared_at=now, **values)
        try:
            with db.session.begin_nested():  # two declarations at once: one row, the other is told
                db.session.add(point)
        except IntegrityError:
            raise Conflict(_("This connection point was just declared. Reload and try again."),
                           code="conflict") from None
        point.updated_at, point.updated_by_id = now, actor.id
        audit.record(actor, "connection_point.declare", point, object_type="connection_point",
                     meeting_id=meeting.id, **values)
    else:
        changed = audit.apply_changes(point, values)
        if not changed:
            return point
        point.updated_at, point.updated_by_id = now, actor.id
        audit.record(actor, "connection_point.update", point, object_type="connection_point",
                     meeting_id=meeting.id, changed=changed)
    _publish(meeting)
    db.session.commit()
    return point


def correct(actor, meeting, point, data):
    """The chair or the secretary corrects a point: {agency_id?, people_present?}."""
    if not perms.can_correct_connection_points(actor, meeting):
        raise Forbidden(_("Only the chair or the secretary corrects connection points."))
    _require_open_record(meeting)
    values = _parse(data, None, partial=True)
    if "agency_id" in values:
        _check_agency(meeting, values["agency_id"], point.operator, point)
    changed = audit.apply_changes(point, values)
    if not changed:
        return point
    point.updated_at, point.updated_by_id = utcnow(), actor.id
    audit.record(actor, "connection_point.correct", point, object_type="connection_point", meeting_id=meeting.id,
                 user_id=point.operator_id, changed=changed)
    _publish(meeting)
    db.session.commit()
    return point


def remove(actor, meeting, point):
    """The chair or the secretary removes a point, or its operator withdraws it."""
    if not perms.can_remove_connection_point(actor, meeting, point):
        raise Forbidden(_("Only the chair, the secretary or its operator removes a connection point."))
    if point.operator_id == actor.id and not perms.can_correct_connection_points(actor, meeting):
        require_not_over(meeting)
    else:
        _require_open_record(meeting)
    audit.record(actor, "connection_point.remove", point, object_type="connection_point", meeting_id=meeting.id,
                 user_id=point.operator_id, agency_id=point.agency_id, people_present=point.people_present)
    db.session.delete(point)
    _publish(meeting)
    db.session.commit()


def drop_operators(meeting, user_ids):
    """Participants taken off the invitation no longer operate a point (part of the caller's change,
    which audits and commits)."""
    if not user_ids:
        return
    gone = db.session.execute(
        db.delete(ConnectionPoint).where(ConnectionPoint.meeting_id == meeting.id,
                                         ConnectionPoint.operator_id.in_(list(user_ids)))
    ).rowcount
    if gone:
        _publish(meeting)
