"""The execution report: how each agency carried out the directives due in a period, in the national categories.

Rules (docs/reports.md):

- a period is whole days in the display time zone, ``[start, end)``: from 00:00 of ``from`` to 00:00 of the
  day after ``to``;
- the state of an assignment at an instant is the one its history says: the last event before that instant
  gives its status and the deadline then in force (AssignmentEvent.deadline); no event before it: it did not
  exist yet;
- an assignment is **due in the period** when a deadline it held during the period falls in the period (so
  one extended across the period's end is due, and one extended into the period from an earlier one too);
- it is **categorised as of the period's end**: cancelled then, it is left out; completed then, on time when
  the accepted result was submitted by the deadline in force, else late; still open, within its deadline
  when that deadline is after the period's end (an extension granted), else overdue;
- **carried over** are the assignments open at the period's start whose deadline was already before it;
- the on-time rate is the board's: completed on time out of those judged (completed, or overdue);
- each assignment is counted once, on the level of the agency that gave it (directives/board.py): the
  province's report counts what the provincial leaders gave, an agency's report what that agency gave.

Everything is computed from a constant number of statements whatever the period or the number of months:
the assignments due in every period at once (one statement with window functions over the history), those
carried over, the extensions granted, the overdue list's reasons, the agency names. The medians are taken in
Python from the rows those statements return.
"""
import statistics
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from dateutil.relativedelta import relativedelta
from flask_babel import gettext as _
from sqlalchemy import and_, func, literal, or_, select, true, union_all
from sqlalchemy.orm import aliased

from auth.models import Agency
from auth.protocol import agency_key
from core.collation import sort_key
from core.dbtypes import UTCDateTime, utcnow
from core.errors import Invalid
from core.extensions import db
from core.validation import display_zone
from directives import board
from directives.models import (
    OPEN_STATUSES,
    Assignment,
    AssignmentEvent,
    AssignmentStatus,
    Directive,
    EventAction,
    ExtensionRequest,
    ExtensionStatus,
    ProgressReport,
)

CATEGORIES = ("completed_on_time", "completed_late", "open_within_deadline", "open_overdue")
#: the longest period a report or a trend may cover
MAX_DAYS = 366 * 5
#: the years a period may fall in (with the period before it and a year of trend)
FIRST_YEAR, LAST_YEAR = 2000, 2999


@dataclass(frozen=True)
class Period:
    """Whole days ``first``..``last`` in the display zone, and the UTC instants they run between."""

    first: date
    last: date

    @property
    def start(self):
        return _midnight(self.first)

    @property
    def end(self):
        return _midnight(self.last + timedelta(days=1))

    def judged_at(self, now):
        """The instant the period's figures are taken at: its end, or ``now`` while it is not over."""
        return min(self.end, now)

    def previous(self):
        """The period just before, as long: whole months give the months before, other spans the days before."""
        after = self.last + timedelta(days=1)
        if self.first.day == 1 and after.day == 1:
            months = (after.year - self.first.year) * 12 + after.month - self.first.month
            first = self.first - relativedelta(months=months)
            return Period(first, self.first - timedelta(days=1))
        days = (self.last - self.first).days + 1
        return Period(self.first - timedelta(days=days), self.first - timedelta(days=1))


def local_today():
    """Today's date in the display zone."""
    return utcnow().astimezone(display_zone()).date()


def _midnight(day):
    return datetime.combine(day, time(0), tzinfo=display_zone()).astimezone(UTC)


def month_period(year, month):
    first = date(year, month, 1)
    return Period(first, first + relativedelta(months=1) - timedelta(days=1))


def months_of(period):
    """The calendar months the period touches, each a whole-month Period."""
    out, day = [], period.first.replace(day=1)
    while day <= period.last:
        out.append(month_period(day.year, day.month))
        day += relativedelta(months=1)
    return out


def parse_period(raw_from, raw_to):
    """Period from two YYYY-MM-DD texts; Invalid naming ``from``/``to`` when missing, unreadable, reversed or
    longer than MAX_DAYS."""
    errors, days = {}, {}
    for name, raw in (("from", raw_from), ("to", raw_to)):
        text = (raw or "").strip()
        if not text:
            errors[name] = _("Required: a date (YYYY-MM-DD).")
            continue
        try:
            days[name] = date.fromisoformat(text)
        except ValueError:
            errors[name] = _("Must be a date (YYYY-MM-DD).")
    for name, day in days.items():
        if not FIRST_YEAR <= day.year <= LAST_YEAR:
            errors[name] = _("Must be a date between %(first)d and %(last)d.", first=FIRST_YEAR, last=LAST_YEAR)
    if not errors and days["to"] < days["from"]:
        errors["to"] = _("Must not be before the start of the period.")
    if not errors and (days["to"] - days["from"]).days >= MAX_DAYS:
        errors["to"] = _("A period may cover at most %(years)d years.", years=MAX_DAYS // 366)
    if errors:
        raise Invalid(errors)
    return Period(days["from"], days["to"])


# -- the statements ------------------------------------------------------------------------------------------

def _periods_cte(periods, now):
    """The periods as rows: index, start, end, and ``p_at``: the instant they are judged at (the end, or now for
    a period not over yet)."""
    rows = [select(literal(i).label("idx"), literal(p.start, UTCDateTime).label("p_start"),
                   literal(p.end, UTCDateTime).label("p_end"), literal(p.judged_at(now), UTCDateTime).label("p_at"))
            for i, p in enumerate(periods)]
    return (union_all(*rows) if len(rows) > 1 else rows[0]).cte("periods")


def _segments(name, candidates, horizon):
    """Each history event of the candidate assignments as a segment of time: the status and deadline in force
    from ``at`` until ``next_at`` (NULL: until ``horizon``)."""
    event = AssignmentEvent
    order = (event.created_at, event.id)
    return select(
        event.assignment_id.label("aid"), event.created_at.label("at"), event.to_status.label("status"),
        event.deadline.label("deadline"),
        func.lead(event.created_at, type_=UTCDateTime).over(partition_by=event.assignment_id, order_by=order)
        .label("next_at"),
    ).where(event.assignment_id.in_(candidates), event.created_at < horizon).cte(name)


def _event_at(assignment_id, instant):
    """The id of the assignment's last history event before ``instant`` (correlated: one index probe per row)."""
    event = aliased(AssignmentEvent)
    return (select(event.id).where(event.assignment_id == assignment_id, event.created_at < instant)
            .order_by(event.created_at.desc(), event.id.desc()).limit(1).correlate_except(event).scalar_subquery())


def _started_at(assignment_id, instant):
    """When the assignment last came to be before ``instant``: issued, or put back after being taken off (its
    acknowledgement and handling are measured from then)."""
    event = aliased(AssignmentEvent)
    return (select(func.max(event.created_at)).where(
        event.assignment_id == assignment_id, event.created_at < instant,
        event.action.in_((EventAction.ISSUE, EventAction.ADD))).correlate_except(event).scalar_subquery())


def _level_ids(scope):
    # never correlated: used inside statements that select from Assignment themselves
    return board.level_assignment_ids(scope).correlate(None)


def _due_rows(scope, periods, now):
    """One row per (period, assignment due in it): the assignment's columns and its state at the period's end."""
    lo, hi = min(p.start for p in periods), max(p.end for p in periods)
    held = select(AssignmentEvent.assignment_id).where(AssignmentEvent.deadline >= lo, AssignmentEvent.deadline < hi)
    candidates = _level_ids(scope).where(Assignment.id.in_(held))
    per = _periods_cte(periods, now)
    seg = _segments("segments", candidates, hi)
    due = (select(seg.c.aid, per.c.idx).join(per, and_(
        seg.c.deadline >= per.c.p_start, seg.c.deadline < per.c.p_end,  # a deadline in the period...
        seg.c.at < per.c.p_end, or_(seg.c.next_at.is_(None), seg.c.next_at > per.c.p_start)))  # ...held in it
        .distinct().cte("due"))
    # the state at the end is read from the history table itself (indexed), not from the CTE: SQLite would
    # compare every segment with every other
    at_end = aliased(AssignmentEvent)
    query = (select(due.c.idx, Assignment.id, Assignment.directive_id, Assignment.agency_id, Assignment.status,
                    Assignment.acknowledged_at, Assignment.submitted_at, Assignment.completed_at,
                    at_end.to_status, at_end.deadline, at_end.created_at,
                    _started_at(Assignment.id, per.c.p_at).label("started_at"))
             .select_from(due).join(per, per.c.idx == due.c.idx)
             .join(Assignment, Assignment.id == due.c.aid)
             .join(at_end, at_end.id == _event_at(Assignment.id, per.c.p_at)))
    return db.session.execute(query).all()


def _carried_rows(scope, periods, now):
    """One row per (period, assignment carried over into it): open at the start with its deadline before it;
    with its status at the period's end."""
    lo = min(p.start for p in periods)
    late_before = select(AssignmentEvent.assignment_id).where(
        AssignmentEvent.deadline < max(p.start for p in periods))
    candidates = _level_ids(scope).where(
        Assignment.id.in_(late_before), or_(Assignment.completed_at.is_(None), Assignment.completed_at >= lo))
    per = _periods_cte(periods, now)
    at_start, at_end = aliased(AssignmentEvent), aliased(AssignmentEvent)
    query = (select(per.c.idx, Assignment.agency_id, at_end.to_status)
             .select_from(Assignment).join(per, true())
             .join(at_start, at_start.id == _event_at(Assignment.id, per.c.p_start))
             .join(at_end, at_end.id == _event_at(Assignment.id, per.c.p_at))
             .where(Assignment.id.in_(candidates), at_start.to_status.in_(OPEN_STATUSES),
                    at_start.deadline < per.c.p_start))
    return db.session.execute(query).all()


def _extension_rows(scope, periods, now):
    per = _periods_cte(periods, now)
    query = (select(per.c.idx, Assignment.agency_id, func.count())
             .select_from(ExtensionRequest).join(Assignment, Assignment.id == ExtensionRequest.assignment_id)
             .join(per, and_(ExtensionRequest.decided_at >= per.c.p_start, ExtensionRequest.decided_at < per.c.p_end))
             .where(ExtensionRequest.status == ExtensionStatus.APPROVED, Assignment.id.in_(_level_ids(scope)))
             .group_by(per.c.idx, Assignment.agency_id))
    return db.session.execute(query).all()


def _reasons(assignment_ids, before):
    """{assignment id: the agency's latest word before ``before``: a progress note or an extension's reason}."""
    if not assignment_ids:
        return {}
    ids = sorted(assignment_ids)
    notes = union_all(
        select(ProgressReport.assignment_id.label("aid"), ProgressReport.created_at.label("at"),
               ProgressReport.note.label("note"), literal(0).label("kind"), ProgressReport.id.label("row_id"))
        .where(ProgressReport.assignment_id.in_(ids), ProgressReport.created_at < before, ProgressReport.note != ""),
        select(ExtensionRequest.assignment_id, ExtensionRequest.created_at, ExtensionRequest.reason, literal(1),
               ExtensionRequest.id)
        .where(ExtensionRequest.assignment_id.in_(ids), ExtensionRequest.created_at < before),
    ).subquery()
    ranked = select(notes.c.aid, notes.c.note, func.row_number().over(
        partition_by=notes.c.aid, order_by=(notes.c.at.desc(), notes.c.kind.desc(), notes.c.row_id.desc()))
        .label("n")).subquery()
    return dict(db.session.execute(select(ranked.c.aid, ranked.c.note).where(ranked.c.n == 1)).all())


def _directives_of(directive_ids):
    """{directive id: (number, title)}: looked up by primary key (an IN list over assignments joined to
    directives makes SQLite scan every directive)."""
    if not directive_ids:
        return {}
    query = select(Directive.id, Directive.number, Directive.title).where(Directive.id.in_(sorted(directive_ids)))
    return {did: (number, title) for did, number, title in db.session.execute(query)}


def _agencies(ids):
    ids = sorted(i for i in ids if i is not None)
    return {a.id: a for a in db.session.scalars(select(Agency).where(Agency.id.in_(ids or [-1])))}


# -- the figures ---------------------------------------------------------------------------------------------

def _zero():
    return dict(dict.fromkeys(("due",) + CATEGORIES + ("carried_over", "carried_over_completed",
                                                       "extensions_granted"), 0),
                _ack=[], _handling=[], _overdue=[])


def _seconds(later, earlier):
    return (later - earlier).total_seconds()


def _categorise(row, end):
    """(category, seconds to acknowledge or None, seconds of handling or None) of one due row at ``end``."""
    (_idx, _aid, _did, _agency, status_now, acknowledged_at, submitted_at, completed_at,
     status, deadline, changed_at, started_at) = row
    known = started_at is not None
    ack = (_seconds(acknowledged_at, started_at) if known and acknowledged_at is not None and acknowledged_at < end
           else None)
    if status == AssignmentStatus.COMPLETED:
        accepted_now = status_now == AssignmentStatus.COMPLETED and completed_at is not None
        done_at = (submitted_at or completed_at) if accepted_now else changed_at
        accepted_at = completed_at if accepted_now else changed_at
        category = "completed_on_time" if done_at <= deadline else "completed_late"
        return category, ack, _seconds(accepted_at, started_at) if known else None
    if deadline > end:
        return "open_within_deadline", ack, None
    return "open_overdue", ack, None


def _tally(scope, periods, now, with_carried=True):
    """{period index: {agency id: counts}} for ``periods``; and the overdue rows of each period."""
    out = {i: {} for i in range(len(periods))}
    for row in _due_rows(scope, periods, now):
        idx, aid, agency_id, status = row[0], row[1], row[3], row[8]
        if status == AssignmentStatus.CANCELLED or status is None:
            continue
        category, ack, handling = _categorise(row, periods[idx].judged_at(now))
        item = out[idx].setdefault(agency_id, _zero())
        item["due"] += 1
        item[category] += 1
        if ack is not None:
            item["_ack"].append(ack)
        if handling is not None:
            item["_handling"].append(handling)
        if category == "open_overdue":
            item["_overdue"].append((aid, row[2], row[9]))
    if with_carried:
        for idx, agency_id, status in _carried_rows(scope, periods, now):
            item = out[idx].setdefault(agency_id, _zero())
            item["carried_over"] += 1
            item["carried_over_completed"] += status == AssignmentStatus.COMPLETED
        for idx, agency_id, count in _extension_rows(scope, periods, now):
            out[idx].setdefault(agency_id, _zero())["extensions_granted"] += count
    return out


def _median(values):
    return int(round(statistics.median(values))) if values else None


def _finish(counts):
    """The public figures of a tally: counts, on-time rate (percent, the board's), the medians."""
    row = {k: v for k, v in counts.items() if not k.startswith("_")}
    judged = row["completed_on_time"] + row["completed_late"] + row["open_overdue"]
    row["on_time_rate"] = round(100.0 * row["completed_on_time"] / judged, 1) if judged else None
    row["median_ack_seconds"] = _median(counts["_ack"])
    row["median_handling_seconds"] = _median(counts["_handling"])
    return row


def _sum(items):
    total = _zero()
    for item in items:
        for key, value in item.items():
            total[key] = total[key] + value
    return total


def _rank_key(row):
    rate = row["on_time_rate"]
    return (-(rate if rate is not None else -1), row["open_overdue"], sort_key(row["agency_name"] or ""))


def _rows(tally, agencies):
    rows = []
    for agency_id, counts in tally.items():
        agency = agencies.get(agency_id)
        rows.append(dict(agency_id=agency_id, agency_code=agency.code if agency else None,
                         agency_name=agency.name if agency else None, **_finish(counts)))
    rows.sort(key=lambda r: agency_key(agencies.get(r["agency_id"])))
    ranked = sorted((r for r in rows if r["due"]), key=_rank_key)
    for n, row in enumerate(ranked, start=1):
        row["rank"] = n
    for row in rows:
        row.setdefault("rank", None)
    return rows


def report(scope, period, now=None):
    """The report of ``scope``'s level (None: the province's) for ``period``, beside the period before:

    ``{from, to, scope_agency_id, agencies: [row], totals, overdue: [...], previous: {from, to, agencies,
    totals}}``; each row ``{agency_id, agency_code, agency_name, due, completed_on_time, completed_late,
    open_within_deadline, open_overdue, on_time_rate, median_ack_seconds, median_handling_seconds,
    carried_over, carried_over_completed, extensions_granted, rank, rank_change}`` (rank_change: places gained
    since the previous period, None when not ranked in both); ``as_of``: the instant the figures were taken at
    (the period's end, or ``now`` for a period not over yet)."""
    now = now or utcnow()
    previous = period.previous()
    tallies = _tally(scope, [period, previous], now)
    agencies = _agencies(set(tallies[0]) | set(tallies[1]))
    rows, before = _rows(tallies[0], agencies), _rows(tallies[1], agencies)
    earlier = {r["agency_id"]: r["rank"] for r in before}
    for row in rows:
        was = earlier.get(row["agency_id"])
        row["rank_change"] = was - row["rank"] if was is not None and row["rank"] is not None else None
    return {
        "from": period.first.isoformat(), "to": period.last.isoformat(), "scope_agency_id": scope,
        "as_of": period.judged_at(now), "over": period.end <= now,
        "agencies": rows, "totals": _finish(_sum(tallies[0].values())),
        "overdue": _overdue_list(tallies[0], agencies, period.judged_at(now)),
        "previous": {"from": previous.first.isoformat(), "to": previous.last.isoformat(), "agencies": before,
                     "totals": _finish(_sum(tallies[1].values()))},
    }


def _overdue_list(tally, agencies, end):
    pairs = [(agency_id, *overdue) for agency_id, counts in tally.items() for overdue in counts["_overdue"]]
    reasons = _reasons({aid for _agency, aid, _did, _deadline in pairs}, end)
    directives = _directives_of({did for _agency, _aid, did, _deadline in pairs})
    out = []
    for agency_id, aid, directive_id, deadline in pairs:
        number, title = directives[directive_id]
        agency = agencies.get(agency_id)
        out.append({"assignment_id": aid, "directive_id": directive_id, "number": number, "title": title,
                    "agency_id": agency_id, "agency_name": agency.name if agency else None,
                    "deadline": deadline, "days_overdue": max(0, (end - deadline).days),
                    "reason": reasons.get(aid)})
    out.sort(key=lambda o: (o["deadline"], agency_key(agencies.get(o["agency_id"])), o["number"]))
    return out


def trend(scope, months, now=None):
    """Month by month (``months``: whole-month Periods): ``{months: [{from, to, totals}], agencies: [{agency_id,
    agency_name, series: [figures or None per month]}]}``: due, categories, on-time rate and medians."""
    tallies = _tally(scope, months, now or utcnow(), with_carried=False) if months else {}
    agency_ids = set().union(*(set(t) for t in tallies.values())) if tallies else set()
    agencies = _agencies(agency_ids)
    out = {"months": [{"from": m.first.isoformat(), "to": m.last.isoformat(),
                       "totals": _finish(_sum(tallies[i].values()))} for i, m in enumerate(months)],
           "agencies": []}
    for agency_id in sorted(agency_ids, key=lambda i: agency_key(agencies.get(i))):
        agency = agencies.get(agency_id)
        out["agencies"].append({
            "agency_id": agency_id, "agency_name": agency.name if agency else None,
            "series": [_finish(tallies[i][agency_id]) if agency_id in tallies[i] else None
                       for i in range(len(months))]})
    return out
