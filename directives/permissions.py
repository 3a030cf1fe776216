"""Who may do what with directives: the one place that says it (services and templates use it).

- leaders issue directives, cancel them, accept or return results and decide extensions;
- officers act only on their own agency's assignments and see only directives assigned to it;
- leaders and admins see every directive, the dashboard and the exports.
"""
from auth.models import Role, User


def _authenticated(user):
    return user is not None and getattr(user, "is_authenticated", False)


def _has_role(user, *roles):
    return _authenticated(user) and user.role in roles


def is_staff(user):
    """Leaders and admins see the whole province."""
    return _has_role(user, Role.LEADER, Role.ADMIN)


def has_inbox(user):
    """An officer of an agency: the inbox, the home page's waiting directives, their own assignment's card."""
    return _has_role(user, Role.OFFICER) and user.agency_id is not None


def can_issue(user):
    return _has_role(user, Role.LEADER)


def can_view_directive(user, directive):
    if is_staff(user):
        return True
    if not _authenticated(user) or user.agency_id is None:
        return False
    return any(a.agency_id == user.agency_id for a in directive.assignments)


def can_act(user, assignment):
    """Acknowledge, report, submit, ask for an extension: an officer of the assigned agency."""
    return has_inbox(user) and user.agency_id == assignment.agency_id


def acts_for_agency():
    """The users who act on an agency's assignments (can_act), as a criterion on User: its officers.
    They are the ones told of a new, corrected or cancelled directive and reminded of deadlines."""
    return User.role == Role.OFFICER


def decides():
    """The users who decide (can_decide), as a criterion on User: the leaders. They get the daily digest."""
    return User.role == Role.LEADER


def can_decide(user, directive=None):
    """Accept, return, decide extensions, cancel: leaders."""
    return _has_role(user, Role.LEADER)


def can_correct(user, directive):
    """Correct a directive after issue (title, content, deadline, priority, agencies): its issuer or
    any other leader. Only leaders issue, so today that is every leader; whether it is still in force
    is the service's check (409), not a permission."""
    return _has_role(user, Role.LEADER)


def can_view_stats(user):
    return is_staff(user)


def can_export(user):
    return is_staff(user)
