"""JSON endpoints of invitation replies: POST /meetings/<id>/rsvp (API.md) and the organisers' view of them."""
from flask import jsonify
from flask_login import current_user

from core.api import json_body
from meetings import api_bp as api
from meetings import queries, replies


@api.post("/meetings/<int:meeting_id>/rsvp")
def rsvp(meeting_id):
    meeting = queries.get_meeting(current_user, meeting_id)
    return jsonify(replies.reply(current_user, meeting, json_body()))


@api.get("/meetings/<int:meeting_id>/replies")
def meeting_replies(meeting_id):
    meeting = queries.get_meeting(current_user, meeting_id)
    return jsonify(replies.replies_for(current_user, meeting))


def _document():
    from core import openapi as oa

    S, INT = oa.S, oa.I
    oa.path("/meetings/{meeting_id}/rsvp",
            post=oa._op("Answer the invitation: attend, decline (reason), or send a substitute of one's own agency, "
                        "who is invited in one's place: {response, substitute_id?}; answering again replaces the "
                        "answer and any earlier substitute", "an invited user", 200,
                        oa._obj(["response"], response={"type": "string", "enum": ["attend", "decline", "substitute"]},
                                reason=S, substitute_id={**INT, "minimum": 1}),
                        errors=(400, 401, 404, 409, 422)))
    oa.path("/meetings/{meeting_id}/replies",
            get=oa._op("Every invitation's answer: {meeting_id, counts: {attend, decline, substitute, none}, items: "
                       "[{user_id, full_name, role, response, reason, responded_at, substitute, substitute_for_id}]}",
                       "chair, secretary, leaders, admins", errors=(401, 403, 404)))


_document()
