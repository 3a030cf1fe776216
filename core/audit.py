"""The audit trail: one row for every state change, written in the same transaction."""
from flask import has_request_context, request
from sqlalchemy import JSON

from core.dbtypes import UTCDateTime, utcnow
from core.extensions import db


class AuditLog(db.Model):
    __tablename__ = "audit_log"

    id = db.Column(db.Integer, primary_key=True)
    #: when the change happened (UTC)
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow, index=True)
    #: who made it; null for the system (CLI, scheduled jobs)
    actor_id = db.Column(db.Integer, db.ForeignKey("users.id", ondelete="SET NULL"), index=True)
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
