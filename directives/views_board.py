"""The directive lists: the officer's inbox, the leader's list (by directive or by agency) and its
export, the tracking board and its export; the menu entries and the home page's sections.

Thin: read the filters, ask ``directives.queries``, render. A bad filter is left out and named.
"""
import re

from flask import abort, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from auth import queries as auth_queries
from core import ui
from core.collation import sort_key
from core.dbtypes import utcnow
from core.errors import Invalid, NotFound
from core.extensions import db
from core.validation import arg_int, arg_page
from core.xlsx import stamped_filename, xlsx_response
from directives import board, bp, exports, permissions, queries, tasks

PAGE_SIZE = 20

ui.add_nav(ui.NavItem("directives.inbox", _l("Directives"), "inbox", permissions.has_inbox, order=10))
ui.add_nav(ui.NavItem("directives.new", _l("Issue a directive"), "send", permissions.can_issue, order=10))
ui.add_nav(ui.NavItem("directives.index", _l("Directive list"), "list-check", permissions.is_staff, order=11))
ui.add_nav(ui.NavItem("directives.dashboard", _l("Tracking board"), "bar-chart-line", permissions.can_view_stats,
                      order=12))


def _home_officer(user):
    """Home page: the officer's directives still waiting for acknowledgement."""
    if not permissions.has_inbox(user):
        return None
    return {"assignments": queries.inbox(user, {"only_unacknowledged": True}, limit=10),
            "count": queries.unacknowledged_count(user)}


def _home_leader(user):
    """Home page: the leader's key numbers."""
    if not permissions.can_view_stats(user):
        return None
    if permissions.is_staff(user):
        return {"totals": _totals(queries.agency_stats())}
    return {"totals": _totals(board.level_stats(user.agency_id))}  # an agency's leader: what it gave


ui.add_home_section(ui.HomeSection("directives/home_officer.html", _home_officer, order=5))
ui.add_home_section(ui.HomeSection("directives/home_leader.html", _home_leader, order=5))


def _totals(stats):
    totals = queries.stats_totals(stats)
    totals["unacknowledged"] = max(totals["assigned"] - totals["acknowledged"], 0)
    return totals


def _filters(args, keys):
    out = {}
    for key in keys:
        value = args.get(key, "").strip()
        if value:
            out[key] = value
    return out


def _without_bad_filters(build, filters):
    """(build(filters), {}); when a filter is bad, (build(the others), its errors): the page shows
    what it can and says which filter it left out."""
    try:
        return build(filters), {}
    except Invalid as exc:
        return build({k: v for k, v in filters.items() if k not in exc.fields}), exc.fields


# -- officer inbox --------------------------------------------------------------

INBOX_FILTERS = ("status", "tracking", "q")
#: rows per step of the inbox (waiting ones come first, finished ones last)
INBOX_PAGE = 50


@bp.route("/directives/inbox")
@login_required
def inbox():
    if current_user.agency_id is None or permissions.is_staff(current_user):
        return redirect(url_for("directives.index"))
    filters = _filters(request.args, INBOX_FILTERS)
    shown = min(max(arg_int("shown", INBOX_PAGE), INBOX_PAGE), 10 * INBOX_PAGE)
    rows, errors = _without_bad_filters(lambda kept: queries.inbox(current_user, kept, limit=shown + 1), filters)
    more_url = url_for("directives.inbox", shown=shown + INBOX_PAGE, **filters) if len(rows) > shown else None
    rows = rows[:shown]
    return render_template("directives/inbox.html", rows=rows, filters=filters, errors=errors,
                           more_url=more_url, unacknowledged=queries.unacknowledged_count(current_user),
                           handlers=tasks.handlers([a.id for a in rows]))


@bp.route("/assignments/<int:assignment_id>/row")
@login_required
def inbox_row(assignment_id):
    """One inbox row, fetched by the live inbox when a directive arrives or a row changes."""
    assignment = queries.get_assignment(current_user, assignment_id)
    if not permissions.can_act(current_user, assignment):
        raise NotFound()
    return render_template("directives/_inbox_row.html", a=assignment, handlers=tasks.handlers([assignment.id]))


# -- leader: list and export ------------------------------------------------------

LIST_FILTERS = ("status", "tracking", "agency_id", "acknowledged", "priority", "date_from", "date_to", "q")


def _list_view():
    """"assignments": one row per agency and directive, what a number of the tracking board counts;
    else one row per directive."""
    return "assignments" if request.args.get("view") == "assignments" else "directives"


def _list_query():
    """The filtered select of directives (or of assignments), plus the filters and the bad ones (dropped)."""
    filters = _filters(request.args, LIST_FILTERS)
    if request.args.get("unacknowledged") == "1" and "acknowledged" not in filters:
        filters["acknowledged"] = "no"  # older links (an agency still pending): the same rows
    build = queries.assignment_list_query if _list_view() == "assignments" else queries.list_query
    query, errors = _without_bad_filters(lambda kept: build(current_user, kept), filters)
    return query, filters, errors


@bp.route("/directives")
@login_required
def index():
    if not permissions.is_staff(current_user):
        return redirect(url_for("directives.inbox")) if current_user.agency_id else abort(403)
    view = _list_view()
    query, filters, errors = _list_query()
    page = arg_page()
    pagination = db.paginate(query, page=page, per_page=PAGE_SIZE, error_out=False)
    rows = list(pagination.items)
    shown = dict(filters, view="assignments") if view == "assignments" else filters
    return render_template(
        "directives/list.html", view=view, pagination=pagination, filters=filters, errors=errors,
        directives=rows if view == "directives" else [], assignments=rows if view == "assignments" else [],
        summary=queries.list_summaries([d.id for d in rows]) if view == "directives" else {},
        tree=auth_queries.agency_tree(),
        export_url=url_for("directives.export_list", **shown),
        page_url=lambda n: url_for("directives.index", page=n, **shown),
        directives_url=url_for("directives.index", **filters),
        assignments_url=url_for("directives.index", view="assignments", **filters),
        can_issue=permissions.can_issue(current_user), can_export=permissions.can_export(current_user),
    )


@bp.route("/directives/export.xlsx")
@login_required
def export_list():
    if not permissions.can_export(current_user):
        abort(403)
    query, _filters_used, _errors = _list_query()
    rows = db.session.scalars(query).unique().all()
    if _list_view() == "assignments":
        return xlsx_response(exports.xlsx_assignment_list(rows), stamped_filename("giao-viec-theo-don-vi"))
    return xlsx_response(exports.xlsx_directive_list(rows, user=current_user), stamped_filename("chi-dao"))


@bp.route("/assignments/<int:assignment_id>/history.xlsx")
@login_required
def export_history(assignment_id):
    assignment = queries.get_assignment(current_user, assignment_id)
    return xlsx_response(exports.xlsx_assignment_history(assignment), f"lich-su-giao-viec-{assignment.id}.xlsx")


# -- leader: the board by level ---------------------------------------------------

DASHBOARD_FILTERS = ("date_from", "date_to", "priority")


def _level():
    """The agency whose board is asked for (?level=, board.resolve_level), None for the province's."""
    return board.resolve_level(current_user, request.args.get("level"))


def _level_arg(agency):
    return agency.id if agency is not None else board.PROVINCE


def _stats(agency):
    filters = _filters(request.args, DASHBOARD_FILTERS)
    scope = agency.id if agency is not None else None
    stats, errors = _without_bad_filters(lambda kept: board.level_stats(scope, filters=kept), filters)
    return stats, {k: v for k, v in filters.items() if k not in errors}, errors


def _ranking(stats):
    """Best first (board.rank_key): on-time rate, then fewest overdue, then most acknowledged, then fastest."""
    return sorted((r for r in stats if r["rank"] is not None), key=lambda r: r["rank"])


@bp.route("/directives/dashboard")
@login_required
def dashboard():
    agency = _level()
    level = _level_arg(agency)
    stats, filters, errors = _stats(agency)
    stats = sorted(stats, key=lambda r: (r["kind"] == "officer", -r["overdue"], -r["due_soon"], sort_key(r["name"])))
    scope = agency.id if agency is not None else None
    summary, _errors = _without_bad_filters(lambda kept: board.level_summary(scope, filters=kept), filters)
    # the counts drill down to the assignment list on the province's level (the list a provincial leader
    # reads: the roots); an agency's level drills down level by level instead
    drill_on = agency is None and permissions.is_staff(current_user)
    return render_template(
        "directives/dashboard.html", stats=stats, totals=_totals(stats), filters=filters, errors=errors,
        ranking=_ranking(stats), now=utcnow(), level=level, agency=agency, summary=summary,
        crumbs=board.breadcrumbs(current_user, agency), level_labels=LEVEL_LABELS,
        level_url=lambda value: url_for("directives.dashboard", level=value, **filters),
        stats_url=url_for("directives_api.stats", level=level, **filters),  # refetched live by static/js/dashboard.js
        export_url=url_for("directives.export_dashboard", level=level, **filters),
        can_export=permissions.can_export(current_user),
        # every number drills down to the assignments it counts, under the board's own filters
        drill_url=url_for("directives.index", view="assignments", **filters) if drill_on else None,
        drill=(lambda **kw: url_for("directives.index", view="assignments", **filters, **kw)) if drill_on else None,
    )


#: what each line of the summary by level counts: the kind of agency that gave the assignments
LEVEL_LABELS = {
    board.PROVINCE: _l("Given by the province"),
    "department": _l("Given by departments"),
    "district": _l("Given by districts"),
    "commune": _l("Given by communes"),
    "other": _l("Given by other agencies"),
}


@bp.route("/directives/dashboard/export.xlsx")
@login_required
def export_dashboard():
    if not permissions.can_export(current_user):
        abort(403)
    agency = _level()
    stats, _filters_used, _errors = _stats(agency)
    rows = [dict(r, agency_code=r["agency_code"] if r["kind"] == "agency" else "", agency_name=r["name"])
            for r in stats]
    name = agency.name if agency is not None else None
    suffix = "-" + re.sub(r"[^a-z0-9]+", "-", agency.code.lower()).strip("-") if agency is not None else ""
    return xlsx_response(exports.xlsx_agency_report(rows, level_name=name),
                         stamped_filename(f"bao-cao-theo-don-vi{suffix}"))
