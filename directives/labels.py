"""The words for directive states, one table each, and the one line that explains a history event.

The pages, the Excel exports and the meetings' Word documents all read these tables, so a priority,
a status or a role is called the same everywhere. The labels are lazy: they are translated when shown,
in the user's language on a page, in Vietnamese in an export (exports wrap themselves in
``force_locale("vi")``, as official documents do).
"""
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from directives.models import AssignmentRole, AssignmentStatus, DirectiveStatus, EventAction, Priority

PRIORITY_LABELS = {Priority.NORMAL: _l("Normal"), Priority.HIGH: _l("High"), Priority.URGENT: _l("Urgent")}
#: the directive's own state; an issued directive is still being carried out
DIRECTIVE_STATUS_LABELS = {DirectiveStatus.ISSUED: _l("In force"), DirectiveStatus.CANCELLED: _l("Cancelled"),
                           DirectiveStatus.CLOSED: _l("Closed")}
#: one agency's assignment
STATUS_LABELS = {
    AssignmentStatus.PENDING: _l("Not acknowledged"),
    AssignmentStatus.ACKNOWLEDGED: _l("Acknowledged"),
    AssignmentStatus.IN_PROGRESS: _l("In progress"),
    AssignmentStatus.SUBMITTED: _l("Submitted"),
    AssignmentStatus.COMPLETED: _l("Completed"),
    AssignmentStatus.CANCELLED: _l("Cancelled"),
}
TRACKING_LABELS = {
    "on_track": _l("On track"),
    "due_soon": _l("Due soon"),
    "overdue": _l("Overdue"),
    "completed_on_time": _l("Done on time"),
    "completed_late": _l("Done late"),
    "cancelled": _l("Cancelled"),
}
ROLE_LABELS = {AssignmentRole.LEAD: _l("Lead"), AssignmentRole.SUPPORT: _l("Support")}
#: what happened, one line of an assignment's history
EVENT_LABELS = {
    EventAction.ISSUE: _l("Issued"),
    EventAction.SEEN: _l("Opened"),
    EventAction.ACKNOWLEDGE: _l("Acknowledged"),
    EventAction.REPORT: _l("Progress report"),
    EventAction.SUBMIT: _l("Submitted the result"),
    EventAction.ACCEPT: _l("Accepted as completed"),
    EventAction.RETURN: _l("Returned for more work"),
    EventAction.EXTENSION_REQUEST: _l("Asked for an extension"),
    EventAction.EXTENSION_APPROVE: _l("Extension approved"),
    EventAction.EXTENSION_REJECT: _l("Extension rejected"),
    EventAction.DEADLINE_FOLLOW: _l("Deadline moved with the lead agency"),
    EventAction.CANCEL: _l("Directive cancelled"),
    EventAction.PASS_ON: _l("Passed on"),
    EventAction.APPROVE: _l("Approved by the agency's leader"),
    EventAction.CORRECT: _l("Directive corrected"),
    EventAction.ADD: _l("Added to the directive"),
    EventAction.REMOVE: _l("Taken off the directive"),
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
    describe = _DETAILS.get(event.action)
    parts = describe(event, event.data or {}, with_role) if describe else []
    if (with_transition and not parts and event.from_status and event.to_status
            and event.from_status != event.to_status):
        parts.append(f"{label(STATUS_LABELS, event.from_status)} → {label(STATUS_LABELS, event.to_status)}")
    return "; ".join(parts)


def _when(value):
    """A time kept as ISO text in an event's data, as people read it ('—' when absent)."""
    from core.i18n import datetime_filter
    from core.validation import parse_datetime

    parsed = parse_datetime(value) if value else None
    return datetime_filter(parsed) if parsed else "—"


def _issue_detail(event, data, with_role):
    parts = []
    if with_role and data.get("role"):
        parts.append(_("Role: %(role)s", role=label(ROLE_LABELS, data["role"])))
    if data.get("deadline"):
        parts.append(_("Deadline: %(when)s", when=_when(data["deadline"])))
    return parts


def _report_detail(event, data, with_role):
    return [_("Progress %(n)s%%", n=data["progress"])] if "progress" in data else []


def _extension_request_detail(event, data, with_role):
    return [_("Deadline %(old)s → %(new)s asked", old=_when(data.get("old_deadline")),
              new=_when(data.get("requested_deadline")))]


def _extension_reject_detail(event, data, with_role):
    return [_("Asked for %(when)s", when=_when(data["requested_deadline"]))] if data.get("requested_deadline") else []


def _deadline_moved_detail(event, data, with_role):
    parts = [_("Deadline %(old)s → %(new)s", old=_when(data.get("old_deadline")), new=_when(data.get("new_deadline")))]
    lead = _lead_agency_name(event) if event.action == EventAction.DEADLINE_FOLLOW else None
    if lead:
        parts.append(_("following the extension granted to the lead agency %(agency)s", agency=lead))
    return parts


def _correct_detail(event, data, with_role):
    return _correction_lines(data)


#: the detail line of each kind of history event (others have none: the status change says it)
_DETAILS = {
    EventAction.ISSUE: _issue_detail, EventAction.ADD: _issue_detail, EventAction.REPORT: _report_detail,
    EventAction.EXTENSION_REQUEST: _extension_request_detail, EventAction.EXTENSION_REJECT: _extension_reject_detail,
    EventAction.EXTENSION_APPROVE: _deadline_moved_detail, EventAction.DEADLINE_FOLLOW: _deadline_moved_detail,
    EventAction.CORRECT: _correct_detail,
}


def _correction_lines(data):
    """A correction, one part per changed field: from → to (corrections.correct_directive)."""
    names = data.get("agency_names") or {}
    changes = data.get("changes") or {}
    lines = []
    for field, change in changes.items():
        if field == "assignment_deadline" and change == changes.get("deadline"):
            continue  # the agency's deadline moved with the directive's: said once
        describe = _CHANGE_LINES.get(field)
        if describe:
            lines.extend(describe(change.get("from"), change.get("to"), names))
    if data.get("deadline_kept"):
        lines.append(_("This agency keeps its extended deadline %(when)s", when=_when(data["deadline_kept"])))
    return lines


def _agencies(names, ids):
    return ", ".join(names.get(str(i), f"#{i}") for i in ids)


def _support_lines(old, new, names):
    old, new = old or [], new or []
    came = [i for i in new if i not in old]
    went = [i for i in old if i not in new]
    lines = [_("Support agencies added: %(names)s", names=_agencies(names, came))] if came else []
    if went:
        lines.append(_("Support agencies taken off: %(names)s", names=_agencies(names, went)))
    return lines


#: a correction's line for each changed field, from its old and new value and the agencies' names
_CHANGE_LINES = {
    "title": lambda old, new, names: [_("Subject “%(old)s” → “%(new)s”", old=old, new=new)],
    "body": lambda old, new, names: [_("Content changed")],
    "deadline": lambda old, new, names: [_("Deadline %(old)s → %(new)s", old=_when(old), new=_when(new))],
    "priority": lambda old, new, names: [_("Priority %(old)s → %(new)s", old=label(PRIORITY_LABELS, old),
                                           new=label(PRIORITY_LABELS, new))],
    "lead_agency_id": lambda old, new, names: [_("Lead agency %(old)s → %(new)s", old=_agencies(names, [old]),
                                                 new=_agencies(names, [new]))],
    "support_agency_ids": _support_lines,
    "role": lambda old, new, names: [_("Role %(old)s → %(new)s", old=label(ROLE_LABELS, old),
                                       new=label(ROLE_LABELS, new))],
    "assignment_deadline": lambda old, new, names: [_("This agency's deadline %(old)s → %(new)s", old=_when(old),
                                                      new=_when(new))],
}


def _lead_agency_name(event):
    """The lead agency whose extension moved this supporting assignment's deadline."""
    lead_id = (event.data or {}).get("lead_assignment_id")
    for assignment in event.assignment.directive.assignments:
        if assignment.id == lead_id:
            return assignment.agency.name
    return None
