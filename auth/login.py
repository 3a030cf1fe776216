"""Flask-Login for this app: who a request or a socket belongs to (session, cookie or bearer token)."""
from flask import g, has_request_context, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, user_loaded_from_cookie
from flask_socketio import join_room

from auth import permissions, services
from auth.models import ApiToken, BrowserLogin, User
from core import errors, realtime
from core.dbtypes import utcnow
from core.extensions import db, login_manager
from core.validation import never_stored


def init_app(app):
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    login_manager.session_protection = "basic"
    # The session and the "keep me signed in" cookie carry the browser login, not the user id:
    # a copy of either, taken before that login ended, stays signed but opens nothing.
    login_manager.id_attribute = "get_login_key"
    login_manager.user_loader(load_user)
    login_manager.request_loader(load_from_bearer)
    login_manager.unauthorized_handler(unauthorized)
    user_loaded_from_cookie.connect(_back_from_remember_cookie, app)


def load_user(login_key):
    user = services.user_for_login_key(login_key)
    if user is None and has_request_context():
        session.clear()
        session["_remember"] = "clear"  # Flask-Login then deletes the dead cookie too
    return user


def load_from_bearer(req):
    header = req.headers.get("Authorization", "")
    scheme, _sep, raw = header.partition(" ")
    if scheme.lower() != "bearer" or not raw.strip():
        return None
    found = services.user_for_token(raw.strip())
    if found is None:
        return None
    user, token = found
    g.api_token = token
    return user


def _back_from_remember_cookie(_app, user):
    # The browser is back on the login the cookie was made for: its sockets record that id.
    session["login_id"] = user.login_key
    session.setdefault("lang", user.locale)


def unauthorized():
    if request.path.startswith("/api/"):
        raise errors.Unauthorized(_("Authentication required."))
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


# -- sockets --------------------------------------------------------------------

@realtime.socket_authenticator
def socket_user(auth):
    """(user, api token, until) of a connecting socket (cookie session or ``auth.token``): the socket keeps
    its user (core.realtime) until it closes or ``until``, when its token or browser login expires."""
    token = auth.get("token") if isinstance(auth, dict) else None
    if token:
        if not isinstance(token, str) or never_stored(token)[0] is not None:
            return None, None, None  # not a token we could have issued: refused, not a crash
        found = services.user_for_token(token, commit=False)  # the connect's own commit writes its last use
        if found is None:
            return None, None, None
        user, api_token = found
        return user, api_token, api_token.expires_at
    if current_user.is_authenticated and current_user.active:
        user = current_user._get_current_object()
        api_token = g.get("api_token")  # a bearer header on the handshake (load_from_bearer)
        if api_token is not None:
            return user, api_token, api_token.expires_at
        return user, None, getattr(user, "login_expires_at", None)
    return None, None, None


@realtime.socket_rechecker
def sockets_no_longer_allowed(kept):
    """The sids in ``kept`` ({sid: KeptUser}) whose token was revoked or expired, whose browser login ended, or
    whose user was deactivated or given another role or agency since the socket connected."""
    now = utcnow()
    users = _chunked(lambda ids: db.select(User.id, User.active, User.role, User.agency_id, User.full_name,
                                           User.locale).where(User.id.in_(ids)),
                     {k.user.id for k in kept.values()})
    tokens = _chunked(lambda ids: db.select(ApiToken.id).where(
        ApiToken.id.in_(ids), ApiToken.revoked_at.is_(None),
        db.or_(ApiToken.expires_at.is_(None), ApiToken.expires_at > now)), {k.api_token_id for k in kept.values()})
    logins = _chunked(lambda ids: db.select(BrowserLogin.id).where(
        BrowserLogin.id.in_(ids), BrowserLogin.ended_at.is_(None), BrowserLogin.expires_at > now),
        {k.login_id for k in kept.values()})
    now_of = {row[0]: tuple(row) for row in users}
    live = {row[0] for row in tokens} | {row[0] for row in logins} | {None}
    return [sid for sid, k in kept.items()
            if now_of.get(k.user.id) != (k.user.id, True, k.user.role, k.user.agency_id, k.user.full_name,
                                         k.user.locale)
            or (k.api_token_id or k.login_id) not in live]


def _chunked(query, ids, size=500):
    """Rows of ``query(some ids)`` for all of ``ids`` (None left out), a few hundred ids per statement."""
    ids = sorted(i for i in ids if i is not None)
    return [row for n in range(0, len(ids), size) for row in db.session.execute(query(ids[n:n + size])).all()]


def join_rooms(user):
    """Everyone hears their own room and their agency's; the provincial leaders and admins the leaders'
    room; an agency's leaders that agency's leaders' room (directives in its subtree)."""
    join_room(realtime.user_room(user.id))
    if user.agency_id:
        join_room(realtime.agency_room(user.agency_id))
    if permissions.is_staff(user):
        join_room(realtime.LEADERS_ROOM)
    elif permissions.is_agency_leader(user):
        join_room(realtime.agency_leaders_room(user.agency_id))


realtime.connect_hooks.append(join_rooms)
