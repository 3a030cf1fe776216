"""JSON endpoint of agenda control: the agenda's live state (the room reads it again after a reconnect)."""
from flask import jsonify
from flask_login import current_user

from meetings import agenda, queries
from meetings import api_bp as api


@api.get("/meetings/<int:meeting_id>/agenda")
def get_agenda(meeting_id):
    return jsonify(agenda.agenda_state(queries.get_meeting(current_user, meeting_id)))


def _document():
    from core import openapi as oa

    nullable_int = {"type": ["integer", "null"]}
    nullable_text = {"type": ["string", "null"]}
    item = oa._obj(id=oa.I, position=oa.I, title=oa.S, planned_minutes=nullable_int, opened_at=nullable_text,
                   closed_at=nullable_text, presenter={"type": ["object", "null"]})
    oa.path("/meetings/{meeting_id}/agenda",
            get=oa._op("The agenda and the item under discussion: {meeting_id, current_item_id, items: [{id, "
                       "position, title, presenter, planned_minutes, opened_at, closed_at}], now} (the chair or "
                       "the secretary moves it with the socket events agenda:open and agenda:close)",
                       "participants, leaders, admins", errors=(401, 404),
                       ok_schema=oa._obj(meeting_id=oa.I, current_item_id=nullable_int, now=oa.S,
                                         items={"type": "array", "items": item})))


_document()
