"""Every change to directives and assignments: the only writer (with corrections.py and extensions.py).

Each action checks permissions, validates, changes rows, writes an AssignmentEvent and an
audit row, queues its realtime events (sent after commit) and commits. Every action takes
an optional ``now`` (tests and demo data control the clock; the default is core.dbtypes.utcnow).

Illegal transitions raise Conflict (409) and change nothing; objects the user may not
see raise NotFound (404); bad fields raise Invalid (422) naming them.
"""
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from auth.models import Agency
from auth.queries import users_in_agencies
from core import audit
from core.dbtypes import isoformat, utcnow
from core.errors import Conflict, Forbidden, NotFound
from core.extensions import db
from core.realtime import LEADERS_ROOM, agency_room, publish, user_room
from core.validation import Fields, display_zone
from directives import permissions
from directives.models import (
    DONE_STATUSES,
    OPEN_STATUSES,
    Assignment,
    AssignmentEvent,
    AssignmentRole,
    AssignmentStatus,
    Directive,
    DirectiveStatus,
    EventAction,
    ExtensionRequest,
    ExtensionStatus,
    Priority,
    ProgressReport,
)
from directives.tracking import tracking_of

TITLE_MAX = 500
BODY_MAX = 50_000
NOTE_MAX = 10_000


def directive_path(directive_id):
    """The directive page's path (used in notifications and e-mails)."""
    return f"/directives/{directive_id}"


# -- helpers for writing ------------------------------------------------------------

def _plain(data):
    """``data`` with times as ISO text: what an event's and an audit row's JSON hold."""
    return {k: (isoformat(v) if hasattr(v, "isoformat") else v) for k, v in data.items()}


def add_event(assignment, actor, action, from_status, to_status, note=None, now=None, **data):
    event = AssignmentEvent(
        assignment=assignment,
        actor_id=getattr(actor, "id", None),
        created_at=now or utcnow(),
        action=action,
        from_status=from_status,
        to_status=to_status,
        note=note,
        data=_plain(data),
    )
    db.session.add(event)
    return event


def publish_update(assignment, now=None):
    payload = {
        "directive_id": assignment.directive_id,
        "assignment_id": assignment.id,
        "agency_id": assignment.agency_id,
        "status": assignment.status,
        "tracking": tracking_of(assignment, now),
    }
    rooms = [user_room(assignment.directive.issuer_id), LEADERS_ROOM, agency_room(assignment.agency_id)]
    publish("assignment:updated", payload, to=rooms)


def require_act(actor, assignment):
    if not permissions.can_view_directive(actor, assignment.directive):
        raise NotFound(_("Assignment not found."))
    if not permissions.can_act(actor, assignment):
        raise Forbidden(_("Only officers of the assigned agency can do this."))


def require_decide(actor, directive):
    if not permissions.can_view_directive(actor, directive):
        raise NotFound(_("Directive not found."))
    if not permissions.can_decide(actor, directive):
        raise Forbidden(_("Only leaders can do this."))


def require_status(assignment, allowed, action_text):
    if assignment.status not in allowed:
        raise Conflict(
            _("Cannot %(action)s: the assignment is %(status)s.", action=action_text,
              status=status_label(assignment.status)),
            code="invalid_transition",
            status_now=assignment.status,
        )


def status_label(status):
    labels = {
        AssignmentStatus.PENDING: _("not yet acknowledged"),
        AssignmentStatus.ACKNOWLEDGED: _("acknowledged"),
        AssignmentStatus.IN_PROGRESS: _("in progress"),
        AssignmentStatus.SUBMITTED: _("submitted, waiting for acceptance"),
        AssignmentStatus.COMPLETED: _("completed"),
        AssignmentStatus.CANCELLED: _("cancelled"),
    }
    return labels.get(status, status)


def record_change(assignment, actor, action, old_status, now, note=None, **data):
    """What every assignment change does: history, audit, timestamp, realtime."""
    assignment.updated_at = now
    add_event(assignment, actor, action, old_status, assignment.status, note=note, now=now, **data)
    audit.record(actor, f"assignment.{action}", assignment, directive_id=assignment.directive_id,
                 from_status=old_status, to_status=assignment.status, **_plain(data))
    publish_update(assignment, now)


def close_if_done(directive, actor, now):
    """A directive whose assignments are all completed or cancelled is closed."""
    if directive.status == DirectiveStatus.ISSUED and all(a.status in DONE_STATUSES for a in directive.assignments):
        directive.status = DirectiveStatus.CLOSED
        audit.record(actor, "directive.close", directive)


def notify_users(users, kind, text, link, subject=None):
    from notifications.services import notify

    if users:
        notify(users, kind, text, link=link, email_subject=subject)


def notify_officers(agency_ids, kind, text, link, subject=None):
    """Tell the people who act for these agencies (permissions.acts_for_agency)."""
    if agency_ids:
        users = db.session.scalars(users_in_agencies(agency_ids, permissions.acts_for_agency())).all()
        notify_users(users, kind, text, link, subject=subject)


def reject_pending_extensions(assignment_ids, actor, reason, now):
    """Close the extension requests nobody can decide any more (the directive cancelled, the agency
    taken off), with the reason of that change."""
    db.session.execute(
        db.update(ExtensionRequest)
        .where(ExtensionRequest.status == ExtensionStatus.PENDING, ExtensionRequest.assignment_id.in_(assignment_ids))
        .values(status=ExtensionStatus.REJECTED, decided_by_id=actor.id, decided_at=now, decision_note=reason)
        .execution_options(synchronize_session="fetch")
    )


def check_agency_choice(f, lead_id, support_ids, usable, check_lead=True):
    """Errors on ``f`` for a lead or supporting agency that is not ``usable`` (an id), or a lead that
    also supports."""
    if check_lead and lead_id is not None and not usable(lead_id):
        f.error("lead_agency_id", _("No such agency."))
    bad_support = [i for i in support_ids if not usable(i)]
    if bad_support:
        f.error("support_agency_ids", _("No such agency: %(ids)s", ids=", ".join(map(str, bad_support))))
    elif lead_id is not None and lead_id in support_ids:
        f.error("support_agency_ids", _("The lead agency cannot also be a supporting agency."))


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
    values, lead_id, support_ids, agencies = _issue_fields(f, now)
    directive, created = _insert_numbered(actor, values, client_id, now)
    if not created:
        return directive
    roles = [(lead_id, AssignmentRole.LEAD)] + [(i, AssignmentRole.SUPPORT) for i in support_ids]
    assignments = [Assignment(directive=directive, agency=agencies[agency_id], role=role,
                              status=AssignmentStatus.PENDING, deadline=directive.deadline, updated_at=now)
                   for agency_id, role in roles]
    db.session.add_all(assignments)
    db.session.flush()
    for a in assignments:
        add_event(a, actor, EventAction.ISSUE, None, AssignmentStatus.PENDING, now=now, role=a.role,
                  deadline=directive.deadline)
    audit.record(actor, "directive.issue", directive, number=directive.number, title=directive.title,
                 lead_agency_id=lead_id, support_agency_ids=support_ids, deadline=isoformat(directive.deadline),
                 priority=directive.priority)
    notify_new(directive, agencies.keys())
    for a in assignments:
        publish_new(directive, a)
        publish_update(a, now)
    db.session.commit()
    return directive


def _issue_fields(f, now):
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
    check_agency_choice(f, lead_id, support_ids, lambda i: i in agencies and agencies[i].active)
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
    """directive:new to the assignment's agency: its inbox shows the directive at once."""
    publish("directive:new", {"directive_id": directive.id, "assignment_id": assignment.id, "title": directive.title,
                              "deadline": isoformat(assignment.deadline), "priority": directive.priority},
            to=agency_room(assignment.agency_id))


def cancel_directive(actor, directive, data=None, now=None):
    """Cancel an issued directive: every open assignment becomes cancelled. data: reason."""
    require_decide(actor, directive)
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
    """The agency says it is done: status submitted, waiting for a leader. data: note.

    Returns the ProgressReport written with it (attachments of the result hang on it)."""
    require_act(actor, assignment)
    now = now or utcnow()
    f = Fields(data or {})
    note = f.str("note", required=False, max_len=NOTE_MAX, default="", multiline=True)
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
    db.session.flush()
    record_change(assignment, actor, EventAction.SUBMIT, old, now, note=note or None, report_id=report.id)
    notify_users([assignment.directive.issuer], "directive.submitted",
            lambda u: _("%(agency)s submitted its result for %(number)s", agency=assignment.agency.name,
                        number=assignment.directive.number),
            directive_path(assignment.directive_id))
    db.session.commit()
    return report


# -- the leader's side ----------------------------------------------------------------

def accept(actor, assignment, now=None):
    """Accept the submitted result: status completed, completed_at set."""
    require_decide(actor, assignment.directive)
    require_status(assignment, (AssignmentStatus.SUBMITTED,), _("accept"))
    now = now or utcnow()
    old = assignment.status
    assignment.status = AssignmentStatus.COMPLETED
    assignment.completed_at = now
    assignment.completed_by_id = actor.id
    record_change(assignment, actor, EventAction.ACCEPT, old, now)
    close_if_done(assignment.directive, actor, now)
    notify_agency(assignment, "directive.accepted",
                   lambda u: _("The result for %(number)s was accepted", number=assignment.directive.number))
    db.session.commit()
    return assignment


def return_assignment(actor, assignment, data, now=None):
    """Send a submitted result back: status in_progress again, the reason kept in the history."""
    require_decide(actor, assignment.directive)
    f = Fields(data or {})
    reason = f.str("reason", max_len=NOTE_MAX, multiline=True)
    f.check()
    require_status(assignment, (AssignmentStatus.SUBMITTED,), _("return"))
    now = now or utcnow()
    old = assignment.status
    assignment.status = AssignmentStatus.IN_PROGRESS
    assignment.submitted_at = None
    record_change(assignment, actor, EventAction.RETURN, old, now, note=reason)
    notify_agency(assignment, "directive.returned",
                   lambda u: _("The result for %(number)s was returned: %(reason)s",
                               number=assignment.directive.number, reason=reason))
    db.session.commit()
    return assignment


def notify_agency(assignment, kind, text):
    notify_officers([assignment.agency_id], kind, text, directive_path(assignment.directive_id))
