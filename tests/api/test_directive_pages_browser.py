"""The directive pages' scripts in a real browser against a real server: the live inbox (a new
directive arrives at the top, shown as text even when hostile, acknowledged in one click) and the
tracking board (sortable by its headers, its numbers follow new work without a reload)."""
import datetime as dt
import os
import re

import pytest

from tests.conftest import CHROMIUM, LiveServer, need

DEMO_PASSWORD = "demo1234"

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    need(os.path.exists(CHROMIUM), "Chromium")
    from tests.e2e.conftest import seed_demo

    srv = LiveServer(tmp_path_factory.mktemp("pages"), name="pages").start()
    seed_demo(srv)
    yield srv
    srv.stop()


@pytest.fixture
def open_as(server, browser):
    """open_as(username) -> a logged-in page; JS errors, console errors and dialogs fail the test."""
    contexts, problems = [], []

    def make(username, width=1366):
        ctx = browser.new_context(base_url=server.url, locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh",
                                  viewport={"width": width, "height": 900})
        contexts.append(ctx)
        page = ctx.new_page()
        page.on("pageerror", lambda e: problems.append(f"{username}: {e}"))
        page.on("console", lambda m: problems.append(f"{username}: {m.text}") if m.type == "error" else None)
        page.on("dialog", lambda d: (problems.append(f"{username}: dialog {d.message}"), d.dismiss()))
        page.goto("/login")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", DEMO_PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(re.compile(r"/$"))
        return page

    yield make
    for ctx in contexts:
        ctx.close()
    assert problems == []


def socket_ready(page):
    from playwright.sync_api import expect

    expect(page.locator("body")).to_have_attribute("data-socket", "connected")


def agency_id(server, code):
    leader = server.session("chutich", DEMO_PASSWORD)
    items = leader.get(server.url + "/api/v1/agencies").json()["items"]
    return next(a["id"] for a in items if a["code"] == code)


def issue(server, title, lead_code, support_codes=(), priority="normal"):
    leader = server.session("chutich", DEMO_PASSWORD)
    res = leader.post(server.url + "/api/v1/directives", json={
        "title": title, "body": "Nội dung", "priority": priority,
        "deadline": (dt.datetime.now(dt.UTC) + dt.timedelta(days=9)).isoformat(),
        "lead_agency_id": agency_id(server, lead_code),
        "support_agency_ids": [agency_id(server, c) for c in support_codes],
    })
    assert res.status_code == 201, res.text
    return res.json()


HOSTILE = '<img src=x onerror="alert(1)"><script>alert(2)</script> Chỉ đạo có ký tự lạ'


def test_a_hostile_directive_arrives_live_at_the_top_as_text_and_is_acknowledged_in_one_click(server, open_as):
    from playwright.sync_api import expect

    page = open_as("stnmt1")
    page.goto("/directives/inbox")
    socket_ready(page)
    issue(server, HOSTILE, "STNMT", priority="urgent")

    row = page.locator(".inbox-row").first
    expect(row.locator(".directive-title")).to_have_text(HOSTILE)  # literal text, at the top
    expect(row).to_have_class(re.compile(r"\binbox-unack\b"))
    assert page.locator("#inbox-list img, #inbox-list script").count() == 0
    before = int(page.locator("#inbox-counter").get_attribute("data-count"))

    row.locator(".ack-button").click()
    row = page.locator(".inbox-row", has_text="Chỉ đạo có ký tự lạ")
    expect(row.locator("[data-status]").first).to_have_attribute("data-status", "acknowledged")
    expect(row.locator(".ack-button")).to_have_count(0)
    expect(page.locator("#inbox-counter")).to_have_attribute("data-count", str(before - 1))
    # acknowledged once, through the API the button uses
    page.reload()
    expect(page.locator(".inbox-row", has_text="Chỉ đạo có ký tự lạ").locator("[data-status]").first) \
        .to_have_attribute("data-status", "acknowledged")


def _column(page, index):
    return [c.strip() for c in page.locator(f"#stats-body tr td:nth-child({index})").all_inner_texts()]


def test_tracking_board_sorts_by_its_headers_and_follows_new_work_live(server, open_as):
    from playwright.sync_api import expect

    board = open_as("phochutich")
    board.goto("/directives/dashboard")
    socket_ready(board)

    board.click("#stats-table th[data-sort=name]")
    names = _column(board, 1)
    assert len(names) > 3
    expect(board.locator("#stats-table th[data-sort=name]")).to_have_attribute("aria-sort", "ascending")
    assert names == board.evaluate("ns => ns.slice().sort((a, b) => a.localeCompare(b, 'vi'))", names)
    board.click("#stats-table th[data-sort=name]")
    assert _column(board, 1) == list(reversed(names))

    board.click("#stats-table th[data-sort=assigned]")
    assigned = [int(v) for v in _column(board, 2)]
    assert assigned == sorted(assigned, reverse=True)
    board.click("#stats-table th[data-sort=assigned]")
    assert [int(v) for v in _column(board, 2)] == sorted(assigned)

    total = int(board.locator("[data-kpi=assigned]").inner_text())
    unack = int(board.locator("[data-kpi=unacknowledged]").inner_text())
    rows_before = {r: int(v) for r, v in zip(_column(board, 1), _column(board, 2), strict=True)}
    issue(server, "Kiểm tra công tác phòng cháy chữa cháy", "SGTVT", ["HTH"])
    expect(board.locator("[data-kpi=assigned]")).to_have_text(str(total + 2))
    expect(board.locator("[data-kpi=unacknowledged]")).to_have_text(str(unack + 2))
    rows_after = {r: int(v) for r, v in zip(_column(board, 1), _column(board, 2), strict=True)}
    assert rows_after["Sở Giao thông vận tải"] == rows_before.get("Sở Giao thông vận tải", 0) + 1
    assert rows_after["UBND huyện Tây Hòa"] == rows_before.get("UBND huyện Tây Hòa", 0) + 1
    # the order the leader chose survives the refresh
    assert [int(v) for v in _column(board, 2)] == sorted(rows_after.values())
    assert board.locator("#chart-agencies").is_visible() and board.locator("#chart-totals").is_visible()


def test_the_officer_home_page_shows_a_new_directive_live_and_acknowledges_it(server, open_as):
    from playwright.sync_api import expect

    page = open_as("snv1", width=390)
    socket_ready(page)
    section = page.locator("#home-unacknowledged")
    badge = section.locator("#inbox-unack-count")
    before = int(badge.inner_text() or 0)
    issue(server, "Rà soát biên chế công chức cấp xã", "SNV", priority="high")
    row = section.locator(".inbox-row", has_text="Rà soát biên chế công chức cấp xã")
    expect(row).to_have_class(re.compile(r"\binbox-unack\b"))
    expect(badge).to_have_text(str(before + 1))
    row.locator(".ack-button").click()
    expect(row.locator("[data-status]").first).to_have_attribute("data-status", "acknowledged")
    expect(badge).to_have_text(str(before))


def test_the_leader_home_numbers_follow_new_work_live(server, open_as):
    from playwright.sync_api import expect

    page = open_as("chutich")
    socket_ready(page)
    unack = page.locator("#home-leader-numbers [data-kpi=unacknowledged]")
    before = int(unack.inner_text())
    issue(server, "Báo cáo tình hình thu ngân sách", "STC", ["SKHDT"])
    expect(unack).to_have_text(str(before + 2))
