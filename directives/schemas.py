"""The JSON shapes of API.md for directives: the API, the pages' scripts and the socket acks share them."""
from auth.queries import user_brief
from core.dbtypes import isoformat, utcnow
from directives.tracking import tracking_of


def serialize_assignment(a, now=None, children=None, branch_progress=None):
    """An assignment; ``children`` (ids of the assignments passed on from it) and ``branch_progress``
    (tree.Node.rolled_progress) when the caller built its directive's tree."""
    now = now or utcnow()
    return {
        "id": a.id,
        "directive_id": a.directive_id,
        "agency_id": a.agency_id,
        "agency": {"id": a.agency.id, "code": a.agency.code, "name": a.agency.name} if a.agency else None,
        "role": a.role,
        "status": a.status,
        "tracking": tracking_of(a, now),
        "deadline": isoformat(a.deadline),
        "first_seen_at": isoformat(a.first_seen_at),
        "acknowledged_at": isoformat(a.acknowledged_at),
        "acknowledged_by": a.acknowledged_by_id,
        "acknowledged_by_user": user_brief(a.acknowledged_by) if a.acknowledged_by_id else None,
        "progress": a.progress,
        "submitted_at": isoformat(a.submitted_at),
        "completed_at": isoformat(a.completed_at),
        "parent_id": a.parent_id,
        "children": children if children is not None else [],
        "assignee_id": a.assignee_id,
        "assignee": user_brief(a.assignee) if a.assignee_id else None,
        "assigned_by": a.assigned_by_id,
        "note": a.note,
        "approved_at": isoformat(a.approved_at),
        "awaiting_approval": a.status == "submitted" and a.approved_at is None,
        "branch_progress": branch_progress if branch_progress is not None else a.progress,
    }


def serialize_path_node(a, now, children):
    """An assignment above the caller's share: which agency, its status and deadline, nothing of its work."""
    return {
        "id": a.id, "directive_id": a.directive_id, "agency_id": a.agency_id,
        "agency": {"id": a.agency.id, "code": a.agency.code, "name": a.agency.name},
        "role": a.role, "status": a.status, "tracking": tracking_of(a, now), "deadline": isoformat(a.deadline),
        "parent_id": a.parent_id, "children": children, "assignee_id": a.assignee_id, "path_only": True,
    }


def serialize_assignments(d, user, now):
    """The directive's assignments ``user`` may see (permissions.visible_assignments), each with its
    ``parent_id`` and visible ``children``, so the cascade can be drawn."""
    from directives import permissions, tree

    visible = permissions.visible_assignments(user, d) if user is not None else dict.fromkeys(
        (a.id for a in d.assignments), "full")
    # the tree of what the user sees: a co-assigned root's branch progress is not rolled up from what it
    # passed on out of the user's sight (as on the page: page_tree.tree_context)
    _roots, nodes = tree.build([a for a in d.assignments if a.id in visible])
    out = []
    for a in d.assignments:
        how = visible.get(a.id)
        if how is None:
            continue
        children = [c.id for c in nodes[a.id].children if c.id in visible]
        if how == "path":
            out.append(serialize_path_node(a, now, children))
        else:
            out.append(serialize_assignment(a, now, children, nodes[a.id].rolled_progress()))
    return out


def serialize_directive(d, now=None, with_assignments=True, user=None):
    now = now or utcnow()
    data = {
        "id": d.id,
        "number": d.number,
        "title": d.title,
        "body": d.body,
        "priority": d.priority,
        "status": d.status,
        "deadline": isoformat(d.deadline),
        "issued_at": isoformat(d.issued_at),
        "issuer_id": d.issuer_id,
        "issuer": user_brief(d.issuer),
        "source_meeting_id": d.source_meeting_id,
        "cancelled_at": isoformat(d.cancelled_at),
        "cancel_reason": d.cancel_reason,
    }
    if with_assignments:
        data["assignments"] = serialize_assignments(d, user, now)
        data["attachments"] = [serialize_attachment(att) for att in d.attachments]
    return data


def serialize_event(e, visible=None):
    """A history row; with ``visible`` (permissions.visible_assignments of its directive) a pass-on's
    ``children``, ``agency_ids`` and ``user_ids`` keep only the children the reader may see."""
    return {
        "id": e.id,
        "assignment_id": e.assignment_id,
        "action": e.action,
        "actor": user_brief(e.actor),
        "at": isoformat(e.created_at),
        "from_status": e.from_status,
        "to_status": e.to_status,
        "note": e.note,
        "data": _visible_data(e, visible) if visible is not None else e.data or {},
    }


def _visible_data(e, visible):
    data = dict(e.data or {})
    if "children" not in data:
        return data
    shown = _shown_children(e, data["children"], visible)
    data["children"] = [a.id for a in shown]
    kept = {"agency_ids": {a.agency_id for a in shown if a.assignee_id is None},
            "user_ids": {a.assignee_id for a in shown if a.assignee_id is not None}}
    for key in ("agency_ids", "user_ids"):
        if key in data:
            data[key] = [i for i in data[key] if i in kept[key]]
    return data


def _shown_children(e, ids, visible):
    by_id = {a.id: a for a in e.assignment.directive.assignments}
    return [by_id[i] for i in ids if i in visible and i in by_id]


def serialize_report(r):
    return {
        "id": r.id,
        "assignment_id": r.assignment_id,
        "author": user_brief(r.author),
        "progress": r.progress,
        "note": r.note,
        "is_submission": r.is_submission,
        "created_at": isoformat(r.created_at),
        "attachments": [serialize_attachment(att) for att in r.attachments],
    }


def serialize_extension(x):
    return {
        "id": x.id,
        "assignment_id": x.assignment_id,
        "status": x.status,
        "requested_deadline": isoformat(x.requested_deadline),
        "old_deadline": isoformat(x.old_deadline),
        "reason": x.reason,
        "requested_by": user_brief(x.requested_by),
        "created_at": isoformat(x.created_at),
        "decided_by": user_brief(x.decided_by) if x.decided_by_id else None,
        "decided_at": isoformat(x.decided_at),
        "decision_note": x.decision_note,
    }


def serialize_attachment(att):
    return {
        "id": att.id,
        "name": att.original_name,
        "size": att.size,
        "content_type": att.content_type,
        "report_id": att.report_id,
        "created_at": att.created_at.isoformat() if att.created_at else None,
    }
