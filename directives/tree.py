"""Reads of the two trees the cascade walks: the agency tree (province → department or district → commune)
and each directive's tree of assignments (an assignment passed on has a ``parent_id``).

The agency tree is small (a province has a few hundred agencies): it is read in one statement, at most
once per app context, and kept until an agency is added or moved. A directive's assignments are all
loaded with it (one statement), so its tree is built here without another query.
"""
import contextlib

from flask import g
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from auth.models import Agency, AgencyKind
from core.extensions import db
from directives.models import AssignmentStatus
from directives.tracking import tracking_of

_CACHE = "agency_tree"


class AgencyTree:
    """Parent, children and kind of every agency, by id."""

    def __init__(self, rows):
        self.parent = {}
        self.kind = {}
        self.children = {}
        for agency_id, parent_id, kind in rows:
            self.parent[agency_id] = parent_id
            self.kind[agency_id] = kind
            self.children.setdefault(parent_id, []).append(agency_id)

    def ancestors(self, agency_id):
        """The agencies above ``agency_id``, nearest first."""
        out, seen = [], {agency_id}
        parent = self.parent.get(agency_id)
        while parent is not None and parent not in seen:  # a cycle cannot be stored, but never loop
            out.append(parent)
            seen.add(parent)
            parent = self.parent.get(parent)
        return out

    def subtree(self, agency_id):
        """``agency_id`` and every agency under it."""
        out, stack = set(), [agency_id]
        while stack:
            current = stack.pop()
            if current in out:
                continue
            out.add(current)
            stack.extend(self.children.get(current, ()))
        return out

    def below(self, agency_id):
        """Every agency under ``agency_id``, not itself."""
        return self.subtree(agency_id) - {agency_id}

    def is_under(self, agency_id, ancestor_id):
        """Whether ``agency_id`` is ``ancestor_id`` or under it."""
        return agency_id == ancestor_id or ancestor_id in self.ancestors(agency_id)

    def level(self, agency_id):
        """0 for an agency at the top of the tree (a department, a district), 1 under it (a commune)..."""
        return len(self.ancestors(agency_id))

    def is_provincial(self, agency_id):
        return self.kind.get(agency_id) == AgencyKind.PROVINCIAL_OFFICE


def agency_tree():
    """The agency tree, read once per app context (invalidated when an agency is added or changed)."""
    tree = g.get(_CACHE)
    if tree is None:
        tree = AgencyTree(db.session.execute(select(Agency.id, Agency.parent_id, Agency.kind)).all())
        setattr(g, _CACHE, tree)
    return tree


@event.listens_for(Session, "after_flush")
def _forget_agency_tree(session, _context):
    if any(isinstance(obj, Agency) for obj in list(session.new) + list(session.dirty) + list(session.deleted)):
        with contextlib.suppress(RuntimeError):  # no app context (a migration script)
            g.pop(_CACHE, None)


# -- a directive's tree of assignments ------------------------------------------------------------

class Node:
    """One assignment in its directive's tree, with what the tree derives from its branch."""

    def __init__(self, assignment):
        self.assignment = assignment
        self.children = []
        self.parent = None

    @property
    def id(self):
        return self.assignment.id

    def walk(self):
        yield self
        for child in self.children:
            yield from child.walk()

    def path(self):
        """The nodes from the root down to this one."""
        out, node = [], self
        while node is not None:
            out.append(node)
            node = node.parent
        return out[::-1]

    @property
    def open_children(self):
        return [c for c in self.children if c.assignment.is_open]

    def rolled_progress(self):
        """The branch's progress: a node without live children is its own progress (100 once completed);
        a node with children is the mean of its children's rolled progress, each child weighing the same
        (cancelled children left out). A parent's own report is kept but the branch speaks for it."""
        a = self.assignment
        if a.status == AssignmentStatus.COMPLETED:
            return 100
        live = [c for c in self.children if c.assignment.status != AssignmentStatus.CANCELLED]
        if not live:
            return a.progress or 0
        return round(sum(c.rolled_progress() for c in live) / len(live))

    def children_tracking(self, now=None):
        """{tracking: count} over the node's children."""
        out = {}
        for child in self.children:
            value = tracking_of(child.assignment, now)
            out[value] = out.get(value, 0) + 1
        return out


def build(assignments):
    """(roots, {id: Node}) of a directive's assignments; children ordered as the assignments are."""
    nodes = {a.id: Node(a) for a in assignments}
    roots = []
    for a in assignments:
        node = nodes[a.id]
        parent = nodes.get(a.parent_id) if a.parent_id is not None else None
        if parent is None:
            roots.append(node)
        else:
            node.parent = parent
            parent.children.append(node)
    return roots, nodes


def children_ids(assignments):
    """{assignment id: [ids of the assignments passed on from it]}."""
    out = {a.id: [] for a in assignments}
    for a in assignments:
        if a.parent_id is not None and a.parent_id in out:
            out[a.parent_id].append(a.id)
    return out


def descendants(assignment):
    """Every assignment passed on from ``assignment``, at any depth (from the loaded directive)."""
    _roots, nodes = build(assignment.directive.assignments)
    node = nodes.get(assignment.id)
    return [n.assignment for n in node.walk()][1:] if node else []


def oldest_overdue_path(roots, now=None):
    """The ids on the path from a root to the node overdue the longest (the earliest deadline among
    overdue nodes), so the page can show where the cascade is stuck; empty when nothing is overdue."""
    overdue = [node for root in roots for node in root.walk() if tracking_of(node.assignment, now) == "overdue"]
    if not overdue:
        return []
    # the earliest deadline; between equal deadlines the deepest node, where the work actually waits
    worst = min(overdue, key=lambda n: (n.assignment.deadline, -len(n.path())))
    return [n.id for n in worst.path()]
