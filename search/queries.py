"""Reading the index: what the caller may see, ranked by relevance then recency, with snippets.

Who may see a result is decided in SQL, by the same rules as the pages (``directives.permissions``,
``meetings.permissions``; tests/api/test_search.py checks the SQL against those functions row by row):
- a directive and its reports: leaders and admins; an officer when the directive is assigned to their agency;
- a meeting, its agenda, minutes, conclusions and chat: leaders and admins, its chair, secretary and invitees;
- a meeting's paper: its chair, secretary and invitees; a restricted one only its named readers, the chair,
  the secretary and whoever uploaded it.
A page of results is two queries: the ranked, filtered ids, then their meetings' and directives' titles.
"""
import re
from datetime import timedelta

from flask_babel import gettext as _
from markupsafe import Markup, escape
from sqlalchemy import (
    Text,
    and_,
    case,
    column,
    exists,
    false,
    func,
    literal,
    literal_column,
    or_,
    select,
    table,
    text,
    true,
)

from auth.models import User
from core.extensions import db
from core.validation import Fields, parse_datetime
from directives import permissions as directive_permissions
from directives.models import Assignment, Directive, ProgressReport
from meetings import permissions as meeting_permissions
from meetings.models import Meeting, Participant
from meetings.models_documents import MeetingDocument, document_readers
from search.models import Part, SearchEntry, SearchType
from search.text import WORD, fold, fold_with_map

PAGE_SIZE = 20
MAX_QUERY = 200
#: a directive number as typed: "15/CĐ-UBND", "15/UBND-TH"
NUMBER = re.compile(r"^\s*\d+\s*/\s*\S+\s*$")
SNIPPET_CHARS = 180
#: how many of the newest visible matches are ranked (see _candidates)
CANDIDATES = 2000
#: parts written in Markdown, and the marks a snippet leaves out (**bold**, # headings, > quotes, `code`)
MARKDOWN_PARTS = ("directive", "minutes")
MARKDOWN_MARKS = re.compile(r"\*+|`+|^\s*[#>]+\s*|(?<!\w)_+|_+(?!\w)", re.MULTILINE)

_fts = table("search_fts", column("rowid"))


# -- who may see what, in SQL -------------------------------------------------------------------------


def _meeting_member(user):
    """The entry's meeting is one the user chairs, keeps the minutes of, or is invited to."""
    invited = exists().where(Participant.meeting_id == SearchEntry.meeting_id, Participant.user_id == user.id)
    leads = exists().where(Meeting.id == SearchEntry.meeting_id,
                           or_(Meeting.chair_id == user.id, Meeting.secretary_id == user.id))
    return or_(invited, leads)


def _readable_document(user):
    """A paper's own restriction (meetings.permissions.can_read_document), the membership apart."""
    named = exists().where(document_readers.c.document_id == MeetingDocument.id,
                           document_readers.c.user_id == user.id)
    keeps_minutes = exists().where(Meeting.id == MeetingDocument.meeting_id,
                                   or_(Meeting.chair_id == user.id, Meeting.secretary_id == user.id))
    return exists().where(MeetingDocument.id == SearchEntry.object_id, or_(
        MeetingDocument.restricted == false(), MeetingDocument.uploaded_by_id == user.id, named, keeps_minutes))


def visible(user):
    """The WHERE clause of the index rows ``user`` may see."""
    if user is None or not getattr(user, "is_authenticated", False):
        return false()
    agencies = directive_permissions.scope(user)  # as directives.queries._visible
    if agencies is None:
        directives = true()
    elif agencies:
        mine = or_(Assignment.agency_id.in_(sorted(agencies)), Assignment.assignee_id == user.id)
        directives = exists().where(Assignment.directive_id == SearchEntry.directive_id, mine)
        # a progress report only from an assignment in the user's own scope (not a sibling commune's)
        own_report = exists().where(ProgressReport.id == SearchEntry.object_id,
                                    Assignment.id == ProgressReport.assignment_id, mine)
        directives = and_(directives, or_(SearchEntry.part != Part.REPORT, own_report))
    else:
        directives = false()
    member = _meeting_member(user)
    meetings = true() if meeting_permissions.is_staff(user) else member
    return or_(
        and_(SearchEntry.type == SearchType.DIRECTIVE, directives),
        and_(SearchEntry.type.in_((SearchType.MEETING, SearchType.MINUTES, SearchType.MESSAGE)), meetings),
        and_(SearchEntry.type == SearchType.DOCUMENT, member, _readable_document(user)),
    )


# -- the query --------------------------------------------------------------------------------------


def parse(args):
    """The search form or query string as {q, type, agency_id, date_from, date_to, page}; Invalid names bad ones."""
    f = Fields(dict(args))
    q = f.str("q", required=False, max_len=MAX_QUERY, default="")
    kind = f.choice("type", [str(t) for t in SearchType], required=False)
    agency_id = f.id("agency_id", required=False) if f.has("agency_id") else None
    date_from = _date_bound(f, "from")
    date_to = _date_bound(f, "to", end=True)
    page = f.int("page", required=False, min_value=1, max_value=1000, default=1)
    f.check()
    return {"q": q, "type": kind, "agency_id": agency_id, "date_from": date_from, "date_to": date_to,
            "page": page}


def _date_bound(f, name, end=False):
    """A date (YYYY-MM-DD, in the display zone); the end bound includes that whole day."""
    raw = f.data.get(name)
    if raw in (None, ""):
        return None
    text = str(raw).strip()
    parsed = parse_datetime(f"{text}T00:00:00") if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text) else None
    if parsed is None:
        f.error(name, _("Must be a date (YYYY-MM-DD)."))
        return None
    return parsed + timedelta(days=1) if end else parsed


def _terms(q):
    """The query's words, grouped as typed: "15/CĐ-UBND lũ" -> [["15", "cd", "ubnd"], ["lu"]]."""
    return [WORD.findall(chunk) for chunk in fold(q).split() if WORD.search(chunk)]


def _fts5_query(terms):
    """"15/CĐ-UBND lũ lụt" -> '"15 cd ubnd" "lu" "lut"*': every term required, the last one as a prefix."""
    parts = [f'"{" ".join(term)}"' for term in terms]
    if len(terms[-1]) == 1:
        parts[-1] += "*"
    return " ".join(parts)


def _tsquery(terms):
    """The same for PostgreSQL: 'lu' & 'lut':* ; a number's words must follow each other (<->)."""
    parts = [" <-> ".join(f"'{w}'" for w in term) for term in terms]
    if len(terms[-1]) == 1:
        parts[-1] += ":*"
    return " & ".join(f"({p})" for p in parts)


def _candidates(terms, user, filters, exact):
    """The newest CANDIDATES visible matches, as a subquery (id, rank: smaller is better, happened_at, exact).

    Ranking every match of a very common word (one index row in twelve for "kế hoạch" in bench/search.py)
    costs more than the rest of the search together; beyond CANDIDATES matches, the newest ones (ids grow
    with time) are the ones ranked. Visibility is applied before the cut, so an officer still gets
    CANDIDATES rows they may see.
    """
    if db.engine.dialect.name == "postgresql":
        tsq = func.to_tsquery(literal_column("'simple'::regconfig"), db.bindparam("tsq", _tsquery(terms), type_=Text))
        inner = (select(SearchEntry.id, SearchEntry.tsv, SearchEntry.happened_at, exact.label("exact"))
                 .where(SearchEntry.tsv.op("@@")(tsq), visible(user)).order_by(SearchEntry.id.desc()))
        inner = _filtered(inner, filters, user).limit(CANDIDATES).subquery()
        # ranked outside the cut: PostgreSQL computes the select list before a sort, ts_rank is costly
        return select(inner.c.id, (-func.ts_rank(inner.c.tsv, tsq)).label("rank"), inner.c.happened_at,
                      inner.c.exact).subquery()
    match = literal_column("search_fts").op("MATCH")(db.bindparam("fts", _fts5_query(terms), type_=Text))
    inner = (select(SearchEntry.id, func.bm25(literal_column("search_fts")).label("rank"), SearchEntry.happened_at,
                    exact.label("exact"))
             .select_from(_fts).join(SearchEntry, SearchEntry.id == _fts.c.rowid)
             .where(match, visible(user)).order_by(_fts.c.rowid.desc()))
    return _filtered(inner, filters, user).limit(CANDIDATES).subquery()


def _filtered(statement, filters, user):
    if filters.get("type"):
        statement = statement.where(SearchEntry.type == filters["type"])
    if filters.get("date_from"):
        statement = statement.where(SearchEntry.happened_at >= filters["date_from"])
    if filters.get("date_to"):
        statement = statement.where(SearchEntry.happened_at < filters["date_to"])
    if filters.get("agency_id"):
        agency_id = filters["agency_id"]
        assigned = exists().where(Assignment.directive_id == SearchEntry.directive_id,
                                  Assignment.agency_id == agency_id,  # one the user may see
                                  *directive_permissions.filterable_assignments(user, SearchEntry.directive_id))
        attends = exists().where(Participant.meeting_id == SearchEntry.meeting_id, Participant.user_id == User.id,
                                 User.agency_id == agency_id)
        statement = statement.where(or_(and_(SearchEntry.directive_id.is_not(None), assigned),
                                        and_(SearchEntry.meeting_id.is_not(None), attends)))
    return statement


def search(user, filters, limit=PAGE_SIZE):
    """{"items": [result dicts], "more": bool} of what ``user`` may see, best first."""
    terms = _terms(filters.get("q") or "")
    if not terms:
        return {"items": [], "more": False}
    q = filters["q"]
    exact = case((SearchEntry.ref == fold(q.strip()).replace(" ", ""), 0), else_=1) if NUMBER.match(q) else literal(1)
    if db.engine.dialect.name == "postgresql":
        # the planner's cost for a common word passes jit_above_cost; compiling takes ~0.5 s, the query 0.05 s
        db.session.execute(text("SET LOCAL jit = off"))
    found = _candidates(terms, user, filters, exact)
    statement = select(found.c.id).order_by(found.c.exact, found.c.rank, found.c.happened_at.desc(), found.c.id.desc())
    offset = (filters.get("page", 1) - 1) * limit
    ids = db.session.scalars(statement.limit(limit + 1).offset(offset)).all()
    return {"items": _results(ids[:limit], terms), "more": len(ids) > limit}


def _results(ids, terms):
    if not ids:
        return []
    rows = db.session.execute(
        select(SearchEntry, Meeting.title, Directive.number, Directive.title)
        .outerjoin(Meeting, Meeting.id == SearchEntry.meeting_id)
        .outerjoin(Directive, Directive.id == SearchEntry.directive_id)
        .where(SearchEntry.id.in_(ids))
    ).all()
    by_id = {row[0].id: row for row in rows}
    wanted = [w for term in terms for w in term]
    return [_result(*by_id[i], wanted) for i in ids if i in by_id]


def _result(entry, meeting_title, number, directive_title, wanted):
    context = f"{number} · {directive_title}" if number else (meeting_title or "")
    title = entry.title or context
    text = entry.body or entry.title
    if entry.part in MARKDOWN_PARTS:
        text = MARKDOWN_MARKS.sub("", text)
    return {
        "type": entry.type, "part": entry.part, "id": entry.object_id, "entry": entry,
        "title": title, "context": context if context != title else "",
        "title_html": highlight(title, wanted, whole=True), "snippet": highlight(text, wanted),
        "url": url_for_entry(entry), "happened_at": entry.happened_at,
    }


def url_for_entry(entry):
    """Where a result opens (the page that shows it to those who may see it)."""
    part = entry.part
    if part == "directive":
        return f"/directives/{entry.object_id}"
    if part == "report":
        return f"/directives/{entry.directive_id}#report-{entry.object_id}"
    if part in ("minutes", "conclusion"):
        return f"/meetings/{entry.meeting_id}/outcomes"
    if part == "message":
        return f"/meetings/{entry.meeting_id}/room#message-{entry.object_id}"
    if part == "document":
        return f"/meetings/documents/{entry.object_id}"
    return f"/meetings/{entry.meeting_id}"


# -- snippets -----------------------------------------------------------------------------------------


def _spans(folded, wanted):
    """(start, end) of every word of ``folded`` that is one of ``wanted`` or, for the last, starts with it."""
    last = wanted[-1] if wanted else None
    spans = []
    for m in WORD.finditer(folded):
        w = m.group()
        if w in wanted or (last and w.startswith(last)):
            spans.append((m.start(), m.end()))
    return spans


def highlight(text, wanted, whole=False):
    """``text`` (cut around the first match unless ``whole``) escaped, the matched words in <mark>."""
    text = text or ""
    folded, origin = fold_with_map(text)
    spans = _spans(folded, wanted)
    marks = [(origin[s], origin[e - 1] + 1) for s, e in spans]
    start, end = 0, len(text)
    if not whole and len(text) > SNIPPET_CHARS:
        first = marks[0][0] if marks else 0
        start = max(0, first - SNIPPET_CHARS // 3)
        while start > 0 and not text[start - 1].isspace():
            start -= 1
        end = min(len(text), start + SNIPPET_CHARS)
        while end < len(text) and not text[end].isspace():
            end += 1
    out, pos = [], start
    for s, e in marks:
        if s < start or e > end:
            continue
        out.append(escape(text[pos:s]))
        out.append(Markup("<mark>") + escape(text[s:e]) + Markup("</mark>"))
        pos = e
    out.append(escape(text[pos:end]))
    body = Markup("").join(out)
    if start > 0:
        body = Markup("… ") + body
    if end < len(text):
        body = body + Markup(" …")
    return body


