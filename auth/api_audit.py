"""GET /api/v1/audit: the audit-log search of the admin page, as JSON. Read only."""
from flask import jsonify, request
from flask_babel import gettext as _
from flask_login import current_user

from auth import api_bp as api
from auth import audit_trail, permissions
from core.errors import Forbidden, Invalid
from core.extensions import db
from core.validation import Fields


@api.get("/audit")
def audit():
    """Audit rows newest first, with the page's filters; {items, page, per_page, total, pages}."""
    if not permissions.can_view_audit(current_user):
        raise Forbidden(_("Only administrators read the audit log."))
    _filters, conditions, errors = audit_trail.parse_filters(request.args)
    paging = Fields(request.args.to_dict())
    page = paging.int("page", required=False, min_value=1, max_value=1_000_000, default=1)
    per_page = paging.int("per_page", required=False, min_value=1, max_value=audit_trail.API_MAX_PAGE_SIZE,
                          default=audit_trail.PAGE_SIZE)
    errors = {**errors, **paging.errors}
    if errors:
        raise Invalid(errors)
    pagination = db.paginate(audit_trail.query(conditions), page=page, per_page=per_page, error_out=False)
    return jsonify(items=[audit_trail.to_dict(e) for e in audit_trail.present(list(pagination.items))],
                   page=page, per_page=per_page, total=pagination.total, pages=pagination.pages)


def _document():
    from core import openapi as oa

    params = [
        ("actor_id", {"type": "string"}, "a user id, or `system` for what no user did (CLI, scheduled jobs)"),
        ("who", "string", "part of the actor's full name or username"),
        ("action", "string", "e.g. `directive.issue`"),
        ("object_type", "string", "e.g. `directive`, `user`"),
        ("object_id", "integer", "the changed object's id"),
        ("date_from", "string", "YYYY-MM-DD (display time zone) or ISO 8601"),
        ("date_to", "string", "YYYY-MM-DD, that whole day included, or ISO 8601"),
        ("q", "string", "words in the details"),
        ("page", "integer", "from 1"),
        ("per_page", "integer", f"at most {audit_trail.API_MAX_PAGE_SIZE}"),
    ]
    entry = oa._obj(["id", "created_at", "action", "object_type"], id=oa.ID, created_at=oa.DT,
                    actor=oa._null({"type": "object"}), action=oa.S, action_label=oa.S, object_type=oa.S,
                    object_id=oa._null(oa.I), data={"type": "object"}, details={"type": "array"}, ip=oa._null(oa.S))
    oa.path("/audit", get=oa._op(
        "Search the audit trail, newest first: {items, page, per_page, total, pages}", "admin",
        params=params, errors=(401, 403, 422),
        ok_schema=oa._obj(["items", "total"], items={"type": "array", "items": entry}, page=oa.I,
                          per_page=oa.I, total=oa.I, pages=oa.I)))


_document()
