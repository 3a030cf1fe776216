"""The directive page's history and what the page derives from it, read in small pieces.

A directive passed down to 2,000 nodes has thousands of history rows. The page draws the newest
entries only, so it reads the newest rows page by page until it has them, and reads the few rows each
derived note needs on their own (extensions and deadlines that followed, the latest submissions, the
leaders' last word on the user's own cards, the latest correction), plus one COUNT for "n older
entries are not shown". Nothing here writes.
"""
from sqlalchemy import String, case, cast, func, literal, select
from sqlalchemy.orm import selectinload

from core.extensions import db
from directives import labels
from directives.models import AssignmentEvent, EventAction
from directives.services import holder_name

#: actions whose rows of one moment group into one entry of the history (a correction's rows only
#: when they say the same for each agency)
SAME_DATA_ACTIONS = (EventAction.CORRECT, EventAction.ADD, EventAction.REMOVE)
GROUPED_ACTIONS = (EventAction.ISSUE, EventAction.CANCEL, EventAction.DEADLINE_FOLLOW, *SAME_DATA_ACTIONS)
#: rows read at a time while gathering the newest entries
CHUNK = 400


def _events(ids, *conditions, limit=None, offset=0):
    """History rows of the assignments ``ids``, newest first, with actors and assignments loaded."""
    if not ids:
        return []
    query = (select(AssignmentEvent).where(AssignmentEvent.assignment_id.in_(sorted(ids)), *conditions)
             .options(selectinload(AssignmentEvent.actor), selectinload(AssignmentEvent.assignment))
             .order_by(AssignmentEvent.created_at.desc(), AssignmentEvent.id.desc()))
    if limit is not None:
        query = query.limit(limit).offset(offset)
    return db.session.scalars(query).all()


def _history_agency(ev):
    """The agency (or the officer of a personal share) an event is about; at issue with the role given
    then (kept in the event), not today's: a correction may swap the lead."""
    agency = holder_name(ev.assignment)
    if ev.action != EventAction.ISSUE or ev.assignment.parent_id is not None:
        return agency
    role = (ev.data or {}).get("role") or ev.assignment.role
    return f"{agency} ({labels.label(labels.ROLE_LABELS, role)})"


def _same_entry(last, ev):
    return (ev.action in GROUPED_ACTIONS and last.action == ev.action and last.created_at == ev.created_at
            and (ev.action not in SAME_DATA_ACTIONS or last.data == ev.data))


def group(rows, out=None):
    """Rows (newest first) as entries: the issue rows of one moment become one entry listing the
    agencies, each with its role; so do a cancellation's rows and deadlines moved together."""
    out = [] if out is None else out
    for ev in rows:
        agency = _history_agency(ev)
        last = out[-1] if out else None
        if last is not None and _same_entry(last["event"], ev):
            last["agencies"].insert(0, agency)
            last["grouped"].append(ev)
        else:
            out.append({"action": ev.action, "event": ev, "agencies": [agency], "grouped": [ev]})
    return out


def newest_entries(ids, limit):
    """(the newest ``limit`` entries, how many older entries there are besides)."""
    entries, offset = [], 0
    while True:
        rows = _events(ids, limit=CHUNK, offset=offset)
        group(rows, entries)
        offset += len(rows)
        # one entry more than drawn: the last one drawn is then whole (its rows all read)
        if len(rows) < CHUNK or len(entries) > limit:
            break
    return entries[:limit], max(_entry_count(ids) - min(len(entries), limit), 0)


def _entry_count(ids):
    """How many entries the whole history makes: grouped rows count once per action and moment (a
    correction's rows saying different things for different agencies are counted as one here)."""
    if not ids:
        return 0
    key = case((AssignmentEvent.action.in_([str(a) for a in GROUPED_ACTIONS]),
                AssignmentEvent.action + literal("@") + cast(AssignmentEvent.created_at, String)),
               else_=literal("#") + cast(AssignmentEvent.id, String))
    return db.session.scalar(select(func.count(func.distinct(key)))
                             .where(AssignmentEvent.assignment_id.in_(sorted(ids)))) or 0


def deadline_moved_by(ids):
    """{assignment id: the action that last moved its deadline}: extension_approve or deadline_follow."""
    out = {}
    for ev in _events(ids, AssignmentEvent.action.in_([EventAction.EXTENSION_APPROVE, EventAction.DEADLINE_FOLLOW])):
        out.setdefault(ev.assignment_id, ev.action)
    return out


def latest_submissions(ids):
    """{assignment id: its latest 'submit' event}: the result a leader accepts or returns."""
    out = {}
    for ev in _events(ids, AssignmentEvent.action == EventAction.SUBMIT):
        out.setdefault(ev.assignment_id, ev)
    return out


def latest_correction(ids):
    """The newest correction's entry (the page's "corrected" line), or None."""
    rows = _events(ids, AssignmentEvent.action == EventAction.CORRECT, limit=1)
    return group(rows)[0] if rows else None


def _leader_word(rows, own, answer, until):
    """The officer's latest ``answer`` event from a leader (a return, an extension refused), unless the
    agency has moved on since (one of ``until``: submitted again, asked again)."""
    for ev in rows:  # newest first
        if ev.assignment_id != own.id:
            continue
        if ev.action == answer:
            return ev
        if ev.action in until:
            return None
    return None


def own_words(owns):
    """The leaders' latest word on each card the user holds: a return, an extension refused."""
    rows = _events({own.id for own in owns})
    return {
        # shown in the officer's card, not only far below in the history
        "own_returns": {own.id: _leader_word(rows, own, EventAction.RETURN, (EventAction.SUBMIT,)) for own in owns},
        "own_rejections": {own.id: _leader_word(rows, own, EventAction.EXTENSION_REJECT,
                                                (EventAction.EXTENSION_REQUEST, EventAction.EXTENSION_APPROVE))
                           for own in owns},
    }


def page_history(shown_ids, owns, limit):
    """What the directive page needs of the history of the assignments ``shown_ids``."""
    history, older = newest_entries(shown_ids, limit)
    return {
        "history": history,
        "history_older": older,
        "latest_correction": latest_correction(shown_ids),
        "deadline_moved_by": deadline_moved_by(shown_ids),
        "submissions": latest_submissions(shown_ids),
        **own_words(owns),
    }
