"""Who may do what with directives: the one place that says it (services, queries and templates use it).

Scope follows the agency tree (directives/tree.py):
- the provincial leaders (and admins, read-only) see every directive, the board and the exports;
- a leader of an agency below the province (a department director, a district chairman) directs that
  agency's subtree: issues directives to agencies under it, sees what reaches its subtree, decides on
  what the agency passed on;
- whoever holds an assignment (the agency's officers and leaders, or the officer it was passed to
  personally) acts on it: acknowledges, reports, asks for more time, submits, passes it on;
- a result is accepted or returned by the agency that gave it: for a root, the directive's issuer's
  level (the provincial leaders for a provincial directive); for an assignment passed on, the leaders
  of the agency that passed it on, and the person who passed it on;
- an officer's result for the agency waits for the agency leader's approval (can_approve) when the agency
  asks for it (Agency.approval_required).
"""
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import aliased

from auth import permissions as auth_permissions
from auth.models import Agency, AgencyKind, Role, User
from directives.models import AGENCY_OPEN_STATUSES, Assignment, AssignmentStatus
from directives.tree import agency_tree


def _authenticated(user):
    return user is not None and getattr(user, "is_authenticated", False)


def _has_role(user, *roles):
    return _authenticated(user) and user.role in roles


def is_staff(user):
    """The provincial leaders and admins see the whole province."""
    return auth_permissions.province_wide(user)


def scope(user):
    """The agency ids ``user`` oversees: None for the whole province; a leader's agency and everything
    under it; an officer's own agency; an empty set for anyone else."""
    if is_staff(user):
        return None
    if not _authenticated(user) or user.agency_id is None:
        return set()
    if user.role == Role.LEADER:
        return agency_tree().subtree(user.agency_id)
    return {user.agency_id}


def directs(user, agency_id):
    """A leader who directs ``agency_id``: a provincial leader, or a leader of it or of an agency above it."""
    if not _has_role(user, Role.LEADER):
        return False
    if auth_permissions.province_wide(user):
        return True
    return user.agency_id is not None and agency_tree().is_under(agency_id, user.agency_id)


def has_inbox(user):
    """Someone of an agency who carries out its work: the inbox, the home page's waiting directives."""
    return _authenticated(user) and user.agency_id is not None and (
        user.role == Role.OFFICER or auth_permissions.is_agency_leader(user))


def can_issue(user):
    """Leaders issue directives: the provincial ones to any agency, an agency's leader to those under it."""
    return _has_role(user, Role.LEADER)


def issuable_agency_ids(user):
    """The agencies ``user`` may give a directive to: None for any; else those under their agency."""
    if auth_permissions.province_wide(user):
        return None
    if not _has_role(user, Role.LEADER) or user.agency_id is None:
        return set()
    return agency_tree().below(user.agency_id)


def _in_scope(user, assignment, agencies):
    if assignment.assignee_id is not None and assignment.assignee_id == getattr(user, "id", None):
        return True
    return assignment.agency_id in agencies


def can_view_directive(user, directive):
    if is_staff(user) or (_authenticated(user) and directive.issuer_id == user.id):
        return True
    agencies = scope(user)
    return bool(agencies) and any(_in_scope(user, a, agencies) for a in directive.assignments)


def visible_assignments(user, directive):
    """{assignment id: "full" | "path"} of the directive's assignments ``user`` may see: "full" for those
    in their scope and everything passed on from them (and, for one holding a root, the other roots:
    co-assigned agencies work together), "path" for the ones above them (agency, status and deadline only).
    A sibling branch (another commune of the same district) is not there at all."""
    from directives.tree import build

    assignments = directive.assignments
    if is_staff(user) or (_authenticated(user) and directive.issuer_id == user.id):
        return dict.fromkeys((a.id for a in assignments), "full")
    agencies = scope(user) or set()
    roots, nodes = build(assignments)
    out = {}
    for node in nodes.values():
        if _in_scope(user, node.assignment, agencies) and out.get(node.id) != "full":
            for below in node.walk():
                out[below.id] = "full"
            for above in node.path()[:-1]:
                out.setdefault(above.id, "path")
    if any(out.get(r.id) == "full" for r in roots):
        for r in roots:
            out[r.id] = "full"
    return out


def filterable_assignments(user, directive_id):
    """Conditions on Assignment (of the directive whose id is the SQL column ``directive_id``) that a filter
    by agency or tracking (the list, search) may match for ``user``: any for the province; else the shares
    in their scope or given to them, and the roots of a directive where they hold a root (co-assigned
    agencies see each other). A share they cannot see (a sibling commune's) answering a filter would tell
    of it by whether the directive comes back."""
    if is_staff(user):
        return []
    agencies = sorted(scope(user) or ())
    mine = or_(Assignment.agency_id.in_(agencies), Assignment.assignee_id == getattr(user, "id", None))
    root = aliased(Assignment)
    own_root = select(root.id).where(root.directive_id == directive_id, root.parent_id.is_(None),
                                     root.agency_id.in_(agencies))
    return [or_(mine, and_(Assignment.parent_id.is_(None), own_root.exists()))]


def can_view_assignment(user, assignment):
    """The assignment itself, its reports, history and extensions: "full" in visible_assignments."""
    return visible_assignments(user, assignment.directive).get(assignment.id) == "full"


def holds(user, assignment):
    """Whether ``user`` carries out ``assignment``: the officer it was passed to personally, else the
    officers and leaders of its agency."""
    if not _authenticated(user):
        return False
    if assignment.assignee_id is not None:
        return assignment.assignee_id == user.id
    return user.agency_id == assignment.agency_id and (
        user.role == Role.OFFICER or auth_permissions.is_agency_leader(user))


def can_act(user, assignment):
    """Acknowledge, report, submit, ask for an extension: whoever holds it."""
    return holds(user, assignment)


def can_pass_on(user, assignment):
    """Pass it on to agencies under its agency or to the agency's officers: a holder of an agency's
    assignment while it is being carried out (a share given to one officer is theirs to do)."""
    return (holds(user, assignment) and assignment.assignee_id is None
            and assignment.status in AGENCY_OPEN_STATUSES)


def acts_for_agency():
    """The users who act on an agency's assignments (can_act), as a criterion on User: its officers and
    its own leaders (not the provincial ones). They are told of a new, corrected or cancelled directive
    and reminded of deadlines."""
    return or_(User.role == Role.OFFICER,
               and_(User.role == Role.LEADER, User.agency.has(Agency.kind != AgencyKind.PROVINCIAL_OFFICE)))


def decides():
    """The users who decide, as a criterion on User: the leaders."""
    return User.role == Role.LEADER


def agency_leader_users():
    """Leaders of an agency below the province, as a criterion on User (auth.permissions.is_agency_leader):
    a directive one of them issued was given by that agency, not by the province."""
    return and_(User.role == Role.LEADER, User.agency_id.is_not(None),
                User.agency.has(Agency.kind != AgencyKind.PROVINCIAL_OFFICE))


def province_leaders():
    """The provincial leaders, as a criterion on User (auth.permissions.province_wide): the daily digest."""
    return and_(User.role == Role.LEADER,
                or_(User.agency_id.is_(None), User.agency.has(Agency.kind == AgencyKind.PROVINCIAL_OFFICE)))


def giving_agency_id(assignment):
    """The agency that gave ``assignment``: the one that passed it on, or the issuer's for a root
    (None when the issuer has no agency: the province)."""
    if assignment.parent_id is not None:
        return assignment.parent.agency_id
    issuer = assignment.directive.issuer
    if issuer is None or auth_permissions.province_wide(issuer):
        return None
    return issuer.agency_id


def can_decide(user, assignment=None):
    """Accept or return a result, decide an extension: the leaders of the agency that gave it (the
    provincial leaders for what the province gave), and the person who passed it on; never one who holds
    it. A leader higher up does not decide for that agency: its result is the agency's to judge. Without
    an assignment: whether ``user`` is a leader at all (a menu entry)."""
    if assignment is None:
        return _has_role(user, Role.LEADER)
    if not _authenticated(user) or holds(user, assignment):
        return False
    if assignment.parent_id is not None and assignment.assigned_by_id == user.id:
        return True
    if not _has_role(user, Role.LEADER):
        return False
    giver = giving_agency_id(assignment)
    if giver is None or agency_tree().is_provincial(giver):
        return auth_permissions.province_wide(user)
    return user.agency_id == giver


def can_cancel(user, directive):
    """Cancel a directive: a leader of its issuer's level (the provincial leaders for a provincial one)."""
    issuer = directive.issuer
    if issuer is None or auth_permissions.province_wide(issuer):
        return _has_role(user, Role.LEADER) and auth_permissions.province_wide(user)
    return directs(user, issuer.agency_id)


def leads_agency(user, agency_id):
    """A leader of that very agency."""
    return _has_role(user, Role.LEADER) and user.agency_id == agency_id


def agency_leaders(agency_id):
    """The leaders of one agency, as a criterion on User (they approve its officers' results)."""
    return and_(User.agency_id == agency_id, User.role == Role.LEADER)


def may_take_share(user, assignment):
    """An active officer of the assignment's agency may be given a share of it personally."""
    return bool(user.active) and user.agency_id == assignment.agency_id and user.role == Role.OFFICER


def can_approve(user, assignment):
    """Approve or return an officer's result before it goes up: a leader of the assignment's agency, while
    the result waits for that approval."""
    return (assignment.status == AssignmentStatus.SUBMITTED and assignment.approved_at is None
            and assignment.assignee_id is None and _has_role(user, Role.LEADER)
            and user.agency_id == assignment.agency_id)


def can_correct(user, directive):
    """Correct a directive after issue (title, content, deadline, priority, agencies): a leader who could
    cancel it. Whether it is still in force is the service's check (409), not a permission."""
    return can_cancel(user, directive)


def can_view_stats(user):
    """The tracking board: the provincial leaders and admins (the province), an agency's leaders (its
    subtree)."""
    return is_staff(user) or auth_permissions.is_agency_leader(user)


def can_view_board_of(user, agency_id):
    """The board of one agency's level (what it passed on): leaders who direct it, and admins."""
    return is_staff(user) or directs(user, agency_id)


def can_export(user):
    return can_view_stats(user)
