"""What the directive templates use beside the pages' own values: the label tables, the history's
icons, durations and percentages as people read them, the ``markdown`` filter, and the words the
pages' scripts need (registered once for static/js)."""
import uuid

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core.dbtypes import utcnow
from core.i18n import register_js_strings
from core.text import render_markdown
from core.validation import parse_datetime
from directives import bp, labels, permissions, tracking
from directives.models import EventAction

EVENT_ICONS = {
    EventAction.ISSUE: "send", EventAction.SEEN: "eye", EventAction.ACKNOWLEDGE: "check2-circle",
    EventAction.REPORT: "graph-up-arrow", EventAction.SUBMIT: "send-check", EventAction.ACCEPT: "patch-check",
    EventAction.RETURN: "arrow-counterclockwise", EventAction.EXTENSION_REQUEST: "calendar-plus",
    EventAction.EXTENSION_APPROVE: "calendar-check", EventAction.EXTENSION_REJECT: "calendar-x",
    EventAction.DEADLINE_FOLLOW: "calendar-range", EventAction.CANCEL: "x-octagon",
    EventAction.CORRECT: "pencil-square", EventAction.ADD: "plus-circle", EventAction.REMOVE: "dash-circle",
    EventAction.PASS_ON: "diagram-3", EventAction.APPROVE: "person-check",
}

register_js_strings({
    "dir_acknowledge": _l("Acknowledge"),
    "dir_acknowledged": _l("Acknowledged"),
    "dir_ack_failed": _l("Could not acknowledge. Please try again."),
    "dir_ack_waiting": _l("Waiting to send"),
    "dir_ack_queued": _l("No connection: the acknowledgement will be sent as soon as the connection is back."),
    "dir_ack_sent": _l("The acknowledgement was sent."),
    "dir_new_arrived": _l("New directive: %(title)s"),
    "dir_updated": _l("This directive was updated."),
    "dir_form_kept": _l("The directive changed while you were typing; reload to see the latest state."),
    "dir_all_acknowledged": _l("Everything acknowledged"),
    "dir_waiting": _l("waiting for acknowledgement"),
    "dir_reload": _l("Reload"),
    "dir_selected_none": _l("No support agency selected"),
    "dir_selected_n": _l("%(n)s selected"),
    "dir_no_match": _l("No agency matches."),
    "dur_seconds": _l("%(s)s s"),
    "dur_minutes": _l("%(m)s min"),
    "dur_hours": _l("%(h)s h %(m)s min"),
    "dur_days": _l("%(d)s d %(h)s h"),
    "dash_total": _l("Total"),
    "dash_updated": _l("Updated %(time)s"),
    "dash_no_data": _l("No assignments yet."),
    "dash_rank_line": _l("On time %(rate)s · overdue %(n)s"),
    "dash_officer": _l("Officer"),
    "dash_open_level": _l("Open its board"),
    "tracking_on_track": labels.TRACKING_LABELS["on_track"],
    "tracking_due_soon": labels.TRACKING_LABELS["due_soon"],
    "tracking_overdue": labels.TRACKING_LABELS["overdue"],
    "tracking_completed_on_time": labels.TRACKING_LABELS["completed_on_time"],
    "tracking_completed_late": labels.TRACKING_LABELS["completed_late"],
})




def human_duration(seconds):
    """'45 s', '12 min', '2 h 15 min', '3 d 4 h' in the user's language; '—' when unknown."""
    if seconds is None:
        return "—"
    seconds = max(int(round(seconds)), 0)
    if seconds < 60:
        return _("%(s)s s", s=seconds)
    minutes = seconds // 60
    if minutes < 60:
        return _("%(m)s min", m=minutes)
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return _("%(h)s h %(m)s min", h=hours, m=minutes)
    days, hours = divmod(hours, 24)
    return _("%(d)s d %(h)s h", d=days, h=hours)


def _ack_seconds(assignment):
    issued = assignment.directive.issued_at
    if assignment.acknowledged_at is None or issued is None:
        return None
    return (assignment.acknowledged_at - issued).total_seconds()


def _pct(value):
    return "—" if value is None else f"{value:.0f}%"


def _track(assignment):
    return tracking.tracking_of(assignment, utcnow())


def _event_time(ev, key):
    """A time kept in a history event's data (ISO text), as a datetime; None when absent."""
    value = (ev.data or {}).get(key)
    return parse_datetime(value) if value else None


@bp.app_context_processor
def directive_helpers():
    return {
        # one table of words for the pages, the exports and the Word documents: directives/labels.py
        "PRIORITY_LABELS": labels.PRIORITY_LABELS,
        "STATUS_LABELS": labels.STATUS_LABELS,
        "TRACKING_LABELS": labels.TRACKING_LABELS,
        "DIRECTIVE_STATUS_LABELS": labels.DIRECTIVE_STATUS_LABELS,
        "ASSIGNMENT_ROLE_LABELS": labels.ROLE_LABELS,
        "EVENT_LABELS": labels.EVENT_LABELS,
        "EVENT_ICONS": EVENT_ICONS,
        "human_duration": human_duration,
        "directive_permissions": permissions,
        "ack_seconds": _ack_seconds,
        "pct": _pct,
        "track": _track,
        "event_detail": labels.event_detail,
        "event_time": _event_time,
        "new_client_id": lambda: uuid.uuid4().hex,
    }



@bp.app_template_filter("markdown")
def markdown_filter(text):
    """A directive's content: typed as plain lines, so every newline is a line break."""
    return render_markdown(text, hard_breaks=True)
