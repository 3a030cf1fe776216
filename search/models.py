"""The search index: one row per searchable thing, kept in step by ``search.indexing``.

The engines index ``folded`` (see ``search.text``):
- SQLite: the FTS5 table ``search_fts`` (external content: it reads ``search_entries``), filled by
  triggers, so every insert, update and delete of a row here reaches it in the same transaction;
- PostgreSQL: the ``tsv`` column (``to_tsvector('simple', folded)``, written with the row) and its GIN
  index. Neither is part of this metadata: ``ENGINE_OBJECTS`` names them so that autogenerate and the
  migrations test leave them alone.
"""
from enum import StrEnum

from sqlalchemy import DDL, event
from sqlalchemy.dialects.postgresql import TSVECTOR

from core.dbtypes import UTCDateTime, one_of
from core.extensions import db


class SearchType(StrEnum):
    """The ``type`` of GET /api/v1/search (API.md): what a result is, as the caller filters it."""

    DIRECTIVE = "directive"  # directives and their progress reports
    MEETING = "meeting"  # meetings and their agenda items
    MINUTES = "minutes"  # minutes and conclusions
    MESSAGE = "message"  # chat messages
    DOCUMENT = "document"  # a meeting's papers, by name


class Part(StrEnum):
    """What exactly the row indexes (the results page names it)."""

    DIRECTIVE = "directive"
    REPORT = "report"
    MEETING = "meeting"
    AGENDA = "agenda"
    MINUTES = "minutes"
    CONCLUSION = "conclusion"
    MESSAGE = "message"
    DOCUMENT = "document"


#: each part and the type it is found under
TYPE_OF = {
    Part.DIRECTIVE: SearchType.DIRECTIVE, Part.REPORT: SearchType.DIRECTIVE,
    Part.MEETING: SearchType.MEETING, Part.AGENDA: SearchType.MEETING,
    Part.MINUTES: SearchType.MINUTES, Part.CONCLUSION: SearchType.MINUTES,
    Part.MESSAGE: SearchType.MESSAGE, Part.DOCUMENT: SearchType.DOCUMENT,
}


class SearchEntry(db.Model):
    """One indexed thing: its text as shown (for titles and snippets) and as the engines read it."""

    __tablename__ = "search_entries"
    __table_args__ = (
        db.UniqueConstraint("part", "object_id", name="uq_search_entries_part_object"),
        db.Index("ix_search_entries_type_happened", "type", "happened_at"),
        one_of("type", SearchType),
        one_of("part", Part),
    )

    id = db.Column(db.Integer, primary_key=True)
    #: the API's type (SearchType): directive, meeting, minutes, message, document
    type = db.Column(db.String(16), nullable=False)
    #: what the row is (Part): directive, report, meeting, agenda, minutes, conclusion, message, document
    part = db.Column(db.String(16), nullable=False)
    #: the id of that row in its own table (for minutes: the meeting's id)
    object_id = db.Column(db.Integer, nullable=False)
    #: the directive it belongs to (directives and reports): who may see it is who may see the directive
    directive_id = db.Column(db.Integer, index=True)
    #: the meeting it belongs to (everything of a meeting): who may see it is who may see the meeting
    meeting_id = db.Column(db.Integer, index=True)
    #: the line shown for the result, as written (e.g. "15/UBND-TH · Triển khai tiêm chủng")
    title = db.Column(db.String(600), nullable=False, default="")
    #: the text searched, as written (the snippet is cut from it)
    body = db.Column(db.Text, nullable=False, default="")
    #: title and body folded to words (search.text.index_text): what the engines index
    folded = db.Column(db.Text, nullable=False, default="")
    #: a directive's number folded (e.g. "15/cd-ubnd"), so a number typed in full is found first
    ref = db.Column(db.String(64), index=True)
    #: when it happened (issued, written, starts): the second sort key and the date filter
    happened_at = db.Column(UTCDateTime, nullable=False)
    #: PostgreSQL only: to_tsvector('simple', folded), indexed with GIN (always NULL on SQLite)
    tsv = db.Column(db.Text().with_variant(TSVECTOR(), "postgresql"))


#: tables, triggers and indexes the engines need beyond this metadata (see the module's doc)
ENGINE_OBJECTS = frozenset({
    "search_fts", "search_fts_data", "search_fts_idx", "search_fts_docsize", "search_fts_config",
    "search_fts_content", "ix_search_entries_tsv",
})

SQLITE_DDL = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS search_fts USING fts5(folded, content='search_entries',"
    " content_rowid='id', tokenize='unicode61 remove_diacritics 0')",
    "CREATE TRIGGER IF NOT EXISTS search_entries_ai AFTER INSERT ON search_entries BEGIN"
    " INSERT INTO search_fts(rowid, folded) VALUES (new.id, new.folded); END",
    "CREATE TRIGGER IF NOT EXISTS search_entries_ad AFTER DELETE ON search_entries BEGIN"
    " INSERT INTO search_fts(search_fts, rowid, folded) VALUES ('delete', old.id, old.folded); END",
    "CREATE TRIGGER IF NOT EXISTS search_entries_au AFTER UPDATE ON search_entries BEGIN"
    " INSERT INTO search_fts(search_fts, rowid, folded) VALUES ('delete', old.id, old.folded);"
    " INSERT INTO search_fts(rowid, folded) VALUES (new.id, new.folded); END",
)
POSTGRESQL_DDL = ("CREATE INDEX IF NOT EXISTS ix_search_entries_tsv ON search_entries USING gin (tsv)",)

# create_all (the tests) builds them too; the migration 0020 runs the same statements
for _statement in SQLITE_DDL:
    event.listen(SearchEntry.__table__, "after_create", DDL(_statement).execute_if(dialect="sqlite"))
for _statement in POSTGRESQL_DDL:
    event.listen(SearchEntry.__table__, "after_create", DDL(_statement).execute_if(dialect="postgresql"))
event.listen(SearchEntry.__table__, "before_drop", DDL("DROP TABLE IF EXISTS search_fts").execute_if(dialect="sqlite"))
