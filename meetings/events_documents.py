"""Socket.IO handlers for presenting a paper in the live room (meetings.presenting): every event checks who may
(a non-participant gets ``not_found``, a participant who does not present gets ``forbidden``)."""
from flask_login import current_user

from core.realtime import socket_handler
from meetings import presenting


@socket_handler("document:present")
def on_present(payload):
    """{meeting_id, document_id, page?} -> {ok, meeting_id, presenting}; the room gets document:present."""
    meeting = presenting.meeting_of(current_user, payload)
    return {"ok": True, **presenting.present(current_user, meeting, payload)}


@socket_handler("document:page")
def on_page(payload):
    """{meeting_id, page, document_id?} -> {ok, meeting_id, document_id, page}; the room gets document:page."""
    meeting = presenting.meeting_of(current_user, payload)
    return {"ok": True, **presenting.turn_page(current_user, meeting, payload)}


@socket_handler("document:stop")
def on_stop(payload):
    """{meeting_id} -> {ok, meeting_id, presenting: null}; the room gets document:stop."""
    meeting = presenting.meeting_of(current_user, payload)
    return {"ok": True, **presenting.stop(current_user, meeting)}


@socket_handler("document:state")
def on_state(payload):
    """{meeting_id} -> {ok, meeting_id, presenting}: where a late joiner or a reconnecting page lands."""
    meeting = presenting.meeting_of(current_user, payload)
    return {"ok": True, **presenting.state(meeting)}
