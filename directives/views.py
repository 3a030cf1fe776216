"""Directive pages: the officer's inbox, the directive page, the leader's form, list and dashboard.

Thin: parse the form, call ``directives.services``, render. A ServiceError becomes a
message on the form (keeping what was typed) or a flash on the directive page.
"""

import json
import uuid

import markdown as markdown_lib
import nh3
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from markupsafe import Markup
from sqlalchemy.orm import selectinload

from auth import services as auth_services
from core import ui
from core.collation import sort_key
from core.dbtypes import utcnow
from core.errors import ACCESS_ERRORS, Invalid, NotFound, ServiceError
from core.extensions import db
from core.i18n import register_js_strings
from core.urls import safe_next
from core.validation import arg_int, arg_page, display_zone
from core.xlsx import stamped_filename, xlsx_response
from directives import bp, corrections, exports, extensions, labels, permissions, queries, services, tracking
from directives.models import Assignment, AssignmentEvent, Attachment, ExtensionRequest

PAGE_SIZE = 20

EVENT_ICONS = {
    "issue": "send", "seen": "eye", "acknowledge": "check2-circle", "report": "graph-up-arrow",
    "submit": "send-check", "accept": "patch-check", "return": "arrow-counterclockwise",
    "extension_request": "calendar-plus", "extension_approve": "calendar-check", "extension_reject": "calendar-x",
    "deadline_follow": "calendar-range", "cancel": "x-octagon",
    "correct": "pencil-square", "add": "plus-circle", "remove": "dash-circle",
}

register_js_strings({
    "dir_acknowledge": _l("Acknowledge"),
    "dir_acknowledged": _l("Acknowledged"),
    "dir_ack_failed": _l("Could not acknowledge. Please try again."),
    "dir_ack_waiting": _l("Waiting to send"),
    "dir_ack_queued": _l("No connection: the acknowledgement will be sent as soon as the connection is back."),
    "dir_ack_sent": _l("The acknowledgement was sent."),
    "dir_new_arrived": _l("New directive: %(title)s"),
    "dir_updated": _l("This directive was updated."),
    "dir_form_kept": _l("The directive changed while you were typing; reload to see the latest state."),
    "dir_all_acknowledged": _l("Everything acknowledged"),
    "dir_waiting": _l("waiting for acknowledgement"),
    "dir_reload": _l("Reload"),
    "dir_selected_none": _l("No support agency selected"),
    "dir_selected_n": _l("%(n)s selected"),
    "dir_no_match": _l("No agency matches."),
    "dur_seconds": _l("%(s)s s"),
    "dur_minutes": _l("%(m)s min"),
    "dur_hours": _l("%(h)s h %(m)s min"),
    "dur_days": _l("%(d)s d %(h)s h"),
    "dash_total": _l("Total"),
    "dash_updated": _l("Updated %(time)s"),
    "dash_no_data": _l("No assignments yet."),
    "dash_rank_line": _l("On time %(rate)s · overdue %(n)s"),
    "tracking_on_track": labels.TRACKING_LABELS["on_track"],
    "tracking_due_soon": labels.TRACKING_LABELS["due_soon"],
    "tracking_overdue": labels.TRACKING_LABELS["overdue"],
    "tracking_completed_on_time": labels.TRACKING_LABELS["completed_on_time"],
    "tracking_completed_late": labels.TRACKING_LABELS["completed_late"],
})


# -- helpers shared with templates ----------------------------------------------

_ALLOWED_TAGS = {"p", "br", "strong", "em", "b", "i", "u", "s", "ul", "ol", "li", "blockquote", "code", "pre",
                 "h1", "h2", "h3", "h4", "h5", "h6", "hr", "a", "table", "thead", "tbody", "tr", "th", "td"}


def render_markdown(text):
    """Markdown to HTML, sanitised with nh3: no script, no event handlers, safe links only."""
    html = markdown_lib.markdown(text or "", extensions=["extra", "sane_lists", "nl2br"], output_format="html")
    clean = nh3.clean(html, tags=_ALLOWED_TAGS, attributes={"a": {"href", "title"}},
                      url_schemes={"http", "https", "mailto"}, link_rel="noopener noreferrer nofollow")
    return Markup(clean)


def human_duration(seconds):
    """'45 s', '12 min', '2 h 15 min', '3 d 4 h' in the user's language; '—' when unknown."""
    if seconds is None:
        return "—"
    seconds = max(int(round(seconds)), 0)
    if seconds < 60:
        return _("%(s)s s", s=seconds)
    minutes = seconds // 60
    if minutes < 60:
        return _("%(m)s min", m=minutes)
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return _("%(h)s h %(m)s min", h=hours, m=minutes)
    days, hours = divmod(hours, 24)
    return _("%(d)s d %(h)s h", d=days, h=hours)


def _ack_seconds(assignment):
    issued = assignment.directive.issued_at
    if assignment.acknowledged_at is None or issued is None:
        return None
    return (assignment.acknowledged_at - issued).total_seconds()


def _pct(value):
    return "—" if value is None else f"{value:.0f}%"


def _track(assignment):
    return tracking.tracking_of(assignment, utcnow())


def _event_time(ev, key):
    """A time kept in a history event's data (ISO text), as a datetime; None when absent."""
    from core.validation import parse_datetime

    value = (ev.data or {}).get(key)
    return parse_datetime(value) if value else None


@bp.app_context_processor
def directive_helpers():
    return {
        # one table of words for the pages, the exports and the Word documents: directives/labels.py
        "PRIORITY_LABELS": labels.PRIORITY_LABELS,
        "STATUS_LABELS": labels.STATUS_LABELS,
        "TRACKING_LABELS": labels.TRACKING_LABELS,
        "DIRECTIVE_STATUS_LABELS": labels.DIRECTIVE_STATUS_LABELS,
        "ASSIGNMENT_ROLE_LABELS": labels.ROLE_LABELS,
        "EVENT_LABELS": labels.EVENT_LABELS,
        "EVENT_ICONS": EVENT_ICONS,
        "human_duration": human_duration,
        "directive_permissions": permissions,
        "ack_seconds": _ack_seconds,
        "pct": _pct,
        "track": _track,
        "event_detail": labels.event_detail,
        "event_time": _event_time,
        "new_client_id": lambda: uuid.uuid4().hex,
    }


bp.add_app_template_filter(render_markdown, "markdown")


def _is_officer(user):
    return user.is_authenticated and user.role == "officer" and user.agency_id is not None


ui.add_nav(ui.NavItem("directives.inbox", _l("Directives"), "inbox", _is_officer, order=10))
ui.add_nav(ui.NavItem("directives.new", _l("Issue a directive"), "send", permissions.can_issue, order=10))
ui.add_nav(ui.NavItem("directives.index", _l("Directive list"), "list-check", permissions.is_staff, order=11))
ui.add_nav(ui.NavItem("directives.dashboard", _l("Tracking board"), "bar-chart-line", permissions.can_view_stats,
                      order=12))


def _home_officer(user):
    """Home page: the officer's directives still waiting for acknowledgement."""
    if not _is_officer(user):
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
    errors = {}
    try:
        rows = queries.inbox(current_user, filters, limit=shown + 1)
    except Invalid as exc:
        errors = exc.fields
        rows = queries.inbox(current_user, {k: v for k, v in filters.items() if k not in exc.fields},
                              limit=shown + 1)
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


# -- the directive page ---------------------------------------------------------

def _own_assignment(directive, user):
    if not _is_officer(user):
        return None
    for assignment in directive.assignments:
        if assignment.agency_id == user.agency_id:
            return assignment
    return None


def _directive_events(directive):
    """The whole directive's history across its agencies, newest first, in one query.

    The issue rows (one per agency, same moment) become one entry listing the agencies, each with its
    role; so do a cancellation's rows and the supporting agencies' deadlines moved with the lead's."""
    ids = [a.id for a in directive.assignments]
    if not ids:
        return []
    events = db.session.scalars(
        db.select(AssignmentEvent).where(AssignmentEvent.assignment_id.in_(ids))
        .options(selectinload(AssignmentEvent.actor), selectinload(AssignmentEvent.assignment))
        .order_by(AssignmentEvent.created_at.desc(), AssignmentEvent.id.desc())
    ).all()
    out = []
    for ev in events:
        agency = ev.assignment.agency.name
        if ev.action == "issue":
            # the role given at issue (kept in the event), not today's: a correction may swap the lead
            role = (ev.data or {}).get("role") or ev.assignment.role
            agency = f"{agency} ({labels.label(labels.ROLE_LABELS, role)})"
        last = out[-1] if out else None
        if (ev.action in ("issue", "cancel", "deadline_follow", "correct", "add", "remove") and last is not None
                and last["action"] == ev.action and last["event"].created_at == ev.created_at
                # a correction's rows group when they say the same for each agency
                and (ev.action not in ("correct", "add", "remove") or last["event"].data == ev.data)):
            last["agencies"].insert(0, agency)
            last["grouped"].append(ev)
            continue
        out.append({"action": ev.action, "event": ev, "agencies": [agency], "grouped": [ev]})
    return out


def _deadline_moved_by(events):
    """{assignment id: the action that last moved its deadline}: extension_approve or deadline_follow."""
    out = {}
    for item in events:  # newest first
        for ev in item["grouped"]:
            if ev.action in ("extension_approve", "deadline_follow"):
                out.setdefault(ev.assignment_id, ev.action)
    return out


def _report_files(directive):
    """Files of the directive's progress reports, by report id (one query)."""
    rows = db.session.scalars(
        db.select(Attachment).where(Attachment.directive_id == directive.id, Attachment.report_id.is_not(None))
        .order_by(Attachment.id)
    ).all()
    out = {}
    for att in rows:
        out.setdefault(att.report_id, []).append(att)
    return out


def _leader_word(events, own, answer, until):
    """The officer's latest ``answer`` event from a leader (a return, an extension refused), unless the
    agency has moved on since (one of ``until``: submitted again, asked again)."""
    if own is None:
        return None
    for item in events:  # newest first
        ev = item["event"]
        if ev.assignment_id != own.id:
            continue
        if ev.action == answer:
            return ev
        if ev.action in until:
            return None
    return None


def _latest_submissions(events):
    """{assignment id: its latest 'submit' event}: the result a leader accepts or returns."""
    out = {}
    for item in events:  # newest first
        for ev in item["grouped"]:
            if ev.action == "submit":
                out.setdefault(ev.assignment_id, ev)
    return out


def _page_context(directive, errors=None, form=None, failed_action=None):
    own = _own_assignment(directive, current_user)
    events = _directive_events(directive)
    extensions = db.session.scalars(
        db.select(ExtensionRequest).join(ExtensionRequest.assignment)
        .where(Assignment.directive_id == directive.id, ExtensionRequest.status == "pending")
        .options(selectinload(ExtensionRequest.assignment).selectinload(Assignment.agency))
        .order_by(ExtensionRequest.id)
    ).all()
    return {
        "d": directive,
        "assignments": list(directive.assignments),
        "own": own,
        "own_pending_extension": next((x for x in extensions if own and x.assignment_id == own.id), None),
        "events": events,
        "deadline_moved_by": _deadline_moved_by(events),
        # the result itself, where the leader decides on it
        "submissions": _latest_submissions(events),
        # shown in the officer's card, not only far below in the history
        "own_return": _leader_word(events, own, "return", ("submit",)),
        "own_rejection": _leader_word(events, own, "extension_reject", ("extension_request", "extension_approve")),
        "report_files": _report_files(directive),
        "can_decide": permissions.can_decide(current_user, directive),
        "pending_extensions": extensions,
        "errors": errors or {},
        "form": form or {},
        "failed_action": failed_action,
        "accept": _attachments().accept_attribute(),
    }


@bp.route("/directives/<int:directive_id>")
@login_required
def show(directive_id):
    directive = queries.get_directive(current_user, directive_id)
    own = _own_assignment(directive, current_user)
    if own is not None:
        services.mark_seen(current_user, own)
    return render_template("directives/show.html", **_page_context(directive))


@bp.route("/directives/<int:directive_id>/live")
@login_required
def live(directive_id):
    """The parts of the directive page that change, swapped in by static/js/directives.js."""
    directive = queries.get_directive(current_user, directive_id)
    return render_template("directives/_live.html", fragment=True, **_page_context(directive))


def _act(directive_id, fn, success):
    """Run one action from the directive page. Bad fields: the page again with the errors and
    what was typed (422); an illegal transition: a message on the page."""
    try:
        fn()
        flash(success, "success")
    except Invalid as exc:
        db.session.rollback()
        directive = queries.get_directive(current_user, directive_id)
        ctx = _page_context(directive, errors=exc.fields, form=request.form, failed_action=request.endpoint)
        return render_template("directives/show.html", **ctx), 422
    except ACCESS_ERRORS:
        raise
    except ServiceError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    return redirect(url_for("directives.show", directive_id=directive_id) + "#actions")


@bp.route("/assignments/<int:assignment_id>/acknowledge", methods=["POST"])
@login_required
def acknowledge(assignment_id):
    """The no-script path of the one-click Acknowledge (the page's script calls the API)."""
    assignment = queries.get_assignment(current_user, assignment_id)
    try:
        services.acknowledge(current_user, assignment)
        flash(_("Acknowledged %(number)s.", number=assignment.directive.number), "success")
    except ACCESS_ERRORS:
        raise
    except ServiceError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    return redirect(safe_next(request.form.get("next"), default="directives.inbox"))


def _attachments():
    from directives import attachments  # late: attachments imports the request-bound current_user

    return attachments


def _precheck_uploads(files, field):
    """Refuse a bad file before anything is written, so a report or a directive is never saved
    without the file the user chose (the service checks again when it stores it)."""
    att = _attachments()
    types = att.allowed_extensions()
    limit = att.max_bytes()
    for upload in files:
        name = (upload.filename or "").rsplit("/", 1)[-1]
        ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
        if ext not in types:
            raise Invalid({field: _("File type not allowed. Allowed: %(types)s", types=", ".join(sorted(types)))})
        stream = upload.stream
        try:
            stream.seek(0, 2)
            size = stream.tell()
            stream.seek(0)
        except (AttributeError, OSError):
            continue
        if size > limit:
            raise Invalid({field: _("The file is too large (at most %(mb)s MB).", mb=round(limit / 1024 / 1024, 1))})
        if size == 0:
            raise Invalid({field: _("The file is empty.")})


def _with_upload(fn, field):
    """Run a report/submit service, then store the uploaded file (if any) on the report it made."""
    files = [f for f in request.files.getlist(field) if f and f.filename]

    def run():
        _precheck_uploads(files, field)
        report = fn()
        if files and not report.attachments:  # a retried post (same client_id) got the first report back
            _attachments().save_uploads(files, report, current_user, field=field)
    return run


@bp.route("/assignments/<int:assignment_id>/report", methods=["POST"])
@login_required
def report(assignment_id):
    a = queries.get_assignment(current_user, assignment_id)
    return _act(a.directive_id,
                _with_upload(lambda: services.report_progress(current_user, a, request.form.to_dict()), "attachment"),
                _("Your progress report was saved."))


@bp.route("/assignments/<int:assignment_id>/submit", methods=["POST"])
@login_required
def submit(assignment_id):
    a = queries.get_assignment(current_user, assignment_id)
    return _act(a.directive_id,
                _with_upload(lambda: services.submit(current_user, a, request.form.to_dict()), "attachment"),
                _("The result was submitted to the leader."))


@bp.route("/assignments/<int:assignment_id>/extension", methods=["POST"])
@login_required
def request_extension(assignment_id):
    a = queries.get_assignment(current_user, assignment_id)
    return _act(a.directive_id, lambda: extensions.request_extension(current_user, a, request.form.to_dict()),
                _("Your extension request was sent."))


@bp.route("/assignments/<int:assignment_id>/accept", methods=["POST"])
@login_required
def accept(assignment_id):
    a = queries.get_assignment(current_user, assignment_id)
    return _act(a.directive_id, lambda: services.accept(current_user, a), _("Accepted as completed."))


@bp.route("/assignments/<int:assignment_id>/return", methods=["POST"])
@login_required
def return_assignment(assignment_id):
    a = queries.get_assignment(current_user, assignment_id)
    return _act(a.directive_id, lambda: services.return_assignment(current_user, a, request.form.to_dict()),
                _("Returned to the agency for more work."))


@bp.route("/extension-requests/<int:extension_id>/approve", methods=["POST"])
@login_required
def approve_extension(extension_id):
    ext = queries.get_extension(current_user, extension_id)
    return _act(ext.assignment.directive_id, lambda: extensions.approve_extension(current_user, ext),
                _("The extension was approved; the deadline moved."))


@bp.route("/extension-requests/<int:extension_id>/reject", methods=["POST"])
@login_required
def reject_extension(extension_id):
    ext = queries.get_extension(current_user, extension_id)
    return _act(ext.assignment.directive_id,
                lambda: extensions.reject_extension(current_user, ext, request.form.to_dict()),
                _("The extension was rejected."))


@bp.route("/directives/<int:directive_id>/cancel", methods=["POST"])
@login_required
def cancel(directive_id):
    directive = queries.get_directive(current_user, directive_id)
    return _act(directive_id, lambda: services.cancel_directive(current_user, directive, request.form.to_dict()),
                _("The directive was cancelled."))


# -- leader: new directive --------------------------------------------------------

@bp.route("/directives/new", methods=["GET", "POST"])
@login_required
def new():
    if not permissions.can_issue(current_user):
        abort(403)
    errors = {}
    form = {"priority": "normal", "client_id": uuid.uuid4().hex}  # a double click or a retry issues once
    if request.method == "POST":
        form = request.form.to_dict()
        form["support_agency_ids"] = request.form.getlist("support_agency_ids")
        files = [f for f in request.files.getlist("attachments") if f and f.filename]
        try:
            _precheck_uploads(files, "attachments")
            directive = services.issue_directive(current_user, form)
        except ServiceError as exc:
            db.session.rollback()
            errors = getattr(exc, "fields", None) or {"_": exc.message}
        else:
            flash(_("Directive %(number)s was issued.", number=directive.number), "success")
            try:
                if not directive.attachments:  # a retried post (same client_id) got the first directive back
                    _attachments().save_uploads(files, directive, current_user, field="attachments")
            except ServiceError as exc:  # issued already: say so rather than invite a second issue
                db.session.rollback()
                flash(_("A file could not be attached: %(message)s", message=exc.message), "warning")
            return redirect(url_for("directives.show", directive_id=directive.id))
    elif request.args.get("source_meeting_id"):
        form["source_meeting_id"] = request.args.get("source_meeting_id")
    selected = {str(x) for x in form.get("support_agency_ids") or []}
    return render_template("directives/new.html", form=form, errors=errors, selected=selected,
                           accept=_attachments().accept_attribute(),
                           tree=auth_services.agency_tree(include_inactive=False)), (422 if errors else 200)


# -- leader: correct a directive after issue -----------------------------------------

def _correction_values(directive):
    """The edit form's starting values: the directive as it stands (agencies taken off left out)."""

    on = [a for a in directive.assignments if a.status != "cancelled"]
    lead = next((a.agency_id for a in on if a.role == "lead"), "")
    return {
        "title": directive.title, "body": directive.body or "",
        "deadline": directive.deadline.astimezone(display_zone()).strftime("%Y-%m-%dT%H:%M"),
        "priority": directive.priority, "lead_agency_id": str(lead),
        "support_agency_ids": sorted(str(a.agency_id) for a in on if a.role == "support"),
    }


def _changed_fields(form, base):
    """Only what the leader changed on the form (against the values it was opened with), so a
    correction made meanwhile by someone else is not undone and a deadline is not moved by rounding."""
    def norm(name, value):
        if name == "support_agency_ids":
            return sorted(str(v) for v in value or [])
        return str(value or "").replace("\r\n", "\n").strip()

    data = {}
    for name in corrections.CORRECTABLE_FIELDS:
        if norm(name, form.get(name)) != norm(name, base.get(name)):
            data[name] = form.get(name) if name != "body" else norm(name, form.get(name))
    # a new lead is sent with the supporters shown on the form, so the old lead leaves unless ticked
    if "lead_agency_id" in data:
        data["support_agency_ids"] = form.get("support_agency_ids") or []
    return data


@bp.route("/directives/<int:directive_id>/edit", methods=["GET", "POST"])
@login_required
def edit(directive_id):
    """Correct an issued directive: the new-directive form, filled in, with a reason for the correction."""
    directive = queries.get_directive(current_user, directive_id)
    if not permissions.can_correct(current_user, directive):
        abort(403)
    if directive.status != "issued":
        flash(_("Only a directive in force can be corrected; this one is %(status)s.",
                status=services.directive_status_label(directive.status)), "error")
        return redirect(url_for("directives.show", directive_id=directive.id))
    errors = {}
    base = _correction_values(directive)
    form = dict(base, reason="", base=json.dumps(base))
    if request.method == "POST":
        form = request.form.to_dict()
        form["support_agency_ids"] = request.form.getlist("support_agency_ids")
        try:
            opened_with = json.loads(form.get("base") or "null")
        except ValueError:
            opened_with = None
        data = _changed_fields(form, opened_with if isinstance(opened_with, dict) else base)
        data["reason"] = form.get("reason", "")
        try:
            changed = corrections.correct_directive(current_user, directive, data)
        except ACCESS_ERRORS:
            raise
        except ServiceError as exc:
            db.session.rollback()
            errors = getattr(exc, "fields", None) or {"_": exc.message}
        else:
            if changed:
                flash(_("Directive %(number)s was corrected; the agencies were told.", number=directive.number),
                      "success")
            else:
                flash(_("Nothing was changed."), "info")
            return redirect(url_for("directives.show", directive_id=directive.id))
    assigned = {a.agency_id for a in directive.assignments if a.status != "cancelled"}
    tree = [(a, depth) for a, depth in auth_services.agency_tree() if a.active or a.id in assigned]
    return render_template("directives/edit.html", d=directive, form=form, errors=errors,
                           selected={str(x) for x in form.get("support_agency_ids") or []}, tree=tree), \
        (422 if errors else 200)


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
    errors = {}
    try:
        query = build(current_user, filters)
    except Invalid as exc:
        errors = exc.fields
        query = build(current_user, {k: v for k, v in filters.items() if k not in exc.fields})
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
        summary=_summaries([d.id for d in rows]) if view == "directives" else {}, tree=auth_services.agency_tree(),
        export_url=url_for("directives.export_list", **shown),
        page_url=lambda n: url_for("directives.index", page=n, **shown),
        directives_url=url_for("directives.index", **filters),
        assignments_url=url_for("directives.index", view="assignments", **filters),
        can_issue=permissions.can_issue(current_user), can_export=permissions.can_export(current_user),
    )


def _summaries(directive_ids):
    """Per directive: agencies, acknowledged, and the count per tracking state, in one query."""
    out = {i: {"agencies": 0, "acknowledged": 0, "tracking": {}} for i in directive_ids}
    if not directive_ids:
        return out
    expr = tracking.tracking_expr(utcnow())
    rows = db.session.execute(
        db.select(Assignment.directive_id, expr, db.func.count(Assignment.id), db.func.count(Assignment.acknowledged_at))
        .where(Assignment.directive_id.in_(directive_ids)).group_by(Assignment.directive_id, expr)
    ).all()
    for directive_id, track, total, acknowledged in rows:
        entry = out[directive_id]
        entry["agencies"] += total
        entry["acknowledged"] += acknowledged
        entry["tracking"][track] = entry["tracking"].get(track, 0) + total
    return out


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
    try:
        return queries.agency_stats(filters=filters), filters, {}
    except Invalid as exc:
        kept = {k: v for k, v in filters.items() if k not in exc.fields}
        return queries.agency_stats(filters=kept), kept, exc.fields


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


# -- attachments ------------------------------------------------------------------

@bp.route("/attachments/<int:attachment_id>")
@login_required
def attachment(attachment_id):
    """Download a file, only for those who may see its directive (404 for anyone else)."""
    return _attachments().open_attachment(current_user, attachment_id)
