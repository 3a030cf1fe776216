from flask import jsonify, request
from flask_login import current_user

from core import openapi as oa
from core.extensions import db
from core.validation import arg_int
from notifications import api_bp as api
from notifications import queries, services


@api.get("/notifications")
def list_notifications():
    limit = min(max(arg_int("limit", 50), 1), 200)
    query = queries.notifications_of(current_user, unread_only=request.args.get("unread") == "1",
                                     before=arg_int("before"))
    items = db.session.scalars(query.limit(limit)).all()
    return jsonify(items=[n.to_dict() for n in items], unread=queries.unread_count(current_user))


@api.post("/notifications/<int:notification_id>/read")
def read_one(notification_id):
    return jsonify(unread=services.mark_read(current_user, notification_id))


@api.post("/notifications/read-all")
def read_all():
    return jsonify(unread=services.mark_read(current_user))


# -- the OpenAPI entries of the routes above ---------------------------------------------------
oa.path("/notifications",
        get=oa._op("My notifications, newest first", "any user",
                   params=[("unread", "string", "1: only unread"), ("before", "integer", "older than this id"),
                           ("limit", "integer", "1..200")], errors=(401,), ok_schema=oa.ITEMS))
oa.path("/notifications/{notification_id}/read",
        post=oa._op("Mark one read; returns {unread}", "its recipient", errors=(401, 404)))
oa.path("/notifications/read-all", post=oa._op("Mark all read; returns {unread}", "any user", errors=(401,)))
