"""The directive page's cascade: the rows of its tree as the viewer may see them, where it is stuck,
and what each card the viewer holds needs (its pass-on choices, its open children, its giver).

Visibility is permissions.visible_assignments: a "full" node shows everything, a "path" node (above
the viewer's own) its agency, status and deadline only, and a node not visible is not there at all,
so neither its name nor its id reaches the page.
"""
import re
from dataclasses import dataclass, field

from flask import g
from markupsafe import Markup
from sqlalchemy import select

from auth import permissions as auth_permissions
from auth.models import User
from core.dbtypes import utcnow
from core.extensions import db
from core.i18n import datetime_filter
from core.validation import display_zone
from directives import bp, permissions, tasks
from directives.tracking import tracking_of
from directives.tree import build, oldest_overdue_path

#: the order the children's tracking counts are shown in
TRACKING_ORDER = ("overdue", "due_soon", "on_track", "completed_late", "completed_on_time")


@dataclass
class Row:
    """One node of the tree as the page draws it."""

    node: object
    depth: int
    full: bool
    tracking: str = None
    progress: int = 0
    officers: list = field(default_factory=list)  # the officers it was passed to personally
    children_tracking: list = field(default_factory=list)  # [(tracking, count)]
    on_stuck_path: bool = False
    stuck: bool = False

    @property
    def a(self):
        return self.node.assignment

    @property
    def parent_id(self):
        return self.node.parent.id if self.node.parent is not None else None

    @property
    def has_children(self):
        return bool(self.node.children)


def _prime_people(assignments):
    """Load every person the rows name in one statement, so each row's assignee, giver and
    acknowledger come from the session instead of a statement per row."""
    ids = {i for a in assignments for i in (a.assignee_id, a.assigned_by_id, a.acknowledged_by_id) if i}
    if ids:
        db.session.scalars(select(User).where(User.id.in_(ids))).all()


def tree_context(user, directive, now=None):
    """The tree's rows (depth-first, children in the assignments' order), the ids the viewer sees in
    full, and the path to the node overdue the longest among what the viewer sees."""
    now = now or utcnow()
    visible = permissions.visible_assignments(user, directive)
    shown = [a for a in directive.assignments if a.id in visible]
    _prime_people(shown)
    roots, nodes = build(shown)
    stuck_path = oldest_overdue_path(roots, now)
    on_path = set(stuck_path)
    rows = []
    for root in roots:
        for node in root.walk():
            rows.append(_row(node, visible[node.id] == "full", node.id in on_path, now))
    stuck = nodes[stuck_path[-1]] if stuck_path else None
    if stuck is not None:
        next(r for r in rows if r.node is stuck).stuck = True
    return {
        "tree_rows": rows,
        "full_ids": {i for i, how in visible.items() if how == "full"},
        "stuck": stuck,
        "stuck_path": stuck_path,
        "stuck_names": [holder(nodes[i].assignment) for i in stuck_path],
        "stuck_late_seconds": (now - stuck.assignment.deadline).total_seconds() if stuck is not None else None,
    }


def _row(node, full, on_path, now):
    row = Row(node=node, depth=len(node.path()) - 1, full=full, on_stuck_path=on_path)
    if not full:
        return row
    row.tracking = tracking_of(node.assignment, now)
    row.progress = node.rolled_progress()
    row.officers = [c.assignment.assignee.full_name for c in node.children
                    if c.assignment.assignee_id is not None and c.assignment.status != "cancelled"]
    counts = node.children_tracking(now)
    row.children_tracking = [(t, counts[t]) for t in TRACKING_ORDER if counts.get(t)]
    return row


def holder(assignment):
    """The agency, or the officer of a personal share."""
    return assignment.assignee.full_name if assignment.assignee_id else assignment.agency.name


def own_extras(user, directive, owns, pending):
    """{assignment id: what its card needs}: its pending extension request, how many of what it passed
    on are still open, who decides on its result, and the pass-on form's choices (only for one who may
    pass it on)."""
    out = {}
    for own in owns:
        giver = own.assigned_by if own.parent_id is not None else directive.issuer
        out[own.id] = {
            "pending_extension": next((x for x in pending if x.assignment_id == own.id), None),
            "open_children": sum(1 for a in directive.assignments if a.parent_id == own.id and a.is_open),
            "giver": giver.full_name if giver is not None else None,
            "giver_agency": own.parent.agency.name if own.parent_id is not None else None,
            "choices": tasks.pass_on_choices(own) if permissions.can_pass_on(user, own) else None,
        }
    return out



def local_input(value):
    """An aware datetime as the value of a datetime-local input, in the display zone (minutes: never
    later than the value itself)."""
    return value.astimezone(display_zone()).strftime("%Y-%m-%dT%H:%M") if value else ""


_INDENT = re.compile(r"\n\s*")


@bp.app_template_filter("squeeze")
def squeeze_filter(html):
    """The template's line breaks and indentation down to one line break: the same page to the eye (no
    <pre> or <textarea> in what it is used on), a third less HTML for a tree of thousands of rows."""
    return Markup(_INDENT.sub("\n", str(html)))


@bp.app_template_filter("dt_same")
def dt_same_filter(value):
    """|dt, formatted once per request for each value: the nodes of a cascade share a few deadlines."""
    cache = g.setdefault("_dt_same", {})
    if value not in cache:
        cache[value] = datetime_filter(value)
    return cache[value]


@bp.app_context_processor
def tree_helpers():
    return {"holder_name": holder, "local_input": local_input, "can_set_approval": auth_permissions.can_set_approval,
            "words": lambda table: {key: str(value) for key, value in table.items()}}
