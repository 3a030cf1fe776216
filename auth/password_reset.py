"""Self-service password reset by e-mail (only when mail is configured).

The link carries a token signed with SECRET_KEY that names the user and a fingerprint of their
current password hash, and expires after PASSWORD_RESET_MINUTES. Setting a password changes the
hash, so a link works once, and dies too when the password is changed any other way.
"""
import hashlib

from flask import current_app, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from itsdangerous import BadData, URLSafeTimedSerializer

from auth import throttle
from auth.models import User
from auth.services import _check_password_rules, close_sockets, hash_password, revoke_access
from core import audit
from core.errors import Invalid, NotFound
from core.extensions import db
from core.validation import Fields
from notifications import mail

SALT = "auth.password-reset"


def enabled():
    return mail.mail_enabled()


def _serializer():
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def _fingerprint(user):
    # a digest, not the hash itself: the token is signed, not encrypted
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:20]


def make_token(user):
    return _serializer().dumps([user.id, _fingerprint(user)])


def user_for_token(token):
    """The active user a reset link is for, or None when it is forged, expired, used, or their
    password has changed since."""
    if not isinstance(token, str) or len(token) > 500:
        return None
    try:
        user_id, fingerprint = _serializer().loads(token, max_age=current_app.config["PASSWORD_RESET_MINUTES"] * 60)
    except (BadData, TypeError, ValueError):
        return None
    user = db.session.get(User, user_id) if isinstance(user_id, int) else None
    if user is None or not user.active or fingerprint != _fingerprint(user):
        return None
    return user


def _accounts_for(identifier):
    """Active accounts with an e-mail address whose username, or e-mail, is what was typed."""
    wanted = identifier.strip().lower()
    return db.session.scalars(db.select(User).where(
        User.active.is_(True), User.email.is_not(None), User.email != "",
        db.or_(User.username == wanted, db.func.lower(User.email) == wanted),
    ).order_by(User.id)).all()


def request_reset(identifier, address):
    """Mail a reset link to the account(s) named by ``identifier`` (a username or an e-mail).

    Says nothing about whether one exists: the caller shows the same answer either way. Raises
    TooManyAttempts past the budget, Invalid for an empty field."""
    if not enabled():
        raise NotFound(_("Password reset by e-mail is not available."))
    f = Fields({"login": identifier})
    identifier = f.str("login", max_len=255)
    f.check()
    throttle.spend_reset_request(address, identifier)
    minutes = current_app.config["PASSWORD_RESET_MINUTES"]
    base = current_app.config["PUBLIC_URL"].rstrip("/")  # never the request's Host: it could be forged
    for user in _accounts_for(identifier):
        link = base + url_for("auth.reset_password", token=make_token(user))
        with force_locale(user.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
            subject = _("Reset your password")
            body = _(
                "Hello %(name)s,\n\nSomeone, hopefully you, asked to reset the password of the account "
                "%(username)s. Open this link within %(minutes)d minutes to choose a new password:\n\n%(link)s\n\n"
                "The link works once. If you did not ask, ignore this e-mail: your password stays as it is.",
                name=user.full_name, username=user.username, minutes=minutes, link=link)
        mail.send_after_commit(user.email, subject, body)
        audit.record(None, "user.password_reset_request", user)
    db.session.commit()


def reset_password(token, new_password):
    """Set the password a reset link is for; every login, API token and socket of the user ends.
    Returns the user; Invalid when the link no longer works or the password breaks the rules."""
    user = user_for_token(token)
    if user is None:
        raise Invalid({"token": _("This link is no longer valid.")})
    f = Fields({"new_password": new_password})
    new = f.str("new_password", max_len=200)
    _check_password_rules(f, "new_password", new)
    f.check()
    user.password_hash = hash_password(new)
    audit.record(user, "user.reset_password", user)
    revoke_access(user)
    db.session.commit()
    close_sockets(user)
    return user
