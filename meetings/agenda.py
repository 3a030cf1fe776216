"""Agenda control in the live room: the chair (or the secretary) marks the item under discussion.
The only writer of ``AgendaItem.opened_at`` / ``closed_at``.

The current item is the one opened and not closed; opening another closes it. Opening an item appends
its heading ("## <n>. <title>") to the live minutes draft through meetings.minutes, as the secretary's
own edit would (a new revision, so an editor holding the older version is told of the conflict), once:
an item opened again, or a heading the secretary already wrote, adds nothing.
"""
from flask_babel import gettext as _

from auth.queries import user_brief
from core import audit
from core.dbtypes import isoformat, utcnow
from core.errors import Conflict, Forbidden, NotFound
from core.extensions import db
from core.realtime import publish
from core.validation import payload_id
from meetings import minutes
from meetings import permissions as perms
from meetings.models import AgendaItem, MeetingStatus
from meetings.queries import room


def _items(meeting):
    return db.session.scalars(
        db.select(AgendaItem).where(AgendaItem.meeting_id == meeting.id)
        .options(db.joinedload(AgendaItem.presenter)).order_by(AgendaItem.position, AgendaItem.id)
    ).all()


def _is_current(item):
    return item.opened_at is not None and item.closed_at is None


def item_dict(item):
    return {
        "id": item.id,
        "position": item.position,
        "title": item.title,
        "presenter": user_brief(item.presenter),
        "planned_minutes": item.planned_minutes,
        "opened_at": isoformat(item.opened_at),
        "closed_at": isoformat(item.closed_at),
    }


def agenda_state(meeting):
    """{meeting_id, current_item_id, items, now}: ``now`` (the server's clock) lets a page time the
    current item and the current speaker however wrong its own clock is."""
    items = _items(meeting)
    current = next((i for i in items if _is_current(i)), None)
    return {
        "meeting_id": meeting.id,
        "current_item_id": current.id if current else None,
        "items": [item_dict(i) for i in items],
        "now": isoformat(utcnow()),
    }


def heading(item):
    """The minutes heading of an agenda item."""
    title = " ".join(item.title.split())  # one line: a line break would end the heading
    return f"## {item.position}. {title}"


def _check(actor, meeting):
    if not perms.can_run_agenda(actor, meeting):
        if not perms.is_participant(actor, meeting):  # a leader who is not invited: as if it did not exist
            raise NotFound(_("Meeting not found."))
        raise Forbidden(_("Only the chair and the secretary move through the agenda."))
    if meeting.status != MeetingStatus.LIVE:
        raise Conflict(_("The agenda is followed while the meeting is live."), code="not_live")


def _close_current(items, now):
    for item in items:
        if _is_current(item):
            item.closed_at = now


def open_item(actor, meeting, payload):
    """{item_id}: this item is under discussion now; the one before it is closed."""
    item_id = payload_id(payload, "item_id")
    _check(actor, meeting)
    items = _items(meeting)
    item = next((i for i in items if i.id == item_id), None)
    if item is None:
        raise NotFound(_("Agenda item not found."))
    if _is_current(item):
        return agenda_state(meeting)  # opening it again changes nothing
    # the heading first: a minutes conflict rolls the session back, so nothing else is written yet
    minutes.append_heading(actor, meeting, heading(item))
    now = utcnow()
    _close_current(_items(meeting), now)
    item.opened_at, item.closed_at = now, None
    audit.record(actor, "agenda.open", item, object_type="agenda_item", meeting_id=meeting.id,
                 position=item.position)
    return _publish(meeting)


def close_current(actor, meeting):
    """No item is under discussion any more (the current one is closed)."""
    _check(actor, meeting)
    items = _items(meeting)
    current = next((i for i in items if _is_current(i)), None)
    if current is None:
        return agenda_state(meeting)
    current.closed_at = utcnow()
    audit.record(actor, "agenda.close", current, object_type="agenda_item", meeting_id=meeting.id,
                 position=current.position)
    return _publish(meeting)


def _publish(meeting):
    db.session.flush()
    state = agenda_state(meeting)
    publish("agenda:updated", state, to=room(meeting.id))
    db.session.commit()
    return state


def close_when_over(meeting):
    """A meeting that ends closes its current item (in the ending transaction)."""
    now = utcnow()
    db.session.execute(
        db.update(AgendaItem)
        .where(AgendaItem.meeting_id == meeting.id, AgendaItem.opened_at.is_not(None), AgendaItem.closed_at.is_(None))
        .values(closed_at=now)
    )
