"""Reads of directives: what a user may see, the lists and the inbox, the history, the dashboard.

Nothing here writes: services.py, corrections.py and extensions.py do.
"""
import statistics
from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import Integer, and_, case, cast, exists, false, func, or_, select
from sqlalchemy.orm import contains_eager, selectinload

from auth.models import Agency, User
from auth.protocol import agency_key
from core.dbtypes import utcnow
from core.errors import NotFound
from core.extensions import db
from core.validation import Fields, parse_datetime
from directives import permissions
from directives.models import (
    OPEN_STATUSES,
    Assignment,
    AssignmentEvent,
    AssignmentStatus,
    Attachment,
    Directive,
    DirectiveStatus,
    ExtensionRequest,
    ExtensionStatus,
    Priority,
    ProgressReport,
)
from directives.tracking import ALL_TRACKING_VALUES, TRACKING_VALUES, due_soon_window, tracking_expr

# -- reading, with visibility ----------------------------------------------------

def _directive_options():
    return (
        selectinload(Directive.assignments).selectinload(Assignment.agency),
        selectinload(Directive.assignments).selectinload(Assignment.acknowledged_by),
        selectinload(Directive.assignments).selectinload(Assignment.assignee),
        selectinload(Directive.issuer),
        selectinload(Directive.attachments),
    )


def get_directive(user, directive_id):
    """The directive if ``user`` may see it, else NotFound."""
    directive = None
    if directive_id is not None:
        try:
            directive = db.session.scalar(
                select(Directive).where(Directive.id == int(directive_id)).options(*_directive_options())
            )
        except (TypeError, ValueError):
            directive = None
    if directive is None or not permissions.can_view_directive(user, directive):
        raise NotFound(_("Directive not found."))
    return directive


def get_assignment(user, assignment_id):
    assignment = db.session.get(Assignment, assignment_id) if assignment_id is not None else None
    if assignment is None or not permissions.can_view_assignment(user, assignment):
        raise NotFound(_("Assignment not found."))
    return assignment


def get_extension(user, ext_id):
    ext = db.session.get(ExtensionRequest, ext_id) if ext_id is not None else None
    if ext is None or not permissions.can_view_assignment(user, ext.assignment):
        raise NotFound(_("Extension request not found."))
    return ext


def get_report(user, report_id):
    report = db.session.get(ProgressReport, report_id) if report_id is not None else None
    if report is None or not permissions.can_view_assignment(user, report.assignment):
        raise NotFound(_("Report not found."))
    return report


def _visible(query, user):
    """Directives ``user`` may see (permissions.can_view_directive): everything for the province; else those
    with an assignment in the user's scope (an agency leader's subtree, an officer's agency), given to them
    personally, or issued by them."""
    if permissions.is_staff(user):
        return query
    agencies = permissions.scope(user)
    if not agencies:
        return query.where(false())
    return query.where(or_(
        Directive.issuer_id == user.id,
        exists().where(Assignment.directive_id == Directive.id,
                       or_(Assignment.agency_id.in_(sorted(agencies)), Assignment.assignee_id == user.id)),
    ))


def _parse_date_bound(f, name, end=False):
    """A date (YYYY-MM-DD, in the display zone) or a datetime; the end bound includes that whole day."""
    raw = f.data.get(name)
    if raw in (None, ""):
        return None
    text = str(raw).strip()
    parsed = parse_datetime(text if "T" in text or " " in text else f"{text}T00:00:00")
    if parsed is None:
        f.error(name, _("Must be a date (YYYY-MM-DD)."))
        return None
    if end and "T" not in text and " " not in text:
        parsed = parsed + timedelta(days=1)
    return parsed


def _like(text):
    """A LIKE pattern matching ``text`` literally anywhere (escape character: backslash)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


#: the list's "acknowledged" filter: acknowledged (acknowledged_at set) or not yet
ACKNOWLEDGED_FILTER = ("yes", "no")


def _list_conditions(filters, now):
    """The list filters as SQL: (conditions on Directive, conditions on one and the same Assignment,
    only_unacknowledged). Bad values raise Invalid naming the filter.

    On the assignment: agency_id, tracking, acknowledged (``no`` leaves cancelled assignments out:
    they wait for nobody)."""
    f = Fields(filters)
    status = f.choice("status", tuple(DirectiveStatus), required=False)
    tracking = f.choice("tracking", ALL_TRACKING_VALUES, required=False)
    priority = f.choice("priority", tuple(Priority), required=False)
    agency_id = f.int("agency_id", required=False)
    acknowledged = f.choice("acknowledged", ACKNOWLEDGED_FILTER, required=False)
    q = f.str("q", required=False, max_len=200)
    date_from = _parse_date_bound(f, "date_from")
    date_to = _parse_date_bound(f, "date_to", end=True)
    only_unacknowledged = f.bool("only_unacknowledged")
    f.check()

    on_directive = []
    if status:
        on_directive.append(Directive.status == status)
    if priority:
        on_directive.append(Directive.priority == priority)
    if date_from:
        on_directive.append(Directive.issued_at >= date_from)
    if date_to:
        on_directive.append(Directive.issued_at < date_to)
    if q:
        like = _like(q)
        on_directive.append(or_(Directive.number.ilike(like, escape="\\"), Directive.title.ilike(like, escape="\\"),
                                Directive.body.ilike(like, escape="\\")))
    on_assignment = []
    if agency_id:
        on_assignment.append(Assignment.agency_id == agency_id)
    if tracking:
        on_assignment.append(tracking_expr(now) == tracking)
    if acknowledged == "yes":
        on_assignment.append(Assignment.acknowledged_at.is_not(None))
    elif acknowledged == "no":
        on_assignment += [Assignment.acknowledged_at.is_(None), Assignment.status != AssignmentStatus.CANCELLED]
    return on_directive, on_assignment, only_unacknowledged


def list_query(user, filters=None, now=None):
    """A select of the Directives ``user`` may see, filtered, newest first; the caller paginates.

    filters: status, tracking (directives with at least one assignment in that tracking state),
    agency_id, acknowledged (yes|no), priority, date_from, date_to (issue date, display zone; date_to
    includes the day), q (text in number, title or body), only_unacknowledged (an assignment of the
    user's agency still pending). agency_id, tracking and acknowledged hold for the same assignment.
    Bad values raise Invalid naming the filter.
    """
    now = now or utcnow()
    on_directive, on_assignment, only_unacknowledged = _list_conditions(filters or {}, now)
    query = _visible(select(Directive), user).where(*on_directive)
    if on_assignment:
        query = query.where(exists().where(Assignment.directive_id == Directive.id, *on_assignment,
                                           *permissions.filterable_assignments(user, Directive.id)))
    if only_unacknowledged:
        agency = getattr(user, "agency_id", None)
        query = query.where(exists().where(Assignment.directive_id == Directive.id, Assignment.agency_id == agency,
                                           Assignment.status == AssignmentStatus.PENDING))
    return query.options(*_directive_options()).order_by(Directive.issued_at.desc(), Directive.id.desc())


def assignment_list_query(user, filters=None, now=None):
    """A select of the Assignments behind a number of the tracking board: one row per agency and
    directive, with both loaded, nearest deadline first; the caller paginates.

    The filters of list_query, each on the assignment itself; cancelled assignments are left out
    as agency_stats leaves them out (unless tracking=cancelled asks for them), so a number on the
    board and the rows behind its link agree."""
    filters = filters or {}
    now = now or utcnow()
    on_directive, on_assignment, _mine = _list_conditions(filters, now)
    query = (
        select(Assignment).join(Assignment.directive).where(*on_directive, *on_assignment)
        .options(contains_eager(Assignment.directive).selectinload(Directive.issuer),
                 selectinload(Assignment.agency), selectinload(Assignment.acknowledged_by))
    )
    if filters.get("tracking") != "cancelled":  # the tracking state
        query = query.where(Assignment.status != AssignmentStatus.CANCELLED)
    if permissions.is_staff(user):  # the province's board counts what the province gave (board.py: levels)
        query = query.where(*given_by_the_province())
    else:  # an officer: their own agency's; an agency's leader: its subtree's
        agencies = permissions.scope(user)
        query = query.where(Assignment.agency_id.in_(sorted(agencies)) if agencies else false())
    return query.order_by(Assignment.deadline, Directive.issued_at.desc(), Assignment.id)


def list_summaries(directive_ids):
    """Per directive: agencies, acknowledged, and the count per tracking state of its own (root)
    assignments, in one query (what was passed on is counted on the levels' boards, not here)."""
    out = {i: {"agencies": 0, "acknowledged": 0, "tracking": {}} for i in directive_ids}
    if not directive_ids:
        return out
    expr = tracking_expr(utcnow())
    rows = db.session.execute(
        select(Assignment.directive_id, expr, func.count(Assignment.id), func.count(Assignment.acknowledged_at))
        .where(Assignment.directive_id.in_(directive_ids), Assignment.parent_id.is_(None))
        .group_by(Assignment.directive_id, expr)
    ).all()
    for directive_id, track, total, acknowledged in rows:
        entry = out[directive_id]
        entry["agencies"] += total
        entry["acknowledged"] += acknowledged
        entry["tracking"][track] = entry["tracking"].get(track, 0) + total
    return out


def inbox(user, filters=None, now=None, limit=200):
    """The officer's agency's assignments, pending ones first, then open ones by deadline,
    then finished ones; each with its directive loaded (one query)."""
    filters = filters or {}
    now = now or utcnow()
    if user is None or getattr(user, "agency_id", None) is None:
        return []
    f = Fields(filters)
    status = f.choice("status", tuple(AssignmentStatus), required=False)
    tracking = f.choice("tracking", ALL_TRACKING_VALUES, required=False)
    priority = f.choice("priority", tuple(Priority), required=False)
    q = f.str("q", required=False, max_len=200)
    only_unacknowledged = f.bool("only_unacknowledged")
    f.check()
    rank = case((Assignment.status == AssignmentStatus.PENDING, 0), (Assignment.status.in_(OPEN_STATUSES), 1), else_=2)
    query = (
        select(Assignment)
        .join(Assignment.directive)
        .where(Assignment.agency_id == user.agency_id, Assignment.assignee_id.is_(None))  # personal: My tasks
        .options(contains_eager(Assignment.directive).selectinload(Directive.issuer),
                 selectinload(Assignment.agency), selectinload(Assignment.acknowledged_by))
    )
    if status:
        query = query.where(Assignment.status == status)
    if only_unacknowledged:
        query = query.where(Assignment.status == AssignmentStatus.PENDING)
    if tracking:
        query = query.where(tracking_expr(now) == tracking)
    if priority:
        query = query.where(Directive.priority == priority)
    if q:
        like = _like(q)
        query = query.where(or_(Directive.number.ilike(like, escape="\\"), Directive.title.ilike(like, escape="\\")))
    query = query.order_by(rank, case((rank == 1, Assignment.deadline)), Directive.issued_at.desc(),
                           Assignment.id.desc()).limit(limit)
    return db.session.scalars(query).unique().all()


def history(assignment):
    """Every change of the assignment, oldest first, with the actors loaded."""
    return db.session.scalars(
        select(AssignmentEvent)
        .where(AssignmentEvent.assignment_id == assignment.id)
        .options(selectinload(AssignmentEvent.actor))
        .order_by(AssignmentEvent.created_at, AssignmentEvent.id)
    ).all()


def pending_extensions(directive):
    """The directive's extension requests waiting for a decision, with their agencies loaded."""
    return db.session.scalars(
        select(ExtensionRequest).join(ExtensionRequest.assignment)
        .where(Assignment.directive_id == directive.id, ExtensionRequest.status == ExtensionStatus.PENDING)
        .options(selectinload(ExtensionRequest.assignment).selectinload(Assignment.agency))
        .order_by(ExtensionRequest.id)
    ).all()


def report_files(directive):
    """Files of the directive's progress reports, by report id (one query)."""
    rows = db.session.scalars(
        select(Attachment).where(Attachment.directive_id == directive.id, Attachment.report_id.is_not(None))
        .order_by(Attachment.id)
    ).all()
    out = {}
    for att in rows:
        out.setdefault(att.report_id, []).append(att)
    return out


# -- the dashboard ----------------------------------------------------------------

def _ack_seconds_expr():
    """Seconds from issue to acknowledgement, in SQL, for the current database."""
    dialect = db.engine.dialect.name
    if dialect == "postgresql":
        return func.extract("epoch", Assignment.acknowledged_at - Directive.issued_at)
    return (func.julianday(Assignment.acknowledged_at) - func.julianday(Directive.issued_at)) * 86400.0


def given_by_the_province():
    """Conditions (over Assignment alone) of what the province gave: the roots of directives not issued by an
    agency's own leader (board.py counts those on that agency's board; they are few, so a NOT IN)."""
    agency_issued = select(Directive.id).where(Directive.issuer_id.in_(
        select(User.id).where(permissions.agency_leader_users())))
    return [Assignment.parent_id.is_(None), Assignment.directive_id.not_in(agency_issued)]


def board_filters(filters):
    """The boards' filters as SQL: (conditions over Assignment, conditions over its Directive). priority,
    date_from, date_to (issue date), agency_id (the receiving agency); cancelled assignments are never
    counted. Bad values raise Invalid naming the field. Which level's assignments count is the caller's."""
    f = Fields(filters or {})
    priority = f.choice("priority", tuple(Priority), required=False)
    date_from = _parse_date_bound(f, "date_from")
    date_to = _parse_date_bound(f, "date_to", end=True)
    agency_id = f.int("agency_id", required=False)
    f.check()
    conditions = [Assignment.status != AssignmentStatus.CANCELLED]
    if agency_id:
        conditions.append(Assignment.agency_id == agency_id)
    directive_conditions = []
    if priority:
        directive_conditions.append(Directive.priority == priority)
    if date_from:
        directive_conditions.append(Directive.issued_at >= date_from)
    if date_to:
        directive_conditions.append(Directive.issued_at < date_to)
    return conditions, directive_conditions


def _stats_filters(filters):
    """(conditions over Assignment and Directive, whether they need the join with Directive)."""
    conditions, directive_conditions = board_filters(filters)
    # the province's level: what the province gave (roots of the provincial leaders' directives); each
    # other level is board.py's
    return conditions + given_by_the_province() + directive_conditions, bool(directive_conditions)


def agency_stats(now=None, filters=None, include_empty=False):
    """Per-agency counts, all in SQL: one GROUP BY (agency, tracking) query, one query for the medians,
    one for the agency names; no per-agency query, no row loaded for counting.

    Cancelled assignments are left out of every count. ``acknowledged_pct`` is acknowledged /
    assigned in percent; ``on_time_rate`` is completed_on_time / (completed + overdue) in percent
    (None when nothing is completed or overdue yet). ``median_ack_seconds`` is the median time
    from issue to acknowledgement. With ``include_empty`` active agencies without assignments appear
    too. Sorted by agency name.
    """
    now = now or utcnow()
    conditions, needs_directive = _stats_filters(filters)
    counts = _tracking_counts(now, conditions, needs_directive)
    agency_query = select(Agency)
    if include_empty:
        agency_query = agency_query.where(or_(Agency.active.is_(True), Agency.id.in_(list(counts) or [-1])))
    else:
        agency_query = agency_query.where(Agency.id.in_(list(counts) or [-1]))
    medians = _median_ack_seconds(conditions, needs_directive) if counts else {}
    return [_agency_row(agency, counts.get(agency.id), medians.get(agency.id))
            for agency in sorted(db.session.scalars(agency_query), key=agency_key)]  # protocol order


def _zero_counts():
    return dict.fromkeys(("assigned", "acknowledged") + TRACKING_VALUES, 0)


def _tracking_counts(now, conditions, needs_directive):
    """{agency id: {assigned, acknowledged, and the count per tracking state}}, in one GROUP BY."""
    # The CASE is evaluated once per row in a subquery, then grouped: a few rows per agency come back.
    # "agency_id + 0": a plain scan of the table beats walking the (agency, status, deadline) index
    # and fetching every row from it (SQLite: 40 ms instead of 100+ ms over 50,000 assignments).
    per_row = select((Assignment.agency_id + 0).label("agency_id"), tracking_expr(now).label("tracking"),
                     Assignment.acknowledged_at.label("acknowledged_at")).where(*conditions)
    if needs_directive:
        per_row = per_row.join(Directive, Directive.id == Assignment.directive_id)
    per_row = per_row.subquery()
    grouped = db.session.execute(
        select(per_row.c.agency_id, per_row.c.tracking, func.count(), func.count(per_row.c.acknowledged_at))
        .group_by(per_row.c.agency_id, per_row.c.tracking)
    ).all()
    counts = {}
    for agency_id, tracking, n, acknowledged in grouped:
        item = counts.setdefault(agency_id, _zero_counts())
        item["assigned"] += n
        item["acknowledged"] += acknowledged
        if tracking in item:
            item[tracking] += n
    return counts


def _agency_row(agency, counts, median):
    item = {"agency_id": agency.id, "agency_code": agency.code, "agency_name": agency.name}
    item.update(counts or _zero_counts())
    judged = item["completed_on_time"] + item["completed_late"] + item["overdue"]
    assigned = item["assigned"]
    item["acknowledged_pct"] = round(100.0 * item["acknowledged"] / assigned, 1) if assigned else None
    item["on_time_rate"] = round(100.0 * item["completed_on_time"] / judged, 1) if judged else None
    item["median_ack_seconds"] = median
    return item


def _median_ack_seconds(conditions, needs_directive=True):
    """{agency_id: median seconds from issue to acknowledgement}. PostgreSQL computes it in SQL
    (percentile_cont); SQLite has no percentile function and its window-function version is slow, so
    it returns each agency's durations in one group_concat row and the median is taken here."""
    seconds = _ack_seconds_expr().label("s")
    base = (
        select(Assignment.agency_id.label("agency_id"), seconds)
        .join(Directive, Directive.id == Assignment.directive_id)
        .where(Assignment.acknowledged_at.is_not(None), *conditions)
    )
    if db.engine.dialect.name == "postgresql":
        sub = base.subquery()
        query = select(sub.c.agency_id, func.percentile_cont(0.5).within_group(sub.c.s)).group_by(sub.c.agency_id)
        return {agency_id: int(round(float(value))) for agency_id, value in db.session.execute(query)
                if value is not None}
    # One row per agency: its durations joined into one text (40,000 ORM rows would cost more).
    sub = base.subquery()
    query = select(sub.c.agency_id, func.group_concat(cast(func.round(sub.c.s), Integer))).group_by(sub.c.agency_id)
    out = {}
    for agency_id, joined in db.session.execute(query):
        if joined:
            out[agency_id] = int(round(statistics.median(sorted(int(v) for v in joined.split(",")))))
    return out


def stats_totals(stats):
    """The province-wide line of the dashboard, summed from agency_stats rows."""
    keys = ("assigned", "acknowledged", "on_track", "due_soon", "overdue", "completed_on_time", "completed_late")
    total = {key: sum(row[key] for row in stats) for key in keys}
    judged = total["completed_on_time"] + total["completed_late"] + total["overdue"]
    assigned = total["assigned"]
    total["acknowledged_pct"] = round(100.0 * total["acknowledged"] / assigned, 1) if assigned else None
    total["on_time_rate"] = round(100.0 * total["completed_on_time"] / judged, 1) if judged else None
    return total


def unacknowledged_count(user):
    """How many assignments the user's agency, or the user personally, has not acknowledged (a navbar badge)."""
    if not permissions.has_inbox(user):
        return 0
    return db.session.scalar(
        select(func.count(Assignment.id)).where(
            or_(and_(Assignment.agency_id == user.agency_id, Assignment.assignee_id.is_(None)),
                Assignment.assignee_id == user.id),
            Assignment.status == AssignmentStatus.PENDING)
    ) or 0


def window_days():
    return due_soon_window().days
