"""Excel exports (openpyxl) with Vietnamese headers: the directive list, the per-agency report,
and one assignment's history. Each function returns the .xlsx file as bytes.

Times are written in the display time zone (Asia/Ho_Chi_Minh by default) as naive datetimes,
since Excel has no time zones.
"""
from io import BytesIO

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from core.dbtypes import utcnow
from core.validation import display_zone
from directives.tracking import tracking_of

PRIORITY_VI = {"normal": "Bình thường", "high": "Quan trọng", "urgent": "Khẩn"}
DIRECTIVE_STATUS_VI = {"issued": "Đã ban hành", "cancelled": "Đã hủy", "closed": "Đã kết thúc"}
ASSIGNMENT_STATUS_VI = {
    "pending": "Chưa tiếp nhận",
    "acknowledged": "Đã tiếp nhận",
    "in_progress": "Đang thực hiện",
    "submitted": "Đã báo cáo kết quả",
    "completed": "Hoàn thành",
    "cancelled": "Đã hủy",
}
TRACKING_VI = {
    "on_track": "Trong hạn",
    "due_soon": "Sắp đến hạn",
    "overdue": "Quá hạn",
    "completed_on_time": "Hoàn thành đúng hạn",
    "completed_late": "Hoàn thành quá hạn",
    "cancelled": "Đã hủy",
}
ROLE_VI = {"lead": "Chủ trì", "support": "Phối hợp"}
ACTION_VI = {
    "issue": "Giao nhiệm vụ",
    "seen": "Xem lần đầu",
    "acknowledge": "Tiếp nhận",
    "report": "Báo cáo tiến độ",
    "submit": "Báo cáo hoàn thành",
    "accept": "Công nhận hoàn thành",
    "return": "Trả lại",
    "extension_request": "Đề nghị gia hạn",
    "extension_approve": "Đồng ý gia hạn",
    "extension_reject": "Không đồng ý gia hạn",
    "cancel": "Hủy chỉ đạo",
}

HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="1F4E79")
DATETIME_FORMAT = "DD/MM/YYYY HH:MM"


def _local(value):
    """A naive datetime in the display zone, for a cell; None stays None."""
    if value is None:
        return None
    return value.astimezone(display_zone()).replace(tzinfo=None)


def _sheet(wb, title, heading, headers, widths):
    ws = wb.active if wb.active.max_row == 1 and wb.active.title == "Sheet" else wb.create_sheet()
    ws.title = title
    ws.append([heading])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append([f"Xuất lúc: {_local(utcnow()):%d/%m/%Y %H:%M}"])
    ws.append(headers)
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
                "Đơn vị chủ trì", "Đơn vị phối hợp", "Đã tiếp nhận", "Tình hình thực hiện"]


def xlsx_directive_list(rows, now=None):
    """The (filtered) directive list: one line per directive, with its agencies and their tracking.

    rows: Directive objects with their assignments (and agencies) loaded."""
    now = now or utcnow()
    wb = Workbook()
    ws = _sheet(wb, "Danh sách chỉ đạo", "DANH SÁCH CHỈ ĐẠO", LIST_HEADERS,
                [14, 50, 12, 14, 24, 17, 17, 30, 40, 14, 40])
    for d in rows:
        assignments = [a for a in d.assignments]
        lead = [a.agency.name for a in assignments if a.role == "lead"]
        support = [a.agency.name for a in assignments if a.role == "support"]
        active = [a for a in assignments if a.status != "cancelled"]
        acknowledged = sum(1 for a in active if a.acknowledged_at is not None)
        tracking = "; ".join(f"{a.agency.code}: {TRACKING_VI[tracking_of(a, now)]}" for a in assignments)
        ws.append([
            d.number, d.title, PRIORITY_VI.get(d.priority, d.priority), DIRECTIVE_STATUS_VI.get(d.status, d.status),
            d.issuer.full_name if d.issuer else "", _local(d.issued_at), _local(d.deadline),
            ", ".join(lead), ", ".join(support), f"{acknowledged}/{len(active)}", tracking,
        ])
    _finish(ws, datetime_columns=(6, 7))
    return _bytes(wb)


REPORT_HEADERS = ["STT", "Mã đơn vị", "Đơn vị", "Số nhiệm vụ được giao", "Đã tiếp nhận", "Tỷ lệ tiếp nhận (%)",
                  "Thời gian tiếp nhận trung vị (giờ)", "Trong hạn", "Sắp đến hạn", "Quá hạn",
                  "Hoàn thành đúng hạn", "Hoàn thành quá hạn", "Tỷ lệ đúng hạn (%)"]


def xlsx_agency_report(stats):
    """The per-agency report: the rows of services.agency_stats, then a province-wide total line."""
    from directives.services import stats_totals

    wb = Workbook()
    ws = _sheet(wb, "Báo cáo theo đơn vị", "BÁO CÁO TÌNH HÌNH THỰC HIỆN CHỈ ĐẠO THEO ĐƠN VỊ", REPORT_HEADERS,
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


def xlsx_assignment_history(assignment, events=None):
    """Every change of one assignment, oldest first."""
    from directives.services import history

    events = events if events is not None else history(assignment)
    d = assignment.directive
    wb = Workbook()
    ws = _sheet(wb, "Lịch sử xử lý", f"LỊCH SỬ XỬ LÝ: {d.number} - {assignment.agency.name}", HISTORY_HEADERS,
                [17, 26, 24, 20, 20, 50, 40])
    for e in events:
        details = "; ".join(f"{k}: {v}" for k, v in (e.data or {}).items())
        ws.append([
            _local(e.created_at), e.actor.full_name if e.actor else "Hệ thống", ACTION_VI.get(e.action, e.action),
            ASSIGNMENT_STATUS_VI.get(e.from_status, e.from_status or ""),
            ASSIGNMENT_STATUS_VI.get(e.to_status, e.to_status or ""), e.note or "", details,
        ])
    _finish(ws, datetime_columns=(1,))
    return _bytes(wb)
