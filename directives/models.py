"""Directives, the per-agency assignments they create, and everything that happens to them.

Every state column holds one value of its StrEnum below, kept so by a CHECK constraint
(migrations/versions/0011_directive_states.py).
"""
from enum import StrEnum

from sqlalchemy import JSON

from core.dbtypes import UTCDateTime, one_of, utcnow
from core.extensions import db


class Priority(StrEnum):
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class DirectiveStatus(StrEnum):
    ISSUED = "issued"  # in force: being carried out
    CANCELLED = "cancelled"
    CLOSED = "closed"  # every assignment completed or cancelled


class AssignmentRole(StrEnum):
    LEAD = "lead"  # chủ trì
    SUPPORT = "support"  # phối hợp


class AssignmentStatus(StrEnum):
    PENDING = "pending"  # not yet acknowledged
    ACKNOWLEDGED = "acknowledged"
    IN_PROGRESS = "in_progress"
    SUBMITTED = "submitted"  # the result waits for a leader
    COMPLETED = "completed"
    CANCELLED = "cancelled"  # the directive cancelled, or the agency taken off it


class ExtensionStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class EventAction(StrEnum):
    """What happened, one line of an assignment's history (the audit action is ``assignment.<action>``)."""

    ISSUE = "issue"
    SEEN = "seen"
    ACKNOWLEDGE = "acknowledge"
    REPORT = "report"
    SUBMIT = "submit"
    ACCEPT = "accept"
    RETURN = "return"
    EXTENSION_REQUEST = "extension_request"
    EXTENSION_APPROVE = "extension_approve"
    EXTENSION_REJECT = "extension_reject"
    DEADLINE_FOLLOW = "deadline_follow"  # a supporting agency's deadline moved with the lead's extension
    CANCEL = "cancel"
    PASS_ON = "pass_on"  # the holder passed (part of) it on to agencies under it or its own officers
    APPROVE = "approve"  # the agency's leader approved an officer's result before it goes up
    CORRECT = "correct"
    ADD = "add"  # an agency added by a correction (or put back)
    REMOVE = "remove"  # an agency taken off by a correction


class ReminderKind(StrEnum):
    DUE_SOON = "due_soon"
    OVERDUE = "overdue"
    UNACKNOWLEDGED = "unacknowledged"
    DIGEST = "digest"
    MONTHLY_REPORT = "monthly_report"  # the execution report of the month just ended, to the leaders


#: statuses in which the agency still has work to do (or a leader still has to decide on it)
OPEN_STATUSES = (AssignmentStatus.PENDING, AssignmentStatus.ACKNOWLEDGED, AssignmentStatus.IN_PROGRESS,
                 AssignmentStatus.SUBMITTED)
#: statuses of an assignment that is over
DONE_STATUSES = (AssignmentStatus.COMPLETED, AssignmentStatus.CANCELLED)
#: statuses in which the agency itself still has work to do (a submitted result waits for a leader)
AGENCY_OPEN_STATUSES = (AssignmentStatus.PENDING, AssignmentStatus.ACKNOWLEDGED, AssignmentStatus.IN_PROGRESS)


class Directive(db.Model):
    """A leader's instruction to one lead agency and any number of supporting agencies."""

    __tablename__ = "directives"
    __table_args__ = (
        db.UniqueConstraint("year", "seq", name="uq_directives_year_seq"),
        # a retried request (same issuer, same client id) finds the directive it already made
        db.UniqueConstraint("issuer_id", "client_id", name="uq_directives_issuer_client"),
        db.Index("ix_directives_issued_at", "issued_at"),
        one_of("priority", Priority),
        one_of("status", DirectiveStatus),
    )

    id = db.Column(db.Integer, primary_key=True)
    #: the official number shown everywhere, e.g. "15/UBND-TH" (numbered as a công văn)
    number = db.Column(db.String(64), nullable=False)
    #: the year the number belongs to (in the display time zone)
    year = db.Column(db.Integer, nullable=False)
    #: the running number inside the year, from 1
    seq = db.Column(db.Integer, nullable=False)
    #: one-line subject, e.g. "Triển khai tiêm chủng mở rộng đợt 2"
    title = db.Column(db.String(500), nullable=False)
    #: the content, Markdown (sanitised with nh3 when rendered)
    body = db.Column(db.Text, nullable=False, default="")
    #: the leader who issued it
    issuer_id = db.Column(db.Integer, db.ForeignKey("users.id", ondelete="RESTRICT"), nullable=False, index=True)
    #: when it was issued (UTC)
    issued_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    #: normal, high or urgent
    priority = db.Column(db.String(16), nullable=False, default=Priority.NORMAL, index=True)
    #: issued, cancelled or closed (every assignment completed or cancelled)
    status = db.Column(db.String(16), nullable=False, default=DirectiveStatus.ISSUED, index=True)
    #: the deadline given at issue; each assignment carries its own copy that extensions move
    deadline = db.Column(UTCDateTime, nullable=False)
    #: the meeting whose conclusion it came from, if any
    source_meeting_id = db.Column(db.Integer, db.ForeignKey("meetings.id", ondelete="SET NULL"), index=True)
    #: when it was cancelled
    cancelled_at = db.Column(UTCDateTime)
    #: who cancelled it
    cancelled_by_id = db.Column(db.Integer, db.ForeignKey("users.id", ondelete="SET NULL"))
    #: why it was cancelled
    cancel_reason = db.Column(db.Text)
    #: the id the client chose for this request, so a retry does not issue it twice (optional)
    client_id = db.Column(db.String(64))

    issuer = db.relationship("User", foreign_keys=[issuer_id])
    cancelled_by = db.relationship("User", foreign_keys=[cancelled_by_id])
    assignments = db.relationship(
        "Assignment", back_populates="directive", cascade="all, delete-orphan",
        order_by="[Assignment.role, Assignment.id]",  # "lead" sorts before "support"
    )
    attachments = db.relationship(
        "Attachment", order_by="Attachment.id",
        primaryjoin="and_(Attachment.directive_id == Directive.id, Attachment.report_id.is_(None))",
        viewonly=True,
    )

    @property
    def lead_assignment(self):
        """The lead agency's assignment (None only before the assignments are written)."""
        return next((a for a in self.assignments if a.role == AssignmentRole.LEAD and a.parent_id is None), None)

    @property
    def root_assignments(self):
        """The assignments the issuer gave (the cascade's first level)."""
        return [a for a in self.assignments if a.parent_id is None]

    @property
    def current_deadline(self):
        """The deadline the directive runs to now: the lead agency's, which approved extensions move.
        ``deadline`` keeps the one given at issue."""
        lead = self.lead_assignment
        return lead.deadline if lead is not None else self.deadline


class Assignment(db.Model):
    """One agency's share of a directive: its role, its own deadline and its progress."""

    __tablename__ = "directive_assignments"
    __table_args__ = (
        # an agency holds a directive once, and so does each officer given a share of it personally
        db.Index("uq_assignments_directive_agency", "directive_id", "agency_id", unique=True,
                 sqlite_where=db.text("assignee_id IS NULL"), postgresql_where=db.text("assignee_id IS NULL")),
        db.Index("uq_assignments_directive_assignee", "directive_id", "assignee_id", unique=True,
                 sqlite_where=db.text("assignee_id IS NOT NULL"),
                 postgresql_where=db.text("assignee_id IS NOT NULL")),
        # the dashboard groups by agency and filters by status and deadline
        db.Index("ix_assignments_agency_status_deadline", "agency_id", "status", "deadline"),
        db.Index("ix_assignments_status_deadline", "status", "deadline"),
        one_of("role", AssignmentRole),
        one_of("status", AssignmentStatus),
    )

    id = db.Column(db.Integer, primary_key=True)
    #: the directive
    directive_id = db.Column(db.Integer, db.ForeignKey("directives.id", ondelete="CASCADE"), nullable=False, index=True)
    #: the agency that must carry it out (for a share given to an officer: the officer's agency)
    agency_id = db.Column(db.Integer, db.ForeignKey("agencies.id", ondelete="RESTRICT"), nullable=False)
    #: the assignment it was passed on from; null for the directive's own (root) assignments
    parent_id = db.Column(db.Integer, db.ForeignKey("directive_assignments.id", ondelete="CASCADE"), index=True)
    #: the officer who handles it personally (a share passed to a named officer); null: the whole agency
    assignee_id = db.Column(db.Integer, db.ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    #: who passed it on (null for a root: the directive's issuer gave it)
    assigned_by_id = db.Column(db.Integer, db.ForeignKey("users.id", ondelete="SET NULL"))
    #: what the one passing it on asked of this share
    note = db.Column(db.Text)
    #: lead (chủ trì) or support (phối hợp)
    role = db.Column(db.String(16), nullable=False, default=AssignmentRole.LEAD)
    #: pending, acknowledged, in_progress, submitted, completed or cancelled
    status = db.Column(db.String(16), nullable=False, default=AssignmentStatus.PENDING)
    #: this agency's deadline (the directive's, moved by approved extensions)
    deadline = db.Column(UTCDateTime, nullable=False)
    #: first time anyone of the agency opened it
    first_seen_at = db.Column(UTCDateTime)
    #: who opened it first
    first_seen_by_id = db.Column(db.Integer, db.ForeignKey("users.id", ondelete="SET NULL"))
    #: when the agency acknowledged it (tiếp nhận)
    acknowledged_at = db.Column(UTCDateTime)
    #: who acknowledged it
    acknowledged_by_id = db.Column(db.Integer, db.ForeignKey("users.id", ondelete="SET NULL"))
    #: last reported progress, 0..100
    progress = db.Column(db.Integer, nullable=False, default=0)
    #: when the agency submitted its result (cleared when a leader returns it)
    submitted_at = db.Column(UTCDateTime)
    #: when the submitted result was cleared to go up: at submission, or when the agency's leader approved an
    #: officer's result (null while a submitted result waits for that approval)
    approved_at = db.Column(UTCDateTime)
    #: the agency leader who approved it
    approved_by_id = db.Column(db.Integer, db.ForeignKey("users.id", ondelete="SET NULL"))
    #: when a leader accepted the result
    completed_at = db.Column(UTCDateTime)
    #: who accepted it
    completed_by_id = db.Column(db.Integer, db.ForeignKey("users.id", ondelete="SET NULL"))
    #: last change of any kind
    updated_at = db.Column(UTCDateTime, nullable=False, default=utcnow)

    directive = db.relationship("Directive", back_populates="assignments")
    agency = db.relationship("Agency")
    parent = db.relationship("Assignment", remote_side=[id], foreign_keys=[parent_id], viewonly=True)
    assignee = db.relationship("User", foreign_keys=[assignee_id])
    assigned_by = db.relationship("User", foreign_keys=[assigned_by_id])
    approved_by = db.relationship("User", foreign_keys=[approved_by_id])
    first_seen_by = db.relationship("User", foreign_keys=[first_seen_by_id])
    acknowledged_by = db.relationship("User", foreign_keys=[acknowledged_by_id])
    completed_by = db.relationship("User", foreign_keys=[completed_by_id])
    reports = db.relationship("ProgressReport", back_populates="assignment", order_by="ProgressReport.id",
                              cascade="all, delete-orphan")
    extension_requests = db.relationship("ExtensionRequest", back_populates="assignment",
                                         order_by="ExtensionRequest.id", cascade="all, delete-orphan")
    events = db.relationship("AssignmentEvent", back_populates="assignment", order_by="AssignmentEvent.id",
                             cascade="all, delete-orphan")

    @property
    def is_open(self):
        return self.status in OPEN_STATUSES


class ProgressReport(db.Model):
    """An agency's report on its progress (also written when it submits its result)."""

    __tablename__ = "directive_progress_reports"
    __table_args__ = (
        # a retried report (same author, same client id) is stored once
        db.UniqueConstraint("assignment_id", "author_id", "client_id", name="uq_reports_assignment_author_client"),
    )

    id = db.Column(db.Integer, primary_key=True)
    #: the assignment reported on
    assignment_id = db.Column(db.Integer, db.ForeignKey("directive_assignments.id", ondelete="CASCADE"),
                              nullable=False, index=True)
    #: the officer who wrote it
    author_id = db.Column(db.Integer, db.ForeignKey("users.id", ondelete="RESTRICT"), nullable=False)
    #: progress in percent, 0..100
    progress = db.Column(db.Integer, nullable=False)
    #: what was done, plain text
    note = db.Column(db.Text, nullable=False, default="")
    #: true for the report that came with a submission of the result
    is_submission = db.Column(db.Boolean, nullable=False, default=False)
    #: the id the client chose for this report, so a retry does not store it twice (optional)
    client_id = db.Column(db.String(64))
    #: when it was written
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)

    assignment = db.relationship("Assignment", back_populates="reports")
    author = db.relationship("User")
    attachments = db.relationship("Attachment", back_populates="report", order_by="Attachment.id")


class ExtensionRequest(db.Model):
    """An agency asks for a later deadline; a leader approves or rejects it."""

    __tablename__ = "directive_extension_requests"
    __table_args__ = (one_of("status", ExtensionStatus),)

    id = db.Column(db.Integer, primary_key=True)
    #: the assignment whose deadline would move
    assignment_id = db.Column(db.Integer, db.ForeignKey("directive_assignments.id", ondelete="CASCADE"),
                              nullable=False, index=True)
    #: the officer who asked
    requested_by_id = db.Column(db.Integer, db.ForeignKey("users.id", ondelete="RESTRICT"), nullable=False)
    #: when it was asked
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    #: the deadline asked for
    requested_deadline = db.Column(UTCDateTime, nullable=False)
    #: the assignment's deadline when it was asked (kept for the history)
    old_deadline = db.Column(UTCDateTime, nullable=False)
    #: why more time is needed
    reason = db.Column(db.Text, nullable=False)
    #: pending, approved or rejected
    status = db.Column(db.String(16), nullable=False, default=ExtensionStatus.PENDING, index=True)
    #: the leader who decided
    decided_by_id = db.Column(db.Integer, db.ForeignKey("users.id", ondelete="SET NULL"))
    #: when it was decided
    decided_at = db.Column(UTCDateTime)
    #: the leader's reason, for a rejection
    decision_note = db.Column(db.Text)

    assignment = db.relationship("Assignment", back_populates="extension_requests")
    requested_by = db.relationship("User", foreign_keys=[requested_by_id])
    decided_by = db.relationship("User", foreign_keys=[decided_by_id])


class AssignmentEvent(db.Model):
    """One line of an assignment's history: who did what, when, and the status before and after."""

    __tablename__ = "directive_assignment_events"
    __table_args__ = (
        db.Index("ix_assignment_events_assignment_id_id", "assignment_id", "id"),
        # the execution report finds the assignments with a deadline in its period (directives/execution.py)
        db.Index("ix_assignment_events_deadline", "deadline"),
        one_of("action", EventAction),
        one_of("from_status", AssignmentStatus),
        one_of("to_status", AssignmentStatus),
    )

    id = db.Column(db.Integer, primary_key=True)
    #: the assignment
    assignment_id = db.Column(db.Integer, db.ForeignKey("directive_assignments.id", ondelete="CASCADE"),
                              nullable=False)
    #: who acted; null for the system
    actor_id = db.Column(db.Integer, db.ForeignKey("users.id", ondelete="SET NULL"))
    #: when (UTC)
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    #: what happened: one of EventAction
    action = db.Column(db.String(32), nullable=False)
    #: status before
    from_status = db.Column(db.String(16))
    #: status after
    to_status = db.Column(db.String(16))
    #: the assignment's deadline after it: with ``to_status``, the state in force from ``created_at`` on, so
    #: a report can tell the state at any past instant (directives/execution.py)
    deadline = db.Column(UTCDateTime)
    #: the human text: a report note, a return reason...
    note = db.Column(db.Text)
    #: details, e.g. {"progress": 40} or {"old_deadline": ..., "new_deadline": ...}
    data = db.Column(JSON, nullable=False, default=dict)

    assignment = db.relationship("Assignment", back_populates="events")
    actor = db.relationship("User")


class Attachment(db.Model):
    """A file attached to a directive or to a progress report, stored under instance/uploads."""

    __tablename__ = "directive_attachments"

    id = db.Column(db.Integer, primary_key=True)
    #: the directive it belongs to (also set for a report's files, for the visibility check)
    directive_id = db.Column(db.Integer, db.ForeignKey("directives.id", ondelete="CASCADE"), nullable=False,
                             index=True)
    #: the progress report it came with, if any
    report_id = db.Column(db.Integer, db.ForeignKey("directive_progress_reports.id", ondelete="CASCADE"),
                          index=True)
    #: the file name the user uploaded (shown and used for downloads)
    original_name = db.Column(db.String(255), nullable=False)
    #: the random name on disk, under instance/uploads
    stored_name = db.Column(db.String(64), nullable=False, unique=True)
    #: size in bytes
    size = db.Column(db.Integer, nullable=False)
    #: MIME type, from the extension
    content_type = db.Column(db.String(128), nullable=False)
    #: who uploaded it
    uploaded_by_id = db.Column(db.Integer, db.ForeignKey("users.id", ondelete="SET NULL"))
    #: when
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)

    directive = db.relationship("Directive", foreign_keys=[directive_id])
    report = db.relationship("ProgressReport", back_populates="attachments")
    uploaded_by = db.relationship("User")


class ReminderSent(db.Model):
    """One reminder that went out; its unique key makes sure it never goes out twice."""

    __tablename__ = "directive_reminders_sent"
    __table_args__ = (one_of("kind", ReminderKind),)

    id = db.Column(db.Integer, primary_key=True)
    #: e.g. "due_soon:12:2026-12-01T10:00:00+00:00", "digest:2026-11-26"
    key = db.Column(db.String(200), nullable=False, unique=True)
    #: due_soon, overdue, unacknowledged or digest
    kind = db.Column(db.String(32), nullable=False)
    #: the assignment it was about, if any
    assignment_id = db.Column(db.Integer, db.ForeignKey("directive_assignments.id", ondelete="CASCADE"), index=True)
    #: when it went out
    sent_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
