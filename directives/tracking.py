"""The national tracking model of an assignment, defined once for Python and for SQL.

Values (API.md): ``on_track`` (not done, deadline more than the window ahead),
``due_soon`` (not done, deadline within the window, DUE_SOON_DAYS: 3 by default),
``overdue`` (not done, deadline reached), ``completed_on_time``, ``completed_late``;
plus ``cancelled`` for assignments of a cancelled directive, which the counts leave out.

Boundaries, the same in both versions:
- a deadline exactly now is ``overdue`` (it is no longer ahead);
- a deadline exactly at now + window is ``due_soon``;
- the time of completion is when the agency submitted the result that a leader accepted
  (``submitted_at``, or ``completed_at`` if there is none); exactly at the deadline is on time,
  one second later is late. A submitted result waiting for the leader still counts against the
  deadline (it is not done until accepted).
"""
import os
from datetime import timedelta

from flask import current_app
from sqlalchemy import case, func, literal

from core.dbtypes import UTCDateTime, utcnow
from directives.models import AssignmentStatus

TRACKING_VALUES = ("on_track", "due_soon", "overdue", "completed_on_time", "completed_late")
ALL_TRACKING_VALUES = TRACKING_VALUES + ("cancelled",)


def setting(name, default):
    """A directives setting: the app config, else the environment variable of that name, else ``default``.
    (REMIND_UNACKNOWLEDGED_HOURS, DIRECTIVE_DIGEST_HOUR, DIRECTIVE_ATTACHMENT_MAX_MB,
    DIRECTIVE_ATTACHMENT_EXTENSIONS can so be set without a change to core/config.py.)"""
    if name in current_app.config:
        return current_app.config[name]
    return os.environ.get(name, default)


def due_soon_window():
    """The due-soon window from config DUE_SOON_DAYS."""
    return timedelta(days=current_app.config.get("DUE_SOON_DAYS", 3))


def _window(window):
    if window is None:
        return due_soon_window()
    if isinstance(window, (int, float)):
        return timedelta(days=window)
    return window


def tracking_of(assignment, now=None, window=None):
    """The tracking value of one assignment at ``now``."""
    now = now or utcnow()
    window = _window(window)
    status = assignment.status
    if status == AssignmentStatus.CANCELLED:
        return "cancelled"
    if status == AssignmentStatus.COMPLETED:
        done_at = assignment.submitted_at or assignment.completed_at
        if done_at is not None and done_at <= assignment.deadline:
            return "completed_on_time"
        return "completed_late"
    if assignment.deadline <= now:
        return "overdue"
    if assignment.deadline <= now + window:
        return "due_soon"
    return "on_track"


def tracking_expr(now=None, window=None, model=None):
    """The same rule as a SQL CASE over Assignment columns (usable in SELECT, WHERE, GROUP BY)."""
    if model is None:
        from directives.models import Assignment as model
    now = now or utcnow()
    window = _window(window)
    now_param = literal(now, UTCDateTime)
    soon_param = literal(now + window, UTCDateTime)
    done_at = func.coalesce(model.submitted_at, model.completed_at)
    return case(
        (model.status == AssignmentStatus.CANCELLED, "cancelled"),
        (model.status == AssignmentStatus.COMPLETED,
         case((done_at <= model.deadline, "completed_on_time"), else_="completed_late")),
        (model.deadline <= now_param, "overdue"),
        (model.deadline <= soon_param, "due_soon"),
        else_="on_track",
    )
