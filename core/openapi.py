"""The OpenAPI 3.1 document of /api/v1, served at /api/v1/openapi.json and shown at /api/docs.

Kept by hand next to the code; tests/api/test_openapi.py fails when a route is missing here.
"""

ERROR = {"$ref": "#/components/schemas/Error"}


def _op(summary, who, ok=200, body=None, params=(), errors=(401, 403, 404, 422), ok_schema=None):
    op = {
        "summary": summary,
        "description": f"Who: {who}.",
        "responses": {str(ok): {"description": "OK", "content": {"application/json": {"schema": ok_schema or {"type": "object"}}}}},
    }
    for status in errors:
        op["responses"][str(status)] = {"description": _ERRORS[status], "content": {"application/json": {"schema": ERROR}}}
    if body:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
    if params:
        op["parameters"] = [
            {"name": name, "in": "query", "required": False, "schema": {"type": typ}, "description": desc}
            for name, typ, desc in params
        ]
    return op


_ERRORS = {
    400: "malformed request (bad JSON, not an object, missing CSRF token)",
    401: "not authenticated",
    403: "not allowed",
    404: "not found, or not visible to the caller",
    409: "conflict with the current state",
    413: "too large",
    422: "invalid field values; the message and `fields` name them",
    429: "too many attempts",
}


def _obj(required=(), **props):
    schema = {"type": "object", "properties": props}
    if required:
        schema["required"] = list(required)
    return schema


S = {"type": "string"}
I = {"type": "integer"}
DT = {"type": "string", "format": "date-time"}
IDS = {"type": "array", "items": I}

PATHS = {}


def path(url, **ops):
    PATHS.setdefault(url, {}).update(ops)


# -- auth, agencies, users --------------------------------------------------------
path("/auth/token",
     post=_op("Exchange a username and password for a bearer token", "anyone", 201,
              _obj(["username", "password"], username=S, password=S, name=S), errors=(400, 401, 429)),
     delete=_op("Revoke the token this request carries", "a bearer-token caller", 204, errors=(401, 403)))
path("/auth/tokens", get=_op("My API tokens", "any user", errors=(401,)))
path("/auth/tokens/{token_id}", delete=_op("Revoke one of my tokens", "its owner, admins", 204, errors=(401, 404)))
path("/me", get=_op("Who I am: {id, username, full_name, role, agency_id}", "any user", errors=(401,)))
path("/agencies",
     get=_op("All agencies in tree order ({items: [...]})", "any user", errors=(401,)),
     post=_op("Create an agency", "admin", 201,
              _obj(["code", "name"], code=S, name=S, parent_id=I, kind={"enum": ["provincial_office", "department", "district", "other"]}),
              errors=(400, 401, 403, 409, 422)))
path("/agencies/{agency_id}",
     get=_op("One agency", "any user", errors=(401, 404)),
     patch=_op("Edit an agency (code, name, kind, parent_id, active)", "admin", body=_obj(), errors=(400, 401, 403, 404, 409, 422)))
path("/users",
     get=_op("The user directory", "any user", params=[("agency_id", "integer", "only this agency")], errors=(401,)),
     post=_op("Create a user", "admin", 201,
              _obj(["username", "password", "full_name", "role"], username=S, password=S, full_name=S,
                   role={"enum": ["admin", "leader", "officer"]}, agency_id=I, email=S, title=S),
              errors=(400, 401, 403, 409, 422)))
path("/users/{user_id}",
     get=_op("One user", "any user", errors=(401, 404)),
     patch=_op("Edit a user (full_name, role, agency_id, email, title, password, active)", "admin", body=_obj(),
               errors=(400, 401, 403, 404, 422)))
path("/notifications", get=_op("My notifications, newest first", "any user",
                               params=[("unread", "string", "1: only unread"), ("before", "integer", "older than this id"),
                                       ("limit", "integer", "1..200")], errors=(401,)))
path("/notifications/{notification_id}/read", post=_op("Mark one read; returns {unread}", "its recipient", errors=(401, 404)))
path("/notifications/read-all", post=_op("Mark all read; returns {unread}", "any user", errors=(401,)))

# -- directives -----------------------------------------------------------------
ASSIGNMENT = _obj(id=I, agency_id=I, role={"enum": ["lead", "support"]},
                  status={"enum": ["pending", "acknowledged", "in_progress", "submitted", "completed", "cancelled"]},
                  tracking={"enum": ["on_track", "due_soon", "overdue", "completed_on_time", "completed_late"]},
                  deadline=DT, acknowledged_at=DT, acknowledged_by=I, completed_at=DT)
DIRECTIVE = _obj(id=I, number=S, title=S, body=S, deadline=DT, priority=S, status=S, source_meeting_id=I,
                 assignments={"type": "array", "items": ASSIGNMENT})
path("/directives",
     get=_op("Directives visible to me ({items})", "leaders and admins: all; officers: their agency's", errors=(401,),
             params=[("status", "string", ""), ("tracking", "string", ""), ("agency_id", "integer", ""),
                     ("priority", "string", ""), ("q", "string", "text search")]),
     post=_op("Issue a directive", "leader", 201,
              _obj(["title", "body", "deadline", "lead_agency_id"], title=S, body=S, deadline=DT,
                   priority={"enum": ["normal", "high", "urgent"]}, lead_agency_id=I, support_agency_ids=IDS,
                   client_id={"type": "string", "description": "optional; a retry with the same value returns the first directive"}),
              errors=(400, 401, 403, 404, 422), ok_schema=DIRECTIVE))
path("/directives/{directive_id}", get=_op("One directive with its assignments", "who may see it", ok_schema=DIRECTIVE, errors=(401, 404)))
path("/directives/stats", get=_op("Per-agency tracking counts and median time to acknowledge", "leader, admin", errors=(401, 403)))
path("/assignments/{assignment_id}/acknowledge",
     post=_op("Acknowledge (idempotent: repeating returns the first time)", "officer of that agency", errors=(401, 404, 409)))
path("/assignments/{assignment_id}/reports",
     post=_op("Report progress; status becomes in_progress", "officer of that agency", 201,
              _obj(["progress"], progress={"type": "integer", "minimum": 0, "maximum": 100}, note=S,
                   client_id={"type": "string", "description": "optional; a retry with the same value stores one report"}), errors=(400, 401, 404, 409, 422)))
path("/assignments/{assignment_id}/submit", post=_op("Submit the result", "officer of that agency", body=_obj(note=S), errors=(400, 401, 404, 409, 422)))
path("/assignments/{assignment_id}/accept", post=_op("Accept the result: completed", "leader", errors=(401, 403, 404, 409)))
path("/assignments/{assignment_id}/return", post=_op("Return to in_progress with a reason", "leader", body=_obj(["reason"], reason=S), errors=(400, 401, 403, 404, 409, 422)))
path("/assignments/{assignment_id}/extension-requests",
     post=_op("Ask for a later deadline", "officer of that agency", 201, _obj(["deadline", "reason"], deadline=DT, reason=S), errors=(400, 401, 404, 409, 422)))
path("/extension-requests/{extension_id}/approve", post=_op("Approve: the assignment deadline moves", "leader", errors=(401, 403, 404, 409)))
path("/extension-requests/{extension_id}/reject", post=_op("Reject", "leader", body=_obj(reason=S), errors=(401, 403, 404, 409)))
path("/assignments/{assignment_id}/history", get=_op("Every change: who, when, what, from and to", "who may see the directive", errors=(401, 404)))
path("/directives/{directive_id}/cancel",
     post=_op("Cancel an issued directive; open assignments become cancelled", "leader", body=_obj(["reason"], reason=S),
              errors=(400, 401, 403, 404, 409, 422), ok_schema=DIRECTIVE))
path("/assignments/{assignment_id}", get=_op("One assignment with its reports and extension requests", "who may see the directive", ok_schema=ASSIGNMENT, errors=(401, 404)))
path("/assignments/{assignment_id}/seen", post=_op("Record the agency's first view (no change for others)", "who may see the directive", errors=(401, 404)))
path("/assignments/{assignment_id}/reports", get=_op("Progress reports, oldest first ({items})", "who may see the directive", errors=(401, 404)))
_UPLOAD = {"required": True, "content": {"multipart/form-data": {"schema": _obj(["file"], file={"type": "array", "items": {"type": "string", "format": "binary"}})}}}
path("/directives/{directive_id}/attachments",
     post=dict(_op("Attach files to a directive (pdf, doc(x), xls(x), odt, ods, jpg, png, zip)", "leader", 201,
                   errors=(400, 401, 403, 404, 413, 422)), requestBody=_UPLOAD))
path("/reports/{report_id}/attachments",
     post=dict(_op("Attach files to a progress report", "officer of the assignment's agency", 201,
                   errors=(400, 401, 403, 404, 413, 422)), requestBody=_UPLOAD))
path("/attachments/{attachment_id}",
     get=_op("Download an attachment", "who may see the directive", errors=(401, 404),
             ok_schema={"type": "string", "format": "binary"}))

# -- meetings -----------------------------------------------------------------
path("/meetings",
     post=_op("Schedule a meeting; the creator chairs", "leader, admin", 201,
              _obj(["title", "starts_at", "participant_ids"], title=S, starts_at=DT, ends_at=DT, participant_ids=IDS,
                   agency_ids=IDS, secretary_id=I, agenda={"type": "array", "items": _obj(["title"], title=S)}),
              errors=(400, 401, 403, 422)))
path("/meetings", get=_op("My meetings, live then upcoming then past ({items: [...]}); scope=all: every meeting",
                          "any user (scope=all: leaders, admins)", params=[("scope", "string", "mine (default) or all")],
                          errors=(401,)))
path("/meetings/{meeting_id}", get=_op("A meeting with participants and agenda", "participants, leaders, admins", errors=(401, 404)),
     patch=_op("Change a meeting (the fields of POST /meetings; the invitation list is replaced)", "chair, admin",
               body=_obj(), errors=(400, 401, 403, 404, 409, 422)))
path("/meetings/{meeting_id}/start", post=_op("Open the live room (status live)", "chair, admin", errors=(401, 403, 404, 409)))
path("/meetings/{meeting_id}/end", post=_op("End the meeting: chat closes, presence spans close", "chair, admin",
                                            errors=(401, 403, 404, 409)))
path("/meetings/{meeting_id}/cancel", post=_op("Cancel a meeting that has not started; invitees are told", "chair, admin",
                                               errors=(401, 403, 404, 409)))
path("/meetings/{meeting_id}/presence", get=_op("Who is in the live room now: {meeting_id, present: [user ids]}",
                                                "participants, leaders, admins", errors=(401, 404)))
path("/meetings/{meeting_id}/messages",
     get=_op("Chat messages, oldest first, ids strictly increasing", "participants",
             params=[("after", "integer", "only ids above"), ("before", "integer", "the page just below this id (scroll-back)"),
                     ("limit", "integer", "how many (1..200, default 50)")], errors=(401, 404, 422)))
path("/meetings/{meeting_id}/minutes",
     get=_op("The minutes: {body, version, status}", "participants", errors=(401, 404)),
     put=_op("Save the minutes on top of base_version; 409 with the current {version, body} when stale, 409 when final",
             "chair or secretary", body=_obj(["body", "base_version"], body=S, base_version=I), errors=(400, 401, 403, 404, 409, 422)))
path("/meetings/{meeting_id}/minutes/finalize", post=_op("Make the minutes final (locked)", "chair", errors=(401, 403, 404, 409)))
path("/meetings/{meeting_id}/attendance",
     get=_op("Present/absent over the invitation list with first joined, last left, seconds present, late_seconds",
             "chair, secretary, leaders", errors=(401, 403, 404)))
path("/meetings/{meeting_id}/conclusions", post=_op("Record a conclusion", "chair or secretary", 201, _obj(["text"], text=S), errors=(400, 401, 403, 404, 422)))
path("/conclusions/{conclusion_id}/directive",
     post=_op("Turn a conclusion into a directive (source_meeting_id set)", "leader", 201,
              _obj(["lead_agency_id", "deadline"], lead_agency_id=I, support_agency_ids=IDS, deadline=DT, title=S),
              errors=(400, 401, 403, 404, 422), ok_schema=DIRECTIVE))


def document():
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Chỉ đạo & Họp trực tuyến API",
            "version": "1",
            "description": "Errors are always {\"error\": {\"code\", \"message\"}}. Authenticate with a session "
            "cookie (writes need the X-CSRFToken header) or `Authorization: Bearer <token>` from POST /auth/token. "
            "Times are ISO 8601 with offset; a time without offset is read in Asia/Ho_Chi_Minh.",
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}, {"cookie": []}],
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "cookie": {"type": "apiKey", "in": "cookie", "name": "session"},
            },
            "schemas": {
                "Error": _obj(["error"], error=_obj(["code", "message"], code=S, message=S,
                                                    fields={"type": "object", "additionalProperties": S})),
            },
        },
        "paths": PATHS,
    }
