"""The execution report as Word (Decree 30 layout) and Excel (directives/execution_documents.py): every figure in
the files is the API's, the form's fixed lines are there, and an empty period still gives valid files."""
import io
from datetime import UTC, date, datetime, timedelta

import pytest
from docx import Document
from openpyxl import load_workbook

from directives import execution, extensions, services
from directives import execution_documents as documents
from tests.cascade_support import Province

NOV = execution.Period(date(2026, 11, 1), date(2026, 11, 30))
NOV_START = datetime(2026, 10, 31, 17, 0, tzinfo=UTC)  # 1 November, 00:00 in Hanoi
URL = "/api/v1/reports/execution?from=2026-11-01&to=2026-11-30"
OFFICERS = {"SYT": "syt1", "HDS": "hdsct", "HTH": "hthct"}


def at(days, hours=0):
    return NOV_START + timedelta(days=days, hours=hours)


def issue(p, deadline, lead, issued=None):
    return services.issue_directive(p.u["chutich"], {
        "title": f"Báo cáo {lead} {deadline:%d%H}", "deadline": deadline.isoformat(),
        "lead_agency_id": p.ag[lead].id, "support_agency_ids": []}, now=issued or at(-20)).lead_assignment


def finish(p, assignment, lead, submitted):
    officer = p.u[OFFICERS[lead]]
    services.acknowledge(officer, assignment, now=submitted - timedelta(days=2, hours=3))
    services.submit(officer, assignment, {"note": "Đã xong"}, now=submitted)
    services.accept(p.u["chutich"], assignment, now=submitted + timedelta(hours=5))


@pytest.fixture
def busy(factory):
    """November: SYT one on time and one extended past the end, HDS one late and one carried over from October,
    HTH one overdue with its reason; October: HDS's overdue one."""
    p = Province(factory)
    finish(p, issue(p, at(10), "SYT"), "SYT", at(8))
    extended = issue(p, at(20), "SYT")
    ext = extensions.request_extension(p.u["syt1"], extended, {"deadline": at(45).isoformat(),
                                                                "reason": "Chờ số liệu"}, now=at(15))
    extensions.approve_extension(p.u["chutich"], ext, now=at(16))
    finish(p, issue(p, at(12), "HDS"), "HDS", at(14))
    issue(p, at(-5), "HDS", issued=at(-30))
    overdue = issue(p, at(5), "HTH")
    services.acknowledge(p.u["hthct"], overdue, now=at(1, hours=4))
    services.report_progress(p.u["hthct"], overdue, {"progress": 40, "note": "Đang khảo sát"}, now=at(3))
    return p


def docx_tables(data):
    doc = Document(io.BytesIO(data))
    text = "\n".join(p.text for p in doc.paragraphs)
    cells = "\n".join(c.text for t in doc.tables for r in t.rows for c in r.cells)
    tables = [[[c.text for c in r.cells] for r in t.rows] for t in doc.tables]
    return text + "\n" + cells, tables


def test_every_figure_in_both_files_is_the_apis(busy, client):
    body = client.get(URL, headers=busy.h("chutich")).get_json()
    report = execution.report(None, NOV)
    assert body["agencies"] == report["agencies"] and body["totals"] == report["totals"]
    assert body["previous"]["totals"] == report["previous"]["totals"]
    totals = body["totals"]
    assert (totals["due"], totals["completed_on_time"], totals["completed_late"], totals["open_within_deadline"],
            totals["open_overdue"], totals["carried_over"], totals["on_time_rate"]) == (4, 1, 1, 1, 1, 1, 33.3)

    text, tables = docx_tables(documents.docx_report(report, issued_at=at(30)))
    _header, summary, agencies, overdue, comparison, _footer = tables
    assert summary[1:] == [[label, show(totals[key])] for key, label, show in documents.summary_figures()]
    assert agencies[0] == documents.agency_headers()
    assert agencies[1:-1] == [documents.agency_line(n, r) for n, r in enumerate(body["agencies"], start=1)]
    assert agencies[-1][2:] == documents.agency_line(None, totals)[2:]
    assert agencies[-1][2:7] == ["4", "1", "1", "1", "1"] and agencies[-1][7] in ("33.3%", "33,3%")
    assert [r[1] for r in overdue[1:]] == [o["number"] for o in body["overdue"]]
    assert overdue[1][6] == "Đang khảo sát" and overdue[1][4] == "06/11/2026"
    before = body["previous"]["totals"]
    assert [r[2] for r in comparison[1:]] == [show(before[key]) for key, _l, show in documents.summary_figures()]
    for phrase in ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", "BÁO CÁO", "Nơi nhận:",
                   "01/11/2026", "30/11/2026", "/BC-VP", "ngày 01 tháng 12 năm 2026", "- Lưu: VT."):
        assert phrase in text, phrase

    trend = execution.trend(None, execution.months_of(execution.Period(date(2026, 10, 1), date(2026, 11, 30))))
    wb = load_workbook(io.BytesIO(documents.xlsx_report(report, trend=trend, scope_name="UBND tỉnh")))
    by_agency, previous, late, months = wb.worksheets
    assert [c.value for c in by_agency[3]] == [str(h) for h in documents.xlsx_agency_headers()]
    for r, row in zip(by_agency.iter_rows(min_row=4, values_only=True), [*body["agencies"], totals], strict=True):
        assert_xlsx_line(r, row)
    assert by_agency.freeze_panes == "A4" and by_agency.cell(4, 9).number_format == "0.0"
    for r, row in zip(previous.iter_rows(min_row=4, values_only=True),
                      [*body["previous"]["agencies"], before], strict=True):
        assert_xlsx_line(r, row)
    assert [(r[1], r[5], r[6]) for r in late.iter_rows(min_row=4, values_only=True)] == [
        (o["number"], o["days_overdue"], o["reason"]) for o in body["overdue"]]
    assert late.cell(4, 5).value == datetime(2026, 11, 6, 0, 0)  # the deadline in Hanoi, naive
    lines = list(months.iter_rows(min_row=4, values_only=True))
    assert [r[1] for r in lines] == [m["totals"]["due"] for m in trend["months"]]
    assert lines[1][1:7] == (4, 1, 1, 1, 1, 33.3)


def assert_xlsx_line(cells, row):
    def seconds(value):
        return None if value is None else value.total_seconds()

    assert cells[3:9] == (row["due"], row["completed_on_time"], row["completed_late"], row["open_within_deadline"],
                          row["open_overdue"], row["on_time_rate"])
    assert (seconds(cells[9]), seconds(cells[10])) == (row["median_ack_seconds"], row["median_handling_seconds"])
    assert cells[11:14] == (row["carried_over"], row["carried_over_completed"], row["extensions_granted"])
    assert cells[14] == row.get("rank")


def test_an_empty_period_still_gives_valid_files(app):
    report = execution.report(None, NOV)
    text, tables = docx_tables(documents.docx_report(report, scope_name="UBND huyện Đông Sơn"))
    assert "UBND huyện Đông Sơn" in text and "BÁO CÁO" in text
    assert tables[2][-1][2:] == ["0", "0", "0", "0", "0", "–", "–", "–", ""]
    wb = load_workbook(io.BytesIO(documents.xlsx_report(report)))
    assert len(wb.worksheets) == 3
    assert [c.value for c in wb.worksheets[0][4]][3:9] == [0, 0, 0, 0, 0, None]
    assert wb.worksheets[2].max_row == 3


def test_readable_durations_and_changes(app):
    assert documents.duration_text(None) == "–"
    assert documents.duration_text(5400) in ("1.5 h", "1,5 h", "1,5 giờ")
    assert "3" in documents.duration_text(3 * 86400) and "h" not in documents.duration_text(3 * 86400)
    assert documents.change_text("due", 3, 5) == "-2"
    assert documents.change_text("due", 5, 3) == "+2"
    assert documents.change_text("on_time_rate", 50.0, None) == "–"
    assert documents.change_text("median_ack_seconds", 3600, 7200).startswith("-1")
