"""Pages: call a service with a form's values, and show what it refused on that form."""
from core.errors import ACCESS_ERRORS, ServiceError
from core.extensions import db


def form_errors(exc, field="_"):
    """The per-field messages of a refused service call; a refusal without fields lands on ``field``."""
    return dict(getattr(exc, "fields", None) or {field: exc.message})


def call_service(fn, *args, field="_", **kwargs):
    """``(result, {})`` when the service did its work, ``(None, errors)`` when it refused.

    A refusal rolls back, so the page re-renders from a clean session. Access refusals
    (403, 404) are not form errors: they propagate to the error page.
    """
    try:
        return fn(*args, **kwargs), {}
    except ACCESS_ERRORS:
        raise
    except ServiceError as exc:
        db.session.rollback()
        return None, form_errors(exc, field)
