"""JSON endpoints of recurring meetings: a series and its occurrences, and cancelling the rest of it.
(A series is created with ``recurrence`` on POST /meetings, and edited with ``scope`` on PATCH.)"""
from flask import jsonify, request
from flask_login import current_user

from core.dbtypes import isoformat
from meetings import api_bp as api
from meetings import queries, series


@api.get("/meetings/<int:meeting_id>/series")
def meeting_series(meeting_id):
    meeting = queries.get_meeting(current_user, meeting_id)
    return jsonify(series.series_to_dict(meeting))


@api.post("/meetings/<int:meeting_id>/series/cancel")
def cancel_series_from(meeting_id):
    """Cancel this occurrence and every later one: {reason?} -> {cancelled: [{id, starts_at}]}."""
    meeting = queries.get_meeting(current_user, meeting_id)
    data = request.get_json(silent=True) or {}
    reason = data.get("reason") if isinstance(data, dict) else None
    cancelled = series.cancel_following(current_user, meeting, reason or "")
    return jsonify(cancelled=[{"id": m.id, "starts_at": isoformat(m.starts_at)} for m in cancelled])


def _document():
    from core import openapi as oa

    S = oa.S
    occurrence = "{meeting_id, recurrence_at, starts_at, status, moved, title}"
    oa.path("/meetings/{meeting_id}/series",
            get=oa._op("The recurring series this meeting belongs to: {id, freq: \"weekly\"|\"monthly\", interval, "
                       f"count, until, stopped_at, position, total, recurrence_at, occurrences: [{occurrence}]}}; "
                       "404 for a meeting outside a series", "participants, leaders, admins", errors=(401, 404)))
    oa.path("/meetings/{meeting_id}/series/cancel",
            post=oa._op("Cancel this occurrence and every later scheduled one, and stop the series (no more are "
                        "created): {cancelled: [{id, starts_at}]}", "chair, admin",
                        body=oa._obj(reason=S), errors=(400, 401, 403, 404, 409, 422)))


_document()
