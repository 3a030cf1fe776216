"""What every write to directives shares: history rows, audit, realtime rooms, notifications, the
permission checks that raise. Used by services.py, corrections.py, extensions.py and cascade.py.
"""
from flask_babel import gettext as _
from sqlalchemy import select  # noqa: F401

from auth.models import User
from auth.queries import users_in_agencies
from core import audit
from core.dbtypes import isoformat, utcnow
from core.errors import Conflict, Forbidden, NotFound
from core.extensions import db
from core.realtime import LEADERS_ROOM, agency_leaders_room, agency_room, publish, user_room
from directives import permissions
from directives.models import (
    DONE_STATUSES,
    AssignmentEvent,
    AssignmentStatus,
    DirectiveStatus,
    ExtensionRequest,
    ExtensionStatus,
)
from directives.tracking import tracking_of
from directives.tree import agency_tree


def directive_path(directive_id):
    """The directive page's path (used in notifications and e-mails)."""
    return f"/directives/{directive_id}"


def _plain(data):
    """``data`` with times as ISO text: what an event's and an audit row's JSON hold."""
    return {k: (isoformat(v) if hasattr(v, "isoformat") else v) for k, v in data.items()}


def event_values(assignment, actor, action, from_status, to_status, note=None, now=None, **data):
    """The columns of a history row of ``assignment`` but the assignment's own (add_event, or a bulk INSERT)."""
    return {"actor_id": getattr(actor, "id", None), "created_at": now or utcnow(), "action": action,
            "from_status": from_status, "to_status": to_status, "deadline": assignment.deadline, "note": note,
            "data": _plain(data)}


def add_event(assignment, actor, action, from_status, to_status, note=None, now=None, **data):
    event = AssignmentEvent(assignment=assignment,
                            **event_values(assignment, actor, action, from_status, to_status, note, now, **data))
    db.session.add(event)
    return event


def publish_update(assignment, now=None):
    payload = {
        "directive_id": assignment.directive_id,
        "assignment_id": assignment.id,
        "agency_id": assignment.agency_id,
        "parent_id": assignment.parent_id,
        "status": assignment.status,
        "tracking": tracking_of(assignment, now),
    }
    publish("assignment:updated", payload, to=watching_rooms(assignment))


def watching_rooms(assignment):
    """Who hears of a change to ``assignment`` (and nobody else: a sibling commune does not): the issuer,
    the provincial leaders, the agencies and officers on its path from the root, and the leaders' rooms
    of every agency above it in the agency tree."""
    rooms = [user_room(assignment.directive.issuer_id), LEADERS_ROOM]
    node = assignment
    while node is not None:
        rooms.append(user_room(node.assignee_id) if node.assignee_id else agency_room(node.agency_id))
        node = node.parent if node.parent_id is not None else None
    tree = agency_tree()
    rooms += [agency_leaders_room(i) for i in [assignment.agency_id] + tree.ancestors(assignment.agency_id)]
    return list(dict.fromkeys(rooms))


def require_act(actor, assignment):
    if not permissions.can_view_directive(actor, assignment.directive):
        raise NotFound(_("Assignment not found."))
    if not permissions.can_act(actor, assignment):
        raise Forbidden(_("Only officers of the assigned agency can do this."))


def require_decide(actor, assignment):
    """The leaders of the level that gave ``assignment`` (permissions.can_decide), else 404 or 403."""
    if not permissions.can_view_directive(actor, assignment.directive):
        raise NotFound(_("Directive not found."))
    if not permissions.can_decide(actor, assignment):
        raise Forbidden(_("Only the leaders who gave this assignment can do this."))


def require_cancel(actor, directive):
    if not permissions.can_view_directive(actor, directive):
        raise NotFound(_("Directive not found."))
    if not permissions.can_cancel(actor, directive):
        raise Forbidden(_("Only leaders can do this."))


def require_status(assignment, allowed, action_text):
    if assignment.status not in allowed:
        raise Conflict(
            _("Cannot %(action)s: the assignment is %(status)s.", action=action_text,
              status=status_label(assignment.status)),
            code="invalid_transition",
            status_now=assignment.status,
        )


def status_label(status):
    labels = {
        AssignmentStatus.PENDING: _("not yet acknowledged"),
        AssignmentStatus.ACKNOWLEDGED: _("acknowledged"),
        AssignmentStatus.IN_PROGRESS: _("in progress"),
        AssignmentStatus.SUBMITTED: _("submitted, waiting for acceptance"),
        AssignmentStatus.COMPLETED: _("completed"),
        AssignmentStatus.CANCELLED: _("cancelled"),
    }
    return labels.get(status, status)


def record_change(assignment, actor, action, old_status, now, note=None, **data):
    """What every assignment change does: history, audit, timestamp, realtime."""
    assignment.updated_at = now
    add_event(assignment, actor, action, old_status, assignment.status, note=note, now=now, **data)
    audit.record(actor, f"assignment.{action}", assignment, directive_id=assignment.directive_id,
                 from_status=old_status, to_status=assignment.status, **_plain(data))
    publish_update(assignment, now)


def close_if_done(directive, actor, now):
    """A directive whose assignments are all completed or cancelled is closed."""
    if directive.status == DirectiveStatus.ISSUED and all(a.status in DONE_STATUSES for a in directive.assignments):
        directive.status = DirectiveStatus.CLOSED
        audit.record(actor, "directive.close", directive)


def notify_users(users, kind, text, link, subject=None):
    from notifications.services import notify

    if users:
        notify(users, kind, text, link=link, email_subject=subject)


def notify_officers(agency_ids, kind, text, link, subject=None):
    """Tell the people who act for these agencies (permissions.acts_for_agency). Only what notify reads of
    them is loaded, (id, locale, email) rows, since its texts depend on the language alone (a directive to
    100 agencies tells 500 officers: not 500 whole users)."""
    if agency_ids:
        query = users_in_agencies(agency_ids, permissions.acts_for_agency())
        users = db.session.execute(query.with_only_columns(User.id, User.locale, User.email)).all()
        notify_users(users, kind, text, link, subject=subject)


def reject_pending_extensions(assignment_ids, actor, reason, now):
    """Close the extension requests nobody can decide any more (the directive cancelled, the agency
    taken off), with the reason of that change."""
    db.session.execute(
        db.update(ExtensionRequest)
        .where(ExtensionRequest.status == ExtensionStatus.PENDING, ExtensionRequest.assignment_id.in_(assignment_ids))
        .values(status=ExtensionStatus.REJECTED, decided_by_id=actor.id, decided_at=now, decision_note=reason)
        .execution_options(synchronize_session="fetch")
    )


def check_agency_choice(f, lead_id, support_ids, usable, check_lead=True):
    """Errors on ``f`` for a lead or supporting agency that is not ``usable`` (an id), or a lead that
    also supports."""
    if check_lead and lead_id is not None and not usable(lead_id):
        f.error("lead_agency_id", _("No such agency."))
    bad_support = [i for i in support_ids if not usable(i)]
    if bad_support:
        f.error("support_agency_ids", _("No such agency: %(ids)s", ids=", ".join(map(str, bad_support))))
    elif lead_id is not None and lead_id in support_ids:
        f.error("support_agency_ids", _("The lead agency cannot also be a supporting agency."))


