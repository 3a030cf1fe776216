"""The cascade's pages: passing an assignment on and approving an officer's result from the directive
page (refusals shown as the page's other actions show them: views._act), and an officer's own tasks.

Thin: parse the form, call cascade.py, render.
"""
from flask import abort, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from auth import permissions as auth_permissions
from core import ui
from core.dbtypes import utcnow
from directives import bp, cascade, page_tree, permissions, queries, tasks
from directives.views import _act, _own_assignments

ui.add_nav(ui.NavItem("directives.tasks", _l("My tasks"), "person-check", tasks.has_tasks, order=10))


def _home_approval(user):
    """Home page of an agency's leader: the agency's internal approval, and the switch for it."""
    return {} if user.agency_id is not None and auth_permissions.can_set_approval(user, user.agency) \
        and auth_permissions.is_agency_leader(user) else None


ui.add_home_section(ui.HomeSection("directives/home_approval.html", _home_approval, order=6))


def _pass_on_data():
    form = request.form
    return {"agency_ids": form.getlist("agency_ids"), "user_ids": form.getlist("user_ids"),
            "deadline": form.get("deadline", ""), "note": form.get("note", "")}


@bp.route("/assignments/<int:assignment_id>/pass-on", methods=["POST"])
@login_required
def pass_on(assignment_id):
    a = queries.get_assignment(current_user, assignment_id)
    return _act(a.directive_id, lambda: cascade.pass_on(current_user, a, _pass_on_data()),
                _("Passed on; they were told."))


@bp.route("/assignments/<int:assignment_id>/approve", methods=["POST"])
@login_required
def approve(assignment_id):
    a = queries.get_assignment(current_user, assignment_id)
    # only the agency's own leaders approve (one who holds it and directs it): anyone else is refused (403)
    # whatever the state, as accept and return refuse before they look at the state
    if not (permissions.holds(current_user, a) and permissions.directs(current_user, a.agency_id)):
        abort(403)
    return _act(a.directive_id, lambda: cascade.approve(current_user, a), _("Approved; the result went up."))


@bp.route("/directives/<int:directive_id>/tree")
@login_required
def tree_rows(directive_id):
    """The tree's part with only the rows asked for (?ids=1,2,3: what changed and the nodes above it,
    whose progress and counts follow), its header and its stuck note: the page's script updates a
    cascade of thousands of nodes row by row instead of fetching it whole on every change. Rows the
    user may not see are not there, as on the page."""
    directive = queries.get_directive(current_user, directive_id)
    # ASCII digits only ("²" is a digit to str.isdigit, not to int)
    asked = (x.strip() for x in request.args.get("ids", "").split(",")[:200])
    wanted = {int(x) for x in asked if x.isascii() and x.isdigit()}
    tree = page_tree.tree_context(current_user, directive)
    rows = [row for row in tree["tree_rows"] if row.a.id in wanted]
    return render_template(
        "directives/_tree.html", d=directive, owns=_own_assignments(directive, current_user),
        assignments=[a for a in directive.assignments if a.id in tree["full_ids"]],
        deadline_moved_by=tasks.deadline_moved_by(r.a.id for r in rows if r.a.parent_id is None),
        **dict(tree, tree_rows=rows))


@bp.route("/tasks", endpoint="tasks")
@login_required
def tasks_page():
    """What was passed to the user personally: open first, by deadline."""
    rows = tasks.my_tasks(current_user)
    return render_template("directives/tasks.html", rows=rows, now=utcnow(),
                           open_count=sum(1 for a in rows if a.is_open))
