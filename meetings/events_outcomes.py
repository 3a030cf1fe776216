"""Socket.IO handlers of the meeting outcomes: votes and the speaker queue.

Each authorizes through the same service as the REST endpoint and answers with an ack
``{ok: true, ...}`` or ``{ok: false, error}``. The room-wide events (vote:opened, vote:tally,
vote:closed, speakers:updated) are published by the services after commit.
"""
from flask_login import current_user

from core.realtime import socket_handler
from core.validation import payload_id as _id
from meetings import services_outcomes as svc


def _meeting(payload):
    return svc.get_meeting(current_user, _id(payload, "meeting_id"))


@socket_handler("vote:open")
def vote_open(payload):
    meeting = _meeting(payload)
    vote = svc.open_vote(current_user, meeting, payload)
    return {"ok": True, "vote": svc.vote_dict(vote, current_user)}


@socket_handler("vote:cast")
def vote_cast(payload):
    vote = svc.get_vote(current_user, _id(payload, "vote_id"))
    svc.cast_ballot(current_user, vote, payload)
    return {"ok": True, "vote": svc.vote_dict(vote, current_user)}


@socket_handler("vote:close")
def vote_close(payload):
    vote = svc.close_vote(current_user, svc.get_vote(current_user, _id(payload, "vote_id")))
    return {"ok": True, "vote": svc.vote_dict(vote, current_user)}


@socket_handler("speakers:raise")
def speakers_raise(payload):
    meeting = _meeting(payload)
    svc.raise_hand(current_user, meeting)
    return {"ok": True, "speakers": svc.speakers_state(meeting)}


@socket_handler("speakers:lower")
def speakers_lower(payload):
    meeting = _meeting(payload)
    svc.lower_hand(current_user, meeting)
    return {"ok": True, "speakers": svc.speakers_state(meeting)}


@socket_handler("speakers:grant")
def speakers_grant(payload):
    req, meeting = svc.get_speaker_request(current_user, _id(payload, "request_id"))
    svc.grant_floor(current_user, req, meeting)
    return {"ok": True, "speakers": svc.speakers_state(meeting)}


@socket_handler("speakers:remove")
def speakers_remove(payload):
    req, meeting = svc.get_speaker_request(current_user, _id(payload, "request_id"))
    svc.remove_request(current_user, req, meeting)
    return {"ok": True, "speakers": svc.speakers_state(meeting)}
