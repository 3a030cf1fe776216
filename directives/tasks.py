"""Reads for the cascade's pages: an officer's own tasks (what was passed to them personally), who
handles each row of an agency's inbox, and the choices of the pass-on form. Nothing here writes
(cascade.py does).
"""
from sqlalchemy import case, exists, select
from sqlalchemy.orm import aliased, contains_eager, selectinload

from auth import queries as auth_queries
from auth.models import Agency, Role, User
from core.collation import sort_key
from core.extensions import db
from directives.models import OPEN_STATUSES, Assignment, AssignmentEvent, AssignmentStatus, Directive, EventAction
from directives.tree import agency_tree


def has_tasks(user):
    """Whether anything was ever passed to ``user`` personally (the "My tasks" menu entry)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return bool(db.session.scalar(select(exists().where(Assignment.assignee_id == user.id))))


def my_tasks(user):
    """The assignments passed to ``user`` personally: open ones first by deadline, then the finished
    ones, newest first; each with its directive and who passed it on (one statement plus the loads)."""
    open_first = case((Assignment.status.in_(OPEN_STATUSES), 0), else_=1)
    return db.session.scalars(
        select(Assignment).join(Assignment.directive)
        .where(Assignment.assignee_id == user.id)
        .options(contains_eager(Assignment.directive), selectinload(Assignment.assigned_by),
                 selectinload(Assignment.agency))
        .order_by(open_first, case((open_first == 0, Assignment.deadline)), Directive.issued_at.desc(),
                  Assignment.id.desc())
    ).unique().all()


def handlers(assignment_ids):
    """{assignment id: {"officers": [names], "agencies": [names]}}: to whom each of ``assignment_ids``
    was passed on (cancelled shares left out), in ONE statement for a whole inbox page."""
    ids = list(assignment_ids)
    out = {i: {"officers": [], "agencies": []} for i in ids}
    if not ids:
        return out
    assignee = aliased(User)
    rows = db.session.execute(
        select(Assignment.parent_id, assignee.full_name, Agency.name)
        .join(Agency, Agency.id == Assignment.agency_id)
        .outerjoin(assignee, assignee.id == Assignment.assignee_id)
        .where(Assignment.parent_id.in_(ids), Assignment.status != AssignmentStatus.CANCELLED)
        .order_by(Assignment.id)
    ).all()
    for parent_id, officer, agency in rows:
        if officer is not None:
            out[parent_id]["officers"].append(officer)
        else:
            out[parent_id]["agencies"].append(agency)
    return out


def pass_on_choices(assignment):
    """What the pass-on form offers for ``assignment``: the active agencies under its agency in tree
    order, each (agency, depth below it, already holds the directive); the agency's active officers,
    each (user, already holds a share)."""
    directive = assignment.directive
    below = agency_tree().below(assignment.agency_id)
    # a cancelled share is not held: it can be given anew (cascade._child)
    live = [a for a in directive.assignments if a.status != AssignmentStatus.CANCELLED]
    holding_agencies = {a.agency_id for a in live if a.assignee_id is None}
    holding_people = {a.assignee_id for a in live if a.assignee_id is not None}
    base = agency_tree().level(assignment.agency_id) + 1
    agencies = [(agency, agency_tree().level(agency.id) - base, agency.id in holding_agencies)
                for agency, _depth in auth_queries.agency_tree(include_inactive=False) if agency.id in below]
    officers = db.session.scalars(auth_queries.users_in_agencies([assignment.agency_id], User.role == Role.OFFICER))
    people = [(u, u.id in holding_people) for u in sorted(officers, key=lambda u: sort_key(u.full_name))]
    return {"agencies": agencies, "officers": people}


def deadline_moved_by(assignment_ids):
    """{assignment id: the action that last moved its deadline} (extension_approve or deadline_follow) for
    these assignments alone: what the tree's rows say beside a root's deadline, in one statement."""
    ids = list(assignment_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        select(AssignmentEvent.assignment_id, AssignmentEvent.action)
        .where(AssignmentEvent.assignment_id.in_(ids),
               AssignmentEvent.action.in_((EventAction.EXTENSION_APPROVE, EventAction.DEADLINE_FOLLOW)))
        .order_by(AssignmentEvent.created_at.desc(), AssignmentEvent.id.desc())
    ).all()
    out = {}
    for assignment_id, action in rows:
        out.setdefault(assignment_id, action)
    return out
