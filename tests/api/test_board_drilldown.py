"""The tracking board drills down: every tile and every per-agency count is a link to the list of
exactly the assignments it counts (and to the same rows in Excel), under the board's own filters."""
import html as htmllib
import io
import re
from datetime import timedelta

import pytest
from openpyxl import load_workbook

from core.dbtypes import utcnow
from directives import services
from tests.conftest import login

LINK = re.compile(r'<a\b[^>]*\bdata-drill(?:="([^"]*)")?[^>]*\bhref="([^"]+)"[^>]*>([^<]*)</a>')


@pytest.fixture
def board(factory):
    """Three agencies, assignments in every tracking state, acknowledged or not, one cancelled."""
    syt, sgd, hds = (
        factory.agency("SYT", "Sở Y tế"),
        factory.agency("SGD", "Sở Giáo dục"),
        factory.agency("HDS", "UBND huyện Đông Sơn"),
    )
    leader = factory.user("leader", username="chutich")
    officer = {ag.code: factory.user("officer", ag, username=f"{ag.code.lower()}1") for ag in (syt, sgd, hds)}
    now = utcnow()

    def issue(lead, support=(), days=10, at=None, **extra):
        at = at or now
        return services.issue_directive(leader, dict({
            "title": f"Chỉ đạo {lead.code} {days}", "deadline": (at + timedelta(days=days)).isoformat(),
            "lead_agency_id": lead.id, "support_agency_ids": [s.id for s in support]}, **extra), now=at)

    def of(directive, agency):
        return next(a for a in directive.assignments if a.agency_id == agency.id)

    d1 = issue(syt, (sgd, hds))  # on track; SYT acknowledged, SGD done on time, HDS waiting
    services.acknowledge(officer["SYT"], of(d1, syt))
    services.acknowledge(officer["SGD"], of(d1, sgd))
    services.submit(officer["SGD"], of(d1, sgd), {"note": "Xong"})
    services.accept(leader, of(d1, sgd))
    issue(syt, days=1, priority="urgent")  # due soon, not acknowledged
    d3 = issue(sgd, (syt,), days=5, at=now - timedelta(days=20))  # overdue for both
    services.acknowledge(officer["SGD"], of(d3, sgd), now=now - timedelta(days=19))
    d4 = issue(hds, days=10, at=now - timedelta(days=20), priority="urgent")  # done late
    services.acknowledge(officer["HDS"], of(d4, hds), now=now - timedelta(days=19))
    services.submit(officer["HDS"], of(d4, hds), {"note": "Muộn"})
    services.accept(leader, of(d4, hds))
    d5 = issue(syt, (hds,), days=7)  # cancelled: counted nowhere
    services.cancel_directive(leader, d5, {"reason": "Trùng nội dung"})
    return {"leader": leader, "syt": syt, "sgd": sgd, "hds": hds}


def drill_links(html):
    return [(kind, htmllib.unescape(href), text.strip()) for kind, href, text in LINK.findall(html)]


def rows_behind(client, href):
    page = client.get(href)
    assert page.status_code == 200, href
    body = page.get_data(as_text=True)
    ids = re.findall(r'<tr data-assignment-id="(\d+)"', body)
    count = int(re.search(r'id="list-count">(\d+)', body).group(1))
    assert count == len(ids), href  # the page's own total agrees with its rows (all on one page here)
    return ids


def xlsx_rows(client, href):
    res = client.get(href.replace("/directives?", "/directives/export.xlsx?", 1))
    assert res.status_code == 200
    ws = load_workbook(io.BytesIO(res.data)).active
    return [ws.cell(row=r, column=1).value for r in range(4, ws.max_row + 1) if ws.cell(row=r, column=1).value]


@pytest.mark.parametrize("board_filter", ["", "?priority=urgent"])
def test_every_number_on_the_board_equals_the_rows_behind_its_link(client, board, board_filter):
    login(client, board["leader"])
    html = client.get("/directives/dashboard" + board_filter).get_data(as_text=True)
    links = drill_links(html)
    numeric = [(href, int(text)) for kind, href, text in links if text.isdigit()]
    # the six tiles' numbers and every non-zero per-agency count
    assert len(numeric) >= (5 if board_filter else 12), links
    assert any("agency_id=" in href for href, _n in numeric)
    for href, number in numeric:
        assert "view=assignments" in href
        if board_filter:
            assert "priority=urgent" in href  # the board's filter goes with the link
        ids = rows_behind(client, href)
        assert len(ids) == number, (href, number, len(ids))
        assert len(xlsx_rows(client, href)) == number, href
    # an acknowledged percentage opens the acknowledged ones: the province's and each agency's
    data = client.get("/api/v1/directives/stats" + board_filter).get_json()
    pct = next(href for kind, href, _t in links if kind == "acknowledged")
    assert len(rows_behind(client, pct)) == data["totals"]["acknowledged"]
    acknowledged = {r["agency_id"]: r["acknowledged"] for r in data["agencies"]}
    per_agency = [href for _k, href, text in links if text.endswith("%") and "agency_id=" in href]
    assert per_agency
    for href in per_agency:
        agency_id = int(re.search(r"agency_id=(\d+)", href).group(1))
        assert len(rows_behind(client, href)) == acknowledged[agency_id], href


def test_the_board_numbers_are_what_the_fixture_made(client, board):
    login(client, board["leader"])
    stats = {r["agency_code"]: r for r in client.get("/api/v1/directives/stats").get_json()["agencies"]}
    assert (stats["SYT"]["assigned"], stats["SYT"]["overdue"], stats["SYT"]["due_soon"]) == (3, 1, 1)
    assert stats["SGD"]["completed_on_time"] == 1 and stats["HDS"]["completed_late"] == 1
    assert stats["HDS"]["assigned"] - stats["HDS"]["acknowledged"] == 1  # the cancelled one is not waiting


def test_list_filters_by_agency_tracking_and_acknowledgement_on_the_same_assignment(client, board):
    login(client, board["leader"])
    hds = board["hds"].id
    # by directive: the directives in which that agency has not acknowledged yet
    page = client.get(f"/directives?agency_id={hds}&acknowledged=no").get_data(as_text=True)
    assert "Chỉ đạo SYT 10" in page and "Chỉ đạo HDS 10" not in page
    # by agency: the acknowledgement state is shown and the filter is kept in the form and the export link
    page = client.get(f"/directives?view=assignments&agency_id={hds}&acknowledged=no").get_data(as_text=True)
    assert len(re.findall(r'<tr data-assignment-id=', page)) == 1
    assert 'name="view" value="assignments"' in page
    assert re.search(r'<option value="no" selected', page)
    export = htmllib.unescape(re.search(r'href="([^"]*)" id="export-list"', page).group(1))
    assert "view=assignments" in export and "acknowledged=no" in export
    assert client.get("/directives?acknowledged=maybe").status_code == 200  # a bad value is dropped, not a 500
