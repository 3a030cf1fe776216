"""What every JSON API blueprint shares: authentication, CSRF for cookie writes, body parsing."""
from flask import Blueprint, current_app, g, request
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError

from core.errors import BadRequest, Unauthorized
from core.extensions import csrf
from core.validation import check_request_text, request_json

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def public(view):
    """Mark an API view as callable without authentication."""
    view.api_public = True
    return view


def make_api_blueprint(name, import_name):
    """A blueprint under /api/v1: every view needs a user unless marked @public;
    cookie-authenticated writes need the X-CSRFToken header, bearer requests do not."""
    bp = Blueprint(name, import_name, url_prefix="/api/v1")
    csrf.exempt(bp)  # checked below, so bearer requests can skip it

    @bp.before_request
    def _authenticate():
        view = current_app.view_functions.get(request.endpoint)
        if getattr(view, "api_public", False):
            check_request_text()
            return None
        if not current_user.is_authenticated:
            raise Unauthorized(_("Authentication required."))
        if request.method in WRITE_METHODS and g.get("api_token") is None:
            try:
                csrf.protect()
            except CSRFError as exc:
                raise BadRequest(_("CSRF token missing or invalid."), code="csrf_failed") from exc
        check_request_text()  # after authentication: a stranger learns nothing from a 422
        return None

    return bp


def json_body():
    """The request's JSON object, or a 400 that says why not."""
    data = request_json()
    if data is None:
        raise BadRequest(_("The body must be JSON."))
    if not isinstance(data, dict):
        raise BadRequest(_("The body must be a JSON object."))
    return data
