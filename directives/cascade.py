"""The cascade: an assignment passed on down the agency tree (province → district → commune → the officer
who handles it), and the rules that tie a parent to its children. Writes, like services.py.

- Passing on (giao tiếp): whoever holds an agency's assignment gives it, whole or in part, to agencies
  under that agency and/or to named officers of it, each with a deadline not after its own and a note.
  Each child is an Assignment with ``parent_id`` and goes through the same lifecycle; the agency that
  passed it on accepts or returns its result (permissions.can_decide).
- Roll-up: a parent's branch progress is the mean of its children's (tree.Node.rolled_progress); a parent
  cannot be submitted while a child is still open unless the submitter says why (``children_note``);
  when a parent is accepted, children still open are closed (cancelled) with that reason.
- Deadlines: a child's deadline is never after its parent's; an extension for a child past the parent's
  deadline is refused until the parent's deadline moves; a parent's deadline moved earlier (a correction)
  pulls its children's along.
- Approval inside the agency: an officer's result for the agency waits for a leader of the agency
  (approved_at stays null) when the agency asks for it and has an active leader; the leader approves it
  (it goes up) or returns it with a reason.
"""
from flask_babel import gettext as _
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError

from auth.models import Agency, User
from core.dbtypes import utcnow
from core.errors import Conflict, Forbidden, NotFound
from core.extensions import db
from core.validation import Fields
from directives import permissions
from directives.models import (
    AGENCY_OPEN_STATUSES,
    Assignment,
    AssignmentStatus,
    DirectiveStatus,
    EventAction,
)
from directives.services import (
    NOTE_MAX,
    add_event,
    directive_path,
    notify_officers,
    notify_users,
    publish_new,
    publish_update,
    record_change,
    reject_pending_extensions,
    require_status,
)
from directives.tree import agency_tree, descendants


def pass_on(actor, assignment, data, now=None):
    """Pass ``assignment`` on. data: agency_ids (agencies under its agency), user_ids (officers of its
    agency), deadline (not after the assignment's own, in the future), note. Returns the new children.

    A pending assignment is acknowledged by passing it on (the agency has clearly taken it in).
    Any bad field raises Invalid naming it and creates nothing."""
    if not permissions.can_view_directive(actor, assignment.directive):
        raise NotFound(_("Assignment not found."))
    if not permissions.holds(actor, assignment) or assignment.assignee_id is not None:
        raise Forbidden(_("Only the agency holding this assignment can pass it on."))
    now = now or utcnow()
    f = Fields(data)
    agency_ids = f.int_list("agency_ids")
    user_ids = f.int_list("user_ids")
    deadline = f.datetime("deadline")
    note = f.str("note", required=False, max_len=NOTE_MAX, multiline=True)
    if deadline is not None and deadline > assignment.deadline:
        f.error("deadline", _("The deadline cannot be after this assignment's own (%(when)s).",
                              when=_when(assignment.deadline)))
    elif deadline is not None and deadline <= now:
        f.error("deadline", _("The deadline must be in the future."))
    agencies, users = _receivers(f, assignment, agency_ids, user_ids)
    f.check()
    if assignment.directive.status != DirectiveStatus.ISSUED:
        raise Conflict(_("The directive is no longer in force."), code="invalid_transition")
    require_status(assignment, AGENCY_OPEN_STATUSES, _("pass it on"))
    values = {"role": assignment.role, "parent_id": assignment.id, "assigned_by_id": actor.id, "note": note,
              "status": AssignmentStatus.PENDING, "deadline": deadline, "updated_at": now}
    revived = {}
    try:
        # made inside the savepoint: begin_nested() flushes first, and a child already in the directive's
        # assignments but not yet in the session would be skipped with a warning
        with db.session.begin_nested():
            children = [_child(assignment, agency.id, None, values, revived) for agency in agencies]
            children += [_child(assignment, assignment.agency_id, user.id, values, revived) for user in users]
            db.session.flush()
    except IntegrityError:  # another holder passed it to the same agency or officer at the same moment
        raise Conflict(_("This directive was just passed to one of them; reload the page."),
                       code="already_assigned") from None
    _record_pass_on(actor, assignment, children, agencies, users, deadline, note, now, revived)
    db.session.commit()
    return children


#: what a revived share starts again without (it is given anew)
_RESET = ("first_seen_at", "first_seen_by_id", "acknowledged_at", "acknowledged_by_id", "submitted_at",
          "completed_at", "completed_by_id", "approved_at", "approved_by_id")


def _child(parent, agency_id, assignee_id, values, revived):
    """The child for one receiver: a new Assignment, or the receiver's cancelled one given anew (an agency
    or officer holds a directive once, so one taken off earlier gets its old row back, history kept)."""
    old = next((a for a in parent.directive.assignments if a.status == AssignmentStatus.CANCELLED
                and a.agency_id == agency_id and a.assignee_id == assignee_id), None)
    if old is None:
        child = Assignment(directive=parent.directive, agency_id=agency_id, assignee_id=assignee_id, **values)
        db.session.add(child)
        return child
    for column in _RESET:
        setattr(old, column, None)
    old.progress = 0
    for column, value in values.items():
        setattr(old, column, value)
    revived[old.id] = AssignmentStatus.CANCELLED
    return old


def _receivers(f, assignment, agency_ids, user_ids):
    """The agencies and officers named, each checked: errors on ``agency_ids`` / ``user_ids``."""
    if not agency_ids and not user_ids:
        f.error("agency_ids", _("Choose at least one agency or officer."))
        return [], []
    found = _agencies_below(f, assignment, agency_ids)
    people = _officers_of(f, assignment, user_ids)
    held = _already_holding(assignment.directive_id, list(found), list(people))
    if held:
        f.error("agency_ids" if held[0] == "agency" else "user_ids",
                _("Already has this directive: %(names)s", names=", ".join(held[1])))
    return [found[i] for i in dict.fromkeys(agency_ids) if i in found], \
        [people[i] for i in dict.fromkeys(user_ids) if i in people]


def _agencies_below(f, assignment, agency_ids):
    """{id: Agency} of the active agencies named that are under the assignment's; an error on ``agency_ids``
    naming the others."""
    if not agency_ids:
        return {}
    below = agency_tree().below(assignment.agency_id)
    agencies = db.session.scalars(select(Agency).where(Agency.id.in_(agency_ids))).all()
    found = {a.id: a for a in agencies if a.active and a.id in below}
    bad = [i for i in agency_ids if i not in found]
    if bad:
        f.error("agency_ids", _("Not an agency under %(agency)s: %(ids)s", agency=assignment.agency.name,
                                ids=", ".join(map(str, bad))))
    return found


def _officers_of(f, assignment, user_ids):
    """{id: User} of the people named who may take a share of it; an error on ``user_ids`` naming the others."""
    if not user_ids:
        return {}
    users = db.session.scalars(select(User).where(User.id.in_(user_ids))).all()
    people = {u.id: u for u in users if permissions.may_take_share(u, assignment)}
    bad = [i for i in user_ids if i not in people]
    if bad:
        f.error("user_ids", _("Not an officer of %(agency)s: %(ids)s", agency=assignment.agency.name,
                              ids=", ".join(map(str, bad))))
    return people


def _already_holding(directive_id, agency_ids, user_ids):
    """("agency"|"user", [names]) of those who already hold an assignment of the directive, else None."""
    if not agency_ids and not user_ids:
        return None
    rows = db.session.scalars(select(Assignment).where(
        Assignment.directive_id == directive_id, Assignment.status != AssignmentStatus.CANCELLED,
        or_(Assignment.agency_id.in_(agency_ids) & Assignment.assignee_id.is_(None),
            Assignment.assignee_id.in_(user_ids)))).all()
    agencies = [a.agency.name for a in rows if a.assignee_id is None]
    if agencies:
        return "agency", agencies
    people = [a.assignee.full_name for a in rows]
    return ("user", people) if people else None


def _record_pass_on(actor, parent, children, agencies, users, deadline, note, now, revived):
    directive = parent.directive
    if parent.status == AssignmentStatus.PENDING:  # passing it on is taking it in
        parent.status = AssignmentStatus.ACKNOWLEDGED
        parent.acknowledged_at = now
        parent.acknowledged_by_id = actor.id
        if parent.first_seen_at is None:
            parent.first_seen_at, parent.first_seen_by_id = now, actor.id
        record_change(parent, actor, EventAction.ACKNOWLEDGE, AssignmentStatus.PENDING, now)
    for child in children:
        action = EventAction.ADD if child.id in revived else EventAction.ISSUE
        add_event(child, actor, action, revived.get(child.id), AssignmentStatus.PENDING, note=note, now=now,
                  role=child.role, deadline=deadline, parent_id=parent.id)
    record_change(parent, actor, EventAction.PASS_ON, parent.status, now, note=note,
                  children=[c.id for c in children], agency_ids=[a.id for a in agencies],
                  user_ids=[u.id for u in users], deadline=deadline)
    text = lambda u: _("%(agency)s passed on directive %(number)s: %(title)s",  # noqa: E731
                       agency=parent.agency.name, number=directive.number, title=directive.title)
    notify_officers([a.id for a in agencies], "directive.new", text, directive_path(directive.id), subject=text)
    notify_users(users, "directive.new", text, directive_path(directive.id), subject=text)
    for child in children:
        publish_new(directive, child)
        publish_update(child, now)


# -- rules the lifecycle follows (services.py and extensions.py call these) ------------------------

def check_children_on_submit(f, assignment):
    """A parent with children still open needs ``children_note``: why it is done without them."""
    children_note = f.str("children_note", required=False, max_len=NOTE_MAX, multiline=True)
    open_children = [a for a in assignment.directive.assignments
                     if a.parent_id == assignment.id and a.is_open]
    if open_children and not children_note:
        f.error("children_note", _("%(count)d of the agencies or officers it was passed on to have not finished; "
                                   "say why the result is submitted without them.", count=len(open_children)))
    return children_note


def needs_approval(actor, assignment):
    """Whether an officer's result for the agency waits for the agency leader: the agency asks for it,
    has an active leader, and the one submitting is not one of its leaders."""
    if assignment.assignee_id is not None or not assignment.agency.approval_required:
        return False
    if permissions.leads_agency(actor, assignment.agency_id):
        return False
    return _has_active_leader(assignment.agency_id)


def _has_active_leader(agency_id):
    return db.session.scalar(select(User.id).where(
        permissions.agency_leaders(agency_id), User.active.is_(True)).limit(1)) is not None


def after_submit(actor, assignment, now):
    """Clear the result to go up now, or hold it for the agency leader (who is told)."""
    if needs_approval(actor, assignment):
        assignment.approved_at, assignment.approved_by_id = None, None
        leaders = db.session.scalars(select(User).where(
            permissions.agency_leaders(assignment.agency_id), User.active.is_(True))).all()
        notify_users(leaders, "directive.approval_needed",
                     lambda u: _("A result for %(number)s waits for your approval before it goes up",
                                 number=assignment.directive.number),
                     directive_path(assignment.directive_id))
        return False
    assignment.approved_at = now
    assignment.approved_by_id = actor.id if permissions.leads_agency(actor, assignment.agency_id) else None
    return True


def awaits_approval(assignment):
    """A submitted result still held for the agency's leader. Not held any more when nobody could approve
    it: the agency switched approval off, or has no active leader now (its only one deactivated meanwhile)."""
    return (assignment.status == AssignmentStatus.SUBMITTED and assignment.approved_at is None
            and assignment.agency.approval_required and _has_active_leader(assignment.agency_id))


def require_approved(assignment):
    if awaits_approval(assignment):
        raise Conflict(_("The result waits for the approval of %(agency)s's leader.", agency=assignment.agency.name),
                       code="awaiting_approval")


def approve(actor, assignment, now=None):
    """The agency's leader approves an officer's result: it goes up to whoever gave the assignment."""
    if not permissions.can_view_directive(actor, assignment.directive):
        raise NotFound(_("Assignment not found."))
    if not permissions.leads_agency(actor, assignment.agency_id):
        raise Forbidden(_("Only a leader of %(agency)s can approve this result.", agency=assignment.agency.name))
    if not permissions.can_approve(actor, assignment):
        raise Conflict(_("This result does not wait for approval."), code="invalid_transition",
                       status_now=assignment.status)
    now = now or utcnow()
    assignment.approved_at, assignment.approved_by_id = now, actor.id
    record_change(assignment, actor, EventAction.APPROVE, assignment.status, now)
    from directives.services import notify_giver

    notify_giver(assignment, "directive.submitted",
                 lambda u: _("%(agency)s submitted its result for %(number)s", agency=assignment.agency.name,
                             number=assignment.directive.number))
    db.session.commit()
    return assignment


def close_open_children(actor, assignment, now, reason=None):
    """The parent is done (accepted) or taken off: what was passed on from it and is still open is
    cancelled, with the reason, and its pending extension requests closed."""
    closed = [a for a in descendants(assignment) if a.is_open]
    for a in closed:
        old = a.status
        a.status = AssignmentStatus.CANCELLED
        record_change(a, actor, EventAction.CANCEL, old, now, note=reason or _("Closed with %(agency)s's result.",
                                                                                  agency=assignment.agency.name))
    if closed:
        reject_pending_extensions([a.id for a in closed], actor, reason or _("Closed with the parent's result."), now)
    return closed


def check_extension_deadline(f, assignment, deadline):
    """An extension past the parent's deadline is refused: the parent's must move first."""
    if assignment.parent_id is not None and deadline is not None and deadline > assignment.parent.deadline:
        f.error("deadline", _("That is after the deadline of %(agency)s (%(when)s), which gave this assignment: "
                              "its deadline must be moved first.", agency=assignment.parent.agency.name,
                              when=_when(assignment.parent.deadline)))


def require_within_parent(assignment, deadline):
    if assignment.parent_id is not None and deadline > assignment.parent.deadline:
        raise Conflict(_("The deadline of %(agency)s is %(when)s: move it first.", agency=assignment.parent.agency.name,
                         when=_when(assignment.parent.deadline)), code="parent_deadline")


def follow_parent_deadline(actor, parent, now):
    """The parent's deadline moved earlier: children (and theirs) due after it are brought to it."""
    moved = []
    for child in descendants(parent):
        limit = child.parent.deadline
        if child.is_open and child.deadline > limit:
            old = child.deadline
            child.deadline = limit
            record_change(child, actor, EventAction.DEADLINE_FOLLOW, child.status, now, parent_id=child.parent_id,
                          old_deadline=old, new_deadline=limit)
            moved.append(child)
    return moved


def _when(value):
    from core.i18n import datetime_filter

    return datetime_filter(value)
