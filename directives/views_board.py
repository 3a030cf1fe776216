"""The directive lists: the officer's inbox, the leader's list (by directive or by agency) and its
export, the tracking board and its export; the menu entries and the home page's sections.

Thin: read the filters, ask ``directives.queries``, render. A bad filter is left out and named.
"""
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
from directives import bp, exports, permissions, queries

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
    return {"totals": _totals(queries.agency_stats())}


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
    return render_template("directives/inbox.html", rows=rows[:shown], filters=filters, errors=errors,
                           more_url=more_url, unacknowledged=queries.unacknowledged_count(current_user))


@bp.route("/assignments/<int:assignment_id>/row")
@login_required
def inbox_row(assignment_id):
    """One inbox row, fetched by the live inbox when a directive arrives or a row changes."""
    assignment = queries.get_assignment(current_user, assignment_id)
    if not permissions.can_act(current_user, assignment):
        raise NotFound()
    return render_template("directives/_inbox_row.html", a=assignment)


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
    return xlsx_response(exports.xlsx_directive_list(rows), stamped_filename("chi-dao"))


@bp.route("/assignments/<int:assignment_id>/history.xlsx")
@login_required
def export_history(assignment_id):
    assignment = queries.get_assignment(current_user, assignment_id)
    return xlsx_response(exports.xlsx_assignment_history(assignment), f"lich-su-giao-viec-{assignment.id}.xlsx")


# -- leader: dashboard ------------------------------------------------------------

DASHBOARD_FILTERS = ("date_from", "date_to", "priority")


def _stats():
    filters = _filters(request.args, DASHBOARD_FILTERS)
    stats, errors = _without_bad_filters(lambda kept: queries.agency_stats(filters=kept), filters)
    return stats, {k: v for k, v in filters.items() if k not in errors}, errors


def _ranking(stats):
    """Best first: on-time rate, then fewest overdue, then most acknowledged, then fastest."""
    ranked = [r for r in stats if r["assigned"]]
    ranked.sort(key=lambda r: (-(r["on_time_rate"] if r["on_time_rate"] is not None else -1), r["overdue"],
                               -(r["acknowledged_pct"] or 0), r["median_ack_seconds"] or 10**12, r["agency_name"]))
    return ranked


@bp.route("/directives/dashboard")
@login_required
def dashboard():
    if not permissions.can_view_stats(current_user):
        abort(403)
    stats, filters, errors = _stats()
    stats = sorted(stats, key=lambda r: (-r["overdue"], -r["due_soon"], sort_key(r["agency_name"])))
    return render_template(
        "directives/dashboard.html", stats=stats, totals=_totals(stats), filters=filters, errors=errors,
        ranking=_ranking(stats), now=utcnow(),
        stats_url=url_for("directives_api.stats", **filters),  # refetched live by static/js/dashboard.js
        export_url=url_for("directives.export_dashboard", **filters),
        can_export=permissions.can_export(current_user),
        # every number drills down to the assignments it counts, under the board's own filters
        drill_url=url_for("directives.index", view="assignments", **filters),
        drill=lambda **kw: url_for("directives.index", view="assignments", **filters, **kw),
    )


@bp.route("/directives/dashboard/export.xlsx")
@login_required
def export_dashboard():
    if not permissions.can_export(current_user):
        abort(403)
    stats, _filters_used, _errors = _stats()
    return xlsx_response(exports.xlsx_agency_report(stats), stamped_filename("bao-cao-theo-don-vi"))
