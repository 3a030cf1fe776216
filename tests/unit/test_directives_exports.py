"""The XLSX exports, opened with openpyxl and their cells checked."""
from datetime import UTC, datetime, timedelta
from io import BytesIO

import pytest
from openpyxl import load_workbook

from core.extensions import db
from directives import exports, queries, services

T0 = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)


@pytest.fixture
def d(factory):
    a1 = factory.agency("SYT", "Sở Y tế")
    a2 = factory.agency("SGDDT", "Sở Giáo dục và Đào tạo")
    leader = factory.user("leader", username="lead", full_name="Nguyễn Văn Minh")
    officer = factory.user("officer", a1, username="syt1", full_name="Trần Thị Lan")
    directive = services.issue_directive(leader, {
        "title": "Phòng, chống dịch sốt xuất huyết", "deadline": (T0 + timedelta(days=5)).isoformat(),
        "priority": "urgent", "lead_agency_id": a1.id, "support_agency_ids": [a2.id]}, now=T0)
    lead = directive.assignments[0]
    services.acknowledge(officer, lead, now=T0 + timedelta(hours=2))
    services.report_progress(officer, lead, {"progress": 50, "note": "Đã phun hóa chất"}, now=T0 + timedelta(days=1))
    return directive


def book(data):
    return load_workbook(BytesIO(data))


def test_directive_list(d):
    ws = book(exports.xlsx_directive_list([d], now=T0 + timedelta(days=1))).active
    assert ws["A1"].value == "DANH SÁCH CHỈ ĐẠO"
    assert [c.value for c in ws[3]] == exports.LIST_HEADERS
    row = [c.value for c in ws[4]]
    assert row[0] == "1/UBND-TH" and row[1] == "Phòng, chống dịch sốt xuất huyết"
    # the words of the directive page: "urgent" is "Hỏa tốc", an issued directive is still "Đang thực hiện"
    assert row[2] == "Hỏa tốc" and row[3] == "Đang thực hiện" and row[4] == "Nguyễn Văn Minh"
    assert row[5] == datetime(2026, 11, 20, 8, 0)  # shown in Hà Nội time
    assert row[7] == "Sở Y tế" and row[8] == "Sở Giáo dục và Đào tạo" and row[9] == "1/2"
    assert "SYT: Trong hạn" in row[10] or "SYT: Sắp đến hạn" in row[10]


def test_agency_report(d):
    stats = queries.agency_stats(now=T0 + timedelta(days=6))
    ws = book(exports.xlsx_agency_report(stats)).active
    assert [c.value for c in ws[3]] == exports.REPORT_HEADERS
    rows = {ws.cell(row=r, column=2).value: [c.value for c in ws[r]] for r in range(4, ws.max_row + 1)}
    syt = rows["SYT"]
    assert syt[2] == "Sở Y tế" and syt[3] == 1 and syt[4] == 1 and syt[5] == 100.0 and syt[6] == 2.0
    assert syt[9] == 1  # overdue
    total = [c.value for c in ws[ws.max_row]]
    assert total[2] == "Tổng cộng" and total[3] == 2 and total[9] == 2


def test_assignment_history(d):
    a = d.assignments[0]
    ws = book(exports.xlsx_assignment_history(a)).active
    assert [c.value for c in ws[3]] == exports.HISTORY_HEADERS
    actions = [ws.cell(row=r, column=3).value for r in range(4, ws.max_row + 1)]
    assert actions == ["Ban hành", "Đã tiếp nhận", "Báo cáo tiến độ"]  # the history's words on the directive page
    report = [c.value for c in ws[6]]
    assert report[1] == "Trần Thị Lan" and report[3] == "Đã tiếp nhận" and report[4] == "Đang thực hiện"
    assert report[5] == "Đã phun hóa chất"
    assert db.session is not None


def test_directive_list_names_the_directives_own_agencies_not_what_they_passed_on(d, factory):
    from directives import cascade

    unit = factory.agency("TTYT", "Trung tâm Y tế huyện", parent=d.assignments[0].agency)
    officer = db.session.scalar(db.select(type(d.issuer)).where(type(d.issuer).username == "syt1"))
    cascade.pass_on(officer, d.assignments[0], {"agency_ids": [unit.id],
                                                "deadline": (T0 + timedelta(days=4)).isoformat()},
                    now=T0 + timedelta(days=1))
    row = [c.value for c in book(exports.xlsx_directive_list([d], now=T0 + timedelta(days=1))).active[4]]
    assert row[7] == "Sở Y tế" and row[8] == "Sở Giáo dục và Đào tạo" and row[9] == "1/2"
    assert "TTYT" not in row[10] and "Trung tâm" not in (row[7] + row[8])
