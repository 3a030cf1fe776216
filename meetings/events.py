"""Socket.IO handlers of the live room (presence, chat), of its votes and speaker queue and of its call: authorize and
act through the same services as the pages and the API, answer with the ack ``{ok: true, ...}``; an error
becomes ``{ok: false, error}`` in core.realtime. Room-wide events are published by the services after commit.
"""
import time

import click
from flask import request
from flask_babel import gettext as _
from flask_login import current_user
from flask_socketio import join_room, leave_room

from core import metrics
from core.errors import NotFound
from core.realtime import disconnect_hooks, socket_handler
from core.scheduler import register_job
from core.validation import payload_id
from meetings import bp, call, chat, presence, queries, recordings, speakers, votes


@socket_handler("meeting:join")
def on_join(data):
    """{meeting_id, last_message_id?} -> {ok, present, messages after last_message_id}."""
    meeting, last_id = presence.join(current_user, data, request.sid)
    # in the room first, then read what was missed: a message committed in between
    # arrives twice at worst (the client dedupes by id), never not at all
    join_room(queries.room(meeting.id))
    if not presence.still_allowed(current_user, meeting):
        leave_room(queries.room(meeting.id))
        raise NotFound(_("Meeting not found."))
    return chat.replay(meeting, last_id)


@socket_handler("meeting:leave")
def on_leave(data):
    meeting = presence.leave(current_user, data, request.sid)
    leave_room(queries.room(meeting.id))
    return {"ok": True}


@socket_handler("chat:send")
def on_chat_send(data):
    """{meeting_id, body, client_id} -> stored, broadcast after commit, {ok, message}."""
    received = time.perf_counter()
    message, created = chat.send_message(current_user, data)
    if created:  # broadcast by its commit inside send_message; a retry broadcasts nothing
        metrics.CHAT_LATENCY.observe(time.perf_counter() - received)
    return {"ok": True, "message": message.as_dict}


# -- votes and the speaker queue -------------------------------------------------------------

def _meeting(payload):
    return queries.get_meeting(current_user, payload_id(payload, "meeting_id"))


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


@socket_handler("speakers:lower_all")
def speakers_lower_all(payload):
    """{meeting_id} -> {ok, lowered, speakers}: the chair lowers every waiting hand."""
    meeting = _meeting(payload)
    lowered = speakers.lower_all_hands(current_user, meeting)
    return {"ok": True, "lowered": lowered, "speakers": speakers.speakers_state(meeting)}


@socket_handler("speakers:remove")
def speakers_remove(payload):
    req, meeting = speakers.get_speaker_request(current_user, payload_id(payload, "request_id"))
    speakers.remove_request(current_user, req, meeting)
    return {"ok": True, "speakers": speakers.speakers_state(meeting)}


# -- the call (peer-to-peer mesh; meetings.call) -------------------------------------------

@socket_handler("media:join")
def media_join(payload):
    """{meeting_id, audio, video} -> {ok, self_user_id, peers, video_allowed, video_limit, ice_servers}."""
    meeting, ack = call.join(current_user, payload, request.sid)
    join_room(call.call_room(meeting.id))
    if not call.still_in_call(meeting.id, request.sid):
        leave_room(call.call_room(meeting.id))
        raise NotFound(_("Meeting not found."))
    return ack


@socket_handler("media:signal")
def media_signal(payload):
    call.signal(current_user, payload, request.sid)
    return {"ok": True}


@socket_handler("media:state")
def media_state(payload):
    call.set_state(current_user, payload, request.sid)
    return {"ok": True}


@socket_handler("media:leave")
def media_leave(payload):
    meeting = call.leave(current_user, payload, request.sid)
    leave_room(call.call_room(meeting.id))
    return {"ok": True}


@socket_handler("media:mute")
def media_mute(payload):
    return {"ok": True, "muted": call.mute(current_user, payload)}


@socket_handler("media:record")
def media_record(payload):
    """{meeting_id, on} -> {ok, recording}: the chair starts or stops recording the call (SFU mode)."""
    return {"ok": True, "recording": recordings.set_recording(current_user, payload)}


disconnect_hooks.append(presence.close_socket)
disconnect_hooks.append(call.drop_socket)
register_job("meetings.sweep_orphan_spans", 60, presence.sweep_orphan_spans)


@bp.cli.command("sweep-presence")
def sweep_presence_command():
    """Close attendance spans whose socket is gone (the scheduler runs this every minute)."""
    click.echo(f"closed {presence.sweep_orphan_spans()} span(s)")
