"""Socket.IO handlers of the meeting outcomes: votes and the speaker queue.

Each authorizes through the same service as the REST endpoint and answers with an ack
``{ok: true, ...}`` or ``{ok: false, error}``. The room-wide events (vote:opened, vote:tally,
vote:closed, speakers:updated) are published by the services after commit.
"""
from flask_login import current_user

from core.realtime import socket_handler
from core.validation import payload_id
from meetings import speakers, votes
from meetings.queries import get_meeting


def _meeting(payload):
    return get_meeting(current_user, payload_id(payload, "meeting_id"))


@socket_handler("vote:open")
def vote_open(payload):
    meeting = _meeting(payload)
    vote = votes.open_vote(current_user, meeting, payload)
    return {"ok": True, "vote": votes.vote_dict(vote, current_user)}


@socket_handler("vote:cast")
def vote_cast(payload):
    vote = votes.get_vote(current_user, payload_id(payload, "vote_id"))
    votes.cast_ballot(current_user, vote, payload)
    return {"ok": True, "vote": votes.vote_dict(vote, current_user)}


@socket_handler("vote:close")
def vote_close(payload):
    vote = votes.close_vote(current_user, votes.get_vote(current_user, payload_id(payload, "vote_id")))
    return {"ok": True, "vote": votes.vote_dict(vote, current_user)}


@socket_handler("speakers:raise")
def speakers_raise(payload):
    meeting = _meeting(payload)
    speakers.raise_hand(current_user, meeting)
    return {"ok": True, "speakers": speakers.speakers_state(meeting)}


@socket_handler("speakers:lower")
def speakers_lower(payload):
    meeting = _meeting(payload)
    speakers.lower_hand(current_user, meeting)
    return {"ok": True, "speakers": speakers.speakers_state(meeting)}


@socket_handler("speakers:grant")
def speakers_grant(payload):
    req, meeting = speakers.get_speaker_request(current_user, payload_id(payload, "request_id"))
    speakers.grant_floor(current_user, req, meeting)
    return {"ok": True, "speakers": speakers.speakers_state(meeting)}


@socket_handler("speakers:remove")
def speakers_remove(payload):
    req, meeting = speakers.get_speaker_request(current_user, payload_id(payload, "request_id"))
    speakers.remove_request(current_user, req, meeting)
    return {"ok": True, "speakers": speakers.speakers_state(meeting)}
