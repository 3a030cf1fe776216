"""Correcting a directive in force (title, content, deadline, priority, agencies) instead of
cancelling it and issuing another; every agency concerned is told what changed and why."""
from flask_babel import gettext as _
from sqlalchemy import select

from auth.models import Agency
from core import audit
from core.dbtypes import isoformat, utcnow
from core.errors import Conflict, Forbidden, NotFound
from core.extensions import db
from core.realtime import LEADERS_ROOM, agency_room, publish, user_room
from core.validation import Fields
from directives import permissions
from directives.models import PRIORITIES, Assignment, ExtensionRequest
from directives.services import (
    BODY_MAX,
    TITLE_MAX,
    active_agency_users,
    add_event,
    close_if_done,
    directive_path,
    directive_status_label,
    notify_users,
    publish_update,
)

#: what a correction may change (the fields of issue_directive)
CORRECTABLE_FIELDS = ("title", "body", "deadline", "priority", "lead_agency_id", "support_agency_ids")
CORRECTION_REASON_MAX = 500


def _correction_fields(directive, data, now):
    """The parsed new values of the fields present in ``data`` ({field: value}), the reason and the
    agencies concerned ({id: Agency}); Invalid naming every bad field."""
    f = Fields(data)
    given = {name for name in CORRECTABLE_FIELDS if name in f.data}
    reason = f.str("reason", max_len=CORRECTION_REASON_MAX)
    new = {}
    if "title" in given:
        new["title"] = f.str("title", max_len=TITLE_MAX)
    if "body" in given:
        new["body"] = (f.str("body", required=False, max_len=BODY_MAX, default="", multiline=True) or "")
    if "deadline" in given:
        new["deadline"] = f.datetime("deadline")
        if new["deadline"] is not None and new["deadline"] != directive.deadline and new["deadline"] <= now:
            f.error("deadline", _("The deadline must be in the future."))
    if "priority" in given:
        new["priority"] = f.choice("priority", PRIORITIES)
    current_lead = next((a.agency_id for a in directive.assignments if a.role == "lead" and a.status != "cancelled"),
                        None)
    lead_id = f.int("lead_agency_id") if "lead_agency_id" in given else current_lead
    if "support_agency_ids" in given:
        support_ids = f.int_list("support_agency_ids")
    else:  # the supporters stay, less one that has just become the lead
        support_ids = [a.agency_id for a in directive.assignments
                       if a.role == "support" and a.status != "cancelled" and a.agency_id != lead_id]
    # An agency already on the directive may stay even if it was deactivated since; a new one must be active.
    on_directive = {a.agency_id for a in directive.assignments if a.status != "cancelled"}
    wanted = ([lead_id] if lead_id else []) + support_ids
    agencies = {a.id: a for a in db.session.scalars(select(Agency).where(Agency.id.in_(wanted or [-1])))}

    def usable(agency_id):
        return agency_id in agencies and (agencies[agency_id].active or agency_id in on_directive)

    if "lead_agency_id" in given and lead_id is not None and not usable(lead_id):
        f.error("lead_agency_id", _("No such agency."))
    bad_support = [i for i in support_ids if not usable(i)]
    if bad_support:
        f.error("support_agency_ids", _("No such agency: %(ids)s", ids=", ".join(map(str, bad_support))))
    elif lead_id is not None and lead_id in support_ids:
        f.error("support_agency_ids", _("The lead agency cannot also be a supporting agency."))
    for a in directive.assignments:  # accepted work stays on the record
        if a.status == "completed" and a.agency_id not in wanted:
            f.error("lead_agency_id" if a.role == "lead" else "support_agency_ids",
                    _("%(agency)s has already completed its part and stays on the directive.", agency=a.agency.name))
    f.check()
    if "lead_agency_id" in given or "support_agency_ids" in given:
        new["lead_agency_id"] = lead_id
        new["support_agency_ids"] = support_ids
    return new, reason, agencies


def _reopen(assignment, deadline, role, now):
    """An agency taken off earlier and put back: it starts again from "not yet acknowledged"."""
    assignment.status = "pending"
    assignment.role = role
    assignment.deadline = deadline
    assignment.progress = 0
    for column in ("first_seen_at", "first_seen_by_id", "acknowledged_at", "acknowledged_by_id", "submitted_at",
                   "completed_at", "completed_by_id"):
        setattr(assignment, column, None)
    assignment.updated_at = now


def correct_directive(actor, directive, data, now=None):
    """Correct a directive in force instead of cancelling it and issuing another: any of title, body,
    deadline, priority, lead_agency_id, support_agency_ids (those left out stay as they are;
    lead_agency_id alone replaces the lead, and the old lead leaves unless it is in support_agency_ids),
    and reason (required: a short line every agency is told and every history entry keeps).

    - each assignment still on the directive gets a "correct" history event whose data holds every
      changed field's from and to (its own role and deadline included), and its agency
      directive:updated plus a notification;
    - an agency taken off: its open assignment becomes cancelled ("remove" event, the reason as its
      note), never deleted; a pending extension request of it is closed with the reason;
    - an agency added gets an assignment ("add" event), directive:new and the new-directive notification;
    - a new deadline moves each open assignment whose deadline was the directive's old one; an extension
      already granted that is later than the new deadline is kept. Finished assignments keep theirs.

    Returns {field: {"from": ..., "to": ...}} of what changed at the directive's level; nothing
    changed: nothing is written. 404/403 as for cancelling, 409 unless the directive is in force,
    Invalid naming the bad fields.
    """
    if not permissions.can_view_directive(actor, directive):
        raise NotFound(_("Directive not found."))
    if not permissions.can_correct(actor, directive):
        raise Forbidden(_("Only leaders can correct a directive."))
    if directive.status != "issued":
        raise Conflict(_("Only a directive in force can be corrected; this one is %(status)s.",
                         status=directive_status_label(directive.status)), code="invalid_transition")
    now = now or utcnow()
    new, reason, agencies = _correction_fields(directive, data or {}, now)

    by_agency = {a.agency_id: a for a in directive.assignments}
    old_lead = next((a.agency_id for a in directive.assignments if a.role == "lead" and a.status != "cancelled"), None)
    old_support = sorted(a.agency_id for a in directive.assignments if a.role == "support" and a.status != "cancelled")
    before = {"title": directive.title, "body": directive.body or "", "deadline": directive.deadline,
              "priority": directive.priority, "lead_agency_id": old_lead, "support_agency_ids": old_support}
    if "support_agency_ids" in new:
        new["support_agency_ids"] = sorted(new["support_agency_ids"])
    changes = {name: {"from": before[name], "to": value} for name, value in new.items() if before[name] != value}
    if not changes:
        return {}

    old_deadline = directive.deadline
    for name in ("title", "body", "priority", "deadline"):
        if name in changes:
            setattr(directive, name, changes[name]["to"])
    if "lead_agency_id" in new:
        roles = {new["lead_agency_id"]: "lead", **{i: "support" for i in new["support_agency_ids"]}}
    else:
        roles = {a.agency_id: a.role for a in directive.assignments if a.status != "cancelled"}

    def iso(value):
        return isoformat(value) if hasattr(value, "isoformat") else value

    shared = {name: {"from": iso(c["from"]), "to": iso(c["to"])} for name, c in changes.items()}
    names = {}  # agency names, so a change of agencies reads in the history without another lookup
    if "lead_agency_id" in changes or "support_agency_ids" in changes:
        names = {str(a.agency_id): a.agency.name for a in directive.assignments}
        names.update({str(i): agency.name for i, agency in agencies.items()})
    kept, added, removed, moved = [], [], [], []

    for agency_id, assignment in by_agency.items():
        if agency_id in roles and assignment.status != "cancelled":
            own = dict(shared)
            if assignment.role != roles[agency_id]:
                own["role"] = {"from": assignment.role, "to": roles[agency_id]}
                assignment.role = roles[agency_id]
            extra = {"agency_names": names} if names else {}
            if "deadline" in changes and assignment.is_open:
                if assignment.deadline == old_deadline:
                    target = directive.deadline
                else:  # an extension granted earlier: kept when it is later than the new deadline
                    target = max(assignment.deadline, directive.deadline)
                    if target == assignment.deadline:
                        extra["deadline_kept"] = isoformat(assignment.deadline)
                if target != assignment.deadline:
                    own["assignment_deadline"] = {"from": isoformat(assignment.deadline), "to": isoformat(target)}
                    assignment.deadline = target
                    moved.append(assignment)
            assignment.updated_at = now
            add_event(assignment, actor, "correct", assignment.status, assignment.status, note=reason, now=now,
                   changes=own, **extra)
            kept.append(assignment)
        elif agency_id in roles:  # taken off earlier, now back
            _reopen(assignment, directive.deadline, roles[agency_id], now)
            add_event(assignment, actor, "add", "cancelled", "pending", note=reason, now=now, role=assignment.role,
                   deadline=assignment.deadline)
            added.append(assignment)
        elif assignment.status != "cancelled":
            old_status = assignment.status
            assignment.status = "cancelled"
            assignment.updated_at = now
            extra = {}
            if assignment.role == "lead":  # one lead per directive, even counting the cancelled rows
                assignment.role = "support"
                extra["role"] = {"from": "lead", "to": "support"}
            add_event(assignment, actor, "remove", old_status, "cancelled", note=reason, now=now, **extra)
            removed.append(assignment)
    for agency_id, role in roles.items():
        if agency_id not in by_agency:
            assignment = Assignment(directive=directive, agency=agencies[agency_id], role=role, status="pending",
                                    deadline=directive.deadline, updated_at=now)
            db.session.add(assignment)
            db.session.flush()
            add_event(assignment, actor, "add", None, "pending", note=reason, now=now, role=role,
                   deadline=directive.deadline)
            added.append(assignment)
    if removed:  # nobody can decide an extension of an agency that is no longer on the directive
        db.session.execute(
            db.update(ExtensionRequest)
            .where(ExtensionRequest.status == "pending",
                   ExtensionRequest.assignment_id.in_([a.id for a in removed]))
            .values(status="rejected", decided_by_id=actor.id, decided_at=now, decision_note=reason)
            .execution_options(synchronize_session="fetch")
        )
    close_if_done(directive, actor, now)
    audit.record(actor, "directive.correct", directive, reason=reason, changes=shared,
                 added_agency_ids=[a.agency_id for a in added], removed_agency_ids=[a.agency_id for a in removed],
                 moved_assignment_ids=[a.id for a in moved])
    _announce_correction(directive, reason, sorted(changes), kept, added, removed, now)
    db.session.commit()
    return changes


def _announce_correction(directive, reason, changed, kept, added, removed, now):
    """Realtime and the bell: directive:new to added agencies, directive:updated to the others, to the
    issuer and the leaders (open pages refresh), assignment:updated for every assignment touched."""
    link = directive_path(directive.id)
    for a in added:
        publish("directive:new", {"directive_id": directive.id, "assignment_id": a.id, "title": directive.title,
                                  "deadline": isoformat(a.deadline), "priority": directive.priority},
                to=agency_room(a.agency_id))
    for a in kept + removed:
        publish("directive:updated", {
            "directive_id": directive.id, "number": directive.number, "assignment_id": a.id, "agency_id": a.agency_id,
            "title": directive.title,
            "deadline": isoformat(a.deadline), "priority": directive.priority, "status": a.status,
            "changed": changed, "reason": reason, "removed": a in removed,
        }, to=agency_room(a.agency_id))
    publish("directive:updated", {"directive_id": directive.id, "number": directive.number, "title": directive.title,
                                  "deadline": isoformat(directive.deadline), "priority": directive.priority,
                                  "changed": changed, "reason": reason},
            to=[user_room(directive.issuer_id), LEADERS_ROOM])
    for a in kept + added + removed:
        publish_update(a, now)

    def officers(assignments):
        return [u for u in active_agency_users({a.agency_id for a in assignments}) if u.role == "officer"]

    number, title = directive.number, directive.title
    notify_users(officers(added), "directive.new",
            lambda u: _("New directive %(number)s: %(title)s", number=number, title=title), link,
            subject=lambda u: _("New directive %(number)s: %(title)s", number=number, title=title))
    notify_users(officers(kept), "directive.corrected",
            lambda u: _("Directive %(number)s was corrected: %(reason)s", number=number, reason=reason), link,
            subject=lambda u: _("Directive %(number)s was corrected: %(title)s", number=number, title=title))
    notify_users(officers(removed), "directive.removed",
            lambda u: _("Your agency was taken off directive %(number)s: %(reason)s", number=number, reason=reason),
            link)
