"""The execution report (directives/execution.py) as files: a Word report in the administrative layout of
Decree 30/2020/NĐ-CP, and an Excel workbook of the same figures.

The Word report's headings and column names are in the reader's language (gettext); the lines the national
form fixes (Quốc hiệu, "BÁO CÁO", "Nơi nhận:", the place and date line, the signer) are Vietnamese whatever
it is. The header, the page and the fonts are the meeting documents' (meetings/documents.py), so every
document the office issues looks the same and names the province from the same settings
(DOCUMENT_PARENT_AGENCY, DOCUMENT_PLACE, DOCUMENT_ISSUER_CODE).

The workbook follows directives/exports.py and core/xlsx.py: numbers as numbers, medians as durations
(``[h]:mm:ss``), deadlines as local times with a date format. The on-time rate is a plain percent number
(50.0 for half), its header says "(%)".
"""
import io
import re
from datetime import date, timedelta

from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from core.dbtypes import utcnow
from core.xlsx import DATETIME_FORMAT, DURATION_FORMAT, local_naive
from directives.exports import HEADER_FILL, HEADER_FONT
from meetings import documents as layout

TABLE_PT = 11
DASH = "–"
#: the four national categories, in the order every table shows them
CATEGORY_LABELS = (
    ("completed_on_time", _l("Completed on time")),
    ("completed_late", _l("Completed late")),
    ("open_within_deadline", _l("Open, within deadline")),
    ("open_overdue", _l("Open, overdue")),
)
#: the form's fixed lines (Decree 30): Vietnamese in any language
TITLE = "BÁO CÁO"
RECIPIENTS = ("- Chủ tịch, các PCT UBND tỉnh;", "- Lưu: VT.")
SIGNER = "CHÁNH VĂN PHÒNG"


# -- the words and numbers as the tables show them ---------------------------------------------------------

def _day(iso):
    return date.fromisoformat(iso).strftime("%d/%m/%Y")


def period_text(first, last):
    """"From dd/mm/yyyy to dd/mm/yyyy" of two ISO dates."""
    return _("From %(first)s to %(last)s", first=_day(first), last=_day(last))


def rate_text(rate):
    return DASH if rate is None else f"{format_decimal(rate, format='0.0')}%"


def duration_text(seconds):
    """A median as people read it: hours under two days ("5,5 h"), days beyond ("3,2 days"); a dash for none."""
    if seconds is None:
        return DASH
    if seconds < 48 * 3600:
        return _("%(hours)s h", hours=format_decimal(round(seconds / 3600, 1), format="#,##0.#"))
    return _("%(days)s days", days=format_decimal(round(seconds / 86400, 1), format="#,##0.#"))


def _signed(text, difference):
    return f"+{text}" if difference > 0 else text


def change_text(key, now, before):
    """This period's figure less the previous one's: a count, percentage points, or a duration."""
    if now is None or before is None:
        return DASH
    difference = now - before
    if key == "on_time_rate":
        return _signed(_("%(points)s pp", points=format_decimal(round(difference, 1), format="0.0")), difference)
    if key.startswith("median_"):
        sign = "-" if difference < 0 else ""
        return _signed(sign + duration_text(abs(difference)), difference)
    return f"{difference:+d}" if difference else "0"


def summary_figures():
    """(key, label, how to show it) of the summary and the comparison, in order."""
    counts = [("due", _("Tasks due"))] + [(key, str(label)) for key, label in CATEGORY_LABELS] + [
        ("carried_over", _("Carried over from before")),
        ("carried_over_completed", _("Carried over, completed")),
        ("extensions_granted", _("Extensions granted")),
    ]
    return [(key, label, str) for key, label in counts] + [
        ("on_time_rate", _("On-time rate"), rate_text),
        ("median_ack_seconds", _("Median time to acknowledge"), duration_text),
        ("median_handling_seconds", _("Median handling time"), duration_text),
    ]


def agency_line(n, row, name=None):
    """The cells of one line of the per-agency table (agency_headers)."""
    return [str(n) if n else "", name or row.get("agency_name") or "", str(row["due"]),
            *(str(row[key]) for key, _label in CATEGORY_LABELS), rate_text(row["on_time_rate"]),
            duration_text(row["median_ack_seconds"]), duration_text(row["median_handling_seconds"]),
            str(row["rank"]) if row.get("rank") else ""]


def agency_headers():
    return [_("No."), _("Agency"), _("Due"), *(str(label) for _key, label in CATEGORY_LABELS), _("On-time rate"),
            _("Median acknowledgement"), _("Median handling"), _("Rank")]


def overdue_line(n, item):
    deadline = local_naive(item["deadline"])
    return [str(n), item["number"] or "", item["title"] or "", item["agency_name"] or "",
            deadline.strftime("%d/%m/%Y"), str(item["days_overdue"]), item["reason"] or ""]


def overdue_headers():
    return [_("No."), _("Number"), _("Subject"), _("Agency"), _("Deadline"), _("Days overdue"), _("Reason")]


# -- the Word report ---------------------------------------------------------------------------------------

def _cell(cell, text, bold=False, align=WD_ALIGN_PARAGRAPH.CENTER, size=TABLE_PT):
    p = cell.paragraphs[0]
    p.alignment = align
    p.paragraph_format.space_after = Pt(0)
    p.paragraph_format.line_spacing = 1.0
    run = p.add_run(text)
    run.bold = bold
    run.font.size = Pt(size)
    run.font.name = layout.FONT


def _row_property(row, name):
    element = OxmlElement(name)
    element.set(qn("w:val"), "true")
    row._tr.get_or_add_trPr().append(element)


def _table(doc, headers, lines, widths, left=(), bold_last=False, size=TABLE_PT):
    """A bordered table: the header line bold (repeated on each page), then ``lines``, none split across pages;
    the columns in ``left`` aligned left."""
    table = doc.add_table(rows=1 + len(lines), cols=len(headers))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    for column, width in zip(table.columns, widths, strict=True):
        column.width = Mm(width)
    for i, (row, texts) in enumerate(zip(table.rows, [headers, *lines], strict=True)):
        bold = i == 0 or (bold_last and i == len(lines))
        _row_property(row, "w:tblHeader" if i == 0 else "w:cantSplit")
        for col, (cell, text) in enumerate(zip(row.cells, texts, strict=True)):
            cell.width = Mm(widths[col])
            align = WD_ALIGN_PARAGRAPH.LEFT if col in left and i else WD_ALIGN_PARAGRAPH.CENTER
            _cell(cell, text, bold=bold, align=align, size=size)
    layout._para(doc, space_after=6)
    return table


def _heading(doc, numeral, text):
    layout._para(doc, f"{numeral}. {text}", bold=True, space_after=6).paragraph_format.keep_with_next = True


def _title(doc, report, scope_name):
    center = WD_ALIGN_PARAGRAPH.CENTER
    layout._para(doc, TITLE, bold=True, size=14, align=center, space_after=0)
    layout._para(doc, _("Implementation of the directions of the Chairman of the Provincial People's Committee"),
                 bold=True, size=14, align=center, space_after=0)
    layout._para(doc, period_text(report["from"], report["to"]), italic=True, align=center, space_after=0)
    scope = scope_name or layout.issuer()[0]
    layout._para(doc, _("Scope: %(name)s", name=scope), italic=True, align=center, space_after=0)
    layout._para(doc, "────────", size=10, align=center, space_after=6)


def _summary(doc, totals):
    lines = [[label, show(totals[key])] for key, label, show in summary_figures()]
    _table(doc, [_("Figure"), _("This period")], lines, (115, 50), left=(0,))


def _by_agency(doc, report):
    lines = [agency_line(n, row) for n, row in enumerate(report["agencies"], start=1)]
    lines.append(agency_line(None, report["totals"], name=_("Total")))
    _table(doc, agency_headers(), lines, (9, 32, 11, 14, 14, 14, 14, 15, 16, 16, 10), left=(1,), bold_last=True,
           size=10)


def _overdue(doc, overdue):
    if not overdue:
        layout._para(doc, _("No task is overdue."), italic=True, first_line=10)
        return
    lines = [overdue_line(n, item) for n, item in enumerate(overdue, start=1)]
    _table(doc, overdue_headers(), lines, (9, 20, 43, 30, 22, 16, 25), left=(1, 2, 3, 6), size=10)


def _comparison(doc, report):
    previous = report["previous"]
    now, before = report["totals"], previous["totals"]
    lines = [[label, show(now[key]), show(before[key]), change_text(key, now[key], before[key])]
             for key, label, show in summary_figures()]
    headers = [_("Figure"), _("This period"),
               _("Previous period (%(period)s)", period=period_text(previous["from"], previous["to"])), _("Change")]
    _table(doc, headers, lines, (65, 32, 40, 28), left=(0,))


def _footer(doc):
    """Nơi nhận at the bottom left, the signer at the right with room for the signature."""
    table = doc.add_table(rows=1, cols=2)
    layout._no_borders(table)
    left, right = table.rows[0].cells
    p = layout._cell_para(left, "Nơi nhận:", bold=True, italic=True, size=12, first=True)
    p.alignment = WD_ALIGN_PARAGRAPH.LEFT
    for line in RECIPIENTS:
        layout._cell_para(left, line, size=11).alignment = WD_ALIGN_PARAGRAPH.LEFT
    layout._cell_para(right, SIGNER, bold=True, size=13, first=True)
    for _n in range(4):
        layout._cell_para(right, "", size=13)


def docx_report(report, scope_name=None, issued_at=None):
    """The report (execution.report) as a .docx in the Decree 30 layout; ``scope_name``: the agency whose level
    it is (None: the province's); ``issued_at``: the date on the date line (now by default)."""
    _parent, _office, place = layout.issuer()
    doc = layout._new_document()
    layout._header(doc, f"Số:       /BC-{layout.issuer_code()}", layout._date_line(place, issued_at or utcnow()))
    _title(doc, report, scope_name)
    _heading(doc, "I", _("General summary"))
    _summary(doc, report["totals"])
    _heading(doc, "II", _("Results by agency"))
    _by_agency(doc, report)
    _heading(doc, "III", _("Overdue tasks not yet completed"))
    _overdue(doc, report["overdue"])
    _heading(doc, "IV", _("Comparison with the previous period"))
    _comparison(doc, report)
    _footer(doc)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


# -- the workbook ------------------------------------------------------------------------------------------

def _sheet_title(text):
    """Excel's rules for a sheet's name: 31 characters at most, none of []:*?/\\."""
    return re.sub(r"[\[\]:*?/\\]", " ", str(text))[:31]


def _sheet(ws, title, heading, subheading, headers, widths):
    """Heading, the period, the bold header line (row 3), the widths, the panes frozen below the header."""
    ws.title = _sheet_title(title)
    ws.append([heading])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append([subheading])
    ws.append([str(h) for h in headers])
    for col, width in enumerate(widths, start=1):
        cell = ws.cell(row=3, column=col)
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        ws.column_dimensions[get_column_letter(col)].width = width
    ws.freeze_panes = "A4"
    return ws


def _formats(ws, formats):
    """``formats``: {column number: number format} for the lines below the header."""
    for row in ws.iter_rows(min_row=4):
        for cell in row:
            if cell.column in formats and cell.value is not None:
                cell.number_format = formats[cell.column]
    if ws.max_row >= 3:
        ws.auto_filter.ref = f"A3:{get_column_letter(ws.max_column)}{ws.max_row}"


def _duration(seconds):
    return None if seconds is None else timedelta(seconds=seconds)


def _figures(row):
    """Due, the four categories, the on-time rate (percent) and the two medians (durations)."""
    return [row["due"], *(row[key] for key, _label in CATEGORY_LABELS), row["on_time_rate"],
            _duration(row["median_ack_seconds"]), _duration(row["median_handling_seconds"])]


def _figure_formats(offset):
    """The number formats of _figures' rate and medians, placed after the first ``offset`` columns."""
    return {offset + 6: "0.0", offset + 7: DURATION_FORMAT, offset + 8: DURATION_FORMAT}


def xlsx_agency_headers():
    return [_("No."), _("Agency code"), _("Agency"), _("Due"), *(str(label) for _key, label in CATEGORY_LABELS),
            _("On-time rate (%)"), _("Median acknowledgement"), _("Median handling"), _("Carried over"),
            _("Carried over, completed"), _("Extensions granted"), _("Rank"), _("Places gained")]


def _agency_sheet(ws, title, heading, part):
    """One period's lines (``part``: the report or its ``previous``) and the total line, in bold."""
    _sheet(ws, title, heading, period_text(part["from"], part["to"]), xlsx_agency_headers(),
           [6, 12, 36, 10, 12, 12, 12, 12, 12, 14, 14, 12, 12, 12, 8, 10])
    for n, row in enumerate(part["agencies"], start=1):
        ws.append([n, row["agency_code"], row["agency_name"], *_figures(row), row["carried_over"],
                   row["carried_over_completed"], row["extensions_granted"], row["rank"], row.get("rank_change")])
    totals = part["totals"]
    ws.append([None, None, _("Total"), *_figures(totals), totals["carried_over"], totals["carried_over_completed"],
               totals["extensions_granted"], None, None])
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)
    _formats(ws, _figure_formats(3))


def _overdue_sheet(ws, report, heading):
    _sheet(ws, _("Overdue"), heading, period_text(report["from"], report["to"]), overdue_headers(),
           [6, 14, 50, 30, 17, 10, 50])
    for n, item in enumerate(report["overdue"], start=1):
        ws.append([n, item["number"], item["title"], item["agency_name"], local_naive(item["deadline"]),
                   item["days_overdue"], item["reason"]])
    _formats(ws, {5: DATETIME_FORMAT})


def xlsx_trend_headers():
    return [_("Month"), _("Due"), *(str(label) for _key, label in CATEGORY_LABELS), _("On-time rate (%)"),
            _("Median acknowledgement"), _("Median handling")]


def _trend_sheet(ws, trend, heading):
    months = trend["months"]
    subheading = period_text(months[0]["from"], months[-1]["to"]) if months else ""
    _sheet(ws, _("Trend"), heading, subheading, xlsx_trend_headers(), [10, 10, 12, 12, 12, 12, 12, 14, 14])
    for month in months:
        ws.append([date.fromisoformat(month["from"]), *_figures(month["totals"])])
    _formats(ws, {1: "mm/yyyy", **_figure_formats(1)})


def xlsx_report(report, trend=None, scope_name=None):
    """The report (execution.report) as .xlsx bytes: the period by agency with its total line, the previous
    period, the overdue list, and the months of ``trend`` (execution.trend) when given."""
    heading = _("Execution report")
    if scope_name:
        heading = f"{heading} - {scope_name}"
    wb = Workbook()
    _agency_sheet(wb.active, _("By agency"), heading, report)
    _agency_sheet(wb.create_sheet(), _("Previous period"), heading, report["previous"])
    _overdue_sheet(wb.create_sheet(), report, heading)
    if trend is not None:
        _trend_sheet(wb.create_sheet(), trend, heading)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
