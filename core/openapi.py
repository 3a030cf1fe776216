"""The OpenAPI 3.1 document of /api/v1, served at /api/v1/openapi.json and shown at /api/docs.

Summaries, bodies and responses are written by hand, with :func:`path`: below, and in a module's api
files (auth, notifications, the meeting outcomes); the paths, their methods and path parameters, and
who needs to authenticate come from the app's url_map, so they cannot drift.
tests/api/test_openapi.py fails when a route has no hand-written entry.
"""
import re

from werkzeug.routing.converters import IntegerConverter, NumberConverter

API_PREFIX = "/api/v1"
MAX_ID = 2**63 - 1  # a signed 64-bit integer: the largest id any database here can hold
ERROR = {"$ref": "#/components/schemas/Error"}
WRITE_METHODS = {"post", "put", "patch", "delete"}


def _op(summary, who, ok=200, body=None, params=(), errors=(401, 403, 404, 422), ok_schema=None, body_required=True):
    op = {"summary": summary, "description": f"Who: {who}.", "responses": {str(ok): _ok_response(ok, ok_schema)}}
    for status in errors:
        op["responses"][str(status)] = _error_response(status)
    if body:
        op["requestBody"] = {"required": body_required, "content": {"application/json": {"schema": body}}}
    if params:
        op["parameters"] = [
            {"name": name, "in": "query", "required": False, "schema": _query_schema(typ), "description": desc}
            for name, typ, desc in params
        ]
    return op


def _ok_response(status, schema):
    if status == 204:
        return {"description": "Done, no content"}
    return {"description": "OK", "content": {"application/json": {"schema": schema or {"type": "object"}}}}


def _error_response(status):
    return {"description": _ERRORS[status], "content": {"application/json": {"schema": ERROR}}}


def _query_schema(typ):
    if isinstance(typ, dict):
        return typ
    if typ == "integer":
        return {"type": "integer", "minimum": 0, "maximum": MAX_ID}
    return {"type": typ}


_ERRORS = {
    400: "malformed request (bad JSON, not an object, missing CSRF token on a cookie write)",
    401: "not authenticated",
    403: "not allowed",
    404: "not found, or not visible to the caller",
    409: "conflict with the current state",
    413: "too large",
    422: "invalid field values; the message and `fields` name them",
    429: "too many attempts",
    503: "a server the app needs (the call's Janus) cannot be reached; try again",
}


def _obj(required=(), **props):
    schema = {"type": "object", "properties": props}
    if required:
        schema["required"] = list(required)
    return schema


def _text(max_length):
    return {"type": "string", "maxLength": max_length}


def _null(schema):
    """The schema, or null."""
    return {"anyOf": [schema, {"type": "null"}]}


S = {"type": "string"}
I = {"type": "integer"}  # noqa: E741  (modules' API docs use oa.I beside oa.S and oa.B)
B = {"type": "boolean"}
ID = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
DT = {"type": "string", "format": "date-time"}
IDS = {"type": "array", "items": ID}
ITEMS = _obj(["items"], items={"type": "array", "items": {"type": "object"}})

PATHS = {}


def path(url, **ops):
    PATHS.setdefault(url, {}).update(ops)


# -- shapes the responses share -------------------------------------------------------
ASSIGNMENT = _obj(["id", "agency_id", "role", "status", "tracking", "deadline"],
                  id=ID, directive_id=ID, agency_id=ID, role={"enum": ["lead", "support"]},
                  status={"enum": ["pending", "acknowledged", "in_progress", "submitted", "completed", "cancelled"]},
                  tracking={"enum": ["on_track", "due_soon", "overdue", "completed_on_time", "completed_late",
                                     "cancelled"]},
                  deadline=DT, first_seen_at=_null(DT), acknowledged_at=_null(DT), acknowledged_by=_null(ID),
                  progress=_null(I), submitted_at=_null(DT), completed_at=_null(DT),
                  parent_id=_null({**ID, "description": "the assignment it was passed on from; null for a root"}),
                  children={**IDS, "description": "ids of the assignments passed on from it that the caller sees"},
                  assignee_id=_null(ID), note=_null(S), approved_at=_null(DT), awaiting_approval=B,
                  branch_progress=_null(I),
                  path_only={**B, "description": "true: above the caller's share, agency, status and deadline only"})
DIRECTIVE = _obj(["id", "number", "title", "deadline", "status", "assignments"],
                 id=ID, number=S, title=S, body=_null(S), deadline=DT, priority=S, status=S,
                 issued_at=_null(DT), issuer_id=_null(ID), source_meeting_id=_null(ID), cancelled_at=_null(DT),
                 cancel_reason=_null(S), assignments={"type": "array", "items": ASSIGNMENT})
MEETING_FIELDS = {"title": S, "description": S, "starts_at": DT, "ends_at": _null(DT), "place": S, "online": B,
                  "bridge_url": _null({"type": "string", "maxLength": 500, "description": "an http(s) link"}),
                  "participant_ids": IDS, "agency_ids": IDS, "secretary_id": _null(ID),
                  "agenda": {"type": "array", "items": _obj(["title"], title=S)}}
#: a recurring meeting (docs/meetings.md "Recurring meetings"): its occurrences are meetings of their own
RECURRENCE = _obj(["freq"], freq={"enum": ["weekly", "monthly"]}, interval={**I, "minimum": 1, "maximum": 12},
                  count={**I, "minimum": 2, "maximum": 200}, until={"type": "string", "format": "date"})
#: a change to an occurrence of a series: this one only (default) or this and the following ones
SCOPE = {"enum": ["this", "following"]}

# -- directives -----------------------------------------------------------------
_DATE = {"type": "string", "format": "date"}
path("/directives",
     get=_op("Directives visible to me, newest first ({items, total, limit, offset})",
             "leaders and admins: all; officers: their agency's", errors=(401, 422),
             params=[("status", "string", ""), ("tracking", "string", ""), ("agency_id", "integer", ""),
                     ("priority", "string", ""), ("date_from", _DATE, "deadline from"),
                     ("date_to", _DATE, "deadline to"), ("q", "string", "text search"),
                     ("only_unacknowledged", "string", "1: only not yet acknowledged"),
                     ("limit", "integer", "1..500, default 100"), ("offset", "integer", "default 0")],
             ok_schema=_obj(["items"], items={"type": "array", "items": DIRECTIVE}, total=I, limit=I, offset=I)),
     post=_op("Issue a directive", "leader", 201,
              _obj(["title", "body", "deadline", "lead_agency_id"], title=_text(500), body=_text(50_000),
                   deadline=DT, priority={"enum": ["normal", "high", "urgent"]}, lead_agency_id=ID,
                   support_agency_ids=IDS,
                   client_id={"type": "string",
                              "description": "optional; a retry with the same value returns the first directive"}),
              errors=(400, 401, 403, 404, 409, 422), ok_schema=DIRECTIVE))
path("/directives/{directive_id}",
     get=_op("One directive with its assignments", "who may see it", ok_schema=DIRECTIVE, errors=(401, 404)),
     patch=_op("Correct a directive in force (fields left out stay; lead_agency_id alone replaces the lead). An "
               "agency taken off has its open assignment cancelled, never deleted; a new deadline moves open "
               "assignments that had the old one, extensions granted later than it are kept; each change is in every "
               "affected assignment's history with from and to; agencies hear directive:updated, a new one "
               "directive:new",
               "leader (the issuer or another leader)",
               body=_obj(["reason"], reason=_text(500), title=_text(500), body=_text(50_000), deadline=DT,
                         priority={"enum": ["normal", "high", "urgent"]}, lead_agency_id=ID, support_agency_ids=IDS),
               errors=(400, 401, 403, 404, 409, 422), ok_schema=DIRECTIVE))
path("/directives/stats",
     get=_op("Per-agency tracking counts and median time to acknowledge. With level: one level's board, each "
             "assignment counted once at the level of the agency that gave it (rows per receiving agency and per "
             "officer given a share, with rank, plus level and summary by level)",
             "provincial leaders and admins any level; an agency's leader their agency's and below (their own "
             "level without level)",
             params=[("priority", "string", ""), ("date_from", _DATE, ""), ("date_to", _DATE, ""),
                     ("agency_id", "integer", ""), ("all", "string", "1: also agencies with nothing assigned"),
                     ("level", "string", "an agency id (what it gave) or province (what the provincial leaders "
                      "gave); 403 outside the caller's scope, 404 for no such agency")],
             errors=(401, 403, 404, 422),
             ok_schema=_obj(["agencies"], agencies={"type": "array", "items": {"type": "object"}})))
_FIGURES = _obj(["agency_id", "due", "completed_on_time", "completed_late", "open_within_deadline", "open_overdue",
                  "on_time_rate", "median_ack_seconds", "median_handling_seconds"])
path("/reports/execution",
     get=_op("The execution report (docs/reports.md): the assignments due in the period, each categorised as it stood "
             "at the period's end (completed on time, completed late, open within its deadline, open overdue), per "
             "agency of the level asked for, with on-time rate (percent of those judged), median seconds to "
             "acknowledge and from issue to acceptance, carried over, extensions granted, rank and its change; the "
             "totals, the overdue list with the agency's latest reason, and the previous period of the same length",
             "provincial leaders and admins any level; an agency's leader their agency's and below (their own level "
             "without agency_id); others 403",
             params=[("from", _DATE, "first day, in the display time zone (required)"),
                     ("to", _DATE, "last day, included (required)"),
                     ("agency_id", "string", "an agency id (what it gave) or province; 403 outside the caller's "
                      "scope, 404 for no such agency")],
             errors=(401, 403, 404, 422),
             ok_schema=_obj(["from", "to", "agencies", "previous"], agencies={"type": "array", "items": _FIGURES},
                            previous=_obj(["from", "to", "agencies"]))))
path("/assignments/{assignment_id}/acknowledge",
     post=_op("Acknowledge (idempotent: repeating returns the first time)", "officer of that agency",
              errors=(401, 403, 404, 409), ok_schema=ASSIGNMENT))
path("/assignments/{assignment_id}/reports",
     post=_op("Report progress; status becomes in_progress", "officer of that agency", 201,
              _obj(["progress"], progress={"type": "integer", "minimum": 0, "maximum": 100}, note=S,
                   client_id={"type": "string",
                              "description": "optional; a retry with the same value stores one report"}),
              errors=(400, 401, 403, 404, 409, 422)))
path("/assignments/{assignment_id}/submit",
     post=_op("Submit the result; with assignments passed on from it still open, children_note says why",
              "whoever holds it", body=_obj(note=S, children_note=S), body_required=False,
              errors=(400, 401, 403, 404, 409, 422)))
path("/assignments/{assignment_id}/sub-assignments",
     post=_op("Pass it on to agencies under its agency and/or officers of it, each with a deadline not after its "
              "own (docs/cascade.md)", "a leader or officer of the assigned agency", 201,
              _obj(["deadline"], agency_ids=IDS, user_ids=IDS, deadline=DT, note=S),
              errors=(400, 401, 403, 404, 409, 422),
              ok_schema=_obj(["items"], items={"type": "array", "items": ASSIGNMENT})))
path("/assignments/{assignment_id}/approve",
     post=_op("The agency's leader clears an officer's result to go up", "a leader of the assigned agency",
              errors=(401, 403, 404, 409), ok_schema=ASSIGNMENT))
path("/assignments/{assignment_id}/accept",
     post=_op("Accept the result: completed", "leader", errors=(401, 403, 404, 409), ok_schema=ASSIGNMENT))
path("/assignments/{assignment_id}/return",
     post=_op("Return to in_progress with a reason", "leader", body=_obj(["reason"], reason=S),
              errors=(400, 401, 403, 404, 409, 422), ok_schema=ASSIGNMENT))
path("/assignments/{assignment_id}/extension-requests",
     post=_op("Ask for a later deadline", "officer of that agency", 201,
              _obj(["deadline", "reason"], deadline=DT, reason=S), errors=(400, 401, 403, 404, 409, 422)))
path("/extension-requests/{extension_id}/approve",
     post=_op("Approve: the assignment deadline moves", "leader", errors=(401, 403, 404, 409)))
path("/extension-requests/{extension_id}/reject",
     post=_op("Reject with a reason (kept in the history, sent to the agency)", "leader",
              body=_obj(["reason"], reason=S), errors=(400, 401, 403, 404, 409, 422)))
path("/assignments/{assignment_id}/history",
     get=_op("Every change: who, when, what, from and to", "who may see the directive", errors=(401, 404),
             ok_schema=ITEMS))
path("/directives/{directive_id}/cancel",
     post=_op("Cancel an issued directive; open assignments become cancelled", "leader",
              body=_obj(["reason"], reason=S), errors=(400, 401, 403, 404, 409, 422), ok_schema=DIRECTIVE))
path("/assignments/{assignment_id}",
     get=_op("One assignment with its reports and extension requests", "who may see the directive",
             ok_schema=ASSIGNMENT, errors=(401, 404)))
path("/assignments/{assignment_id}/seen",
     post=_op("Record the agency's first view (no change for others)", "who may see the directive",
              errors=(401, 404), ok_schema=ASSIGNMENT))
path("/assignments/{assignment_id}/reports",
     get=_op("Progress reports, oldest first ({items})", "who may see the directive", errors=(401, 404),
             ok_schema=ITEMS))
_FILES = {"type": "array", "items": {"type": "string", "format": "binary"}}
_UPLOAD = {"required": True, "content": {"multipart/form-data": {"schema": _obj(["file"], file=_FILES)}}}
path("/directives/{directive_id}/attachments",
     post=dict(_op("Attach files to a directive (pdf, doc(x), xls(x), odt, ods, jpg, png, zip)", "leader", 201,
                   errors=(400, 401, 403, 404, 413, 422), ok_schema=ITEMS), requestBody=_UPLOAD))
path("/reports/{report_id}/attachments",
     post=dict(_op("Attach files to a progress report", "officer of the assignment's agency", 201,
                   errors=(400, 401, 403, 404, 413, 422), ok_schema=ITEMS), requestBody=_UPLOAD))
_download = _op("Download an attachment", "who may see the directive", errors=(401, 404))
_download["responses"]["200"] = {"description": "The file, as an attachment, with its own type (PDF, Word, ...)",
                                 "content": {"*/*": {"schema": {"type": "string", "format": "binary"}}}}
path("/attachments/{attachment_id}", get=_download)

# -- meetings -----------------------------------------------------------------
path("/meetings",
     post=_op("Schedule a meeting; chair_id (an active leader) chairs it, else the creator",
              "leader, admin; provincial office staff with chair_id", 201,
              _obj(["title", "starts_at", "participant_ids"], chair_id=_null(ID), recurrence=RECURRENCE,
                   **MEETING_FIELDS),
              errors=(400, 401, 403, 422)))
path("/meetings", get=_op("My meetings, live then upcoming then past ({items: [...]}); scope=all: every meeting",
                          "any user (scope=all: leaders, admins)",
                          params=[("scope", {"enum": ["mine", "all"]}, "mine (default) or all")],
                          errors=(401,), ok_schema=ITEMS))
path("/meetings/{meeting_id}",
     get=_op("A meeting with participants and agenda", "participants, leaders, admins", errors=(401, 404)),
     patch=_op("Change a meeting (the fields of POST /meetings; the invitation list is replaced)", "chair, admin",
               body=_obj(scope=SCOPE, **MEETING_FIELDS), errors=(400, 401, 403, 404, 409, 422)))
path("/meetings/{meeting_id}/start",
     post=_op("Open the live room (status live)", "chair, admin", errors=(401, 403, 404, 409)))
path("/meetings/{meeting_id}/end", post=_op("End the meeting: chat closes, presence spans close", "chair, admin",
                                            errors=(401, 403, 404, 409)))
path("/meetings/{meeting_id}/cancel",
     post=_op("Cancel a meeting that has not started; invitees are told", "chair, admin",
              body=_obj(reason=S), body_required=False, errors=(401, 403, 404, 409)))
path("/meetings/{meeting_id}/presence", get=_op("Who is in the live room now: {meeting_id, present: [user ids]}",
                                                "participants, leaders, admins", errors=(401, 404),
                                                ok_schema=_obj(["meeting_id", "present"], meeting_id=ID, present=IDS)))
path("/meetings/{meeting_id}/messages",
     get=_op("Chat messages, oldest first, ids strictly increasing", "participants",
             params=[("after", "integer", "only ids above"),
                     ("before", {"type": "integer", "minimum": 1, "maximum": MAX_ID},
                      "the page just below this id (scroll-back)"),
                     ("limit", {"type": "integer", "minimum": 1, "maximum": 200}, "how many (1..200, default 50)")],
             errors=(401, 404, 422), ok_schema=ITEMS))
path("/meetings/{meeting_id}/minutes",
     get=_op("The minutes: {body, version, status}", "participants", errors=(401, 404),
             params=[("render", "string", "1: also the sanitised HTML")],
             ok_schema=_obj(["body", "version", "status"], body=S, version=I, status={"enum": ["draft", "final"]})),
     put=_op("Save the minutes on top of base_version; 409 with the current {version, body} when stale, 409 when "
             "final", "chair or secretary",
             body=_obj(["body", "base_version"], body=S, base_version={"type": "integer", "minimum": 0}),
             errors=(400, 401, 403, 404, 409, 422)))
path("/meetings/{meeting_id}/minutes/finalize",
     post=_op("Make the minutes final (locked)", "chair", errors=(401, 403, 404, 409)))
path("/meetings/{meeting_id}/attendance",
     get=_op("Present/absent over the invitation list with first joined, last left, seconds present, late_seconds, "
             "joined_call_at (first joined the call); then the connection points, people_at_points and people_total "
             "(the people at the points and the present participants who operate none)",
             "chair, secretary, leaders", errors=(401, 403, 404), ok_schema=ITEMS))
path("/meetings/{meeting_id}/conclusions",
     post=_op("Record a conclusion", "chair or secretary", 201, _obj(["text"], text=S),
              errors=(400, 401, 403, 404, 409, 422)))
path("/conclusions/{conclusion_id}/directive",
     post=_op("Turn a conclusion into a directive (source_meeting_id set)", "leader", 201,
              _obj(["lead_agency_id", "deadline"], lead_agency_id=ID, support_agency_ids=IDS, deadline=DT, title=S),
              errors=(400, 401, 403, 404, 409, 422), ok_schema=DIRECTIVE))
path("/openapi.json", get=_op("This document", "anyone", errors=(), ok_schema={"type": "object"}))


def document(app=None):
    """The whole document for ``app`` (default: the current app)."""
    from flask import current_app

    app = app or current_app._get_current_object()
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Chỉ đạo & Họp trực tuyến API",
            "version": "1",
            "description": "Errors are always {\"error\": {\"code\", \"message\"}}. Authenticate with a session "
            "cookie (writes need the X-CSRFToken header) or `Authorization: Bearer <token>` from POST /auth/token. "
            "Times are ISO 8601 with offset; a time without offset is read in Asia/Ho_Chi_Minh.",
        },
        "servers": [{"url": API_PREFIX}],
        "security": [{"bearer": []}, {"cookie": []}],
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "description": "a token from POST /auth/token"},
                "cookie": {"type": "apiKey", "in": "cookie", "name": app.config.get("SESSION_COOKIE_NAME") or "session",
                           "description": "the browser's login session"},
                "csrf": {"type": "apiKey", "in": "header", "name": "X-CSRFToken",
                         "description": "with the session cookie, every write also sends the page's CSRF token"},
            },
            "schemas": {
                "Error": _obj(["error"], error=_obj(["code", "message"], code=S, message=S,
                                                    fields={"type": "object", "additionalProperties": S})),
            },
        },
        "paths": api_paths(app),
    }


def api_routes(app):
    """[(openapi path, method, rule)] of every /api/v1 route, in url_map order."""
    routes = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(API_PREFIX + "/"):
            continue
        url = _RULE_ARGUMENT.sub(r"{\3}", rule.rule[len(API_PREFIX):])
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            routes.append((url, method.lower(), rule))
    return routes


_RULE_ARGUMENT = re.compile(r"<(?:([A-Za-z_]\w*)(\([^)]*\))?:)?([A-Za-z_]\w*)>")


def api_paths(app):
    """The paths object: the hand-written operations, with what the url_map knows added."""
    paths = {}
    for url, method, rule in sorted(api_routes(app), key=lambda r: (r[0], r[1])):
        paths.setdefault(url, {})[method] = _operation(app, url, method, rule)
    return paths


def _operation(app, url, method, rule):
    view = app.view_functions.get(rule.endpoint)
    op = _copy(PATHS.get(url, {}).get(method)) or _op(_docstring(view) or rule.endpoint, "see the summary")
    many = len(rule.methods - {"HEAD", "OPTIONS"}) > 1
    op["operationId"] = f"{rule.endpoint}.{method}" if many else rule.endpoint
    op.setdefault("tags", [rule.endpoint.split(".")[0].removesuffix("_api")])
    path_params = [_path_parameter(name, rule._converters[name]) for name in _argument_names(rule.rule)]
    op["parameters"] = path_params + [p for p in op.get("parameters", []) if p["in"] != "path"]
    if not op["parameters"]:
        del op["parameters"]
    _add_security(op, method, view)
    _add_error_responses(op, bool(path_params))
    op["responses"] = dict(sorted(op["responses"].items()))
    return op


def _add_security(op, method, view):
    if getattr(view, "api_public", False):
        op["security"] = []
        return
    op["responses"].setdefault("401", _error_response(401))
    if method in WRITE_METHODS:  # a cookie write without its CSRF token; bearer writes need none
        op["security"] = [{"bearer": []}, {"cookie": [], "csrf": []}]
        op["responses"].setdefault("400", _error_response(400))


def _add_error_responses(op, has_path_params):
    responses = op["responses"]
    if has_path_params:
        responses.setdefault("404", _error_response(404))
    if "requestBody" in op:
        for status in (400, 413, 422):
            responses.setdefault(str(status), _error_response(status))
    if any(p["in"] == "query" for p in op.get("parameters", [])):
        responses.setdefault("422", _error_response(422))  # a query value no field accepts (NUL, ...)


def _argument_names(rule_text):
    return [m.group(3) for m in _RULE_ARGUMENT.finditer(rule_text)]


def _path_parameter(name, converter):
    schema = getattr(converter, "openapi_schema", None)
    if schema is None:
        if isinstance(converter, IntegerConverter):
            schema = ID  # ids and version numbers: positive, within a signed 64-bit integer
        elif isinstance(converter, NumberConverter):
            schema = {"type": "number"}
        else:
            schema = S
    return {"name": name, "in": "path", "required": True, "schema": dict(schema)}


def _docstring(view):
    doc = (getattr(view, "__doc__", None) or "").strip()
    return doc.splitlines()[0] if doc else ""


def _copy(op):
    """A copy deep enough that document() never changes PATHS."""
    if op is None:
        return None
    op = dict(op)
    op["responses"] = dict(op["responses"])
    if "parameters" in op:
        op["parameters"] = list(op["parameters"])
    return op
