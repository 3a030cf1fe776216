"""Journey 6: on a phone (390x844) the officer inbox and the live room are usable."""
import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import PHONE, agency_id, in_viewport_and_clickable, no_horizontal_scroll
from tests.e2e.test_meeting_journey import chat_message, create_meeting, enter_room, send_chat

pytestmark = pytest.mark.e2e


def test_officer_inbox_on_a_phone(server, actors):
    leader = actors("chutich")
    officer = actors("stnmt1", viewport=PHONE)
    page = officer.page
    page.goto("/directives/inbox")
    officer.socket_connected()
    no_horizontal_scroll(page, PHONE["width"])

    title = "Kiểm tra công tác bảo vệ môi trường tại các khu công nghiệp trên địa bàn tỉnh trong quý IV"
    res = leader.api("POST", "/api/v1/directives", {
        "title": title, "body": "Báo cáo kết quả trước hạn.", "priority": "urgent",
        "deadline": (dt.datetime.now(dt.UTC) + dt.timedelta(days=7)).isoformat(),
        "lead_agency_id": agency_id(server, "STNMT"),
    })
    assert res["status"] == 201, res
    row = page.locator(".inbox-row", has_text=title)
    expect(row).to_be_visible()
    no_horizontal_scroll(page, PHONE["width"])
    # the long title wraps inside the screen, the acknowledge button is reachable with a thumb
    in_viewport_and_clickable(row.locator(".directive-title"))
    ack = row.locator(".ack-button")
    in_viewport_and_clickable(ack)
    box = ack.bounding_box()
    assert box["height"] >= 30, f"the acknowledge button is too small to tap: {box}"
    ack.click()
    expect(row.locator("[data-status]")).to_have_attribute("data-status", "acknowledged")

    # the filters (folded away on a phone) and the menu work on the small screen
    folded = page.locator("[aria-controls='inbox-filters']")
    if folded.count() and folded.is_visible():
        in_viewport_and_clickable(folded)
        folded.click()
    page.fill("#f-q", "bảo vệ môi trường")
    in_viewport_and_clickable(page.locator("#inbox-filters button[type=submit]"))
    page.locator("#inbox-filters button[type=submit]").click()
    expect(page.locator(".inbox-row")).to_have_count(1)
    expect(page.locator(".inbox-row .directive-title")).to_have_text(title)
    no_horizontal_scroll(page, PHONE["width"])
    toggler = page.locator(".navbar-toggler")
    in_viewport_and_clickable(toggler)
    toggler.click()
    expect(page.locator("#nav-main")).to_be_visible()
    in_viewport_and_clickable(page.locator("#nav-main .nav-link").first)

    # the directive page too
    page.goto("/directives/inbox")
    page.locator(".inbox-row", has_text=title).locator(".directive-title").click()
    expect(page.locator("h1.directive-heading")).to_have_text(title)
    no_horizontal_scroll(page, PHONE["width"])
    in_viewport_and_clickable(page.locator("button[data-bs-target='#tab-report']"))


def test_live_room_on_a_phone(server, actors):
    chair = actors("phochutich")
    officer = actors("sgtvt1", viewport=PHONE)
    meeting_id = create_meeting(server, chair, "Họp trực tuyến về an toàn giao thông dịp cuối năm", ["sgtvt1"],
                                start=True)
    enter_room(chair, meeting_id)
    page = enter_room(officer, meeting_id)
    no_horizontal_scroll(page, PHONE["width"])

    # the chat is the first thing on the phone, with its input and send button in reach
    in_viewport_and_clickable(page.locator("#chat-input"))
    in_viewport_and_clickable(page.locator("#chat-send"))
    send_chat(page, "Sở Giao thông vận tải đã có mặt.")
    expect(chat_message(chair.page, "Sở Giao thông vận tải đã có mặt.")).to_have_count(1)
    send_chat(chair.page, (
        "Đề nghị Sở báo cáo tình hình tai nạn giao thông tháng 11, "
        "kèm số liệu so sánh cùng kỳ năm trước để cuộc họp có cơ sở đánh giá."
    ))
    expect(chat_message(page, "Đề nghị Sở báo cáo")).to_have_count(1)
    no_horizontal_scroll(page, PHONE["width"])

    # the other panels (votes, hands, minutes, details) are one tap away
    tabs = page.locator("[data-room-tab]")
    expect(tabs).to_have_count(5)
    for i in range(5):
        in_viewport_and_clickable(tabs.nth(i))
    page.locator("[data-room-tab='info']").click()
    expect(page.locator("#participant-list")).to_be_visible()
    expect(page.locator("#chat-input")).to_be_hidden()
    no_horizontal_scroll(page, PHONE["width"])
    page.locator("[data-room-tab='outcomes']").click()
    expect(page.locator("#room-outcomes")).to_be_visible()
    no_horizontal_scroll(page, PHONE["width"])
    page.locator("[data-room-tab='chat']").click()
    in_viewport_and_clickable(page.locator("#chat-send"))
    expect(page.locator("#chat-list .chat-msg")).to_have_count(2)
    assert re.search(r"\d", page.locator("#present-count").inner_text())
