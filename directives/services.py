"""Every change to directives and assignments: the only writer (with corrections.py, extensions.py and
cascade.py; writing.py holds what they share).

Each action checks permissions, validates, changes rows, writes an AssignmentEvent and an
audit row, queues its realtime events (sent after commit) and commits. Every action takes
an optional ``now`` (tests and demo data control the clock; the default is core.dbtypes.utcnow).

Illegal transitions raise Conflict (409) and change nothing; objects the user may not
see raise NotFound (404); bad fields raise Invalid (422) naming them.
"""
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from auth.models import Agency
from core import audit
from core.dbtypes import isoformat, utcnow
from core.errors import Conflict, Forbidden, NotFound
from core.extensions import db
from core.realtime import agency_room, publish, user_room
from core.validation import Fields, display_zone
from directives import permissions
from directives.models import (
    OPEN_STATUSES,
    Assignment,
    AssignmentEvent,
    AssignmentRole,
    AssignmentStatus,
    Directive,
    DirectiveStatus,
    EventAction,
    Priority,
    ProgressReport,
)
from directives.writing import (  # noqa: F401  (re-exported: callers write through services)
    _plain,
    add_event,
    check_agency_choice,
    close_if_done,
    directive_path,
    event_values,
    notify_officers,
    notify_users,
    publish_update,
    record_change,
    reject_pending_extensions,
    require_act,
    require_cancel,
    require_decide,
    require_status,
    status_label,
    watching_rooms,
)

TITLE_MAX = 500
BODY_MAX = 50_000
NOTE_MAX = 10_000


# -- issue and cancel ----------------------------------------------------------------

def _next_number(year):
    last = db.session.scalar(select(func.max(Directive.seq)).where(Directive.year == year)) or 0
    return last + 1


def issue_directive(actor, data, now=None):
    """A new directive with one assignment per agency; each agency's officers are told at once.

    data: title, body, deadline, priority (normal|high|urgent, default normal), lead_agency_id,
    support_agency_ids (list), source_meeting_id (optional), client_id (optional: a retry with the same
    client_id returns the directive the first request made and changes nothing). Any bad field (an unknown or inactive
    agency included) raises Invalid and creates nothing.
    """
    if not permissions.can_issue(actor):
        raise Forbidden(_("Only leaders can issue directives."))
    now = now or utcnow()
    f = Fields(data)
    client_id = f.str("client_id", required=False, max_len=64)
    existing = _issued_with(actor, client_id)
    if existing is not None:
        return existing  # a retry of a request that already succeeded
    values, lead_id, support_ids, agencies = _issue_fields(f, actor, now)
    directive, created = _insert_numbered(actor, values, client_id, now)
    if not created:
        return directive
    roles = [(lead_id, AssignmentRole.LEAD)] + [(i, AssignmentRole.SUPPORT) for i in support_ids]
    assignments = _insert_assignments(directive, roles, now)
    db.session.execute(insert(AssignmentEvent), [
        {"assignment_id": a.id, **event_values(a, actor, EventAction.ISSUE, None, AssignmentStatus.PENDING, now=now,
                                               role=a.role, deadline=directive.deadline)}
        for a in assignments])
    audit.record(actor, "directive.issue", directive, number=directive.number, title=directive.title,
                 lead_agency_id=lead_id, support_agency_ids=support_ids, deadline=isoformat(directive.deadline),
                 priority=directive.priority)
    # directive:new first, to every agency, before any assignment:updated: the inboxes show it the moment the
    # transaction commits, before the bells and the mail (which is sent in the background after that)
    for a in assignments:
        publish_new(directive, a)
    for a in assignments:
        publish_update(a, now)
    notify_new(directive, agencies.keys())
    directive_id = directive.id
    db.session.commit()
    _read_back(directive, directive_id)
    return directive


def _read_back(directive, directive_id):
    """The committed directive's assignments with their agencies, in one statement: whoever shows it (the
    API answers with every assignment and its agency) would otherwise load each expired agency by itself."""
    assignments = db.session.scalars(
        select(Assignment).where(Assignment.directive_id == directive_id)
        .options(joinedload(Assignment.agency)).order_by(Assignment.role, Assignment.id)
    ).all()
    set_committed_value(directive, "assignments", assignments)


def _insert_assignments(directive, roles, now):
    """The directive's assignments, one per (agency id, role) of ``roles`` and in that order, written by one
    INSERT (issue 17: 100 agencies are one statement, not 100). RETURNING without the order of the parameters
    (SQLite would insert row by row for it): the rows are matched by agency."""
    rows = db.session.scalars(insert(Assignment).returning(Assignment), [
        {"directive_id": directive.id, "agency_id": agency_id, "role": role, "status": AssignmentStatus.PENDING,
         "deadline": directive.deadline, "updated_at": now} for agency_id, role in roles]).all()
    by_agency = {a.agency_id: a for a in rows}
    assignments = [by_agency[agency_id] for agency_id, _role in roles]
    # lead first, then by id: the order the relationship loads in, without a SELECT for it
    set_committed_value(directive, "assignments", assignments)
    return assignments


def _issue_fields(f, actor, now):
    """The new directive's column values, its lead and supporting agency ids and {id: Agency};
    Invalid naming every bad field."""
    values = {
        "title": f.str("title", max_len=TITLE_MAX),
        "body": f.str("body", required=False, max_len=BODY_MAX, default="", multiline=True) or "",
        "deadline": f.datetime("deadline"),
        "priority": f.choice("priority", tuple(Priority), required=False, default=Priority.NORMAL),
    }
    lead_id = f.int("lead_agency_id")
    support_ids = f.int_list("support_agency_ids")
    values["source_meeting_id"] = f.int("source_meeting_id", required=False)
    if values["deadline"] is not None and values["deadline"] <= now:
        f.error("deadline", _("The deadline must be in the future."))
    wanted = ([lead_id] if lead_id else []) + support_ids
    agencies = {a.id: a for a in db.session.scalars(select(Agency).where(Agency.id.in_(wanted)))} if wanted else {}
    allowed = permissions.issuable_agency_ids(actor)  # a district's leader: agencies under the district
    check_agency_choice(f, lead_id, support_ids,
                        lambda i: i in agencies and agencies[i].active and (allowed is None or i in allowed))
    _check_meeting(f, values["source_meeting_id"])
    f.check()
    return values, lead_id, support_ids, agencies


def _check_meeting(f, meeting_id):
    from meetings.models import Meeting

    if meeting_id is not None and db.session.get(Meeting, meeting_id) is None:
        f.error("source_meeting_id", _("No such meeting."))


def _insert_numbered(actor, values, client_id, now):
    """(the directive with the year's next number, True); (the directive the same request made, False)
    when a retry of it (same ``client_id``) won the race."""
    year = now.astimezone(display_zone()).year
    suffix = current_app.config.get("DIRECTIVE_NUMBER_SUFFIX", "UBND-TH")
    for _attempt in range(5):  # two leaders issuing at the same moment: the loser takes the next number
        seq = _next_number(year)
        candidate = Directive(number=f"{seq}/{suffix}", year=year, seq=seq, issuer_id=actor.id, issued_at=now,
                              status=DirectiveStatus.ISSUED, client_id=client_id, **values)
        try:
            with db.session.begin_nested():
                db.session.add(candidate)
                db.session.flush()
            return candidate, True
        except IntegrityError:
            existing = _issued_with(actor, client_id)
            if existing is not None:  # the same request, retried while the first was running
                return existing, False
    raise Conflict(_("Could not allocate a directive number; please try again."))


def _issued_with(actor, client_id):
    if not client_id:
        return None
    return db.session.scalar(
        select(Directive).where(Directive.issuer_id == actor.id, Directive.client_id == client_id)
    )


def notify_new(directive, agency_ids):
    """The bell and the e-mail of a directive new to these agencies."""
    number, title = directive.number, directive.title
    notify_officers(agency_ids, "directive.new",
                    lambda u: _("New directive %(number)s: %(title)s", number=number, title=title),
                    directive_path(directive.id),
                    subject=lambda u: _("New directive %(number)s: %(title)s", number=number, title=title))


def publish_new(directive, assignment):
    """directive:new to the assignment's agency (or the officer it was passed to): their inbox shows it at
    once."""
    publish("directive:new", {"directive_id": directive.id, "assignment_id": assignment.id, "title": directive.title,
                              "deadline": isoformat(assignment.deadline), "priority": directive.priority,
                              "parent_id": assignment.parent_id},
            to=user_room(assignment.assignee_id) if assignment.assignee_id else agency_room(assignment.agency_id))


def cancel_directive(actor, directive, data=None, now=None):
    """Cancel an issued directive: every open assignment becomes cancelled. data: reason."""
    require_cancel(actor, directive)
    now = now or utcnow()
    f = Fields(data or {})
    reason = f.str("reason", max_len=NOTE_MAX, multiline=True)
    f.check()
    if directive.status != DirectiveStatus.ISSUED:
        raise Conflict(_("Only an issued directive can be cancelled; this one is %(status)s.",
                         status=directive_status_label(directive.status)), code="invalid_transition")
    directive.status = DirectiveStatus.CANCELLED
    directive.cancelled_at = now
    directive.cancelled_by_id = actor.id
    directive.cancel_reason = reason
    for a in directive.assignments:
        if a.status in OPEN_STATUSES:
            old = a.status
            a.status = AssignmentStatus.CANCELLED
            record_change(a, actor, EventAction.CANCEL, old, now, note=reason)
    reject_pending_extensions([a.id for a in directive.assignments], actor, reason, now)
    audit.record(actor, "directive.cancel", directive, reason=reason)
    notify_officers({a.agency_id for a in directive.assignments}, "directive.cancelled",
                    lambda u: _("Directive %(number)s was cancelled: %(title)s", number=directive.number,
                                title=directive.title),
                    directive_path(directive.id))
    db.session.commit()
    return directive


def directive_status_label(status):
    return {DirectiveStatus.ISSUED: _("issued"), DirectiveStatus.CANCELLED: _("cancelled"),
            DirectiveStatus.CLOSED: _("closed")}.get(status, status)


# -- the agency's side ----------------------------------------------------------------

def mark_seen(actor, assignment, now=None):
    """Record the first time anyone of the agency opened it; later calls change nothing.

    Leaders and other readers are not the agency: for them it does nothing."""
    if not permissions.can_view_directive(actor, assignment.directive):
        raise NotFound(_("Assignment not found."))
    if not permissions.can_act(actor, assignment) or assignment.first_seen_at is not None:
        return assignment
    now = now or utcnow()
    # A conditional update, so two officers opening it at once record one first view.
    result = db.session.execute(
        db.update(Assignment)
        .where(Assignment.id == assignment.id, Assignment.first_seen_at.is_(None))
        .values(first_seen_at=now, first_seen_by_id=actor.id)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.rollback()
        db.session.refresh(assignment)
        return assignment
    db.session.refresh(assignment)
    record_change(assignment, actor, EventAction.SEEN, assignment.status, now)
    db.session.commit()
    return assignment


def acknowledge(actor, assignment, now=None):
    """Acknowledge (tiếp nhận). Idempotent: repeating it returns the first time and changes nothing."""
    require_act(actor, assignment)
    if assignment.acknowledged_at is not None:
        return assignment
    require_status(assignment, (AssignmentStatus.PENDING,), _("acknowledge"))
    now = now or utcnow()
    # Conditional, so two officers clicking at once acknowledge once; the second gets the first's answer.
    values = {"status": AssignmentStatus.ACKNOWLEDGED, "acknowledged_at": now, "acknowledged_by_id": actor.id,
              "updated_at": now}
    if assignment.first_seen_at is None:
        values.update(first_seen_at=now, first_seen_by_id=actor.id)
    result = db.session.execute(
        db.update(Assignment)
        .where(Assignment.id == assignment.id, Assignment.acknowledged_at.is_(None),
               Assignment.status == AssignmentStatus.PENDING)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.rollback()
        db.session.refresh(assignment)
        if assignment.acknowledged_at is not None:
            return assignment
        require_status(assignment, (AssignmentStatus.PENDING,), _("acknowledge"))
    db.session.refresh(assignment)
    record_change(assignment, actor, EventAction.ACKNOWLEDGE, AssignmentStatus.PENDING, now)
    db.session.commit()
    return assignment


def report_progress(actor, assignment, data, now=None):
    """A progress report; the assignment becomes in_progress. data: progress 0..100, note,
    client_id (optional: a retry with the same client_id returns the first report, stores nothing)."""
    require_act(actor, assignment)
    now = now or utcnow()
    f = Fields(data)
    progress = f.int("progress", min_value=0, max_value=100)
    note = f.str("note", required=False, max_len=NOTE_MAX, default="", multiline=True)
    client_id = f.str("client_id", required=False, max_len=64)
    f.check()
    if client_id:
        existing = db.session.scalar(
            select(ProgressReport).where(ProgressReport.assignment_id == assignment.id,
                                         ProgressReport.author_id == actor.id, ProgressReport.client_id == client_id)
        )
        if existing is not None:
            return existing
    if assignment.status == AssignmentStatus.PENDING:
        raise Conflict(_("Acknowledge the directive before reporting progress."), code="invalid_transition",
                       status_now=assignment.status)
    require_status(assignment, (AssignmentStatus.ACKNOWLEDGED, AssignmentStatus.IN_PROGRESS), _("report progress"))
    old = assignment.status
    report = ProgressReport(assignment=assignment, author_id=actor.id, progress=progress, note=note or "",
                            created_at=now, client_id=client_id)
    db.session.add(report)
    assignment.progress = progress
    assignment.status = AssignmentStatus.IN_PROGRESS
    db.session.flush()
    record_change(assignment, actor, EventAction.REPORT, old, now, note=note or None, progress=progress,
                  report_id=report.id)
    db.session.commit()
    return report


def submit(actor, assignment, data=None, now=None):
    """The agency says it is done: status submitted, waiting for whoever gave it (or first for the agency's
    leader: cascade.after_submit). data: note, children_note (required while something passed on from it
    is still open: why it is done without them).

    Returns the ProgressReport written with it (attachments of the result hang on it)."""
    from directives import cascade

    require_act(actor, assignment)
    now = now or utcnow()
    f = Fields(data or {})
    note = f.str("note", required=False, max_len=NOTE_MAX, default="", multiline=True)
    children_note = cascade.check_children_on_submit(f, assignment)
    f.check()
    if assignment.status == AssignmentStatus.PENDING:
        raise Conflict(_("Acknowledge the directive before submitting a result."), code="invalid_transition",
                       status_now=assignment.status)
    require_status(assignment, (AssignmentStatus.ACKNOWLEDGED, AssignmentStatus.IN_PROGRESS), _("submit"))
    old = assignment.status
    report = ProgressReport(assignment=assignment, author_id=actor.id, progress=100, note=note or "",
                            is_submission=True, created_at=now)
    db.session.add(report)
    assignment.status = AssignmentStatus.SUBMITTED
    assignment.submitted_at = now
    assignment.progress = 100
    goes_up = cascade.after_submit(actor, assignment, now)
    db.session.flush()
    extra = {"children_note": children_note} if children_note else {}
    record_change(assignment, actor, EventAction.SUBMIT, old, now, note=note or None, report_id=report.id,
                  awaiting_approval=not goes_up, **extra)
    if goes_up:
        notify_giver(assignment, "directive.submitted",
                     lambda u: _("%(agency)s submitted its result for %(number)s", agency=holder_name(assignment),
                                 number=assignment.directive.number))
    db.session.commit()
    return report


def holder_name(assignment):
    """The agency, or the officer it was passed to personally."""
    return assignment.assignee.full_name if assignment.assignee_id else assignment.agency.name


def notify_giver(assignment, kind, text):
    """Tell whoever gave the assignment: the issuer for a root, the person who passed it on otherwise."""
    giver = assignment.assigned_by if assignment.parent_id is not None else assignment.directive.issuer
    if giver is not None:
        notify_users([giver], kind, text, directive_path(assignment.directive_id))


# -- the leader's side ----------------------------------------------------------------

def accept(actor, assignment, now=None):
    """Accept the submitted result: status completed, completed_at set; what was passed on from it and is
    still open is closed with it (cascade.close_open_children)."""
    from directives import cascade

    require_decide(actor, assignment)
    require_status(assignment, (AssignmentStatus.SUBMITTED,), _("accept"))
    cascade.require_approved(assignment)
    now = now or utcnow()
    if assignment.approved_at is None:  # held for a leader nobody can be any more: it went up now
        assignment.approved_at = now
    old = assignment.status
    assignment.status = AssignmentStatus.COMPLETED
    assignment.completed_at = now
    assignment.completed_by_id = actor.id
    record_change(assignment, actor, EventAction.ACCEPT, old, now)
    cascade.close_open_children(actor, assignment, now)
    close_if_done(assignment.directive, actor, now)
    notify_agency(assignment, "directive.accepted",
                   lambda u: _("The result for %(number)s was accepted", number=assignment.directive.number))
    db.session.commit()
    return assignment


def return_assignment(actor, assignment, data, now=None):
    """Send a submitted result back: status in_progress again, the reason kept in the history. Whoever
    gave it returns it, or, while it waits for the agency leader's approval, that leader."""
    internal = permissions.can_approve(actor, assignment)
    if not internal:
        require_decide(actor, assignment)
    f = Fields(data or {})
    reason = f.str("reason", max_len=NOTE_MAX, multiline=True)
    f.check()
    require_status(assignment, (AssignmentStatus.SUBMITTED,), _("return"))
    if not internal:  # the giver has not been given it yet: only the agency's leader may send it back now
        from directives import cascade

        cascade.require_approved(assignment)
    now = now or utcnow()
    old = assignment.status
    assignment.status = AssignmentStatus.IN_PROGRESS
    assignment.submitted_at = None
    assignment.approved_at, assignment.approved_by_id = None, None
    extra = {"internal": True} if internal else {}  # the agency's own leader sent it back before it went up
    record_change(assignment, actor, EventAction.RETURN, old, now, note=reason, **extra)
    notify_agency(assignment, "directive.returned",
                   lambda u: _("The result for %(number)s was returned: %(reason)s",
                               number=assignment.directive.number, reason=reason))
    db.session.commit()
    return assignment


def notify_agency(assignment, kind, text):
    """Tell whoever holds the assignment: the officer it was passed to, else the agency's people."""
    if assignment.assignee_id:
        notify_users([assignment.assignee], kind, text, directive_path(assignment.directive_id))
    else:
        notify_officers([assignment.agency_id], kind, text, directive_path(assignment.directive_id))
