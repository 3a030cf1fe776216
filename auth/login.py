"""Flask-Login for this app: who a request or a socket belongs to (session, cookie or bearer token)."""
from flask import g, has_request_context, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, user_loaded_from_cookie
from flask_socketio import join_room

from auth import permissions, services
from core import errors, realtime
from core.extensions import login_manager
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
    """The user of a connecting socket (cookie session or ``auth.token``) and its token."""
    token = auth.get("token") if isinstance(auth, dict) else None
    if token:
        if not isinstance(token, str) or never_stored(token)[0] is not None:
            return None, None  # not a token we could have issued: refused, not a crash
        found = services.user_for_token(token)
        if found is None:
            return None, None
        user, api_token = found
        login_user(user)  # the socket's own session (manage_session): not the browser's cookie
        return user, api_token
    if current_user.is_authenticated and current_user.active:
        return current_user._get_current_object(), None
    return None, None


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
