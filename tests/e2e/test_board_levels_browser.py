"""The tracking board by level in Chromium: the chairman drills down from the province to a district and
back up by the breadcrumbs; a district chairman lands on the district's own level, sees the summary by
level, and is refused the province's and another district's; the district's numbers follow a change live."""
import re
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import agency_id, assert_not_reloaded, no_reload_marker, shot

pytestmark = pytest.mark.e2e

DISTRICT = "UBND huyện Đông Sơn"


def kpi(page, key):
    return int(re.sub(r"\D", "", page.locator(f"[data-kpi='{key}']").first.inner_text()) or 0)


def test_the_province_drills_down_to_a_district_and_back(actors, server):
    leader = actors("chutich")
    page = leader.goto("/directives/dashboard")
    expect(page.locator("#board-level")).to_contain_text("Toàn tỉnh")
    expect(page.locator("#board-crumbs")).to_have_count(0)  # the top of the tree: nothing above it
    expect(page.locator("#level-summary")).to_contain_text("Tỉnh giao")
    link = page.locator("#stats-body a.level-link", has_text=DISTRICT)  # drawn by dashboard.js
    expect(link).to_be_visible()
    link.click()
    hds = agency_id(server, "HDS")
    expect(page).to_have_url(re.compile(rf"level={hds}\b"))
    expect(page.locator("#board-level")).to_contain_text(DISTRICT)
    expect(page.locator("#board-rule")).to_contain_text(f"Nhiệm vụ do {DISTRICT} giao")
    expect(page.locator("#stats-table thead")).to_contain_text("Đơn vị hoặc cán bộ")
    crumbs = page.locator("#board-crumbs")
    expect(crumbs).to_contain_text(DISTRICT)
    shot(page, "board-district-level")
    crumbs.get_by_role("link", name="Toàn tỉnh").click()
    expect(page).to_have_url(re.compile(r"level=province"))
    expect(page.locator("#board-level")).to_contain_text("Toàn tỉnh")


def test_a_district_chairman_sees_the_district_level_live(actors, server):
    chairman = actors("hdsct")
    page = chairman.goto("/directives/dashboard")
    expect(page.locator("#board-level")).to_contain_text(DISTRICT)
    expect(page.locator("#board-crumbs")).to_contain_text("Toàn tỉnh")
    expect(page.locator("#board-crumbs a", has_text="Toàn tỉnh")).to_have_count(0)  # above them: not a link
    chairman.socket_connected()
    no_reload_marker(page)
    before = kpi(page, "assigned")
    # the district's own leader gives its communes a directive: counted on the district's board, live
    communes = [agency_id(server, "XDH"), agency_id(server, "XDT")]
    res = chairman.api("POST", "/api/v1/directives", {
        "title": "Rà soát hộ nghèo trên địa bàn huyện", "body": "Các xã báo cáo trước hạn.",
        "deadline": (datetime.now(UTC) + timedelta(days=12)).replace(microsecond=0).isoformat(),
        "lead_agency_id": communes[0], "support_agency_ids": communes[1:]})
    assert res["status"] == 201, res
    expect(page.locator("[data-kpi='assigned']").first).to_have_text(str(before + 2))
    assert_not_reloaded(page)
    for path in ("/directives/dashboard?level=province", f"/directives/dashboard?level={agency_id(server, 'TPTT')}"):
        refused = chairman.page.context.request.get(server.url + path)
        assert refused.status == 403, path
