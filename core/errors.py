"""Errors: the service exceptions every layer understands, and how each layer shows them.

Services raise ServiceError subclasses. The API turns them into the JSON error of
API.md, pages into a form message or an error page, socket handlers into an ack
``{ok: false, error: code}``.
"""
import logging

from flask import jsonify, render_template, request
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)


class ServiceError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message=None, code=None, status=None, **extra):
        super().__init__(message or self.code)
        self.message = message or self.code
        if code:
            self.code = code
        if status:
            self.status = status
        self.extra = extra

    def to_dict(self):
        body = {"error": {"code": self.code, "message": self.message}}
        body["error"].update(self.extra)
        return body


class BadRequest(ServiceError):
    status, code = 400, "malformed"


class Unauthorized(ServiceError):
    status, code = 401, "unauthorized"


class Forbidden(ServiceError):
    status, code = 403, "forbidden"


class NotFound(ServiceError):
    status, code = 404, "not_found"


#: refusals a page answers with the error page (403, 404), never with a flash on a redirect
ACCESS_ERRORS = (Forbidden, NotFound)


class Conflict(ServiceError):
    status, code = 409, "conflict"


class ServiceUnavailable(ServiceError):
    status, code = 503, "unavailable"


class Invalid(ServiceError):
    """422: invalid field values. ``fields`` maps each field name to what is wrong."""

    status, code = 422, "invalid"

    def __init__(self, fields, message=None):
        self.fields = dict(fields)
        message = message or _("Invalid fields: %(names)s", names=", ".join(sorted(self.fields)))
        super().__init__(message, fields=self.fields)


HTTP_CODES = {
    400: "malformed",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid",
    429: "rate_limited",
    500: "internal_error",
}


def _is_api():
    return request.path.startswith("/api/")


def json_error(status, code, message, **extra):
    body = {"error": {"code": code, "message": message}}
    body["error"].update(extra)
    return jsonify(body), status


def register_error_handlers(app):
    from core.extensions import db

    @app.errorhandler(ServiceError)
    def service_error(exc):
        db.session.rollback()  # nothing half-written survives an error
        if _is_api():
            return jsonify(exc.to_dict()), exc.status
        return render_template("errors.html", status=exc.status, message=exc.message), exc.status

    @app.errorhandler(HTTPException)
    def http_error(exc):
        from flask_wtf.csrf import CSRFError

        status = exc.code or 500
        db.session.rollback()
        if isinstance(exc, CSRFError):
            message = _("The form has expired. Go back, reload the page and try again.")
        elif status == 429:
            message = _("Too many attempts. Please wait a few minutes and try again.")
        elif status == 404:
            message = _("Not found")
        else:
            message = exc.description
        if _is_api():
            return json_error(status, HTTP_CODES.get(status, "error"), message)
        return render_template("errors.html", status=status,
                               message=message if isinstance(exc, CSRFError) else None), status

    @app.errorhandler(Exception)
    def unexpected(exc):
        db.session.rollback()
        log.exception("unhandled error on %s %s", request.method, request.path)
        if _is_api():
            return json_error(500, "internal_error", _("Internal error"))
        return render_template("errors.html", status=500, message=None), 500
