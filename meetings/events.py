"""Socket.IO handlers of the live room: authorize and act through services, answer with the ack."""
import click
from flask import request
from flask_babel import gettext as _
from flask_login import current_user
from flask_socketio import join_room, leave_room

from core.errors import NotFound
from core.realtime import disconnect_hooks, socket_handler
from core.scheduler import register_job
from meetings import bp, chat, presence, queries, schemas


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
    message, _created = chat.send_message(current_user, data)
    return {"ok": True, "message": schemas.message_to_dict(message)}


disconnect_hooks.append(presence.close_socket)
register_job("meetings.sweep_orphan_spans", 60, presence.sweep_orphan_spans)


@bp.cli.command("sweep-presence")
def sweep_presence_command():
    """Close attendance spans whose socket is gone (the scheduler runs this every minute)."""
    click.echo(f"closed {presence.sweep_orphan_spans()} span(s)")
