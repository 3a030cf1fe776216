"""The audit-log page for administrators: search the trail, read each change, export it to Excel.
Read only: these routes answer GET and nothing else."""
from flask import Response, abort, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from auth import audit_trail, bp, permissions
from auth.models import User
from core import ui
from core.extensions import db
from core.validation import arg_page, parse_id

ui.add_nav(ui.NavItem("auth.audit", _l("Audit log"), "journal-text", permissions.can_view_audit, order=82))

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _require_admin():
    if not permissions.can_view_audit(current_user):
        abort(403)


@bp.route("/admin/audit")
@login_required
def audit():
    _require_admin()
    filters, conditions, errors = audit_trail.parse_filters(request.args)
    page = arg_page()
    pagination = db.paginate(audit_trail.query(conditions), page=page, per_page=audit_trail.PAGE_SIZE,
                             error_out=False)
    actor_id = filters.get("actor_id")
    actor_key = parse_id(actor_id) if "actor_id" not in errors else None
    actor = db.session.get(User, actor_key) if actor_key else None
    return render_template(
        "auth/audit.html", entries=audit_trail.present(list(pagination.items)), pagination=pagination,
        filters=filters, errors=errors, actor=actor,
        actions=audit_trail.action_choices(filters.get("action")),
        object_types=audit_trail.object_choices(filters.get("object_type")),
        export_url=url_for("auth.audit_export", **filters),
        page_url=lambda n: url_for("auth.audit", page=n, **filters),
        filter_url=lambda **change: url_for("auth.audit", **{k: v for k, v in {**filters, **change}.items() if v}),
    )


@bp.route("/admin/audit/export.xlsx")
@login_required
def audit_export():
    _require_admin()
    _filters, conditions, _errors = audit_trail.parse_filters(request.args)
    select = audit_trail.query(conditions)
    rows = db.session.scalars(select.limit(audit_trail.EXPORT_MAX_ROWS)).all()
    total = len(rows)
    if total == audit_trail.EXPORT_MAX_ROWS:
        total = db.session.scalar(db.select(db.func.count()).select_from(select.order_by(None).subquery()))
    return Response(audit_trail.xlsx(rows, total), mimetype=XLSX, headers={
        "Content-Disposition": f'attachment; filename="{audit_trail.export_filename()}"'})
