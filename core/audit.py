"""The audit trail: one row for every state change, written in the same transaction.

Rows are only ever added: the ORM refuses to change or delete one (see ``_refuse_audit_changes``).
"""
from flask import has_request_context, request
from sqlalchemy import JSON, event
from sqlalchemy.orm import Session

from core.dbtypes import UTCDateTime, utcnow
from core.extensions import db


class AuditLogReadOnly(RuntimeError):
    """Raised on any attempt to change or delete an audit row through the ORM."""


class AuditLog(db.Model):
    __tablename__ = "audit_log"
    # The admins' search pages newest first, filtered by who, what, or which object.
    __table_args__ = (
        db.Index("ix_audit_log_actor_id_created_at", "actor_id", "created_at"),
        db.Index("ix_audit_log_action_created_at", "action", "created_at"),
        db.Index("ix_audit_log_object_type_object_id", "object_type", "object_id"),
    )

    id = db.Column(db.Integer, primary_key=True)
    #: when the change happened (UTC)
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow, index=True)
    #: who made it; null for the system (CLI, scheduled jobs)
    actor_id = db.Column(db.Integer, db.ForeignKey("users.id", ondelete="SET NULL"))
    #: what was done, e.g. "user.create", "directive.issue"
    action = db.Column(db.String(64), nullable=False)
    #: the kind of object changed, e.g. "user"
    object_type = db.Column(db.String(32), nullable=False)
    #: the changed object's id
    object_id = db.Column(db.Integer, index=True)
    #: details: changed fields, from and to values
    data = db.Column(JSON, nullable=False, default=dict)
    #: the client address, when the change came from a request
    ip = db.Column(db.String(64))


def _singular(table):
    """"agencies" -> "agency", "users" -> "user", "audit_log" stays."""
    if table.endswith("ies"):
        return table[:-3] + "y"
    if table.endswith("s") and not table.endswith("ss"):
        return table[:-1]
    return table


def record(actor, action, obj=None, object_type=None, object_id=None, **data):
    """Add an audit row to the current session; the caller's commit writes it."""
    if obj is not None:
        object_type = object_type or _singular(obj.__tablename__)
        if object_id is None:
            if obj.id is None:
                db.session.flush()  # the new object needs its id for the trail
            object_id = obj.id
    row = AuditLog(
        actor_id=getattr(actor, "id", None),
        action=action,
        object_type=object_type or "system",
        object_id=object_id,
        data=data,
        ip=request.remote_addr if has_request_context() else None,
    )
    db.session.add(row)
    return row


def apply_changes(obj, values):
    """Set each attribute of ``values`` that differs on ``obj``; returns ``{name: [old, new]}`` of
    those changed: the data of an update's audit row."""
    changes = {}
    for name, value in values.items():
        old = getattr(obj, name)
        if value != old:
            changes[name] = [old, value]
            setattr(obj, name, value)
    return changes


@event.listens_for(Session, "before_flush")
def _refuse_audit_changes(session, _flush_context, _instances):
    for obj in session.deleted:
        if isinstance(obj, AuditLog):
            raise AuditLogReadOnly("audit rows cannot be deleted")
    for obj in session.dirty:
        if isinstance(obj, AuditLog) and session.is_modified(obj):
            raise AuditLogReadOnly("audit rows cannot be changed")


@event.listens_for(Session, "do_orm_execute")
def _refuse_audit_bulk_changes(state):
    """update(AuditLog) and delete(AuditLog) statements skip the flush: refuse them here."""
    if (state.is_update or state.is_delete) and any(m.class_ is AuditLog for m in state.all_mappers):
        raise AuditLogReadOnly("audit rows cannot be changed or deleted")
