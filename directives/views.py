"""The directive page and its actions, and the leader's forms to issue and to correct a directive.

Thin: parse the form, call the service, render. A refused field becomes a message on the form
(keeping what was typed, 422); any other refusal a flash on the directive page.
"""
import json
import uuid

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from auth import queries as auth_queries
from core.errors import ServiceError
from core.extensions import db
from core.forms import call_service, form_errors
from core.urls import safe_next
from core.validation import display_zone
from directives import (
    bp,
    cascade,
    corrections,
    extensions,
    page_helpers,  # noqa: F401  (the templates' helpers and the markdown filter)
    page_history,
    page_tree,
    permissions,
    queries,
    services,
)
from directives.models import AssignmentRole, AssignmentStatus, DirectiveStatus, Priority

#: where a refusal without fields lands: a flash on the page, not a field of the form
MESSAGE = "_message"


# -- the directive page ---------------------------------------------------------

def _own_assignments(directive, user):
    """What ``user`` holds in this directive, a card each: the shares passed to them personally first,
    then their agency's assignment."""
    held = [a for a in directive.assignments if permissions.holds(user, a)]
    return sorted(held, key=lambda a: a.assignee_id is None)


#: history entries the page draws, the newest (12 in view, the rest behind "show older"): a directive passed
#: down to 2,000 nodes has ~3,600, and drawing them all added 1.8 MB of hidden HTML (6.4 MB instead of 4.6 MB)
#: to the page and to every live refresh; reading them all cost a third of the page's time (page_history
#: reads the newest only; bench/README.md, "5. The cascade"); each agency's full history stays in its Excel
#: export
HISTORY_ON_PAGE = 100


def _decisions(directive, pending):
    """What this user decides on: results and extensions of what their level gave, officers' results
    waiting for their approval, cancelling."""
    return {
        "waiting_accept": [a for a in directive.assignments if a.status == "submitted"
                           and permissions.can_decide(current_user, a) and not cascade.awaits_approval(a)],
        "waiting_approval": [a for a in directive.assignments if permissions.can_approve(current_user, a)],
        "pending_extensions": [x for x in pending if permissions.can_decide(current_user, x.assignment)],
        "can_cancel": directive.status == "issued" and permissions.can_cancel(current_user, directive),
    }


def _page_context(directive, errors=None, form=None, failed_action=None):
    owns = _own_assignments(directive, current_user)
    tree = page_tree.tree_context(current_user, directive)
    pending = [x for x in queries.pending_extensions(directive) if x.assignment_id in tree["full_ids"]]
    return {
        "d": directive,
        "assignments": [a for a in directive.assignments if a.id in tree["full_ids"]],
        "owns": owns,
        "own": owns[0] if owns else None,
        "own_extras": page_tree.own_extras(current_user, directive, owns, pending),
        # the newest entries, the older ones counted; the notes the page derives from the history
        **page_history.page_history(tree["full_ids"], owns, HISTORY_ON_PAGE),
        "report_files": queries.report_files(directive),
        "errors": errors or {},
        "form": form or {},
        "failed_action": failed_action,
        # which card's form failed: the assignment in the URL it was posted to
        "failed_id": (request.view_args or {}).get("assignment_id") if failed_action else None,
        "accept": _attachments().accept_attribute(),
        **_decisions(directive, pending),
        **tree,
    }


@bp.route("/directives/<int:directive_id>")
@login_required
def show(directive_id):
    directive = queries.get_directive(current_user, directive_id)
    for own in _own_assignments(directive, current_user):
        services.mark_seen(current_user, own)
    return render_template("directives/show.html", **_page_context(directive))


@bp.route("/directives/<int:directive_id>/live")
@login_required
def live(directive_id):
    """The parts of the directive page that change, swapped in by static/js/directives.js."""
    directive = queries.get_directive(current_user, directive_id)
    # ?tree=0: without the cascade's tree, which the script updates row by row (views_cascade.tree_rows)
    return render_template("directives/_live.html", fragment=True, skip_tree=request.args.get("tree") == "0",
                           **_page_context(directive))


def _act(directive_id, fn, success):
    """Run one action from the directive page. Bad fields: the page again with the errors and
    what was typed (422); an illegal transition: a message on the page."""
    _result, errors = call_service(fn, field=MESSAGE)
    if not errors:
        flash(success, "success")
    elif MESSAGE in errors:
        flash(errors[MESSAGE], "error")
    else:
        directive = queries.get_directive(current_user, directive_id)
        ctx = _page_context(directive, errors=errors, form=request.form, failed_action=request.endpoint)
        return render_template("directives/show.html", **ctx), 422
    return redirect(url_for("directives.show", directive_id=directive_id) + "#actions")


@bp.route("/assignments/<int:assignment_id>/acknowledge", methods=["POST"])
@login_required
def acknowledge(assignment_id):
    """The no-script path of the one-click Acknowledge (the page's script calls the API)."""
    assignment = queries.get_assignment(current_user, assignment_id)
    _result, errors = call_service(services.acknowledge, current_user, assignment)
    if errors:
        flash(errors["_"], "error")
    else:
        flash(_("Acknowledged %(number)s.", number=assignment.directive.number), "success")
    return redirect(safe_next(request.form.get("next"), default="directives.inbox"))


def _attachments():
    from directives import attachments  # late: attachments imports the request-bound current_user

    return attachments


def _with_upload(fn, field):
    """Run a report/submit service, then store the uploaded file (if any) on the report it made."""
    files = [f for f in request.files.getlist(field) if f and f.filename]

    def run():
        _attachments().precheck(files, field)
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
    if request.method == "POST":
        return _issue_from_form()
    form = {"priority": Priority.NORMAL, "client_id": uuid.uuid4().hex}  # a double click or a retry issues once
    if request.args.get("source_meeting_id"):
        form["source_meeting_id"] = request.args.get("source_meeting_id")
    return _new_form(form)


def _posted_form():
    """The directive form as posted, the ticked supporting agencies as a list."""
    form = request.form.to_dict()
    form["support_agency_ids"] = request.form.getlist("support_agency_ids")
    return form


def _issue_from_form():
    form = _posted_form()
    files = [f for f in request.files.getlist("attachments") if f and f.filename]
    directive, errors = call_service(_issue_with_files_checked, form, files)
    if errors:
        return _new_form(form, errors)
    flash(_("Directive %(number)s was issued.", number=directive.number), "success")
    if not directive.attachments:  # a retried post (same client_id) got the first directive back
        try:
            _attachments().save_uploads(files, directive, current_user, field="attachments")
        except ServiceError as exc:  # any refusal, even 403: issued already, so say so, never an error page
            db.session.rollback()
            flash(_("A file could not be attached: %(message)s",
                    message="; ".join(form_errors(exc, "attachments").values())), "warning")
    return redirect(url_for("directives.show", directive_id=directive.id))


def _issue_with_files_checked(form, files):
    _attachments().precheck(files, "attachments")
    return services.issue_directive(current_user, form)


def _within(tree, allowed, keep=()):
    """The (agency, depth) rows of ``tree`` in ``allowed`` (None: all) or in ``keep``, the top one at depth 0."""
    if allowed is None:
        return tree
    top = min((depth for agency, depth in tree if agency.id in allowed), default=0)
    return [(agency, max(depth - top, 0)) for agency, depth in tree if agency.id in allowed or agency.id in keep]


def _new_form(form, errors=None):
    selected = {str(x) for x in form.get("support_agency_ids") or []}
    tree = auth_queries.agency_tree(include_inactive=False)
    tree = _within(tree, permissions.issuable_agency_ids(current_user))  # an agency's leader: those under it
    return render_template("directives/new.html", form=form, errors=errors or {}, selected=selected,
                           accept=_attachments().accept_attribute(), tree=tree), (422 if errors else 200)


# -- leader: correct a directive after issue -----------------------------------------

def _correction_values(directive):
    """The edit form's starting values: the directive as it stands (agencies taken off left out)."""

    on = [a for a in directive.assignments if a.status != AssignmentStatus.CANCELLED]
    lead = next((a.agency_id for a in on if a.role == AssignmentRole.LEAD), "")
    return {
        "title": directive.title, "body": directive.body or "",
        "deadline": directive.deadline.astimezone(display_zone()).strftime("%Y-%m-%dT%H:%M"),
        "priority": directive.priority, "lead_agency_id": str(lead),
        "support_agency_ids": sorted(str(a.agency_id) for a in on if a.role == AssignmentRole.SUPPORT),
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
    if directive.status != DirectiveStatus.ISSUED:
        flash(_("Only a directive in force can be corrected; this one is %(status)s.",
                status=services.directive_status_label(directive.status)), "error")
        return redirect(url_for("directives.show", directive_id=directive.id))
    base = _correction_values(directive)
    if request.method == "GET":
        return _edit_form(directive, dict(base, reason="", base=json.dumps(base)))
    form = _posted_form()
    data = _changed_fields(form, _opened_with(form) or base)
    data["reason"] = form.get("reason", "")
    changed, errors = call_service(corrections.correct_directive, current_user, directive, data)
    if errors:
        return _edit_form(directive, form, errors)
    if changed:
        flash(_("Directive %(number)s was corrected; the agencies were told.", number=directive.number), "success")
    else:
        flash(_("Nothing was changed."), "info")
    return redirect(url_for("directives.show", directive_id=directive.id))


def _opened_with(form):
    """The values the form was opened with (sent back with it), or None."""
    try:
        opened_with = json.loads(form.get("base") or "null")
    except ValueError:
        return None
    return opened_with if isinstance(opened_with, dict) else None


def _edit_form(directive, form, errors=None):
    assigned = {a.agency_id for a in directive.assignments if a.status != AssignmentStatus.CANCELLED}
    tree = [(a, depth) for a, depth in auth_queries.agency_tree() if a.active or a.id in assigned]
    # the agencies under the issuer's agency (corrections._usable): a district's directive stays in it
    if directive.issuer is not None:
        tree = _within(tree, permissions.issuable_agency_ids(directive.issuer), keep=assigned)
    return render_template("directives/edit.html", d=directive, form=form, errors=errors or {},
                           selected={str(x) for x in form.get("support_agency_ids") or []}, tree=tree), \
        (422 if errors else 200)


# -- attachments ------------------------------------------------------------------

@bp.route("/attachments/<int:attachment_id>")
@login_required
def attachment(attachment_id):
    """Download a file, only for those who may see its directive (404 for anyone else)."""
    return _attachments().open_attachment(current_user, attachment_id)
