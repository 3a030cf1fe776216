"""Extensions: an agency asks for a later deadline, a leader approves (the deadline moves) or rejects it."""
from flask_babel import gettext as _
from sqlalchemy import select

from core.dbtypes import utcnow
from core.errors import Conflict
from core.extensions import db
from core.validation import Fields
from directives import cascade
from directives.models import (
    AGENCY_OPEN_STATUSES,
    OPEN_STATUSES,
    AssignmentRole,
    EventAction,
    ExtensionRequest,
    ExtensionStatus,
)
from directives.services import (
    NOTE_MAX,
    holder_name,
    notify_agency,
    notify_giver,
    record_change,
    require_act,
    require_decide,
    require_status,
)


def request_extension(actor, assignment, data, now=None):
    """Ask for a later deadline. data: deadline, reason. One pending request at a time."""
    require_act(actor, assignment)
    now = now or utcnow()
    f = Fields(data)
    deadline = f.datetime("deadline")
    reason = f.str("reason", max_len=NOTE_MAX, multiline=True)
    if deadline is not None and deadline <= max(assignment.deadline, now):
        f.error("deadline", _("The new deadline must be later than the current one."))
    else:
        cascade.check_extension_deadline(f, assignment, deadline)
    f.check()
    require_status(assignment, AGENCY_OPEN_STATUSES, _("ask for an extension"))
    pending = db.session.scalar(
        select(ExtensionRequest.id).where(ExtensionRequest.assignment_id == assignment.id,
                                          ExtensionRequest.status == ExtensionStatus.PENDING)
    )
    if pending:
        raise Conflict(_("An extension request is already waiting for a decision."), code="extension_pending")
    ext = ExtensionRequest(assignment=assignment, requested_by_id=actor.id, created_at=now,
                           requested_deadline=deadline, old_deadline=assignment.deadline, reason=reason,
                           status=ExtensionStatus.PENDING)
    db.session.add(ext)
    db.session.flush()
    record_change(assignment, actor, EventAction.EXTENSION_REQUEST, assignment.status, now, note=reason,
             extension_id=ext.id, requested_deadline=deadline, old_deadline=assignment.deadline)
    notify_giver(assignment, "directive.extension_requested",
                 lambda u: _("%(agency)s asks for more time on %(number)s", agency=holder_name(assignment),
                             number=assignment.directive.number))
    db.session.commit()
    return ext



def _decidable_extension(actor, ext):
    assignment = ext.assignment
    require_decide(actor, assignment)
    if ext.status != ExtensionStatus.PENDING:
        raise Conflict(_("This extension request was already decided."), code="invalid_transition")
    require_status(assignment, AGENCY_OPEN_STATUSES, _("decide an extension"))
    return assignment


def approve_extension(actor, ext, now=None):
    """Approve: the assignment's deadline moves; the old one stays in the history.

    For the lead agency, supporting agencies still at work whose deadline was the lead's (the usual
    case: one deadline given at issue) move with it, each with a ``deadline_follow`` history row:
    a supporting agency serves the lead's task and is not held to a date the lead no longer has.
    A supporting agency with a deadline of its own (an extension it got, say) keeps it."""
    assignment = _decidable_extension(actor, ext)
    if ext.requested_deadline <= assignment.deadline:
        # the deadline moved meanwhile (with the lead agency's): approving would pull it back
        raise Conflict(_("The deadline is already %(when)s, not earlier than the one asked for; reject this "
                         "request.", when=_when(assignment.deadline)), code="extension_superseded")
    cascade.require_within_parent(assignment, ext.requested_deadline)
    now = now or utcnow()
    old_deadline = assignment.deadline
    ext.status = ExtensionStatus.APPROVED
    ext.decided_by_id = actor.id
    ext.decided_at = now
    assignment.deadline = ext.requested_deadline
    record_change(assignment, actor, EventAction.EXTENSION_APPROVE, assignment.status, now, extension_id=ext.id,
             old_deadline=old_deadline, new_deadline=ext.requested_deadline)
    notify_agency(assignment, "directive.extension_approved",
                   lambda u: _("The extension for %(number)s was approved", number=assignment.directive.number))
    if assignment.role == AssignmentRole.LEAD and assignment.parent_id is None:
        _move_supporting_deadlines(actor, assignment, ext, old_deadline, now)
    db.session.commit()
    return ext


def _move_supporting_deadlines(actor, lead, ext, old_deadline, now):
    """The lead's deadline moved from ``old_deadline``: the supporting assignments still open that had
    that same deadline follow it, recorded in their history as a consequence of the lead's extension."""
    directive = lead.directive
    for support in directive.assignments:
        if (support.parent_id is not None or support.role != AssignmentRole.SUPPORT
                or support.status not in OPEN_STATUSES
                or support.deadline != old_deadline):
            continue
        support.deadline = lead.deadline
        record_change(support, actor, EventAction.DEADLINE_FOLLOW, support.status, now, extension_id=ext.id,
                 lead_assignment_id=lead.id, old_deadline=old_deadline, new_deadline=lead.deadline)
        notify_agency(support, "directive.deadline_moved",
                       lambda u, support=support: _(
                           "The deadline of %(number)s moved to %(when)s with the lead agency %(agency)s's extension",
                           number=directive.number, when=_when(support.deadline), agency=lead.agency.name))


def _when(value):
    """A deadline as people read it in a message: the display zone, dd/mm/yyyy HH:MM."""
    from core.i18n import datetime_filter

    return datetime_filter(value)


def reject_extension(actor, ext, data=None, now=None):
    """Reject: the deadline stays. data: reason (required, as for a return: the agency must know why;
    kept in the history and sent to the agency)."""
    assignment = _decidable_extension(actor, ext)
    f = Fields(data or {})
    reason = f.str("reason", max_len=NOTE_MAX, multiline=True)
    f.check()
    now = now or utcnow()
    ext.status = ExtensionStatus.REJECTED
    ext.decided_by_id = actor.id
    ext.decided_at = now
    ext.decision_note = reason
    record_change(assignment, actor, EventAction.EXTENSION_REJECT, assignment.status, now, note=reason,
                  extension_id=ext.id,
             requested_deadline=ext.requested_deadline)
    notify_agency(assignment, "directive.extension_rejected",
                   lambda u: _("The extension for %(number)s was rejected: %(reason)s",
                               number=assignment.directive.number, reason=reason))
    db.session.commit()
    return ext

