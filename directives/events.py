"""Socket.IO handlers for directives: the inbox's one-click acknowledge, and "seen"."""
from flask_login import current_user

from core.realtime import socket_handler
from core.validation import payload_id
from directives import queries, schemas, services


def _assignment_id(payload):
    return payload_id(payload, "assignment_id")


@socket_handler("assignment:acknowledge")
def acknowledge(payload):
    """{assignment_id} -> {ok: true, assignment}; repeating it returns the first acknowledgement."""
    assignment = queries.get_assignment(current_user, _assignment_id(payload))
    services.acknowledge(current_user, assignment)
    return {"ok": True, "assignment": schemas.serialize_assignment(assignment)}


@socket_handler("directive:seen")
def seen(payload):
    """{assignment_id} -> {ok: true}: records the agency's first view of the directive."""
    assignment = queries.get_assignment(current_user, _assignment_id(payload))
    services.mark_seen(current_user, assignment)
    return {"ok": True, "first_seen_at": schemas.serialize_assignment(assignment)["first_seen_at"]}
