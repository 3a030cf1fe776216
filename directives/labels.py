"""The words for directive states, one table each, and the one line that explains a history event.

The pages, the Excel exports and the meetings' Word documents all read these tables, so a priority,
a status or a role is called the same everywhere. The labels are lazy: they are translated when shown,
in the user's language on a page, in Vietnamese in an export (exports wrap themselves in
``force_locale("vi")``, as official documents do).
"""
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

PRIORITY_LABELS = {"normal": _l("Normal"), "high": _l("High"), "urgent": _l("Urgent")}
#: the directive's own state; an issued directive is still being carried out
DIRECTIVE_STATUS_LABELS = {"issued": _l("In force"), "cancelled": _l("Cancelled"), "closed": _l("Closed")}
#: one agency's assignment
STATUS_LABELS = {
    "pending": _l("Not acknowledged"),
    "acknowledged": _l("Acknowledged"),
    "in_progress": _l("In progress"),
    "submitted": _l("Submitted"),
    "completed": _l("Completed"),
    "cancelled": _l("Cancelled"),
}
TRACKING_LABELS = {
    "on_track": _l("On track"),
    "due_soon": _l("Due soon"),
    "overdue": _l("Overdue"),
    "completed_on_time": _l("Done on time"),
    "completed_late": _l("Done late"),
    "cancelled": _l("Cancelled"),
}
ROLE_LABELS = {"lead": _l("Lead"), "support": _l("Support")}
#: what happened, one line of an assignment's history
EVENT_LABELS = {
    "issue": _l("Issued"),
    "seen": _l("Opened"),
    "acknowledge": _l("Acknowledged"),
    "report": _l("Progress report"),
    "submit": _l("Submitted the result"),
    "accept": _l("Accepted as completed"),
    "return": _l("Returned for more work"),
    "extension_request": _l("Asked for an extension"),
    "extension_approve": _l("Extension approved"),
    "extension_reject": _l("Extension rejected"),
    "deadline_follow": _l("Deadline moved with the lead agency"),
    "cancel": _l("Directive cancelled"),
    "correct": _l("Directive corrected"),
    "add": _l("Added to the directive"),
    "remove": _l("Taken off the directive"),
}


def label(table, value):
    """The label of ``value`` as text ('' for None, the value itself when the table has no word for it)."""
    if value is None:
        return ""
    return str(table.get(value, value))


def event_detail(event, with_role=True, with_transition=True):
    """What a person reads about one history event, in the current language, times in the display zone:
    "Vai trò: Chủ trì; Hạn xử lý: 20/12/2026 17:00", "Tiến độ 40%", "Hạn xử lý 20/12/2026 17:00 →
    31/12/2026 17:00"... Internal ids are left out. The directive page and the Excel history both use it.

    with_role: False where the role is shown beside the agency already; with_transition: False where
    the status before and after have columns of their own.
    """
    from core.i18n import datetime_filter
    from core.validation import parse_datetime

    data = event.data or {}

    def when(key):
        value = parse_datetime(data.get(key)) if data.get(key) else None
        return datetime_filter(value) if value else "—"

    parts = []
    if event.action in ("issue", "add"):
        if with_role and data.get("role"):
            parts.append(_("Role: %(role)s", role=label(ROLE_LABELS, data["role"])))
        if data.get("deadline"):
            parts.append(_("Deadline: %(when)s", when=when("deadline")))
    elif event.action == "report" and "progress" in data:
        parts.append(_("Progress %(n)s%%", n=data["progress"]))
    elif event.action == "extension_request":
        parts.append(_("Deadline %(old)s → %(new)s asked", old=when("old_deadline"), new=when("requested_deadline")))
    elif event.action == "extension_reject" and data.get("requested_deadline"):
        parts.append(_("Asked for %(when)s", when=when("requested_deadline")))
    elif event.action in ("extension_approve", "deadline_follow"):
        parts.append(_("Deadline %(old)s → %(new)s", old=when("old_deadline"), new=when("new_deadline")))
        lead = _lead_agency_name(event) if event.action == "deadline_follow" else None
        if lead:
            parts.append(_("following the extension granted to the lead agency %(agency)s", agency=lead))
    elif event.action == "correct":
        parts.extend(_correction_lines(data))
    if (with_transition and not parts and event.from_status and event.to_status
            and event.from_status != event.to_status):
        parts.append(f"{label(STATUS_LABELS, event.from_status)} → {label(STATUS_LABELS, event.to_status)}")
    return "; ".join(parts)


def _correction_lines(data):
    """A correction, one part per changed field: from → to (services.correct_directive)."""
    from core.i18n import datetime_filter
    from core.validation import parse_datetime

    names = data.get("agency_names") or {}

    def when(value):
        parsed = parse_datetime(value) if value else None
        return datetime_filter(parsed) if parsed else "—"

    def agencies(ids):
        return ", ".join(names.get(str(i), f"#{i}") for i in ids)

    lines = []
    for field, change in (data.get("changes") or {}).items():
        old, new = change.get("from"), change.get("to")
        if field == "title":
            lines.append(_("Subject “%(old)s” → “%(new)s”", old=old, new=new))
        elif field == "body":
            lines.append(_("Content changed"))
        elif field == "deadline":
            lines.append(_("Deadline %(old)s → %(new)s", old=when(old), new=when(new)))
        elif field == "priority":
            lines.append(_("Priority %(old)s → %(new)s", old=label(PRIORITY_LABELS, old), new=label(PRIORITY_LABELS, new)))
        elif field == "lead_agency_id":
            lines.append(_("Lead agency %(old)s → %(new)s", old=agencies([old]), new=agencies([new])))
        elif field == "support_agency_ids":
            came = [i for i in new or [] if i not in (old or [])]
            went = [i for i in old or [] if i not in (new or [])]
            if came:
                lines.append(_("Support agencies added: %(names)s", names=agencies(came)))
            if went:
                lines.append(_("Support agencies taken off: %(names)s", names=agencies(went)))
        elif field == "role":
            lines.append(_("Role %(old)s → %(new)s", old=label(ROLE_LABELS, old), new=label(ROLE_LABELS, new)))
        elif field == "assignment_deadline" and change != (data.get("changes") or {}).get("deadline"):
            lines.append(_("This agency's deadline %(old)s → %(new)s", old=when(old), new=when(new)))
    if data.get("deadline_kept"):
        lines.append(_("This agency keeps its extended deadline %(when)s", when=when(data["deadline_kept"])))
    return lines


def _lead_agency_name(event):
    """The lead agency whose extension moved this supporting assignment's deadline."""
    lead_id = (event.data or {}).get("lead_assignment_id")
    for assignment in event.assignment.directive.assignments:
        if assignment.id == lead_id:
            return assignment.agency.name
    return None
