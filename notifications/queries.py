"""Reads of a user's notifications: the list (the page and the API) and the bell's count."""
from core.extensions import db
from notifications.models import Notification


def notifications_of(user, unread_only=False, before=None):
    """The select of the user's notifications, newest first (``before``: older than that id)."""
    query = db.select(Notification).where(Notification.user_id == user.id)
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    if before:
        query = query.where(Notification.id < before)
    return query.order_by(Notification.id.desc())


def unread_count(user):
    return db.session.scalar(
        db.select(db.func.count(Notification.id)).where(
            Notification.user_id == user.id, Notification.read_at.is_(None)
        )
    )
