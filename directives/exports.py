"""Excel exports (openpyxl) with Vietnamese headers: the directive list, the per-agency report,
and one assignment's history. Each function returns the .xlsx file as bytes.

The words (priority, states, roles, actions) come from directives/labels.py, the table the pages use,
in Vietnamese whatever the user's language: an export is an official document. Times are written in
the display time zone (Asia/Ho_Chi_Minh by default) as naive datetimes with a date format
(core/xlsx.py), since Excel has no time zones.
"""
from functools import wraps
from io import BytesIO

from flask_babel import force_locale
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from core.dbtypes import utcnow
from core.xlsx import DATETIME_FORMAT, local_naive
from directives.labels import (
    DIRECTIVE_STATUS_LABELS,
    EVENT_LABELS,
    PRIORITY_LABELS,
    ROLE_LABELS,
    STATUS_LABELS,
    TRACKING_LABELS,
    event_detail,
    label,
)
from directives.models import AssignmentRole, AssignmentStatus, DirectiveStatus
from directives.tracking import TRACKING_VALUES, tracking_of

HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="1F4E79")
#: the language of every export, whatever the user reads the pages in
EXPORT_LOCALE = "vi"


def _in_vietnamese(build):
    """Build the file with the labels translated to Vietnamese."""
    @wraps(build)
    def wrapper(*args, **kwargs):
        with force_locale(EXPORT_LOCALE):
            return build(*args, **kwargs)
    return wrapper


def _sheet(wb, title, heading, headers, widths):
    ws = wb.active if wb.active.max_row == 1 and wb.active.title == "Sheet" else wb.create_sheet()
    ws.title = title
    ws.append([heading])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append([f"Xuất lúc: {local_naive(utcnow()):%d/%m/%Y %H:%M}"])
    ws.append([str(header) for header in headers])  # some are labels, translated now
    for col, width in enumerate(widths, start=1):
        cell = ws.cell(row=3, column=col)
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        ws.column_dimensions[get_column_letter(col)].width = width
    ws.freeze_panes = "A4"
    return ws


def _finish(ws, datetime_columns=()):
    for row in ws.iter_rows(min_row=4):
        for cell in row:
            if cell.column in datetime_columns and cell.value is not None:
                cell.number_format = DATETIME_FORMAT
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    if ws.max_row >= 3:
        ws.auto_filter.ref = f"A3:{get_column_letter(ws.max_column)}{ws.max_row}"


def _bytes(wb):
    buffer = BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


LIST_HEADERS = ["Số", "Trích yếu", "Mức độ", "Trạng thái", "Người ban hành", "Ngày ban hành", "Hạn xử lý",
                "Đơn vị chủ trì", "Đơn vị phối hợp", "Đã tiếp nhận", "Tình hình thực hiện", "Gia hạn từ"]


def _directive_line(d, now, user=None):
    """One directive's line of the list (LIST_HEADERS); the agencies ``user`` may see (all without one)."""
    # the deadline the directive runs to now is the lead agency's; the one given at issue when it moved
    deadline = d.current_deadline
    return [
        d.number, d.title, label(PRIORITY_LABELS, d.priority), label(DIRECTIVE_STATUS_LABELS, d.status),
        d.issuer.full_name if d.issuer else "", local_naive(d.issued_at), local_naive(deadline),
        *_agency_columns(d, now, user), local_naive(d.deadline) if deadline != d.deadline else None,
    ]


def _agency_columns(d, now, user=None):
    """Lead, supporting agencies, acknowledged out of how many, and each agency's tracking: the directive's
    own agencies (the roots; what they passed on is in the directive page's tree and on the levels' boards),
    those ``user`` may see (permissions.visible_assignments: a commune's leader, not another district's)."""
    # an agency taken off the directive is not one of its agencies any more (all are, once cancelled)
    roots = d.root_assignments
    if user is not None:
        from directives.permissions import visible_assignments

        visible = visible_assignments(user, d)
        roots = [a for a in roots if a.id in visible]
    listed = [a for a in roots if d.status == DirectiveStatus.CANCELLED or a.status != AssignmentStatus.CANCELLED]
    active = [a for a in roots if a.status != AssignmentStatus.CANCELLED]
    acknowledged = sum(1 for a in active if a.acknowledged_at is not None)
    tracking = "; ".join(f"{a.agency.code}: {label(TRACKING_LABELS, tracking_of(a, now))}" for a in listed)
    return [_names(listed, AssignmentRole.LEAD), _names(listed, AssignmentRole.SUPPORT),
            f"{acknowledged}/{len(active)}", tracking]


def _names(assignments, role):
    return ", ".join(a.agency.name for a in assignments if a.role == role)


@_in_vietnamese
def xlsx_directive_list(rows, now=None, user=None):
    """The (filtered) directive list: one line per directive, with its agencies and their tracking.

    rows: Directive objects with their assignments (and agencies) loaded; user: whose export it is (the
    agencies they may see)."""
    now = now or utcnow()
    wb = Workbook()
    ws = _sheet(wb, "Danh sách chỉ đạo", "DANH SÁCH CHỈ ĐẠO", LIST_HEADERS,
                [14, 50, 12, 14, 24, 17, 17, 30, 40, 14, 40, 17])
    for d in rows:
        ws.append(_directive_line(d, now, user))
    _finish(ws, datetime_columns=(6, 7, 12))
    return _bytes(wb)


REPORT_HEADERS = ["STT", "Mã đơn vị", "Đơn vị", "Số nhiệm vụ được giao", "Đã tiếp nhận", "Tỷ lệ tiếp nhận (%)",
                  "Thời gian tiếp nhận trung vị (giờ)", *(TRACKING_LABELS[key] for key in TRACKING_VALUES),
                  "Tỷ lệ đúng hạn (%)"]


@_in_vietnamese
def xlsx_agency_report(stats, level_name=None):
    """The per-agency report: the rows of queries.agency_stats (or of one level, board.level_stats: then
    ``level_name`` is the agency whose board it is, named in the heading), then the total line."""
    from directives.queries import stats_totals

    wb = Workbook()
    heading = "BÁO CÁO TÌNH HÌNH THỰC HIỆN CHỈ ĐẠO THEO ĐƠN VỊ"
    if level_name:
        heading += f" - NHIỆM VỤ DO {level_name} GIAO"
    ws = _sheet(wb, "Báo cáo theo đơn vị", heading, REPORT_HEADERS,
                [6, 12, 36, 14, 12, 12, 16, 11, 11, 11, 14, 14, 12])
    for n, row in enumerate(stats, start=1):
        median = row.get("median_ack_seconds")
        ws.append([
            n, row.get("agency_code"), row.get("agency_name"), row["assigned"], row["acknowledged"],
            row.get("acknowledged_pct"), round(median / 3600, 1) if median is not None else None,
            row["on_track"], row["due_soon"], row["overdue"], row["completed_on_time"], row["completed_late"],
            row.get("on_time_rate"),
        ])
    total = stats_totals(stats)
    ws.append([None, None, "Tổng cộng", total["assigned"], total["acknowledged"], total["acknowledged_pct"], None,
               total["on_track"], total["due_soon"], total["overdue"], total["completed_on_time"],
               total["completed_late"], total["on_time_rate"]])
    _finish(ws)
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)
    return _bytes(wb)


HISTORY_HEADERS = ["Thời gian", "Người thực hiện", "Hành động", "Từ trạng thái", "Sang trạng thái", "Nội dung",
                   "Chi tiết"]


@_in_vietnamese
def xlsx_assignment_history(assignment, events=None):
    """Every change of one assignment, oldest first."""
    from directives.queries import history

    events = events if events is not None else history(assignment)
    d = assignment.directive
    wb = Workbook()
    ws = _sheet(wb, "Lịch sử xử lý", f"LỊCH SỬ XỬ LÝ: {d.number} - {assignment.agency.name}", HISTORY_HEADERS,
                [17, 26, 24, 20, 20, 50, 40])
    for e in events:
        ws.append([
            local_naive(e.created_at), e.actor.full_name if e.actor else "Hệ thống", label(EVENT_LABELS, e.action),
            label(STATUS_LABELS, e.from_status), label(STATUS_LABELS, e.to_status), e.note or "",
            # the page's wording; the statuses have their own columns here
            event_detail(e, with_transition=False),
        ])
    _finish(ws, datetime_columns=(1,))
    return _bytes(wb)


ASSIGNMENT_LIST_HEADERS = ["Số", "Trích yếu", "Mức độ", "Đơn vị", "Vai trò", "Trạng thái", "Tình hình thực hiện",
                           "Hạn xử lý", "Tiếp nhận lúc", "Người tiếp nhận", "Tiến độ (%)", "Hoàn thành lúc"]


@_in_vietnamese
def xlsx_assignment_list(rows, now=None):
    """The list by agency: one line per agency and directive, as a number of the tracking board counts.

    rows: Assignment objects with their directive, agency and acknowledging user loaded."""
    now = now or utcnow()
    wb = Workbook()
    ws = _sheet(wb, "Nhiệm vụ theo đơn vị", "DANH SÁCH NHIỆM VỤ THEO ĐƠN VỊ", ASSIGNMENT_LIST_HEADERS,
                [14, 50, 12, 30, 11, 18, 20, 17, 17, 24, 11, 17])
    for a in rows:
        d = a.directive
        ws.append([
            d.number, d.title, label(PRIORITY_LABELS, d.priority), a.agency.name, label(ROLE_LABELS, a.role),
            label(STATUS_LABELS, a.status), label(TRACKING_LABELS, tracking_of(a, now)), local_naive(a.deadline),
            local_naive(a.acknowledged_at), a.acknowledged_by.full_name if a.acknowledged_by else "", a.progress,
            local_naive(a.completed_at),
        ])
    _finish(ws, datetime_columns=(8, 9, 12))
    return _bytes(wb)
