"""Who may do what with accounts and agencies. Used by services, views and templates."""


def is_staff(user):
    """Leaders and admins see the whole province."""
    return user.is_authenticated and user.role in ("leader", "admin")


def can_manage_accounts(user):
    return user.is_authenticated and user.role == "admin"


def can_manage_agencies(user):
    return user.is_authenticated and user.role == "admin"


def can_list_agencies(user):
    return user.is_authenticated


def can_revoke_token(user, token):
    return user.is_authenticated and (token.user_id == user.id or user.role == "admin")


def can_view_audit(user):
    """The audit trail shows everyone's actions: administrators only."""
    return user.is_authenticated and user.role == "admin"
