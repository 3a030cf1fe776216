"""For tests of refused writes: everything a directive's actions could touch, to compare before and after."""
from sqlalchemy import func, inspect, select

from core.audit import AuditLog
from core.extensions import db
from directives.models import (
    Assignment,
    AssignmentEvent,
    Attachment,
    Directive,
    ExtensionRequest,
    ProgressReport,
)
from notifications.models import Notification


def _row(obj):
    return {attr.key: getattr(obj, attr.key) for attr in inspect(obj).mapper.column_attrs}


def _rows(model, *where):
    return [_row(obj) for obj in db.session.scalars(select(model).where(*where).order_by(model.id))]


def directive_state(directive_id):
    """The directive, its assignments, their history, reports, extension requests and files as stored,
    with the audit rows and notifications counted: a refused write leaves all of it as it was."""
    db.session.expire_all()
    assignment_ids = select(Assignment.id).where(Assignment.directive_id == directive_id)
    return {
        "directive": _row(db.session.get(Directive, directive_id)),
        "assignments": _rows(Assignment, Assignment.directive_id == directive_id),
        "events": _rows(AssignmentEvent, AssignmentEvent.assignment_id.in_(assignment_ids)),
        "reports": _rows(ProgressReport, ProgressReport.assignment_id.in_(assignment_ids)),
        "extensions": _rows(ExtensionRequest, ExtensionRequest.assignment_id.in_(assignment_ids)),
        "attachments": _rows(Attachment, Attachment.directive_id == directive_id),
        "audit_rows": db.session.scalar(select(func.count(AuditLog.id))),
        "notifications": db.session.scalar(select(func.count(Notification.id))),
    }
