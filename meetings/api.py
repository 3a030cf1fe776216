"""JSON endpoints for meetings (API.md): create, read, change status, chat history, attendance."""
from flask import jsonify, request
from flask_login import current_user

from core.api import json_body
from core.errors import Forbidden, NotFound
from core.validation import Fields
from meetings import api_bp as api
from meetings import chat, permissions, queries, schemas, services
from meetings.attendance import table as attendance_table
from meetings.presence import present_user_ids


def _meeting_summary(meeting, counts):
    return {
        "id": meeting.id,
        "title": meeting.title,
        "starts_at": meeting.starts_at.isoformat(),
        "ends_at": meeting.ends_at.isoformat() if meeting.ends_at else None,
        "status": meeting.status,
        "place": meeting.place,
        "online": meeting.online,
        "chair_id": meeting.chair_id,
        "participant_count": counts.get(meeting.id, 0),
    }


@api.get("/meetings")
def list_meetings():
    """The caller's meetings (``scope=all``: every meeting, for leaders and admins)."""
    groups = queries.list_for(current_user, request.args.get("scope", "mine"))
    items = [_meeting_summary(m, groups["counts"]) for key in ("live", "upcoming", "past") for m in groups[key]]
    return jsonify(items=items)


@api.post("/meetings")
def create_meeting():
    meeting = services.create_meeting(current_user, json_body())
    return jsonify(schemas.meeting_to_dict(meeting, current_user)), 201


@api.get("/meetings/<int:meeting_id>")
def get_meeting(meeting_id):
    meeting = queries.get_meeting(current_user, meeting_id, full=True)
    return jsonify(schemas.meeting_to_dict(meeting, current_user))


@api.patch("/meetings/<int:meeting_id>")
def update_meeting(meeting_id):
    meeting = queries.get_meeting(current_user, meeting_id)
    data = services.current_values(meeting)
    data.update(json_body())
    meeting = services.update_meeting(current_user, meeting, data)
    return jsonify(schemas.meeting_to_dict(meeting, current_user))


@api.post("/meetings/<int:meeting_id>/start")
def start_meeting(meeting_id):
    meeting = services.start_meeting(current_user, queries.get_meeting(current_user, meeting_id))
    return jsonify(schemas.meeting_to_dict(meeting, current_user))


@api.post("/meetings/<int:meeting_id>/end")
def end_meeting(meeting_id):
    meeting = services.end_meeting(current_user, queries.get_meeting(current_user, meeting_id))
    return jsonify(schemas.meeting_to_dict(meeting, current_user))


@api.post("/meetings/<int:meeting_id>/cancel")
def cancel_meeting(meeting_id):
    data = request.get_json(silent=True) or {}
    reason = data.get("reason") if isinstance(data, dict) else None
    meeting = services.cancel_meeting(current_user, queries.get_meeting(current_user, meeting_id), reason)
    return jsonify(schemas.meeting_to_dict(meeting, current_user))


@api.get("/meetings/<int:meeting_id>/messages")
def messages(meeting_id):
    """``after=<id>`` (newer than), ``before=<id>`` (scroll-back page), ``limit`` (1..200); oldest first."""
    meeting = queries.get_meeting(current_user, meeting_id)
    if not permissions.can_join(current_user, meeting):
        raise NotFound()
    f = Fields(request.args.to_dict())
    after = f.int("after", required=False, min_value=0)
    before = f.int("before", required=False, min_value=1)
    limit = f.int("limit", required=False, min_value=1, max_value=chat.MAX_PAGE, default=chat.HISTORY_PAGE)
    f.check()
    rows = chat.list_messages(current_user, meeting, after=after, before=before, limit=limit)
    return jsonify(items=[schemas.message_to_dict(m) for m in rows])


@api.get("/meetings/<int:meeting_id>/presence")
def presence(meeting_id):
    meeting = queries.get_meeting(current_user, meeting_id)
    return jsonify(meeting_id=meeting.id, present=present_user_ids(meeting.id))


@api.get("/meetings/<int:meeting_id>/attendance")
def attendance(meeting_id):
    meeting = queries.get_meeting(current_user, meeting_id)
    if not permissions.can_see_attendance(current_user, meeting):
        raise Forbidden()
    rows = attendance_table(current_user, meeting)
    return jsonify(meeting_id=meeting.id, items=schemas.attendance_to_json(rows))
