"""The tracking board by level: what each level of the agency tree gave, counted once, at the giver's level.

The counting rule (docs/directives.md, "The board by level"):

- every assignment is counted exactly once, on the board of the agency that GAVE it;
- the province's board counts the root assignments of directives issued by the provincial leaders
  (``parent_id IS NULL``), one row per receiving agency;
- the board of agency X counts what X passed on (the parent's ``agency_id`` is X), one row per receiving
  agency (its communes, its units) and one per officer of X given a personal share, plus the roots of the
  directives X's own leaders issued;
- so a directive passed province → district → commune is counted once on the province's board (in the
  district's row: the district's own assignment, whose progress rolls up its communes', not district +
  communes) and once on the district's board (in the commune's row); never twice on one board.

``level_summary`` gives the totals of the tracking model per level: what the province gave, what the
departments gave, what the districts gave, what the communes gave (the AgencyKind of the giver).

All in SQL, a constant number of statements whatever the data: one GROUP BY for the counts (and the
times to acknowledge, aggregated per group), one for the agency names, one for the officers' names when
there are officer rows, one for which agencies gave anything (the drill-down), and the agency tree (read
once per app context). Nothing here writes.
"""
import statistics

from flask_babel import gettext as _
from sqlalchemy import String, and_, case, cast, func, literal, or_, select
from sqlalchemy.orm import aliased

from auth.models import Agency, AgencyKind, Role, User
from auth.protocol import agency_key
from core.collation import sort_key
from core.dbtypes import utcnow
from core.errors import Forbidden, Invalid, NotFound
from core.extensions import db
from core.validation import parse_id
from directives import permissions
from directives.models import Assignment, Directive
from directives.queries import board_filters, stats_totals
from directives.tracking import TRACKING_VALUES, tracking_expr
from directives.tree import agency_tree

#: the levels of the summary, in order: the kind of agency that gave the assignments ("province": the
#: provincial leaders, or the provincial office passing on)
LEVELS = ("province", AgencyKind.DEPARTMENT.value, AgencyKind.DISTRICT.value, AgencyKind.COMMUNE.value,
          AgencyKind.OTHER.value)

_parent = aliased(Assignment)
_issuer = aliased(User)
_issuer_agency = aliased(Agency)


def _issued_by_agency():
    """A root whose directive an agency's own leader issued (not a provincial leader): that agency gave it."""
    return and_(_issuer.role == Role.LEADER, _issuer.agency_id.is_not(None),
                func.coalesce(_issuer_agency.kind, AgencyKind.PROVINCIAL_OFFICE.value)
                != AgencyKind.PROVINCIAL_OFFICE.value)


def giver_expr():
    """The agency that gave the assignment, in SQL (permissions.giving_agency_id): the parent's agency
    for one passed on, the issuer's agency for a root issued by an agency's leader, NULL for the province."""
    return case((Assignment.parent_id.is_not(None), _parent.agency_id),
                (_issued_by_agency(), _issuer.agency_id), else_=None)


def _joined(query):
    """``query`` over Assignment joined with what says who gave it: its directive, parent and issuer."""
    return (query.select_from(Assignment).join(Directive, Directive.id == Assignment.directive_id)
            .outerjoin(_parent, _parent.id == Assignment.parent_id)
            .join(_issuer, _issuer.id == Directive.issuer_id)
            .outerjoin(_issuer_agency, _issuer_agency.id == _issuer.agency_id))


def _at_level(scope_agency_id):
    """The assignments counted on the board of ``scope_agency_id`` (None: the province's)."""
    if scope_agency_id is None:
        return [Assignment.parent_id.is_(None), ~_issued_by_agency()]
    return [or_(_parent.agency_id == scope_agency_id,  # no parent: NULL, not equal
                and_(Assignment.parent_id.is_(None), _issued_by_agency(), _issuer.agency_id == scope_agency_id))]


def level_assignment_ids(scope_agency_id):
    """SELECT of the ids of the assignments counted at ``scope_agency_id``'s level (None: the province's), to
    which the execution report (directives/execution.py) adds its own conditions."""
    return _joined(select(Assignment.id)).where(*_at_level(scope_agency_id))


def parse_filters(filters):
    """The board's filters as SQL conditions (queries.board_filters, the province's board's own)."""
    conditions, directive_conditions = board_filters(filters)
    return conditions + directive_conditions


def _ack_seconds():
    """Seconds from issue to acknowledgement (NULL when not acknowledged), as text to aggregate: PostgreSQL
    keeps the fraction (its median is percentile_cont's), SQLite rounds to whole seconds (as agency_stats)."""
    if db.engine.dialect.name == "postgresql":
        seconds = func.extract("epoch", Assignment.acknowledged_at - Directive.issued_at)
        return func.string_agg(cast(seconds, String), literal(","))
    seconds = (func.julianday(Assignment.acknowledged_at) - func.julianday(Directive.issued_at)) * 86400.0
    return func.group_concat(cast(func.round(seconds), String))


def _grouped(scope_agency_id, now, conditions):
    """{(agency id, assignee id or None): {counts..., "_seconds": [...]}} in one GROUP BY."""
    track = tracking_expr(now).label("tracking")
    query = _joined(select(Assignment.agency_id, Assignment.assignee_id, track, func.count(),
                           func.count(Assignment.acknowledged_at), _ack_seconds()))
    query = query.where(*_at_level(scope_agency_id), *conditions).group_by(
        Assignment.agency_id, Assignment.assignee_id, track)
    out = {}
    for agency_id, assignee_id, tracking, n, acknowledged, seconds in db.session.execute(query):
        item = out.setdefault((agency_id, assignee_id), _zero())
        item["assigned"] += n
        item["acknowledged"] += acknowledged
        if tracking in item:
            item[tracking] += n
        if seconds:
            item["_seconds"] += [float(v) for v in seconds.split(",") if v]
    return out


def _zero():
    return dict(dict.fromkeys(("assigned", "acknowledged") + TRACKING_VALUES, 0), _seconds=[])


def _finish(row, counts):
    seconds = counts.pop("_seconds")
    row.update(counts)
    judged = row["completed_on_time"] + row["completed_late"] + row["overdue"]
    assigned = row["assigned"]
    row["acknowledged_pct"] = round(100.0 * row["acknowledged"] / assigned, 1) if assigned else None
    row["on_time_rate"] = round(100.0 * row["completed_on_time"] / judged, 1) if judged else None
    row["median_ack_seconds"] = int(round(statistics.median(seconds))) if seconds else None
    return row


def givers(filters=None):
    """{giving agency id: how many (not cancelled) assignments it gave}, the province's left out; one query."""
    conditions = parse_filters(filters)
    giver = giver_expr().label("giver")
    query = _joined(select(giver, func.count())).where(giver.is_not(None), *conditions).group_by(giver)
    return dict(db.session.execute(query).all())


def rank_key(row):
    """Best first: on-time rate, then fewest overdue, then most acknowledged, then fastest, then name."""
    return (-(row["on_time_rate"] if row["on_time_rate"] is not None else -1), row["overdue"],
            -(row["acknowledged_pct"] or 0), row["median_ack_seconds"] or 10**12, sort_key(row["name"]))


def level_stats(scope_agency_id=None, now=None, filters=None):
    """The rows of one level's board: what ``scope_agency_id`` gave (None: the province), one row per
    receiving agency and one per officer given a personal share, each with the columns of
    queries.agency_stats (assigned, acknowledged, on_track, due_soon, overdue, completed_on_time,
    completed_late, acknowledged_pct, on_time_rate, median_ack_seconds) and:

    - ``kind`` "agency" or "officer"; ``name`` what the row is called (the agency's, the officer's name);
      ``assignee_id`` and ``assignee_name`` for an officer's row (``agency_id`` is then the officer's agency);
    - ``rank``: 1 for the best row of the level (rank_key), None for a row with nothing assigned;
    - ``has_level``: whether the agency has a board of its own to drill down to (it passed something on,
      or agencies are under it).

    Agencies first in protocol order, then officers by name. Bad filters raise Invalid naming the field.
    """
    now = now or utcnow()
    conditions = parse_filters(filters)
    grouped = _grouped(scope_agency_id, now, conditions)
    agencies, officers = _names(grouped)
    gave = givers(filters) if grouped else {}
    tree = agency_tree()
    rows = [_row(agencies.get(agency_id), officers.get(assignee_id), agency_id, assignee_id, counts,
                 has_level=agency_id in gave or bool(tree.children.get(agency_id)))
            for (agency_id, assignee_id), counts in grouped.items()]
    rows.sort(key=lambda r: (r["kind"] == "officer",
                             agency_key(agencies.get(r["agency_id"])) if r["kind"] == "agency" else (),
                             sort_key(r["name"])))
    for n, row in enumerate(sorted((r for r in rows if r["assigned"]), key=rank_key), start=1):
        row["rank"] = n
    for row in rows:
        row.setdefault("rank", None)
    return rows


def _names(grouped):
    """({id: Agency}, {id: User}) of the rows' agencies and officers: one statement each (none for no officer)."""
    agency_ids = sorted({agency_id for agency_id, _ in grouped})
    agencies = {a.id: a for a in db.session.scalars(select(Agency).where(Agency.id.in_(agency_ids or [-1])))}
    officer_ids = sorted({assignee for _, assignee in grouped if assignee is not None})
    officers = ({u.id: u for u in db.session.scalars(select(User).where(User.id.in_(officer_ids)))}
                if officer_ids else {})
    return agencies, officers


def _row(agency, officer, agency_id, assignee_id, counts, has_level):
    row = {"agency_id": agency_id, "agency_code": agency.code if agency else None,
           "agency_name": agency.name if agency else None, "kind": "officer" if assignee_id else "agency",
           "assignee_id": assignee_id, "assignee_name": officer.full_name if officer else None}
    row["name"] = row["assignee_name"] or row["agency_name"] or ""
    row["has_level"] = assignee_id is None and has_level
    return _finish(row, counts)


def level_summary(scope_agency_id=None, now=None, filters=None):
    """The totals of the tracking model per level under ``scope_agency_id`` (None: the whole province):
    [{level, assigned, acknowledged, on_track, ..., on_time_rate}] for "province" (what the provincial
    leaders gave), then what departments, districts, communes (and other agencies) gave; each assignment
    counted once, at its giver's level. Levels with nothing given are left out. One GROUP BY."""
    now = now or utcnow()
    conditions = parse_filters(filters)
    tree = agency_tree()
    giver = giver_expr().label("giver")
    track = tracking_expr(now).label("tracking")
    query = _joined(select(giver, track, func.count(), func.count(Assignment.acknowledged_at))).where(*conditions)
    if scope_agency_id is not None:
        query = query.where(giver.in_(sorted(tree.subtree(scope_agency_id))))
    per_level = {}
    for giver_id, tracking, n, acknowledged in db.session.execute(query.group_by(giver, track)):
        kind = tree.kind.get(giver_id) if giver_id is not None else None
        level = "province" if kind in (None, AgencyKind.PROVINCIAL_OFFICE) else kind
        item = per_level.setdefault(level, _zero())
        item["assigned"] += n
        item["acknowledged"] += acknowledged
        if tracking in item:
            item[tracking] += n
    out = []
    for level in sorted(per_level, key=lambda k: LEVELS.index(k) if k in LEVELS else len(LEVELS)):
        counts = per_level[level]
        counts.pop("_seconds")
        out.append(dict(stats_totals([counts]), level=level))
    return out


#: ``?level=province``: the province's own board (what the provincial leaders gave)
PROVINCE = "province"


def resolve_level(user, raw):
    """The agency whose board ``user`` asks for with ``?level=`` (None: the province's board).

    Empty: the user's default, the province for the provincial leaders and admins, their own agency for an
    agency's leader. ``province`` or an agency id: that level, 403 outside the user's scope
    (permissions.can_view_board_of), 404 for an agency that does not exist; anything else is 422 naming
    ``level``."""
    if not permissions.can_view_stats(user):
        raise Forbidden(_("Only leaders and administrators see the statistics."))
    raw = (raw or "").strip()
    if raw == "":
        return None if permissions.is_staff(user) else db.session.get(Agency, user.agency_id)
    if raw == PROVINCE:
        if not permissions.is_staff(user):
            raise Forbidden(_("You may see the boards of your agency and of the agencies under it."))
        return None
    agency = _agency_of_level(raw)
    if not permissions.can_view_board_of(user, agency.id):
        raise Forbidden(_("You may see the boards of your agency and of the agencies under it."))
    return agency


def _agency_of_level(raw):
    agency_id = parse_id(raw)
    if agency_id is None:
        raise Invalid({"level": _("Must be an agency id or \"province\".")})
    agency = db.session.get(Agency, agency_id)
    if agency is None:
        raise NotFound(_("Agency not found."))
    return agency


def breadcrumbs(user, agency):
    """[(agency or None for the province, whether ``user`` may open it)] from the top down to ``agency``."""
    if agency is None:
        return [(None, True)]
    tree = agency_tree()
    chain = list(reversed(tree.ancestors(agency.id))) + [agency.id]
    found = {a.id: a for a in db.session.scalars(select(Agency).where(Agency.id.in_(chain)))}
    out = [(None, permissions.is_staff(user))]
    out += [(found[i], permissions.can_view_board_of(user, i)) for i in chain if i in found]
    return out
