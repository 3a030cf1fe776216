"""Who may do what with accounts and agencies. Used by services, views and templates; the one place
in auth, core and notifications that reads a user's role."""
from auth.models import AgencyKind, Role


def _has_role(user, *roles):
    return user is not None and getattr(user, "is_authenticated", False) and user.role in roles


def is_staff(user):
    """Admins and the provincial leaders see the whole province (province_wide)."""
    return province_wide(user)


def province_wide(user):
    """Admins, and leaders of the province itself: a leader without an agency or of the provincial office.
    A leader of a department, district or commune directs that agency's subtree only (directives/permissions)."""
    if _has_role(user, Role.ADMIN):
        return True
    if not _has_role(user, Role.LEADER):
        return False
    return user.agency_id is None or user.agency.kind == AgencyKind.PROVINCIAL_OFFICE


def is_agency_leader(user):
    """A leader of one agency below the province (a department director, a district chairman...)."""
    return _has_role(user, Role.LEADER) and user.agency_id is not None and not province_wide(user)


def is_leader(user):
    """Whether a person holds a leader's post: listed first in protocol order, their title says what
    they lead. A description, not an access check: a deactivated leader is still listed as one."""
    return user is not None and user.role == Role.LEADER


def can_manage_accounts(user):
    return _has_role(user, Role.ADMIN)


def role_manages_accounts(role):
    """Whether a user given ``role`` manages accounts (an admin may not take that from themselves)."""
    return role == Role.ADMIN


def role_needs_agency(role):
    """Officers always belong to an agency."""
    return role == Role.OFFICER


def can_manage_agencies(user):
    return _has_role(user, Role.ADMIN)


def can_set_approval(user, agency):
    """Switch an agency's internal approval (an officer's result waits for its leader) on or off: admins,
    and that agency's own leaders."""
    if _has_role(user, Role.ADMIN):
        return True
    return is_agency_leader(user) and agency is not None and user.agency_id == agency.id


def can_revoke_token(user, token):
    return user.is_authenticated and (token.user_id == user.id or _has_role(user, Role.ADMIN))


def can_view_audit(user):
    """The audit trail shows everyone's actions: administrators only."""
    return _has_role(user, Role.ADMIN)
