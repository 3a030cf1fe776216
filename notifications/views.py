from flask import redirect, render_template, request, url_for
from flask_login import current_user, login_required

from core.extensions import db
from core.urls import safe_next
from core.validation import arg_page
from notifications import bp, queries, services
from notifications.models import Notification

PAGE_SIZE = 30


@bp.app_context_processor
def bell():
    def unread_notifications():
        return queries.unread_count(current_user) if current_user.is_authenticated else 0

    return {"unread_notifications": unread_notifications}


@bp.route("/notifications")
@login_required
def index():
    page = arg_page()
    only_unread = request.args.get("unread") == "1"
    query = queries.notifications_of(current_user, unread_only=only_unread)
    items = db.session.scalars(query.offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)).all()
    return render_template("notifications/index.html", items=items[:PAGE_SIZE], page=page,
                           has_more=len(items) > PAGE_SIZE, only_unread=only_unread)


@bp.route("/notifications/<int:notification_id>/open")
@login_required
def open_one(notification_id):
    """Mark read and follow the link."""
    note = db.session.get(Notification, notification_id)
    services.mark_read(current_user, notification_id)
    return redirect(safe_next(note.link if note else None, default="notifications.index"))


@bp.route("/notifications/read-all", methods=["POST"])
@login_required
def read_all():
    services.mark_read(current_user)
    return redirect(url_for("notifications.index"))
