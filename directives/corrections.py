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
from directives import cascade, permissions
from directives.models import (
    Assignment,
    AssignmentRole,
    AssignmentStatus,
    DirectiveStatus,
    EventAction,
    Priority,
)
from directives.services import (
    BODY_MAX,
    TITLE_MAX,
    add_event,
    check_agency_choice,
    close_if_done,
    directive_path,
    directive_status_label,
    notify_new,
    notify_officers,
    publish_new,
    publish_update,
    reject_pending_extensions,
)

#: what a correction may change (the fields of issue_directive)
CORRECTABLE_FIELDS = ("title", "body", "deadline", "priority", "lead_agency_id", "support_agency_ids")
#: the fields that are the directive's own columns (the others are its agencies)
DIRECTIVE_FIELDS = ("title", "body", "priority", "deadline")
AGENCY_FIELDS = ("lead_agency_id", "support_agency_ids")
CORRECTION_REASON_MAX = 500


def _on_directive(directive):
    """The directive's own assignments still on it (an agency taken off keeps a cancelled one); what was
    passed on from them is the cascade's (cascade.py), not the correction's."""
    return [a for a in directive.root_assignments if a.status != AssignmentStatus.CANCELLED]


def _current_lead(directive):
    return next((a.agency_id for a in _on_directive(directive) if a.role == AssignmentRole.LEAD), None)


def _current_support(directive):
    return [a.agency_id for a in _on_directive(directive) if a.role == AssignmentRole.SUPPORT]


def _iso(value):
    return isoformat(value) if hasattr(value, "isoformat") else value


# -- reading the correction ---------------------------------------------------------------

def _correction_fields(directive, data, now):
    """The parsed new values of the fields present in ``data`` ({field: value}), the reason and the
    agencies concerned ({id: Agency}); Invalid naming every bad field."""
    f = Fields(data)
    given = {name for name in CORRECTABLE_FIELDS if name in f.data}
    reason = f.str("reason", max_len=CORRECTION_REASON_MAX)
    new = _directive_values(f, given, directive, now)
    lead_id, support_ids = _agency_ids(f, given, directive)
    agencies = _check_agencies(f, "lead_agency_id" in given, directive, lead_id, support_ids)
    f.check()
    if given & set(AGENCY_FIELDS):
        new["lead_agency_id"] = lead_id
        new["support_agency_ids"] = support_ids
    return new, reason, agencies


def _directive_values(f, given, directive, now):
    parsers = {
        "title": lambda: f.str("title", max_len=TITLE_MAX),
        "body": lambda: f.str("body", required=False, max_len=BODY_MAX, default="", multiline=True) or "",
        "deadline": lambda: _new_deadline(f, directive, now),
        "priority": lambda: f.choice("priority", tuple(Priority)),
    }
    return {name: parse() for name, parse in parsers.items() if name in given}


def _new_deadline(f, directive, now):
    deadline = f.datetime("deadline")
    if deadline is not None and deadline != directive.deadline and deadline <= now:
        f.error("deadline", _("The deadline must be in the future."))
    return deadline


def _agency_ids(f, given, directive):
    """(lead agency id, supporting agency ids) after the correction: those given, else today's."""
    lead_id = f.int("lead_agency_id") if "lead_agency_id" in given else _current_lead(directive)
    if "support_agency_ids" in given:
        return lead_id, f.int_list("support_agency_ids")
    # the supporters stay, less one that has just become the lead
    return lead_id, [i for i in _current_support(directive) if i != lead_id]


def _check_agencies(f, lead_given, directive, lead_id, support_ids):
    """{id: Agency} of the agencies wanted, with errors on ``f`` for those that cannot be.

    An agency already on the directive may stay even if it was deactivated since; a new one must be
    active. An agency that completed its part stays (accepted work stays on the record)."""
    on_directive = {a.agency_id for a in _on_directive(directive)}
    wanted = ([lead_id] if lead_id else []) + support_ids
    agencies = {a.id: a for a in db.session.scalars(select(Agency).where(Agency.id.in_(wanted or [-1])))}
    check_agency_choice(f, lead_id, support_ids, check_lead=lead_given,
                        usable=_usable(directive, agencies, on_directive))
    _keep_completed(f, directive, wanted)
    passed_on = {a.agency_id: a for a in directive.assignments if a.parent_id is not None and a.assignee_id is None}
    for i in wanted:
        if i in passed_on and i not in on_directive:
            f.error("lead_agency_id" if i == lead_id else "support_agency_ids",
                    _("%(agency)s already has this directive, passed on by %(parent)s.",
                      agency=passed_on[i].agency.name, parent=passed_on[i].parent.agency.name))
    return agencies


def _usable(directive, agencies, on_directive):
    """Whether an agency id may be on the directive after the correction: one already on it, or an active
    one under its issuer's agency (any for the province's directive), whoever corrects it."""
    allowed = permissions.issuable_agency_ids(directive.issuer) if directive.issuer is not None else None

    def usable(i):
        if i in on_directive:
            return i in agencies
        return i in agencies and agencies[i].active and (allowed is None or i in allowed)
    return usable


def _keep_completed(f, directive, wanted):
    for a in directive.root_assignments:
        if a.status == AssignmentStatus.COMPLETED and a.agency_id not in wanted:
            f.error("lead_agency_id" if a.role == AssignmentRole.LEAD else "support_agency_ids",
                    _("%(agency)s has already completed its part and stays on the directive.", agency=a.agency.name))


def _changes(directive, new):
    """{field: {"from", "to"}} of the fields whose new value differs from today's."""
    before = {"title": directive.title, "body": directive.body or "", "deadline": directive.deadline,
              "priority": directive.priority, "lead_agency_id": _current_lead(directive),
              "support_agency_ids": sorted(_current_support(directive))}
    if "support_agency_ids" in new:
        new["support_agency_ids"] = sorted(new["support_agency_ids"])
    return {name: {"from": before[name], "to": value} for name, value in new.items() if before[name] != value}


def _roles(directive, new):
    """{agency id: role} of the agencies on the directive after the correction."""
    if "lead_agency_id" in new:
        return {new["lead_agency_id"]: AssignmentRole.LEAD,
                **dict.fromkeys(new["support_agency_ids"], AssignmentRole.SUPPORT)}
    return {a.agency_id: a.role for a in _on_directive(directive)}


# -- applying it ------------------------------------------------------------------------

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
    _require_correct(actor, directive)
    now = now or utcnow()
    new, reason, agencies = _correction_fields(directive, data or {}, now)
    changes = _changes(directive, new)
    if not changes:
        return {}
    correction = _Correction(actor, directive, reason, changes, agencies, now)
    audit.apply_changes(directive, {name: changes[name]["to"] for name in DIRECTIVE_FIELDS if name in changes})
    correction.apply(_roles(directive, new))
    reject_pending_extensions([a.id for a in correction.removed], actor, reason, now)
    close_if_done(directive, actor, now)
    audit.record(actor, "directive.correct", directive, reason=reason, changes=correction.shared,
                 added_agency_ids=[a.agency_id for a in correction.added],
                 removed_agency_ids=[a.agency_id for a in correction.removed],
                 moved_assignment_ids=[a.id for a in correction.moved])
    correction.announce(sorted(changes))
    db.session.commit()
    return changes


def _require_correct(actor, directive):
    if not permissions.can_view_directive(actor, directive):
        raise NotFound(_("Directive not found."))
    if not permissions.can_correct(actor, directive):
        raise Forbidden(_("Only leaders can correct a directive."))
    if directive.status != DirectiveStatus.ISSUED:
        raise Conflict(_("Only a directive in force can be corrected; this one is %(status)s.",
                         status=directive_status_label(directive.status)), code="invalid_transition")


class _Correction:
    """One correction being applied: what each assignment's history says, and which assignments were
    kept, added (or put back), taken off, or had their deadline moved."""

    def __init__(self, actor, directive, reason, changes, agencies, now):
        self.actor, self.directive, self.reason, self.now = actor, directive, reason, now
        self.agencies = agencies
        self.old_deadline = directive.deadline
        self.moves_deadline = "deadline" in changes
        #: the changes as the history and the audit row keep them (times as ISO text)
        self.shared = {name: {"from": _iso(c["from"]), "to": _iso(c["to"])} for name, c in changes.items()}
        # agency names, so a change of agencies reads in the history without another lookup
        self.names = self._agency_names() if set(changes) & set(AGENCY_FIELDS) else {}
        self.kept, self.added, self.removed, self.moved = [], [], [], []

    def _agency_names(self):
        names = {str(a.agency_id): a.agency.name for a in self.directive.root_assignments}
        names.update({str(i): agency.name for i, agency in self.agencies.items()})
        return names

    def apply(self, roles):
        by_agency = {a.agency_id: a for a in self.directive.root_assignments}
        for agency_id, assignment in by_agency.items():
            if agency_id in roles and assignment.status != AssignmentStatus.CANCELLED:
                self.keep(assignment, roles[agency_id])
            elif agency_id in roles:
                self.put_back(assignment, roles[agency_id])
            elif assignment.status != AssignmentStatus.CANCELLED:
                self.take_off(assignment)
        for agency_id, role in roles.items():
            if agency_id not in by_agency:
                self.add(self.agencies[agency_id], role)

    def _event(self, assignment, action, from_status, **data):
        add_event(assignment, self.actor, action, from_status, assignment.status, note=self.reason, now=self.now,
                  **data)

    def keep(self, assignment, role):
        """Still on the directive: a "correct" event with every change, its own role and deadline included."""
        own = dict(self.shared)
        if assignment.role != role:
            own["role"] = {"from": assignment.role, "to": role}
            assignment.role = role
        extra = {"agency_names": self.names} if self.names else {}
        if self.moves_deadline and assignment.is_open:
            self._move_deadline(assignment, own, extra)
        assignment.updated_at = self.now
        self._event(assignment, EventAction.CORRECT, assignment.status, changes=own, **extra)
        self.kept.append(assignment)
        if self.moves_deadline:  # what was passed on follows an earlier deadline
            self.moved += cascade.follow_parent_deadline(self.actor, assignment, self.now)

    def _move_deadline(self, assignment, own, extra):
        if assignment.deadline == self.old_deadline:
            target = self.directive.deadline
        else:  # an extension granted earlier: kept when it is later than the new deadline
            target = max(assignment.deadline, self.directive.deadline)
            if target == assignment.deadline:
                extra["deadline_kept"] = isoformat(assignment.deadline)
        if target != assignment.deadline:
            own["assignment_deadline"] = {"from": isoformat(assignment.deadline), "to": isoformat(target)}
            assignment.deadline = target
            self.moved.append(assignment)

    def put_back(self, assignment, role):
        """Taken off earlier, now back: it starts again from "not yet acknowledged"."""
        assignment.status = AssignmentStatus.PENDING
        assignment.role = role
        assignment.deadline = self.directive.deadline
        assignment.progress = 0
        for column in ("first_seen_at", "first_seen_by_id", "acknowledged_at", "acknowledged_by_id", "submitted_at",
                       "completed_at", "completed_by_id"):
            setattr(assignment, column, None)
        assignment.updated_at = self.now
        self._event(assignment, EventAction.ADD, AssignmentStatus.CANCELLED, role=role, deadline=assignment.deadline)
        self.added.append(assignment)

    def take_off(self, assignment):
        """Its assignment becomes cancelled, never deleted."""
        old_status = assignment.status
        assignment.status = AssignmentStatus.CANCELLED
        assignment.updated_at = self.now
        extra = {}
        if assignment.role == AssignmentRole.LEAD:  # one lead per directive, even counting the cancelled rows
            assignment.role = AssignmentRole.SUPPORT
            extra["role"] = {"from": AssignmentRole.LEAD, "to": AssignmentRole.SUPPORT}
        self._event(assignment, EventAction.REMOVE, old_status, **extra)
        self.removed.append(assignment)
        self.removed += cascade.close_open_children(self.actor, assignment, self.now, self.reason)

    def add(self, agency, role):
        assignment = Assignment(directive=self.directive, agency=agency, role=role, status=AssignmentStatus.PENDING,
                                deadline=self.directive.deadline, updated_at=self.now)
        db.session.add(assignment)
        db.session.flush()
        self._event(assignment, EventAction.ADD, None, role=role, deadline=self.directive.deadline)
        self.added.append(assignment)

    def announce(self, changed):
        """Realtime and the bell: directive:new to added agencies, directive:updated to the others, to
        the issuer and the leaders (open pages refresh), assignment:updated for every assignment touched."""
        directive, reason = self.directive, self.reason
        for a in self.added:
            publish_new(directive, a)
        for a in self.kept + self.removed:
            publish("directive:updated", {
                "directive_id": directive.id, "number": directive.number, "assignment_id": a.id,
                "agency_id": a.agency_id, "title": directive.title, "deadline": isoformat(a.deadline),
                "priority": directive.priority, "status": a.status, "changed": changed, "reason": reason,
                "removed": a in self.removed,
            }, to=agency_room(a.agency_id))
        publish("directive:updated", {"directive_id": directive.id, "number": directive.number,
                                      "title": directive.title, "deadline": isoformat(directive.deadline),
                                      "priority": directive.priority, "changed": changed, "reason": reason},
                to=[user_room(directive.issuer_id), LEADERS_ROOM])
        for a in self.kept + self.added + self.removed:
            publish_update(a, self.now)
        self._notify()

    def _notify(self):
        directive, reason, link = self.directive, self.reason, directive_path(self.directive.id)
        number, title = directive.number, directive.title
        notify_new(directive, {a.agency_id for a in self.added})
        notify_officers({a.agency_id for a in self.kept}, "directive.corrected",
                        lambda u: _("Directive %(number)s was corrected: %(reason)s", number=number, reason=reason),
                        link,
                        subject=lambda u: _("Directive %(number)s was corrected: %(title)s", number=number,
                                            title=title))
        notify_officers({a.agency_id for a in self.removed}, "directive.removed",
                        lambda u: _("Your agency was taken off directive %(number)s: %(reason)s", number=number,
                                    reason=reason),
                        link)
