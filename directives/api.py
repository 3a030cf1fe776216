"""JSON endpoints for directives (API.md): parse, call the service, serialize."""
from flask import jsonify, request
from flask_babel import gettext as _
from flask_login import current_user

from core.api import json_body
from core.dbtypes import utcnow
from core.errors import Forbidden
from core.extensions import db
from core.validation import arg_int
from directives import api_bp as api
from directives import board, cascade, corrections, extensions, permissions, queries, schemas, services

LIST_FILTERS = ("status", "tracking", "agency_id", "priority", "date_from", "date_to", "q", "only_unacknowledged")


def _optional_body():
    """The JSON object of a request whose body may be empty."""
    if not request.get_data(cache=True):
        return {}
    return json_body()


def _args(names):
    return {name: request.args.get(name) for name in names if request.args.get(name) not in (None, "")}


@api.post("/directives")
def issue():
    directive = services.issue_directive(current_user, json_body())
    return jsonify(schemas.serialize_directive(directive, user=current_user)), 201


@api.get("/directives")
def list_directives():
    """Directives visible to the caller, newest first: ?status&tracking&agency_id&priority&date_from&date_to&q
    &only_unacknowledged, paginated by ?limit (default 100, at most 500) and ?offset."""
    now = utcnow()
    query = queries.list_query(current_user, _args(LIST_FILTERS), now=now)
    limit = min(max(arg_int("limit", 100), 1), 500)
    offset = max(arg_int("offset", 0), 0)
    total = db.session.scalar(db.select(db.func.count()).select_from(query.order_by(None).subquery()))
    rows = db.session.scalars(query.limit(limit).offset(offset)).all()
    return jsonify(items=[schemas.serialize_directive(d, now, user=current_user) for d in rows], total=total,
                   limit=limit, offset=offset)


@api.get("/directives/stats")
def stats():
    """Per-agency counts: ?priority&date_from&date_to&agency_id; ?all=1 includes agencies with no assignment.
    ?level=<agency id>|province: one level's board (board.level_stats: what that agency gave, rows per
    agency and per officer, with the level and its summary by level); 403 outside the caller's scope. An
    agency's leader without ?level gets their own agency's level."""
    if not permissions.can_view_stats(current_user):
        raise Forbidden(_("Only leaders and administrators see the statistics."))
    filters = _args(("priority", "date_from", "date_to", "agency_id"))
    if not request.args.get("level") and permissions.is_staff(current_user):
        rows = queries.agency_stats(filters=filters, include_empty=request.args.get("all") == "1")
        return jsonify(agencies=rows, totals=queries.stats_totals(rows), due_soon_days=queries.window_days())
    agency = board.resolve_level(current_user, request.args.get("level"))
    scope = agency.id if agency is not None else None
    rows = board.level_stats(scope, filters=filters)
    return jsonify(agencies=rows, totals=queries.stats_totals(rows), due_soon_days=queries.window_days(),
                   level={"agency_id": scope, "name": agency.name if agency is not None else None},
                   summary=board.level_summary(scope, filters=filters))


@api.get("/directives/<int:directive_id>")
def get_directive(directive_id):
    return jsonify(schemas.serialize_directive(queries.get_directive(current_user, directive_id),
                                              user=current_user))


@api.patch("/directives/<int:directive_id>")
def correct(directive_id):
    """Correct a directive in force: any of title, body, deadline, priority, lead_agency_id,
    support_agency_ids, with a reason (corrections.correct_directive)."""
    directive = queries.get_directive(current_user, directive_id)
    corrections.correct_directive(current_user, directive, json_body())
    return jsonify(schemas.serialize_directive(directive, user=current_user))


@api.post("/directives/<int:directive_id>/cancel")
def cancel(directive_id):
    directive = queries.get_directive(current_user, directive_id)
    services.cancel_directive(current_user, directive, json_body())
    return jsonify(schemas.serialize_directive(directive, user=current_user))


@api.get("/assignments/<int:assignment_id>")
def get_assignment(assignment_id):
    """One assignment with its reports and extension requests."""
    a = queries.get_assignment(current_user, assignment_id)
    data = schemas.serialize_assignment(a)
    visible = permissions.visible_assignments(current_user, a.directive)
    data["children"] = [c.id for c in a.directive.assignments if c.parent_id == a.id and c.id in visible]
    data["reports"] = [schemas.serialize_report(r) for r in a.reports]
    data["extension_requests"] = [schemas.serialize_extension(x) for x in a.extension_requests]
    return jsonify(data)


@api.post("/assignments/<int:assignment_id>/seen")
def seen(assignment_id):
    a = queries.get_assignment(current_user, assignment_id)
    return jsonify(schemas.serialize_assignment(services.mark_seen(current_user, a)))


@api.post("/assignments/<int:assignment_id>/acknowledge")
def acknowledge(assignment_id):
    a = queries.get_assignment(current_user, assignment_id)
    return jsonify(schemas.serialize_assignment(services.acknowledge(current_user, a)))


@api.post("/assignments/<int:assignment_id>/reports")
def report(assignment_id):
    a = queries.get_assignment(current_user, assignment_id)
    r = services.report_progress(current_user, a, json_body())
    return jsonify(dict(schemas.serialize_report(r), assignment=schemas.serialize_assignment(a))), 201


@api.get("/assignments/<int:assignment_id>/reports")
def reports(assignment_id):
    a = queries.get_assignment(current_user, assignment_id)
    return jsonify(items=[schemas.serialize_report(r) for r in a.reports])


@api.post("/assignments/<int:assignment_id>/submit")
def submit(assignment_id):
    a = queries.get_assignment(current_user, assignment_id)
    r = services.submit(current_user, a, _optional_body())
    return jsonify(dict(schemas.serialize_assignment(a), report_id=r.id))


@api.post("/assignments/<int:assignment_id>/sub-assignments")
def pass_on(assignment_id):
    """Pass the assignment on: {agency_ids?, user_ids?, deadline, note?} -> 201 {items: [assignment...]}."""
    a = queries.get_assignment(current_user, assignment_id)
    children = cascade.pass_on(current_user, a, json_body())
    return jsonify(items=[schemas.serialize_assignment(c) for c in children]), 201


@api.post("/assignments/<int:assignment_id>/approve")
def approve(assignment_id):
    """The agency's leader clears an officer's result to go up."""
    a = queries.get_assignment(current_user, assignment_id)
    return jsonify(schemas.serialize_assignment(cascade.approve(current_user, a)))


@api.post("/assignments/<int:assignment_id>/accept")
def accept(assignment_id):
    a = queries.get_assignment(current_user, assignment_id)
    return jsonify(schemas.serialize_assignment(services.accept(current_user, a)))


@api.post("/assignments/<int:assignment_id>/return")
def return_assignment(assignment_id):
    a = queries.get_assignment(current_user, assignment_id)
    return jsonify(schemas.serialize_assignment(services.return_assignment(current_user, a, json_body())))


@api.post("/assignments/<int:assignment_id>/extension-requests")
def request_extension(assignment_id):
    a = queries.get_assignment(current_user, assignment_id)
    ext = extensions.request_extension(current_user, a, json_body())
    return jsonify(schemas.serialize_extension(ext)), 201


@api.post("/extension-requests/<int:extension_id>/approve")
def approve_extension(extension_id):
    ext = queries.get_extension(current_user, extension_id)
    extensions.approve_extension(current_user, ext)
    return jsonify(dict(schemas.serialize_extension(ext), assignment=schemas.serialize_assignment(ext.assignment)))


@api.post("/extension-requests/<int:extension_id>/reject")
def reject_extension(extension_id):
    ext = queries.get_extension(current_user, extension_id)
    extensions.reject_extension(current_user, ext, _optional_body())
    return jsonify(dict(schemas.serialize_extension(ext), assignment=schemas.serialize_assignment(ext.assignment)))


@api.get("/assignments/<int:assignment_id>/history")
def history(assignment_id):
    a = queries.get_assignment(current_user, assignment_id)
    visible = permissions.visible_assignments(current_user, a.directive)
    return jsonify(items=[schemas.serialize_event(e, visible) for e in queries.history(a)])


# -- attachments (multipart/form-data, field "file", several allowed) ------------------------

def _files():
    files = [f for f in request.files.getlist("file") if f and f.filename]
    if not files:
        from core.errors import Invalid

        raise Invalid({"file": _("Choose a file.")})
    return files


@api.post("/directives/<int:directive_id>/attachments")
def upload_directive_files(directive_id):
    from directives import attachments

    directive = queries.get_directive(current_user, directive_id)
    saved = attachments.save_uploads(_files(), directive, current_user)
    return jsonify(items=[schemas.serialize_attachment(a) for a in saved]), 201


@api.post("/reports/<int:report_id>/attachments")
def upload_report_files(report_id):
    from directives import attachments

    report = queries.get_report(current_user, report_id)
    saved = attachments.save_uploads(_files(), report, current_user)
    return jsonify(items=[schemas.serialize_attachment(a) for a in saved]), 201


@api.get("/attachments/<int:attachment_id>")
def download(attachment_id):
    from directives import attachments

    return attachments.open_attachment(current_user, attachment_id)


# The reminders job and the `flask --app wsgi directives remind` command register themselves on import.
from directives import reminders  # noqa: E402,F401
