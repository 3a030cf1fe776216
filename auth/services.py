"""Every change to accounts, browser logins and tokens (agencies: auth/agencies.py)."""
import hashlib
import secrets
from datetime import timedelta

import email_validator
from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload
from werkzeug.security import check_password_hash, generate_password_hash

from auth import permissions, throttle
from auth.models import Agency, ApiToken, BrowserLogin, Role, User
from core import audit
from core.dbtypes import utcnow
from core.errors import Conflict, Forbidden, Invalid, NotFound, Unauthorized
from core.extensions import db
from core.realtime import SocketConnection, disconnect_where, row_id
from core.validation import Fields, parse_id

MIN_PASSWORD = 8
# Checked against when the username is unknown, so a failed login costs the same either way.
_DUMMY_HASH = None


def hash_password(password):
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def verify_password(user, password):
    return check_password_hash(user.password_hash, password)


class AccountDisabled(Unauthorized):
    """The password is right but the account was deactivated: said only to someone who knows the
    password, so a guesser learns nothing about the account."""

    code = "account_disabled"

    def __init__(self):
        contact = current_app.config.get("SUPPORT_CONTACT")
        if contact:
            message = _("Your account has been disabled. Ask the system administrator to enable it again "
                        "(contact: %(contact)s).", contact=contact)
        else:
            message = _("Your account has been disabled. Ask the system administrator to enable it again.")
        super().__init__(message)


def authenticate(username, password, address=None):
    """The active user with these credentials, or None; AccountDisabled for the right password
    of a deactivated account.

    With the client's ``address`` (the login form and the token endpoint pass it), each failure
    counts against the login budgets, and once one is spent TooManyAttempts is raised, even for
    the right password."""
    if address is None:
        return _check_credentials(username, password)
    throttle.check(address, username)
    user = _check_credentials(username, password)
    if user is None:
        throttle.record_failure(address, username)
    return user


def _check_credentials(username, password):
    global _DUMMY_HASH
    username = username.strip().lower() if isinstance(username, str) else ""
    password = password if isinstance(password, str) else ""
    user = db.session.scalar(db.select(User).where(User.username == username)) if username else None
    if user is None:
        if _DUMMY_HASH is None:
            _DUMMY_HASH = hash_password(secrets.token_hex(8))
        check_password_hash(_DUMMY_HASH, password or "")
        return None
    if not verify_password(user, password or ""):
        return None
    if not user.active:
        raise AccountDisabled()
    user.last_login_at = utcnow()
    db.session.commit()
    return user


# -- browser logins -------------------------------------------------------------

TOKEN_KEY = "token:"


def start_login(user, remember=False):
    """Record a browser sign-in; returns its id for the session (``session["login_id"]``).

    The id also becomes ``user.login_key``, what Flask-Login keeps in the session and in the
    "keep me signed in" cookie, so the login row decides whether either still works."""
    now = utcnow()
    # Flask refuses session cookies older than the session lifetime anyway: a plain login ends
    # then; with "keep me signed in" it lasts as long as that cookie.
    lifetime = current_app.permanent_session_lifetime
    if remember:
        lifetime = max(lifetime, current_app.config["REMEMBER_COOKIE_DURATION"])
    db.session.execute(db.delete(BrowserLogin).where(BrowserLogin.expires_at < now))
    login = BrowserLogin(id=secrets.token_urlsafe(24), user_id=user.id, created_at=now, expires_at=now + lifetime)
    db.session.add(login)
    db.session.commit()
    user.login_key = login.id
    return login.id


def user_for_login_key(key):
    """The active user behind a session or "keep me signed in" cookie, or None once its login ended.

    ``key`` is a browser login's id or, in a socket opened with an API token, ``token:<id>``."""
    if not isinstance(key, str) or not key:
        return None
    now = utcnow()
    query = db.select(User).where(User.active.is_(True))
    if key.startswith(TOKEN_KEY):
        token_id = parse_id(key[len(TOKEN_KEY):])
        if token_id is None:
            return None
        expires_at = ApiToken.expires_at
        query = query.join(ApiToken, ApiToken.user_id == User.id).where(
            ApiToken.id == token_id, ApiToken.revoked_at.is_(None),
            db.or_(ApiToken.expires_at.is_(None), ApiToken.expires_at > now))
    else:
        expires_at = BrowserLogin.expires_at
        query = query.join(BrowserLogin, BrowserLogin.user_id == User.id).where(
            BrowserLogin.id == key, BrowserLogin.ended_at.is_(None), BrowserLogin.expires_at > now)
    row = db.session.execute(query.add_columns(expires_at)).first()
    if row is None:
        return None
    user, until = row
    user.login_key, user.login_expires_at = key, until  # a socket opened with it ends its use then
    return user


def end_login(login_id):
    """Log one browser out for good and close the sockets it opened."""
    if not login_id:
        return
    db.session.execute(
        db.update(BrowserLogin).where(BrowserLogin.id == login_id, BrowserLogin.ended_at.is_(None))
        .values(ended_at=utcnow())
    )
    db.session.commit()
    logout_sockets(login_id)


def revoke_access(user):
    """End every browser login of the user and revoke all their API tokens, in the current
    transaction. Nothing ended comes back, not even when a deactivated account is activated
    again. After the commit, call close_sockets()."""
    now = utcnow()
    db.session.execute(
        db.update(BrowserLogin).where(BrowserLogin.user_id == user.id, BrowserLogin.ended_at.is_(None))
        .values(ended_at=now)
    )
    db.session.execute(
        db.update(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None)).values(revoked_at=now)
    )


def close_sockets(user):
    """Close every open socket of the user, on whichever process holds it."""
    user_id = row_id(user)
    disconnect_where(SocketConnection.user_id == user_id, kept=lambda kept: kept.user.id == user_id)


def sign_out_everywhere(user):
    """Every browser of the user, this one too, is signed out and every API token revoked."""
    audit.record(user, "user.sign_out_everywhere", user)
    revoke_access(user)
    db.session.commit()
    close_sockets(user)


def last_sign_ins(users):
    """{user id: when they last signed in from a browser}: the newest browser login. Rows of logins
    that expired are pruned; for those users the last successful sign-in kept on the account."""
    ids = [u.id for u in users]
    newest = dict(db.session.execute(
        db.select(BrowserLogin.user_id, db.func.max(BrowserLogin.created_at))
        .where(BrowserLogin.user_id.in_(ids)).group_by(BrowserLogin.user_id)
    ).all()) if ids else {}
    return {u.id: newest.get(u.id) or u.last_login_at for u in users}


def live_login_count(user):
    now = utcnow()
    return db.session.scalar(db.select(db.func.count()).select_from(BrowserLogin).where(
        BrowserLogin.user_id == user.id, BrowserLogin.ended_at.is_(None), BrowserLogin.expires_at > now))


# -- tokens ---------------------------------------------------------------------

def _digest(raw):
    return hashlib.sha256(raw.encode()).hexdigest()


def issue_token(user, name="api"):
    """A new bearer token; the raw value is returned once and never stored."""
    raw = secrets.token_urlsafe(32)
    days = current_app.config["API_TOKEN_DAYS"]
    token = ApiToken(
        user_id=user.id,
        name=(name or "api")[:100],
        token_hash=_digest(raw),
        prefix=raw[:8],
        expires_at=utcnow() + timedelta(days=days) if days else None,
    )
    db.session.add(token)
    audit.record(user, "token.issue", token, name=token.name)
    db.session.commit()
    return token, raw


def user_for_token(raw, commit=True):
    """(user, token) for a valid bearer token, or None. Records its last use, committed unless ``commit``
    is false (a connecting socket: its own commit carries it)."""
    if not raw or len(raw) > 200:
        return None
    # one query for the token and its user: no lazy load of the user after the commit expired both
    token = db.session.scalar(db.select(ApiToken).options(joinedload(ApiToken.user))
                              .where(ApiToken.token_hash == _digest(raw)))
    now = utcnow()
    if token is None or token.revoked_at is not None:
        return None
    if token.expires_at is not None and token.expires_at <= now:
        return None
    user = token.user
    if not user.active:
        return None
    # A socket opened with the token keeps its user (core.realtime) until the token is revoked or expires.
    user.login_key = f"{TOKEN_KEY}{token.id}"
    # Write at most once a minute per token: last use is for humans, not for locking rows.
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        token.last_used_at = now
        if commit:
            db.session.commit()
    return user, token


def revoke_token(actor, token):
    if not permissions.can_revoke_token(actor, token):
        raise NotFound(_("Token not found."))
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        audit.record(actor, "token.revoke", token)
        db.session.commit()
    token_id = row_id(token)
    disconnect_where(SocketConnection.api_token_id == token_id, kept=lambda kept: kept.api_token_id == token_id)


def logout_sockets(login_id):
    """Close the sockets opened by one browser login."""
    if login_id:
        disconnect_where(SocketConnection.login_id == login_id, kept=lambda kept: kept.login_id == login_id)


# -- users ----------------------------------------------------------------------

def get_user(user_id):
    user = db.session.get(User, user_id) if user_id is not None else None
    if user is None:
        raise NotFound(_("User not found."))
    return user


def _check_password_rules(f, name, password):
    if password is not None and len(password) < MIN_PASSWORD:
        f.error(name, _("At least %(n)d characters.", n=MIN_PASSWORD))


def create_user(actor, data, *, system=False):
    """Create an account. ``system`` is for the CLI, which has no acting user."""
    if not system and not permissions.can_manage_accounts(actor):
        raise Forbidden(_("Only administrators manage accounts."))
    f = Fields(data)
    username = f.str("username", max_len=64)
    password = f.str("password", max_len=200)
    full_name = f.str("full_name", max_len=255)
    role = f.choice("role", tuple(Role))
    email = _email(f)
    title = f.str("title", required=False, max_len=255)
    locale = f.choice("locale", current_app.config["LANGUAGES"], required=False,
                      default=current_app.config["BABEL_DEFAULT_LOCALE"])
    _check_password_rules(f, "password", password)
    if username and not _valid_username(username):
        f.error("username", _("Use letters, digits, dot, dash or underscore."))
    agency = _agency(f, f.int("agency_id", required=False))
    if agency is None and permissions.role_needs_agency(role):
        f.error("agency_id", _("Officers belong to an agency."))
    f.check()
    username = username.lower()
    if db.session.scalar(db.select(User.id).where(User.username == username)):
        raise Conflict(_("The username %(name)s is taken.", name=username), code="duplicate")
    user = User(username=username, full_name=full_name, role=role, email=email, title=title, locale=locale,
                agency=agency, password_hash=hash_password(password),
                meeting_contact=f.bool("meeting_contact") if "meeting_contact" in f.data else False)
    db.session.add(user)
    audit.record(actor if not system else None, "user.create", user, username=username, role=role)
    db.session.commit()
    return user


def _valid_username(name):
    return all(ch.isalnum() or ch in "._-" for ch in name) and name.isascii()


# Provincial intranets often run their mail on an Active Directory domain under ".local": accept it,
# as email-validator's documentation allows by editing this list (it refuses ".local" by default).
if "local" in email_validator.SPECIAL_USE_DOMAIN_NAMES:
    email_validator.SPECIAL_USE_DOMAIN_NAMES.remove("local")


def _email(f, name="email", stored=None):
    """An optional e-mail address, checked by its form only: intranets have no DNS to ask. The address
    already ``stored`` is taken as it is (saved before addresses were checked, it must not block a save)."""
    email = f.str(name, required=False, max_len=255)
    if email and email != stored:
        try:
            validate_email(email, check_deliverability=False, globally_deliverable=False)
        except EmailNotValidError:
            f.error(name, _("Not an e-mail address."))
    return email


def _agency(f, agency_id):
    """The agency ``agency_id`` names (an error on ``f`` when there is none)."""
    agency = db.session.get(Agency, agency_id) if agency_id is not None else None
    if agency_id is not None and agency is None:
        f.error("agency_id", _("No such agency."))
    return agency


def update_user(actor, user, data):
    """An administrator's change to an account. A new password or a deactivation ends all the
    user's logins and revokes their tokens."""
    if not permissions.can_manage_accounts(actor):
        raise Forbidden(_("Only administrators manage accounts."))
    f, values, agency, password = _user_update_fields(actor, user, data)
    changes = audit.apply_changes(user, values)
    if agency is not user.agency:
        changes["agency_id"] = [user.agency_id, agency.id if agency else None]
        user.agency = agency
    if password:
        user.password_hash = hash_password(password)
        changes["password"] = ["***", "***"]
    if "active" in f.data:
        changes |= _set_active(actor, user, f.bool("active"))
    if "meeting_contact" in f.data:
        changes |= audit.apply_changes(user, {"meeting_contact": f.bool("meeting_contact")})
    if changes:
        audit.record(actor, "user.update", user, **changes)
    _after_account_change(user, revoke=bool(password) or not user.active and "active" in changes,
                          changed=bool(changes))
    return user


def _user_update_fields(actor, user, data):
    """(fields, {column: new value} of those given, the agency, a new password), or Invalid."""
    f = Fields(data)
    values = {"full_name": f.str("full_name", required=False, max_len=255),
              "role": f.choice("role", tuple(Role), required=False),
              "email": _email(f, stored=user.email),
              "title": f.str("title", required=False, max_len=255)}
    password = f.str("password", required=False, max_len=200)
    _check_password_rules(f, "password", password)
    role = values["role"] or user.role
    agency = _agency(f, f.int("agency_id", required=False)) if "agency_id" in f.data else user.agency
    if agency is None and permissions.role_needs_agency(role):
        f.error("agency_id", _("Officers belong to an agency."))
    if user.id == actor.id and not permissions.role_manages_accounts(role):
        f.error("role", _("You cannot remove your own administrator role."))
    f.check()
    return f, {k: v for k, v in values.items() if v is not None}, agency, password


def _set_active(actor, user, active):
    if user.id == actor.id and not active:
        raise Invalid({"active": _("You cannot deactivate yourself.")})
    return audit.apply_changes(user, {"active": active})


def _after_account_change(user, revoke, changed):
    """Commit; a revoked account's logins and tokens end and its sockets close; so do those of any changed
    account: a socket keeps the user it connected as (core.realtime), its rooms follow the role and agency,
    and it reconnects to get the new ones."""
    if revoke:
        revoke_access(user)
    db.session.commit()
    if revoke or changed:
        close_sockets(user)


def change_password(user, current_password, new_password):
    """Change one's own password: every browser signed in as the user is signed out and every
    API token revoked. The page signs the browser that made the change in again if asked to,
    on a new login, so no copy of its old cookies works either."""
    f = Fields({"current_password": current_password, "new_password": new_password})
    f.str("current_password", max_len=200)
    new = f.str("new_password", max_len=200)
    _check_password_rules(f, "new_password", new)
    if current_password and not verify_password(user, current_password):
        f.error("current_password", _("The current password is wrong."))
    f.check()
    user.password_hash = hash_password(new)
    audit.record(user, "user.change_password", user)
    revoke_access(user)
    db.session.commit()
    close_sockets(user)


def set_locale(user, locale):
    if locale not in current_app.config["LANGUAGES"]:
        raise Invalid({"locale": _("Unknown language.")})
    if user.locale != locale:
        user.locale = locale
        audit.record(user, "user.set_locale", user, locale=locale)
        db.session.commit()
        close_sockets(user)  # they keep the user they connected as: they reconnect in the new language


def update_profile(user, data):
    f = Fields(data)
    full_name = f.str("full_name", max_len=255)
    email = _email(f, stored=user.email)
    locale = f.choice("locale", current_app.config["LANGUAGES"], required=False, default=user.locale)
    f.check()
    user.full_name = full_name
    user.email = email
    user.locale = locale
    audit.record(user, "user.update_profile", user)
    db.session.commit()
    close_sockets(user)  # they keep the user they connected as (the name on chat messages): they reconnect
    return user
