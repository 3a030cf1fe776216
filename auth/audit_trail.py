"""The audit trail as administrators read it: filters, the query (newest first), each row's details
in words, and the XLSX export. The page (views_audit.py) and the API (api_audit.py) share it.

Read only: nothing here writes, and core/audit.py refuses any change to an audit row.
"""
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from io import BytesIO

from flask import url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from werkzeug.routing import BuildError

from auth.audit_labels import (
    ACTION_GROUPS,
    ACTION_LABELS,
    ASSIGNMENT_STATUS_LABELS,
    FIELD_LABELS,
    FIELD_LABELS_BY_TYPE,
    OBJECT_LABELS,
    VALUE_LABELS,
)
from auth.models import Agency, User
from core.audit import AuditLog
from core.dbtypes import isoformat, utcnow
from core.extensions import db
from core.i18n import datetime_filter
from core.validation import Fields, display_zone, parse_datetime

PAGE_SIZE = 50
API_MAX_PAGE_SIZE = 200
#: the export stops here: a spreadsheet of the whole trail helps no one
EXPORT_MAX_ROWS = 20_000
FILTERS = ("actor_id", "who", "action", "object_type", "object_id", "date_from", "date_to", "q")
SYSTEM = "system"  # actor_id=system: what the CLI and scheduled jobs did
MAX_TEXT = 300  # longer texts in the details are cut on the page

AGENCY_KEYS = {"agency_id", "lead_agency_id", "support_agency_ids", "agency_ids", "added_agency_ids",
               "removed_agency_ids"}
USER_KEYS = {"secretary_id", "presenter_id", "substitute_id", "user_id", "added", "removed"}
#: actions whose [old, new] pairs are changes, shown "old → new"
CHANGE_ACTIONS = {"meeting.follow_up"}
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$")


# -- filters and the query -----------------------------------------------------------------

def _date_bound(f, name, end=False):
    """A date (YYYY-MM-DD, in the display zone) or an ISO datetime; an end date includes its day."""
    text = f.data.get(name, "").strip()
    date_only = "T" not in text and " " not in text
    parsed = parse_datetime(f"{text}T00:00:00" if date_only else text)
    if parsed is None:
        f.error(name, _("Must be a date (YYYY-MM-DD)."))
        return None
    return parsed + timedelta(days=1) if end and date_only else parsed


def _like(text):
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _details_match(text):
    """Details are stored as JSON, where letters beyond ASCII may be escaped (\\u1ec5): look for
    the words as typed and as escaped, in their own, lower and upper case."""
    column = db.cast(AuditLog.data, db.Text)
    forms = {text}
    for variant in (text, text.lower(), text.upper()):
        forms.add(json.dumps(variant)[1:-1])
    return db.or_(*(column.ilike(_like(form), escape="\\") for form in sorted(forms)))


def parse_filters(args):
    """(the filters given, as text; the SQL conditions; {field: message} for the bad ones, left out)."""
    given = {key: (args.get(key) or "").strip() for key in FILTERS}
    given = {key: value for key, value in given.items() if value}
    f = Fields(dict(given))
    conditions = [*_actor_conditions(f, given), *_object_conditions(f, given), *_period_conditions(f, given)]
    q = f.str("q", required=False, max_len=200)
    if q:
        conditions.append(_details_match(q))
    return given, conditions, f.errors


def _actor_conditions(f, given):
    conditions = []
    if given.get("actor_id") == SYSTEM:
        conditions.append(AuditLog.actor_id.is_(None))
    elif "actor_id" in given:
        actor_id = f.id("actor_id")
        if actor_id is not None:
            conditions.append(AuditLog.actor_id == actor_id)
    who = f.str("who", required=False, max_len=100)
    if who:
        like = _like(who)
        conditions.append(AuditLog.actor_id.in_(db.select(User.id).where(db.or_(
            User.full_name.ilike(like, escape="\\"), User.username.ilike(like, escape="\\")))))
    return conditions


def _object_conditions(f, given):
    conditions = []
    action = f.str("action", required=False, max_len=64)
    if action:
        conditions.append(AuditLog.action == action)
    object_type = f.str("object_type", required=False, max_len=32)
    if object_type:
        conditions.append(AuditLog.object_type == object_type)
    object_id = f.id("object_id") if "object_id" in given else None
    if object_id is not None:
        conditions.append(AuditLog.object_id == object_id)
    return conditions


def _period_conditions(f, given):
    start = _date_bound(f, "date_from") if "date_from" in given else None
    end = _date_bound(f, "date_to", end=True) if "date_to" in given else None
    if start and end and end <= start:
        f.error("date_to", _("The end date is before the start date."))
        end = None
    return ([AuditLog.created_at >= start] if start else []) + ([AuditLog.created_at < end] if end else [])


def query(conditions):
    """Newest first; the id breaks ties between rows of the same instant."""
    return db.select(AuditLog).where(*conditions).order_by(AuditLog.created_at.desc(), AuditLog.id.desc())


def action_choices(selected=None):
    """[(group label, [(action, label)])] for the action list, grouped by what they act on."""
    actions = list(ACTION_LABELS)  # in the order things happen
    if selected and selected not in ACTION_LABELS:
        actions.append(selected)
    groups = {prefix: [] for prefix in ACTION_GROUPS}
    for action in actions:
        groups.setdefault(action.split(".", 1)[0], []).append((action, action_label(action)))
    return [(str(ACTION_GROUPS.get(prefix, prefix)), items) for prefix, items in groups.items() if items]


def object_choices(selected=None):
    types = dict(OBJECT_LABELS)
    if selected and selected not in types:
        types[selected] = selected
    return list(types.items())


# -- rows in words ----------------------------------------------------------------------------

def action_label(action):
    return str(ACTION_LABELS.get(action, action))


def object_label(object_type):
    return str(OBJECT_LABELS.get(object_type, object_type))


@dataclass
class Entry:
    """One audit row as shown: who, what in words, a link to the object, the details as (label, text)."""
    row: AuditLog
    actor: User = None
    action_label: str = ""
    object_label: str = ""
    object_name: str = ""
    object_url: str = None
    details: list = field(default_factory=list)


class _Names:
    """The users and agencies a page of rows mentions, loaded in two queries."""

    def __init__(self, rows):
        user_ids, agency_ids = set(), set()
        for row in rows:
            user_ids.update(_ints([row.actor_id, row.object_id if row.object_type == "user" else None]))
            agency_ids.update(_ints([row.object_id if row.object_type == "agency" else None]))
            for key, value in _flat_items(row):
                if _names_agency(row, key):
                    agency_ids.update(_ints(value))
                elif key in USER_KEYS:
                    user_ids.update(_ints(value))
        self.users = _by_id(User, user_ids)
        self.agencies = _by_id(Agency, agency_ids)

    def user(self, user_id):
        user = self.users.get(user_id)
        return user.full_name if user else f"#{user_id}"

    def agency(self, agency_id):
        agency = self.agencies.get(agency_id)
        return agency.name if agency else f"#{agency_id}"


def _by_id(model, ids):
    return {obj.id: obj for obj in db.session.scalars(db.select(model).where(model.id.in_(ids)))} if ids else {}


def _names_agency(row, key):
    """Whether the key's ids are agencies (an agency's parent_id is one too)."""
    return key in AGENCY_KEYS or (key == "parent_id" and row.object_type == "agency")


def _flat_items(row):
    data = row.data if isinstance(row.data, dict) else {}
    for key, value in data.items():
        if key == "changed" and isinstance(value, dict):
            yield from value.items()
        elif key == "changes" and isinstance(value, dict):
            for field, change in value.items():
                if isinstance(change, dict):
                    yield field, change.get("from")
                    yield field, change.get("to")
        else:
            yield key, value


def _ints(value):
    values = value if isinstance(value, list) else [value]
    return {v for v in values if isinstance(v, int) and not isinstance(v, bool)}


def _size(n):
    if n < 1024:
        return f"{n} B"
    if n < 1024 * 1024:
        return f"{n / 1024:.0f} KB"
    return f"{n / 1024 / 1024:.1f} MB"


def _text(row, key, value, names):
    """One value in words: names for ids, labels for codes, dates in the display zone."""
    if isinstance(value, list):
        return ", ".join(_text(row, key, v, names) for v in value) or "—"
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_text(row, k, v, names)}" for k, v in value.items()) or "—"
    return _one_text(row, key, value, names)


def _one_text(row, key, value, names):
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, int):
        return _int_text(row, key, value, names)
    if isinstance(value, str):
        return _str_text(key, value)
    return _cut(str(value))


def _int_text(row, key, value, names):
    if _names_agency(row, key):
        return names.agency(value)
    if key in USER_KEYS:
        return names.user(value)
    if key == "size":
        return _size(value)
    if key.endswith("_id"):
        return f"#{value}"
    return _cut(str(value))


def _str_text(key, value):
    labels = VALUE_LABELS.get(key)
    if labels and value in labels:
        return str(labels[value])
    if _ISO.match(value):
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
        return datetime_filter(moment if moment.tzinfo else moment.replace(tzinfo=UTC))
    return _cut(value)


def _cut(text):
    return text if len(text) <= MAX_TEXT else text[:MAX_TEXT].rstrip() + "…"


def _field_label(row, key):
    label = FIELD_LABELS_BY_TYPE.get((row.object_type, key)) or FIELD_LABELS.get(key)
    return str(label) if label else key.replace("_", " ").capitalize()


def _details(row, names):
    data = row.data if isinstance(row.data, dict) else {}
    changes = row.action.endswith(".update") or row.action in CHANGE_ACTIONS
    out = _status_detail(data)
    for key, value in data.items():
        if key not in ("from_status", "to_status"):
            out.extend(_key_details(row, key, value, names, changes))
    return out


def _key_details(row, key, value, names, changes):
    if key == "changed" and isinstance(value, dict):
        return [_change(row, k, v, names, True) for k, v in value.items()]
    if key == "changes" and isinstance(value, dict):  # a correction: {field: {from, to}}
        return [_change(row, k, _from_to(v), names, True) for k, v in value.items()]
    return [_change(row, key, value, names, changes)]


def _status_detail(data):
    """[(Status, "old → new")] of an assignment's move, or []."""
    if "from_status" not in data and "to_status" not in data:
        return []
    old, new = (str(ASSIGNMENT_STATUS_LABELS.get(data.get(k), data.get(k) or "—"))
                for k in ("from_status", "to_status"))
    return [(_("Status"), new if old == new else f"{old} → {new}")]


def _from_to(change):
    return [change.get("from"), change.get("to")] if isinstance(change, dict) else change


def _change(row, key, value, names, changes):
    label = _field_label(row, key)
    if key == "password":
        return label, _("changed")
    if changes and isinstance(value, list) and len(value) == 2:
        return label, f"{_text(row, key, value[0], names)} → {_text(row, key, value[1], names)}"
    return label, _text(row, key, value, names)


def _object_url(row):
    data = row.data if isinstance(row.data, dict) else {}
    targets = {
        "user": ("auth.edit_user", {"user_id": row.object_id}),
        "agency": ("auth.edit_agency", {"agency_id": row.object_id}),
        "directive": ("directives.show", {"directive_id": row.object_id}),
        "directive_assignment": ("directives.show", {"directive_id": data.get("directive_id")}),
        "directive_attachment": ("directives.show", {"directive_id": data.get("directive_id")}),
        "meeting": ("meetings.detail", {"meeting_id": row.object_id}),
        "vote": ("meetings.outcomes", {"meeting_id": data.get("meeting_id")}),
        "speaker_request": ("meetings.outcomes", {"meeting_id": data.get("meeting_id")}),
        "conclusion": ("meetings.outcomes", {"meeting_id": data.get("meeting_id")}),
    }
    endpoint, values = targets.get(row.object_type, (None, {}))
    if endpoint is None or not all(isinstance(v, int) for v in values.values()):
        return None
    try:
        return url_for(endpoint, **values)
    except BuildError:  # a module that is not installed
        return None


def present(rows):
    """The rows as Entries, with every name they mention loaded at once."""
    names = _Names(rows)
    entries = []
    for row in rows:
        name = ""
        if row.object_type == "user" and row.object_id in names.users:
            name = names.users[row.object_id].full_name
        elif row.object_type == "agency" and row.object_id in names.agencies:
            name = names.agencies[row.object_id].name
        entries.append(Entry(
            row=row, actor=names.users.get(row.actor_id), action_label=action_label(row.action),
            object_label=object_label(row.object_type), object_name=name, object_url=_object_url(row),
            details=_details(row, names),
        ))
    return entries


def to_dict(entry):
    row, actor = entry.row, entry.actor
    return {
        "id": row.id,
        "created_at": isoformat(row.created_at),
        "actor": ({"id": actor.id, "username": actor.username, "full_name": actor.full_name}
                  if actor else ({"id": row.actor_id} if row.actor_id else None)),
        "action": row.action,
        "action_label": entry.action_label,
        "object_type": row.object_type,
        "object_id": row.object_id,
        "data": row.data,
        "details": [{"label": label, "text": text} for label, text in entry.details],
        "ip": row.ip,
    }


# -- XLSX -------------------------------------------------------------------------------------

XLSX_HEADERS = ["Thời gian", "Người thực hiện", "Tên đăng nhập", "Hành động", "Mã hành động", "Đối tượng",
                "Mã đối tượng", "Chi tiết", "Địa chỉ IP"]
XLSX_WIDTHS = [19, 26, 16, 34, 24, 18, 13, 70, 16]


def _local(value):
    """A naive datetime in the display zone, for a cell (Excel has no time zones)."""
    return value.astimezone(display_zone()).replace(tzinfo=None) if value else None


def export_filename(now=None):
    return f"nhat-ky-he-thong-{_local(now or utcnow()):%Y%m%d-%H%M}.xlsx"


def _xlsx_heading(ws, note):
    ws.append(["NHẬT KÝ HỆ THỐNG"])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append([note])
    ws.append(XLSX_HEADERS)
    for col, width in enumerate(XLSX_WIDTHS, start=1):
        cell = ws.cell(row=3, column=col)
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor="1F4E79")
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        ws.column_dimensions[get_column_letter(col)].width = width
    ws.freeze_panes = "A4"


def _xlsx_cells(entry):
    row, actor = entry.row, entry.actor
    object_text = entry.object_label + (f": {entry.object_name}" if entry.object_name else "")
    return [
        _local(row.created_at),
        actor.full_name if actor else ("Hệ thống" if row.actor_id is None else f"#{row.actor_id}"),
        actor.username if actor else "",
        entry.action_label, row.action, object_text, row.object_id,
        "\n".join(f"{label}: {text}" for label, text in entry.details),
        row.ip or "",
    ]


def xlsx(rows, total, now=None):
    """The filtered rows (newest first) as an .xlsx file (bytes); always in Vietnamese, as the other
    exports. ``total``: how many matched, to say so when the export stops at EXPORT_MAX_ROWS."""
    now = now or utcnow()
    with force_locale("vi"):
        entries = present(rows)
    wb = Workbook()
    ws = wb.active
    ws.title = "Nhật ký hệ thống"
    note = f"Xuất lúc: {_local(now):%d/%m/%Y %H:%M} · {len(entries)} dòng"
    if total > len(entries):
        note += f" (mới nhất trong {total} dòng khớp bộ lọc; hãy lọc hẹp hơn để xuất hết)"
    _xlsx_heading(ws, note)
    top = Alignment(wrap_text=True, vertical="top")
    for entry in entries:
        ws.append(_xlsx_cells(entry))
        line = ws.max_row
        ws.cell(row=line, column=1).number_format = "DD/MM/YYYY HH:MM:SS"
        for col in range(1, len(XLSX_HEADERS) + 1):
            ws.cell(row=line, column=col).alignment = top
    ws.auto_filter.ref = f"A3:{get_column_letter(len(XLSX_HEADERS))}{ws.max_row}"
    buffer = BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
