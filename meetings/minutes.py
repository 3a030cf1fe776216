"""The minutes of a meeting: revisions with a current-version pointer and a stale-version
conflict check (as Indico's notes), draft then final. The only writer of these tables.

Every action checks its permission (meetings.permissions), validates, writes an audit row in
the same transaction, queues its realtime event (emitted after commit) and commits.
"""
import difflib

from flask_babel import gettext as _
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError, OperationalError

from auth.queries import user_brief
from core import audit
from core.dbtypes import isoformat, utcnow
from core.errors import Conflict, Forbidden, NotFound
from core.extensions import db
from core.realtime import publish
from core.text import render_markdown
from core.validation import Fields, text_problem
from meetings import permissions as perms
from meetings.models import Minutes, MinutesRevision, MinutesStatus
from meetings.queries import room

#: the longest minutes accepted (characters of Markdown)
MAX_MINUTES = 200_000


class MinutesConflict(Conflict):
    """A save based on a stale version: carries the current version and body (API.md: top level)."""

    def __init__(self, message, code, version, body, status=MinutesStatus.DRAFT):
        super().__init__(message, code=code, version=version, body=body, minutes_status=status)
        self.version, self.body, self.minutes_status = version, body, status

    def to_dict(self):
        data = super().to_dict()
        data["version"] = self.version
        data["body"] = self.body
        data["status"] = self.minutes_status
        return data


def _minutes_row(meeting):
    return db.session.scalar(db.select(Minutes).where(Minutes.meeting_id == meeting.id))


def _ensure_minutes(meeting):
    """The meeting's Minutes row, created at the first save (a racing creator wins, we reuse its row)."""
    row = _minutes_row(meeting)
    if row is not None:
        return row
    row = Minutes(meeting_id=meeting.id, version=0, status=MinutesStatus.DRAFT, updated_at=utcnow())
    db.session.add(row)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        row = _minutes_row(meeting)
    return row


def _current_body(meeting_id, version):
    if not version:
        return ""
    return db.session.scalar(
        db.select(MinutesRevision.body).where(
            MinutesRevision.meeting_id == meeting_id, MinutesRevision.version == version
        )
    ) or ""


def minutes_state(meeting):
    """{body, version, status} as API.md shows it (version 0 and empty before the first save)."""
    row = _minutes_row(meeting)
    if row is None:
        return {"body": "", "version": 0, "status": MinutesStatus.DRAFT}
    return {"body": _current_body(meeting.id, row.version), "version": row.version, "status": row.status}


def minutes_payload(meeting, state, actor, via=None):
    """The minutes:updated event: the API fields plus the sanitised HTML (rendered once per broadcast);
    ``via`` names what wrote it when not the author's own editor (e.g. "agenda"), so that editor takes it in."""
    payload = {
        "meeting_id": meeting.id,
        "version": state["version"],
        "body": state["body"],
        "status": state["status"],
        "updated_by": actor.id if actor is not None else None,
        "updated_by_name": actor.full_name if actor is not None else None,
        "html": str(render_markdown(state["body"])),
    }
    if via:
        payload["via"] = via
    return payload


def _publish_minutes(meeting, actor, via=None):
    # read after the change, inside the transaction: the event carries what will be committed
    publish("minutes:updated", minutes_payload(meeting, minutes_state(meeting), actor, via), to=room(meeting.id))


def _stale(meeting, message=None):
    state = minutes_state(meeting)
    if state["status"] == MinutesStatus.FINAL:
        return MinutesConflict(_("The minutes are final and can no longer be edited."), "minutes_final",
                               state["version"], state["body"], MinutesStatus.FINAL)
    return MinutesConflict(
        message or _("Someone else saved the minutes meanwhile (version %(v)s). "
                     "Merge your text with theirs and save again.",
                     v=state["version"]),
        "stale_version", state["version"], state["body"],
    )


def _write_revision(actor, meeting, base_version, body, restored_from=None):
    """Move the pointer from base_version to base_version+1 atomically and store the revision.

    The conditional UPDATE is the conflict check: on PostgreSQL a concurrent writer waits and then
    matches no row; on SQLite a writer whose snapshot is stale gets an error. Both become a 409.
    """
    row = _ensure_minutes(meeting)
    if row.status == MinutesStatus.FINAL:
        raise _stale(meeting)
    now = utcnow()
    try:
        result = db.session.execute(
            update(Minutes)
            .where(Minutes.id == row.id, Minutes.version == base_version, Minutes.status == MinutesStatus.DRAFT)
            .values(version=base_version + 1, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:
            db.session.rollback()
            raise _stale(meeting)
        revision = MinutesRevision(
            meeting_id=meeting.id, version=base_version + 1, body=body, author_id=actor.id,
            created_at=now, restored_from=restored_from,
        )
        db.session.add(revision)
        db.session.flush()
    except (IntegrityError, OperationalError):
        db.session.rollback()
        raise _stale(meeting) from None
    db.session.expire(row)
    return revision


def _body(f, body):
    """The minutes text (None: empty), or the problem reported on ``body``."""
    if body is None:
        return ""
    if not isinstance(body, str):
        f.error("body", _("Must be text."))
    elif len(body) > MAX_MINUTES:
        f.error("body", _("At most %(n)d characters.", n=MAX_MINUTES))
    elif text_problem(body, multiline=True):
        f.error("body", text_problem(body, multiline=True))
    return body


def save_minutes(actor, meeting, data):
    """PUT {body, base_version}: a new revision, or a 409 carrying the current text."""
    if not perms.can_keep_minutes(actor, meeting):
        raise Forbidden(_("Only the chair and the secretary edit the minutes."))
    f = Fields(data)
    base_version = f.int("base_version", min_value=0)
    body = _body(f, (data or {}).get("body"))
    f.check()
    body = body.replace("\r\n", "\n")
    row = _ensure_minutes(meeting)
    if row.status == MinutesStatus.FINAL or row.version != base_version:
        raise _stale(meeting)
    if base_version and body == _current_body(meeting.id, base_version):
        return {"version": base_version, "unchanged": True}  # an autosave with nothing new
    revision = _write_revision(actor, meeting, base_version, body)
    audit.record(actor, "minutes.save", meeting, object_type="meeting", version=revision.version,
                 length=len(body))
    _publish_minutes(meeting, actor)
    db.session.commit()
    return {"version": revision.version}


def append_heading(actor, meeting, heading, attempts=3):
    """Add ``heading`` as a line at the end of the draft, as the secretary's own save would (a new
    revision, audited, broadcast; an editor holding the older version gets the stale-version conflict).
    Nothing when the draft already has that line or the minutes are final. A save that lands meanwhile
    is read again and the heading added to it; the caller commits."""
    for attempt in range(attempts):
        state = minutes_state(meeting)
        if state["status"] == MinutesStatus.FINAL or heading in state["body"].split("\n"):
            return None
        body = state["body"].rstrip("\n")
        body = f"{body}\n\n{heading}\n" if body else f"{heading}\n"
        try:
            revision = _write_revision(actor, meeting, state["version"], body)
        except MinutesConflict:
            if attempt == attempts - 1:
                raise
            continue
        audit.record(actor, "minutes.save", meeting, object_type="meeting", version=revision.version,
                     length=len(body), heading=heading)
        _publish_minutes(meeting, actor, via="agenda")
        return revision
    return None


def restore_revision(actor, meeting, version):
    """Make an old revision current again, as a new revision (history is never rewritten)."""
    if not perms.can_keep_minutes(actor, meeting):
        raise Forbidden(_("Only the chair and the secretary edit the minutes."))
    old = get_revision(meeting, version)
    row = _ensure_minutes(meeting)
    if row.status == MinutesStatus.FINAL:
        raise _stale(meeting)
    revision = _write_revision(actor, meeting, row.version, old.body, restored_from=old.version)
    audit.record(actor, "minutes.restore", meeting, object_type="meeting", version=revision.version,
                 restored_from=old.version)
    _publish_minutes(meeting, actor)
    db.session.commit()
    return revision


def finalize_minutes(actor, meeting):
    """Draft -> final (the chair); final is locked. Repeating it changes nothing."""
    if not perms.can_finalize_minutes(actor, meeting):
        raise Forbidden(_("Only the chair finalizes the minutes."))
    row = _ensure_minutes(meeting)
    if row.status == MinutesStatus.FINAL:
        return minutes_state(meeting)
    if row.version == 0:
        raise Conflict(_("The minutes are empty: write them before finalizing."), code="minutes_empty")
    row.status = MinutesStatus.FINAL
    row.finalized_at = utcnow()
    row.finalized_by_id = actor.id
    row.updated_at = row.finalized_at
    audit.record(actor, "minutes.finalize", meeting, object_type="meeting", version=row.version)
    _publish_minutes(meeting, actor)
    db.session.commit()
    return minutes_state(meeting)


def minutes_row(meeting):
    return _minutes_row(meeting)


def revisions(meeting):
    """Every revision, newest first, with its author loaded (one query)."""
    return db.session.scalars(
        db.select(MinutesRevision)
        .where(MinutesRevision.meeting_id == meeting.id)
        .options(db.joinedload(MinutesRevision.author))
        .order_by(MinutesRevision.version.desc())
    ).all()


def get_revision(meeting, version):
    revision = db.session.scalar(
        db.select(MinutesRevision).where(MinutesRevision.meeting_id == meeting.id, MinutesRevision.version == version)
    )
    if revision is None:
        raise NotFound(_("Revision not found."))
    return revision


def revision_dict(revision):
    return {
        "version": revision.version,
        "author": user_brief(revision.author),
        "created_at": isoformat(revision.created_at),
        "restored_from": revision.restored_from,
        "length": len(revision.body),
    }


def diff_rows(old, new, context=3):
    """Side-by-side rows [(kind, old_no, old_text, new_no, new_text)] of two revisions' texts, with
    distant unchanged lines folded into ("skip", ...) rows. Plain data: the template escapes every line."""
    a, b = (old or "").split("\n"), (new or "").split("\n")
    rows = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            at_start, at_end = not rows, i2 == len(a) and j2 == len(b)
            rows.extend(_equal_rows(a, b, i1, i2, j1, context, at_start, at_end))
        else:
            rows.extend(_changed_rows(a, b, range(i1, i2), range(j1, j2)))
    return rows


def _equal_rows(a, b, i1, i2, j1, context, at_start, at_end):
    """An unchanged run; longer than 2 * context + 1 lines, its middle folds into one "skip" row
    (at the start or the end of the text, no context is kept on that side)."""
    block = [("equal", i1 + k + 1, a[i1 + k], j1 + k + 1, b[j1 + k]) for k in range(i2 - i1)]
    if len(block) <= 2 * context + 1:
        return block
    head = [] if at_start else block[:context]
    tail = [] if at_end else block[-context:]
    return head + [("skip", None, len(block) - len(head) - len(tail), None, None)] + tail


def _changed_rows(a, b, left, right):
    """Changed lines side by side: replaced where both sides have a line, else deleted or inserted."""
    rows = []
    for k in range(max(len(left), len(right))):
        lo = left[k] if k < len(left) else None
        ro = right[k] if k < len(right) else None
        kind = "replace" if lo is not None and ro is not None else ("delete" if lo is not None else "insert")
        rows.append((kind, _line_no(lo), a[lo] if lo is not None else "",
                     _line_no(ro), b[ro] if ro is not None else ""))
    return rows


def _line_no(index):
    return index + 1 if index is not None else None
