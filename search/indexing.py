"""Keeping the index in step: every flush that writes a searchable row writes its index row in the
same transaction (SQLAlchemy session events; the services need not know), and ``rebuild`` for all.

What each row contributes is said once, in ``BUILDERS``: the part, the fields whose change re-indexes
it, and a function giving the index row's values.
"""
import functools
from dataclasses import dataclass

from sqlalchemy import Text, bindparam, delete, event, func, insert, inspect, literal_column, select
from sqlalchemy.orm import Session

from core.dbtypes import utcnow
from core.extensions import db
from directives.models import Assignment, Directive, ProgressReport
from meetings import meeting_documents
from meetings.models import AgendaItem, ChatMessage, Conclusion, Meeting, MinutesRevision
from meetings.models_documents import MeetingDocument
from search.models import TYPE_OF, Part, SearchEntry
from search.text import fold, index_text

COLUMNS = ("type", "part", "object_id", "directive_id", "meeting_id", "title", "body", "folded", "ref",
           "happened_at")


@dataclass(frozen=True)
class Builder:
    part: Part
    #: the attributes whose change re-indexes the row (an insert always indexes it)
    fields: tuple
    #: obj -> dict of the index row's values (without type and part)
    values: callable


def _directive(d):
    return {"object_id": d.id, "directive_id": d.id, "title": f"{d.number} · {d.title}", "body": d.body or "",
                "folded": index_text(d.number, d.title, d.body), "ref": fold(d.number)[:64], "happened_at": d.issued_at}


def _report(r):
    directive_id = r.assignment.directive_id if r.assignment is not None else None
    return {"object_id": r.id, "directive_id": directive_id, "title": "", "body": r.note or "",
            "folded": index_text(r.note), "happened_at": r.created_at}


def _meeting(m):
    body = "\n".join(p for p in (m.description, m.place) if p)
    return {"object_id": m.id, "meeting_id": m.id, "title": m.title, "body": body, "folded": index_text(m.title, body),
                "happened_at": m.starts_at}


def _agenda_item(item):
    meeting = item.meeting
    return {"object_id": item.id, "meeting_id": item.meeting_id, "title": item.title, "body": "",
                "folded": index_text(item.title), "happened_at": meeting.starts_at if meeting else utcnow()}


def _minutes(revision):
    # one row per meeting: the current text (a new revision replaces it)
    return {"object_id": revision.meeting_id, "meeting_id": revision.meeting_id, "title": "",
            "body": revision.body or "", "folded": index_text(revision.body), "happened_at": revision.created_at}


def _conclusion(c):
    return {"object_id": c.id, "meeting_id": c.meeting_id, "title": "", "body": c.text or "",
            "folded": index_text(c.text), "happened_at": c.created_at}


def _message(message):
    return {"object_id": message.id, "meeting_id": message.meeting_id, "title": "", "body": message.body or "",
                "folded": index_text(message.body), "happened_at": message.created_at}


def _document(doc):
    """A paper by its name and, where its text can be read (PDF, Word), by its content."""
    text = meeting_documents.text_of(doc)
    return {"object_id": doc.id, "meeting_id": doc.meeting_id, "title": doc.name, "body": text,
            "folded": index_text(doc.name, text), "happened_at": doc.uploaded_at}


BUILDERS = {
    Directive: Builder(Part.DIRECTIVE, ("number", "title", "body"), _directive),
    ProgressReport: Builder(Part.REPORT, ("note",), _report),
    Meeting: Builder(Part.MEETING, ("title", "description", "place", "starts_at"), _meeting),
    AgendaItem: Builder(Part.AGENDA, ("title",), _agenda_item),
    MinutesRevision: Builder(Part.MINUTES, ("body",), _minutes),
    Conclusion: Builder(Part.CONCLUSION, ("text",), _conclusion),
    ChatMessage: Builder(Part.MESSAGE, ("body",), _message),
    MeetingDocument: Builder(Part.DOCUMENT, ("name", "uploaded_at", "pdf_name"), _document),
}


def _row(builder, obj):
    values = dict.fromkeys(COLUMNS)
    values.update(builder.values(obj), type=str(TYPE_OF[builder.part]), part=str(builder.part))
    return values


@functools.cache
def insert_statement(dialect_name):
    """An INSERT of index rows given as dicts of COLUMNS; on PostgreSQL it also writes ``tsv``. One object per
    dialect, so SQLAlchemy computes its cache key once (every chat message writes a row)."""
    params = {name: bindparam(name) for name in COLUMNS}
    if dialect_name == "postgresql":
        params["tsv"] = func.to_tsvector(literal_column("'simple'::regconfig"), bindparam("folded", type_=Text))
    return insert(SearchEntry.__table__).values(params)


#: the index row of one object, removed before it is written again (SQLite reuses the ids of deleted rows)
_DELETE_ROW = delete(SearchEntry.__table__).where(SearchEntry.__table__.c.part == bindparam("del_part"),
                                                  SearchEntry.__table__.c.object_id == bindparam("del_id"))


def _changed(obj, fields):
    state = inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in fields)


def _collect(session):
    """(index rows to write, (part, object id) pairs to remove, ids of directives and meetings removed)."""
    rows, gone, gone_directives, gone_meetings, gone_assignments = [], [], [], [], []
    for obj in session.new:
        builder = BUILDERS.get(type(obj))
        if builder is not None:
            rows.append(_row(builder, obj))
    for obj in session.dirty:
        builder = BUILDERS.get(type(obj))
        if builder is not None and _changed(obj, builder.fields):
            rows.append(_row(builder, obj))
    for obj in session.deleted:
        builder = BUILDERS.get(type(obj))
        if isinstance(obj, Directive):
            gone_directives.append(obj.id)
        elif isinstance(obj, Meeting):
            gone_meetings.append(obj.id)
        elif isinstance(obj, Assignment):
            gone_assignments.append(obj.directive_id)
        elif builder is not None and builder.part != Part.MINUTES:
            gone.append((builder.part, obj.id))
    return rows, gone, gone_directives, gone_meetings, gone_assignments


@event.listens_for(Session, "after_flush")
def _keep_index_in_step(session, _context):
    rows, gone, gone_directives, gone_meetings, gone_assignments = _collect(session)
    if not (rows or gone or gone_directives or gone_meetings or gone_assignments):
        return
    conn = session.connection()
    table = SearchEntry.__table__
    stale = gone + [(row["part"], row["object_id"]) for row in rows]
    if stale:  # one statement object (its cache key computed once), all rows in one executemany
        conn.execute(_DELETE_ROW, [{"del_part": part, "del_id": object_id} for part, object_id in stale])
    if gone_directives:
        conn.execute(delete(table).where(table.c.directive_id.in_(gone_directives)))
    if gone_meetings:
        conn.execute(delete(table).where(table.c.meeting_id.in_(gone_meetings)))
    if gone_assignments:  # their reports went with them (ON DELETE CASCADE)
        kept = select(ProgressReport.id)
        conn.execute(delete(table).where(table.c.part == Part.REPORT, table.c.directive_id.in_(gone_assignments),
                                         table.c.object_id.not_in(kept)))
    if rows:
        conn.execute(insert_statement(conn.dialect.name), rows)


def _latest_revisions():
    newest = (select(MinutesRevision.meeting_id, func.max(MinutesRevision.version).label("version"))
              .group_by(MinutesRevision.meeting_id).subquery())
    return select(MinutesRevision).join(newest, (newest.c.meeting_id == MinutesRevision.meeting_id)
                                        & (newest.c.version == MinutesRevision.version))


def rebuild(batch=2000):
    """Empty the index and fill it again from every searchable row; commits. Returns the rows written."""
    from sqlalchemy.orm import selectinload

    table = SearchEntry.__table__
    db.session.execute(delete(table))  # on SQLite the triggers take each row out of search_fts too
    statement = insert_statement(db.engine.dialect.name)
    sources = [
        (Directive, select(Directive)),
        (ProgressReport, select(ProgressReport).options(selectinload(ProgressReport.assignment))),
        (Meeting, select(Meeting)),
        (AgendaItem, select(AgendaItem).options(selectinload(AgendaItem.meeting))),
        (MinutesRevision, _latest_revisions()),
        (Conclusion, select(Conclusion)),
        (ChatMessage, select(ChatMessage)),
        (MeetingDocument, select(MeetingDocument)),
    ]
    written = 0
    with db.session.no_autoflush:
        for model, query in sources:
            builder, last = BUILDERS[model], 0
            while True:  # by id ranges: steady memory on millions of rows
                objs = db.session.scalars(query.where(model.id > last).order_by(model.id).limit(batch)).unique().all()
                if not objs:
                    break
                db.session.execute(statement, [_row(builder, obj) for obj in objs])
                written += len(objs)
                last = objs[-1].id
    db.session.commit()
    return written


def fill_if_empty():
    """After a schema upgrade: an empty index over a database that has directives or meetings (the index
    is new, or was dropped) is built once; a filled one is left alone (the session hooks keep it)."""
    if db.session.scalar(select(SearchEntry.id).limit(1)) is not None:
        return
    if all(db.session.scalar(select(model.id).limit(1)) is None for model in (Directive, Meeting)):
        return
    rebuild()
