"""The execution report page, its trend for the board, its scope, and the monthly report sent once on the first
working day (directives/views_reports.py, directives/monthly_report.py)."""
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from core.extensions import db
from directives import cascade, execution, monthly_report, services
from notifications.models import Notification
from tests.cascade_support import Province
from tests.conftest import login

NOV_START = datetime(2026, 10, 31, 17, 0, tzinfo=UTC)


@pytest.fixture
def p(factory):
    province = Province(factory)
    d = services.issue_directive(province.u["chutich"], {
        "title": "Kiểm tra an toàn thực phẩm", "deadline": (NOV_START + timedelta(days=10)).isoformat(),
        "lead_agency_id": province.ag["HDS"].id}, now=NOV_START)
    cascade.pass_on(province.u["hdsct"], d.lead_assignment, {
        "agency_ids": [province.ag["XDH"].id], "deadline": (NOV_START + timedelta(days=8)).isoformat()},
        now=NOV_START + timedelta(days=1))
    child = next(a for a in d.assignments if a.parent_id)
    services.acknowledge(province.u["xdh1"], child, now=NOV_START + timedelta(days=2))
    services.report_progress(province.u["xdh1"], child, {
        "progress": 30, "note": "Thiếu cán bộ <b>chuyên trách</b>"}, now=NOV_START + timedelta(days=7))
    return province


def test_the_page_for_the_province_and_a_district(p, client):
    login(client, p.u["chutich"])
    page = client.get("/reports/execution?month=2026-11&level=province")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "UBND huyện Đông Sơn" in html and 'id="chart-trend"' in html and 'id="report-ranking"' in html
    assert "Xã Đông Hưng" not in html  # counted on the district's level, not the province's
    district = client.get(f"/reports/execution?month=2026-11&level={p.ag['HDS'].id}").get_data(as_text=True)
    assert "UBND xã Đông Hưng" in district
    assert "Thiếu cán bộ &lt;b&gt;chuyên trách&lt;/b&gt;" in district  # the reason, escaped
    for args in ("quarter=2026-Q4", "year=2026", "from=2026-11-03&to=2026-11-20", ""):
        assert client.get(f"/reports/execution?{args}").status_code == 200, args


def test_bad_periods_say_what_is_wrong(p, client):
    login(client, p.u["chutich"])
    for args, field in (("month=2026-13", "month"), ("quarter=2026-Q9", "quarter"),
                        ("from=2026-11-20&to=2026-11-01", "to"), ("from=abc&to=2026-11-01", "from"),
                        ("month=0001-01", "month"), ("quarter=9999-Q4", "quarter"), ("year=9999", "year"),
                        ("year=0", "year"), ("from=0001-01-01&to=0001-01-01", "from"),
                        ("from=9999-12-30&to=9999-12-31", "from")):
        page = client.get(f"/reports/execution?{args}")
        assert page.status_code == 200, args
        assert f'data-field="{field}"' in page.get_data(as_text=True), args
    for args in ("from=0001-01-01&to=0001-01-01", "from=9999-12-30&to=9999-12-31", "from=0001-01-01&to=0005-12-31"):
        assert client.get(f"/api/v1/reports/execution?{args}").status_code == 422, args
        assert client.get(f"/reports/execution.xlsx?{args}").status_code == 422, args


def test_scope_of_the_page(p, client):
    login(client, p.u["hdsct"])
    assert client.get("/reports/execution?month=2026-11").status_code == 200
    assert client.get(f"/reports/execution?month=2026-11&level={p.ag['HTH'].id}").status_code == 403
    assert client.get("/reports/execution?month=2026-11&level=province").status_code == 403
    assert client.get(f"/reports/execution/trend.json?level={p.ag['HTH'].id}").status_code == 403
    client.post("/logout")


def test_officers_do_not_see_reports(p, client):
    login(client, p.u["xdh1"])
    assert client.get("/reports/execution").status_code == 403
    assert client.get("/reports/execution/trend.json").status_code == 403
    assert client.get("/reports/execution.xlsx?month=2026-11").status_code == 403


def test_trend_json_for_the_board(p, client):
    login(client, p.u["chutich"])
    trend = client.get("/reports/execution/trend.json").get_json()
    assert len(trend["months"]) == 12
    assert all(set(m["totals"]) >= {"due", "on_time_rate", "median_handling_seconds"} for m in trend["months"])
    board = client.get("/directives/dashboard").get_data(as_text=True)
    assert "/reports/execution/trend.json" in board and 'id="open-execution-report"' in board


def test_trend_months_agree_with_the_monthly_reports(p, app):
    months = execution.months_of(execution.Period(date(2026, 9, 1), date(2026, 12, 31)))
    trend = execution.trend(None, months)
    for month, point in zip(months, trend["months"], strict=True):
        assert point["totals"] == {k: v for k, v in execution.report(None, month)["totals"].items()
                                   if k not in ("carried_over", "carried_over_completed", "extensions_granted")} | {
            "carried_over": 0, "carried_over_completed": 0, "extensions_granted": 0}


def test_monthly_report_sent_once_on_the_first_working_day(p, app):
    # December 2026 starts on a Tuesday; 07:00 in Hanoi is 00:00 UTC
    assert monthly_report.first_working_day(2026, 8) == date(2026, 8, 3)  # 1 August 2026 is a Saturday
    assert monthly_report.run_monthly_report(datetime(2026, 11, 30, 23, 0, tzinfo=UTC)) == 0  # 06:00 on the 1st
    sent = monthly_report.run_monthly_report(datetime(2026, 12, 1, 1, 0, tzinfo=UTC))
    assert sent == 2  # the provincial leader and the district's (the only agency that gave something)
    assert monthly_report.run_monthly_report(datetime(2026, 12, 1, 1, 15, tzinfo=UTC)) == 0
    assert monthly_report.run_monthly_report(datetime(2026, 12, 9, 1, 0, tzinfo=UTC)) == 0
    rows = db.session.execute(select(Notification.user_id, Notification.link, Notification.text)
                              .where(Notification.kind == "report.monthly")).all()
    links = {user_id: link for user_id, link, _text in rows}
    assert links[p.u["chutich"].id] == "/reports/execution?month=2026-11&level=province"
    assert links[p.u["hdsct"].id] == f"/reports/execution?month=2026-11&level={p.ag['HDS'].id}"
    assert all("11/2026" in text for _u, _l, text in rows)


def test_word_and_excel_downloads(p, client):
    import io

    from docx import Document
    from openpyxl import load_workbook

    login(client, p.u["chutich"])
    word = client.get(f"/reports/execution.docx?month=2026-11&level={p.ag['HDS'].id}")
    assert word.status_code == 200 and "wordprocessingml" in word.mimetype
    assert 'filename="bao-cao-thuc-hien-20261101-20261130' in word.headers["Content-Disposition"]
    text = "\n".join(par.text for par in Document(io.BytesIO(word.data)).paragraphs)
    assert "BÁO CÁO" in text and "UBND huyện Đông Sơn" in text
    excel = client.get("/reports/execution.xlsx?month=2026-11")
    assert excel.status_code == 200
    sheet = load_workbook(io.BytesIO(excel.data)).worksheets[0]
    assert any(cell.value == "UBND huyện Đông Sơn" for row in sheet.iter_rows() for cell in row)
