"""The meeting chat: messages stored once per client id (retries are idempotent), broadcast
after commit, read back in pages. The only writer of chat messages."""
from flask import current_app, has_request_context, request
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from core.dbtypes import utcnow
from core.errors import BadRequest, Conflict, NotFound, ServiceError
from core.extensions import db
from core.realtime import disconnect_hooks, publish
from core.validation import text_problem
from meetings import chat_rate, permissions
from meetings.models import ChatMessage, MeetingStatus
from meetings.presence import present_user_ids
from meetings.queries import forget_socket, meeting_for_chat, room
from meetings.schemas import message_to_dict

HISTORY_PAGE = 50
MAX_PAGE = 200
#: at most this many missed messages come back in one join ack; the client pages the rest
MAX_REPLAY = 1000


def replay(meeting, last_id):
    """The join ack: who is present and the messages after ``last_id`` (or the latest page)."""
    if last_id is None:
        messages = list(reversed(db.session.scalars(
            db.select(ChatMessage).where(ChatMessage.meeting_id == meeting.id)
            .order_by(ChatMessage.id.desc()).limit(HISTORY_PAGE).options(joinedload(ChatMessage.author))
        ).all()))
    else:
        messages = db.session.scalars(
            db.select(ChatMessage).where(ChatMessage.meeting_id == meeting.id, ChatMessage.id > last_id)
            .order_by(ChatMessage.id).limit(MAX_REPLAY).options(joinedload(ChatMessage.author))
        ).all()
    return {
        "ok": True,
        "meeting_id": meeting.id,
        "status": meeting.status,
        "present": present_user_ids(meeting.id),
        "messages": [message_to_dict(m) for m in messages],
        "more": len(messages) >= (HISTORY_PAGE if last_id is None else MAX_REPLAY),
    }


def _existing_message(meeting_id, author_id, client_id):
    return db.session.scalar(
        db.select(ChatMessage).where(ChatMessage.meeting_id == meeting_id, ChatMessage.author_id == author_id,
                                     ChatMessage.client_id == client_id)
    )


def send_message(user, data, now=None):
    """Store a chat message, then (after commit) broadcast ``chat:message`` to the room.

    Idempotent: the same ``client_id`` from the same user returns the stored message
    and broadcasts nothing new. Returns (message, created).
    """
    # the socket's invitation check is kept while the meeting's access_version stays (meeting_for_chat)
    sid = getattr(request, "sid", None) if has_request_context() else None
    meeting = meeting_for_chat(user, data, sid)
    client_id = _client_id(data)
    now = now or utcnow()
    try:
        body = _body(data)
        _require_chat_open(meeting)
        place = chat_rate.reserve(meeting.id, user.id, now)
        if place is None:
            raise ServiceError(_("Too many messages. Wait a few seconds."), code="rate_limited", status=429)
    except ServiceError:
        # a retry of a message stored before the chat closed or the limit was reached is still answered
        # (the stored message is looked up only then: a new message is caught by the unique constraint)
        existing = _existing_message(meeting.id, user.id, client_id)
        if existing is None:
            raise
        return _answered(existing), False
    meeting_id, author_id = meeting.id, user.id  # a rollback or the commit expires them
    try:
        return _store(meeting, user, body, client_id, now), True
    except _Retry as retry:
        chat_rate.release(meeting_id, author_id, place)  # a retry takes no place
        return _answered(retry.existing), False
    except Exception:
        chat_rate.release(meeting_id, author_id, place)
        raise


class _Retry(Exception):
    def __init__(self, existing):
        super().__init__()
        self.existing = existing


def _store(meeting, user, body, client_id, now):
    """Insert, publish and commit a new message; ``_Retry`` when its client_id is already stored."""
    meeting_id, author_id = meeting.id, user.id  # before the flush: a failed one leaves nothing to read
    message = ChatMessage(meeting_id=meeting_id, author_id=author_id, body=body, client_id=client_id, created_at=now)
    db.session.add(message)
    try:
        # a retry is caught by the unique (meeting, author, client_id) constraint, not by a SELECT first
        db.session.flush()
    except IntegrityError:
        # a retry (the same client_id again, perhaps on another socket or process at the same moment):
        # nothing else is pending in this transaction, so roll back and answer with the stored one
        db.session.rollback()
        existing = _existing_message(meeting_id, author_id, client_id)
        if existing is None:
            raise
        raise _Retry(existing) from None
    message.author = user
    # the reply is built before the commit, which expires the row: nothing is read back after it
    _answered(message)
    publish("chat:message", message.as_dict, to=room(meeting.id))
    db.session.commit()
    return message


def _answered(message):
    """The message as the ack and the broadcast carry it, kept on the object (``message.as_dict``)."""
    message.as_dict = message_to_dict(message)
    return message


def _client_id(data):
    """The sender's idempotency key: text of 1 to 64 characters."""
    client_id = data.get("client_id")
    if not isinstance(client_id, str) or not client_id.strip() or len(client_id) > 64 or text_problem(client_id):
        raise BadRequest(_("client_id must be text of 1 to 64 characters."), code="bad_request")
    return client_id.strip()


def _body(data):
    """The message text, trimmed: not empty, not longer than CHAT_MAX_LENGTH, no control characters."""
    body = data.get("body")
    if not isinstance(body, str):
        raise BadRequest(_("The message must be text."), code="bad_request")
    body = body.strip()
    if not body:
        raise ServiceError(_("The message is empty."), code="empty", status=422)
    limit = current_app.config["CHAT_MAX_LENGTH"]
    if len(body) > limit:
        raise ServiceError(_("The message is longer than %(n)d characters.", n=limit), code="too_long", status=413)
    problem = text_problem(body, multiline=True)
    if problem:
        raise BadRequest(problem, code="bad_request", fields={"body": problem})
    return body


def _require_chat_open(meeting):
    if meeting.status == MeetingStatus.CANCELLED:
        raise Conflict(_("This meeting was cancelled."), code="meeting_cancelled")
    if meeting.status == MeetingStatus.ENDED:
        raise Conflict(_("This meeting has ended; the chat is closed."), code="meeting_ended")


disconnect_hooks.append(forget_socket)


def count(meeting):
    return db.session.scalar(db.select(db.func.count(ChatMessage.id)).where(ChatMessage.meeting_id == meeting.id))


def list_messages(user, meeting, after=None, before=None, limit=HISTORY_PAGE):
    """Messages oldest first: after an id, or the page just before an id (scroll-back), or the first page."""
    if not permissions.can_join(user, meeting):
        raise NotFound(_("Meeting not found."))
    limit = max(1, min(int(limit or HISTORY_PAGE), MAX_PAGE))
    query = db.select(ChatMessage).where(ChatMessage.meeting_id == meeting.id).options(joinedload(ChatMessage.author))
    if before is not None:
        query = query.where(ChatMessage.id < before)
        if after is not None:
            query = query.where(ChatMessage.id > after)
        rows = list(reversed(db.session.scalars(query.order_by(ChatMessage.id.desc()).limit(limit)).all()))
    else:
        if after is not None:
            query = query.where(ChatMessage.id > after)
        rows = db.session.scalars(query.order_by(ChatMessage.id).limit(limit)).all()
    return rows
