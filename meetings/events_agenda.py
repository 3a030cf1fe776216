"""Socket.IO handlers of agenda control in the live room: the chair or the secretary opens the item under
discussion or closes it (meetings.agenda); the ack carries the agenda's state, ``agenda:updated`` goes to the
meeting's room after commit."""
from flask_login import current_user

from core.realtime import socket_handler
from core.validation import payload_id
from meetings import agenda, queries


def _meeting(payload):
    return queries.get_meeting(current_user, payload_id(payload, "meeting_id"))


@socket_handler("agenda:open")
def agenda_open(payload):
    """{meeting_id, item_id} -> {ok, agenda}: this item is under discussion (the previous one closes)."""
    meeting = _meeting(payload)
    return {"ok": True, "agenda": agenda.open_item(current_user, meeting, payload)}


@socket_handler("agenda:close")
def agenda_close(payload):
    """{meeting_id} -> {ok, agenda}: no item is under discussion any more."""
    meeting = _meeting(payload)
    return {"ok": True, "agenda": agenda.close_current(current_user, meeting)}
