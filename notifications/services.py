"""Notify users: a row each, a live push to their bell, and mail when configured."""
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import insert

from core.dbtypes import utcnow
from core.errors import NotFound
from core.extensions import db
from core.realtime import publish, user_room
from notifications import mail
from notifications.models import Notification
from notifications.queries import unread_count


def notify(users, kind, text, link=None, email_subject=None, email_body=None):
    """Notify each user. ``text`` (and the mail parts) may be a callable(user) -> str, called inside the
    recipient's locale, so each gets their own language: once per language, not once per user (a directive
    to 100 agencies tells 500 officers), so the text may depend on the language only.

    Rows are added to the caller's transaction by one INSERT for every recipient; pushes and mail go out
    after its commit. Returns the rows in the order of ``users``.
    """
    texts, now, values = {}, utcnow(), []
    for user in users:
        locale = user.locale or current_app.config["BABEL_DEFAULT_LOCALE"]
        if locale not in texts:
            with force_locale(locale):
                texts[locale] = (text(user) if callable(text) else str(text),
                                 email_subject(user) if callable(email_subject) else email_subject,
                                 email_body(user) if callable(email_body) else email_body)
        line, subject, body = texts[locale]
        values.append({"user_id": user.id, "kind": kind, "text": line[:500], "link": link, "created_at": now})
        if subject and user.email:
            mail.send_after_commit(user.email, subject, body or line)
    rows = _insert(values)
    for row in rows:
        publish("notification:new", row.to_dict(), to=user_room(row.user_id))
    return rows


def _insert(values):
    """The Notification rows of ``values``, in their order. RETURNING without the order of the parameters
    (SQLite would insert row by row for it): the rows are matched by user, a user's own rows by id."""
    if not values:
        return []
    inserted = db.session.scalars(insert(Notification).returning(Notification), values).all()
    by_user = {}
    for row in sorted(inserted, key=lambda r: r.id):
        by_user.setdefault(row.user_id, []).append(row)
    return [by_user[v["user_id"]].pop(0) for v in values]


def mark_read(user, notification_id=None):
    """Mark one notification (or all, when no id is given) read. Returns the unread count."""
    query = db.update(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None))
    if notification_id is not None:
        found = db.session.scalar(
            db.select(Notification.id).where(Notification.id == notification_id, Notification.user_id == user.id)
        )
        if found is None:
            raise NotFound(_("Notification not found."))
        query = query.where(Notification.id == notification_id)
    db.session.execute(query.values(read_at=utcnow()))
    count = unread_count(user)
    publish("notification:count", {"unread": count}, to=user_room(user.id))
    db.session.commit()
    return count
