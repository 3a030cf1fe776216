"""Screenshots of the main screens for the README: ``make screenshots`` writes docs/screenshots/*.png.

Each screen is shown with the demo province's data plus a little live activity, as a user sees it
(1366x850; the inbox and the live room also at 390x844). Each test also checks the screen is in
the state the picture is meant to show, so a broken page fails instead of producing a bad picture.
"""
import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import PHONE, SCREENSHOTS, shot
from tests.e2e.test_meeting_journey import enter_room, send_chat

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def server(fresh_server):
    """The pictures show the demo province as seeded, untouched by the journeys."""
    return fresh_server

QUIET = (
    "#toasts { display: none !important; } "
    ".connection-banner { display: none !important; } "
    "* { caret-color: transparent !important; }"
)


def snap(page, name):
    page.add_style_tag(content=QUIET)
    page.evaluate("document.fonts.ready")
    page.mouse.move(0, 0)
    return shot(page, name)


def demo_meetings(actor):
    """The demo province's live and ended meetings (meetings/demo.py has one of each)."""
    res = actor.api("GET", "/api/v1/meetings?scope=all")
    assert res["status"] == 200, res
    found = {}
    for m in res["data"]["items"]:
        found.setdefault(m["status"], m)
    return found


def test_login(actors):
    guest = actors("guest", login=False)
    guest.page.goto("/login")
    expect(guest.page.locator("#login-submit")).to_be_visible()
    snap(guest.page, "login")


def test_officer_inbox(actors):
    officer = actors("syt1")
    officer.page.goto("/directives/inbox")
    officer.socket_connected()
    expect(officer.page.locator(".inbox-row").first).to_be_visible()
    snap(officer.page, "inbox")

    phone = actors("syt2", viewport=PHONE)
    phone.page.goto("/directives/inbox")
    expect(phone.page.locator(".inbox-row").first).to_be_visible()
    snap(phone.page, "inbox-phone")


def test_directive_page_and_dashboard(actors):
    leader = actors("chutich")
    res = leader.api("GET", "/api/v1/directives")
    assert res["status"] == 200, res
    # the busiest directive: most agencies, something already happened
    items = sorted(res["data"]["items"], key=lambda d: (len(d.get("assignments", [])),
                                                       sum(a["status"] != "pending" for a in d.get("assignments", []))))
    directive = items[-1]
    leader.page.goto(f"/directives/{directive['id']}")
    expect(leader.page.locator("h1.directive-heading")).to_be_visible()
    expect(leader.page.locator("tr[id^='agency-row-']").first).to_be_visible()
    snap(leader.page, "directive")

    leader.page.goto("/directives/dashboard")
    expect(leader.page.locator("[data-kpi='assigned']").first).not_to_have_text(re.compile(r"^\s*0?\s*$"))
    expect(leader.page.locator("#stats-body tr").first).to_be_visible()
    leader.page.wait_for_function("() => !!document.querySelector('#chart-agencies') && "
                                  "document.querySelector('#chart-agencies').width > 0")
    snap(leader.page, "dashboard")


def test_board_by_level(actors):
    """The province drilled down to a district: what the district passed on to its communes and officers."""
    leader = actors("chutich")
    agencies = leader.api("GET", "/api/v1/agencies")["data"]
    district = next(a for a in agencies["items"] if a["code"] == "HDS")
    leader.page.goto(f"/directives/dashboard?level={district['id']}")
    expect(leader.page.locator("[data-kpi='assigned']").first).not_to_have_text(re.compile(r"^\s*0?\s*$"))
    expect(leader.page.locator("#stats-body tr").first).to_be_visible()
    snap(leader.page, "board-level")


def test_live_room_minutes_and_attendance(server, actors):
    chair, secretary, officer = actors("phochutich"), actors("thuky"), actors("syt1")
    meetings = demo_meetings(chair)
    live = meetings["live"]["id"]

    for a in (chair, secretary, officer):
        enter_room(a, live)
    send_chat(officer.page, "Sở Y tế: tuần qua ghi nhận 128 ca cúm mùa, tăng 12% so với tuần trước; chưa có ổ dịch.")
    send_chat(chair.page, (
        "Đề nghị Sở Y tế chủ trì, phối hợp Sở Giáo dục và Đào tạo hướng dẫn phòng bệnh trong trường học."
    ))
    expect(officer.page.locator("#chat-list .chat-msg")).to_have_count(5)
    secretary.page.fill("#minutes-editor", "\n".join([
        "# Biên bản cuộc họp",
        "",
        "**Chủ trì:** đồng chí Trần Thị Hương, Phó Chủ tịch UBND tỉnh",
        "",
        "## 1. Sở Y tế báo cáo tình hình dịch bệnh",
        "- Tuần qua ghi nhận 128 ca cúm mùa, tăng 12%; chưa có ổ dịch.",
        "- Đủ thuốc, vật tư y tế cho 3 tháng.",
        "",
        "## 2. Phân công nhiệm vụ",
        "- Sở Y tế chủ trì hướng dẫn phòng bệnh trong trường học.",
    ]))
    expect(chair.page.locator("#minutes-editor")).to_have_value(re.compile("Phân công nhiệm vụ"))
    officer.page.click("#speaker-toggle")
    expect(chair.page.locator("#oc-speakers-badge")).to_have_text("1")
    expect(chair.page.locator("#participant-list li.is-online")).to_have_count(3)
    chair.page.evaluate("window.scrollTo(0, 0)")  # typing in the minutes scrolled the page
    snap(chair.page, "room")

    phone = actors("sgddt1", viewport=PHONE)
    enter_room(phone, live)
    expect(phone.page.locator("#chat-list .chat-msg")).to_have_count(5)
    snap(phone.page, "room-phone")

    # the ended meeting: its minutes, written up and finalized, then its attendance
    past = meetings["ended"]["id"]
    leader = actors("chutich")
    enter_room(secretary, past)
    secretary.page.fill("#minutes-editor", "\n".join([
        "# Biên bản họp giao ban UBND tỉnh tháng 11/2026",
        "",
        "**Thời gian:** 08 giờ 00, Phòng họp số 1, UBND tỉnh  ",
        "**Chủ trì:** đồng chí Nguyễn Văn Minh, Chủ tịch UBND tỉnh  ",
        "**Thư ký:** đồng chí Lê Thu Trang",
        "",
        "## 1. Tình hình kinh tế - xã hội tháng 11",
        "- Tổng thu ngân sách đạt 92% dự toán năm.",
        "- Tỷ lệ tiêm chủng mở rộng đạt 97,5%.",
        "",
        "## 2. Giải ngân vốn đầu tư công",
        "- UBND huyện Đông Sơn giải ngân chậm; báo cáo nguyên nhân bằng văn bản trong tuần.",
        "",
        "## 3. Kết luận",
        "1. Các sở, ngành đẩy nhanh giải ngân trước ngày 15/12.",
        "2. Văn phòng UBND tỉnh tổng hợp, ban hành thông báo kết luận.",
    ]))
    expect(secretary.page.locator("#minutes-meta")).to_contain_text(re.compile(r"\d"))
    enter_room(leader, past)
    expect(leader.page.locator("#minutes-editor")).to_have_value(re.compile("Kết luận"))
    with leader.confirming():
        leader.page.click("#minutes-finalize")
    expect(leader.page.locator("#minutes-downloads")).to_be_visible()
    leader.page.goto(f"/meetings/{past}/outcomes")
    expect(leader.page.get_by_text("Tổng thu ngân sách đạt 92% dự toán năm.")).to_be_visible()
    snap(leader.page, "minutes")

    leader.page.goto(f"/meetings/{past}")
    expect(leader.page.get_by_text("Lê Thu Trang").first).to_be_visible()
    attendance = leader.page.locator("table", has_text=re.compile("Có mặt|Present")).first
    expect(attendance).to_be_visible()
    # the attendance card right under the sticky navbar
    attendance.evaluate(
        "el => window.scrollTo(0, el.closest('.card').getBoundingClientRect().top + window.scrollY - 80)"
    )
    snap(leader.page, "attendance")


def test_calendar_week_month_and_private_feed(server, actors):
    """An officer's calendar with a weekly briefing series, another meeting and their agency's deadlines,
    on a computer and a phone; and the page of their private feed."""
    import datetime as dt

    from tests.e2e.conftest import agency_id, no_horizontal_scroll, user_id

    leader = actors("chutich")
    monday = dt.date.today() + dt.timedelta(days=7 - dt.date.today().weekday())

    def at(day, hour):
        return f"{(monday + dt.timedelta(days=day)).isoformat()}T{hour:02d}:00:00+07:00"

    officer_id, health = user_id(server, "syt1"), agency_id(server, "SYT")
    res = leader.api("POST", "/api/v1/meetings", {
        "title": "Giao ban sáng thứ Hai của UBND tỉnh", "starts_at": at(0, 8), "ends_at": at(0, 9),
        "place": "Phòng họp số 1", "participant_ids": [officer_id], "recurrence": {"freq": "weekly", "count": 12}})
    assert res["status"] == 201, res
    res = leader.api("POST", "/api/v1/meetings", {
        "title": "Làm việc với Sở Y tế về bệnh viện tuyến huyện", "starts_at": at(2, 15), "ends_at": at(2, 17),
        "place": "Hội trường UBND tỉnh", "participant_ids": [officer_id]})
    assert res["status"] == 201, res
    for day, title in ((4, "Rà soát trang thiết bị y tế cơ sở"), (10, "Kế hoạch phòng chống dịch mùa mưa")):
        res = leader.api("POST", "/api/v1/directives", {"title": title, "body": "Nội dung chỉ đạo",
                                                          "deadline": at(day, 17), "lead_agency_id": health})
        assert res["status"] == 201, res

    for viewport, suffix in ((None, ""), (PHONE, "-phone")):
        officer = actors("syt1", viewport=viewport)
        officer.page.goto(f"/calendar?view=week&date={monday.isoformat()}")
        expect(officer.page.locator("#calendar-week")).to_contain_text("Giao ban sáng thứ Hai")
        expect(officer.page.locator("#calendar-week")).to_contain_text("Rà soát trang thiết bị y tế cơ sở")
        if viewport:
            no_horizontal_scroll(officer.page, PHONE["width"])
        snap(officer.page, f"calendar-week{suffix}")
        officer.page.click("#cal-view-month")
        expect(officer.page.locator("#calendar-month")).to_contain_text("Giao ban" if not viewport else "")
        if viewport:
            no_horizontal_scroll(officer.page, PHONE["width"])
        snap(officer.page, f"calendar-month{suffix}")
        officer.page.click("#calendar-feed-link")
        expect(officer.page.locator("#feed-url")).to_have_value(re.compile(r"/calendar/[\w-]{40,}\.ics$"))
        if viewport:
            no_horizontal_scroll(officer.page, PHONE["width"])
        snap(officer.page, f"calendar-feed{suffix}")


def test_execution_report_and_trend(actors):
    """The periodic report of the last whole month over the demo's year of history, and its trend on the board."""
    leader = actors("chutich")
    leader.page.goto("/reports/execution")
    expect(leader.page.locator("[data-kpi='due']")).not_to_have_text(re.compile(r"^\s*0?\s*$"))
    expect(leader.page.locator("#report-agencies tbody tr").first).to_be_visible()
    expect(leader.page.locator("#report-ranking li").first).to_be_visible()
    leader.page.wait_for_function("() => document.querySelector('#chart-trend').width > 0")
    leader.page.wait_for_timeout(400)  # the chart's short animation
    snap(leader.page, "execution-report")

    leader.page.goto("/directives/dashboard")
    card = leader.page.locator("#board-trend")
    expect(card).to_be_visible()  # shown once its data came
    leader.page.wait_for_function("() => document.querySelector('#chart-trend').width > 0")
    leader.page.wait_for_timeout(400)
    card.scroll_into_view_if_needed()
    leader.page.add_style_tag(content=QUIET)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    card.screenshot(path=str(SCREENSHOTS / "trend.png"))
