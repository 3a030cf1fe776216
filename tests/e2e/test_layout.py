"""Layout on a phone (390x844) and a 1366 px desktop: votes and raised hands have their own place in the
live room, the navbar stays on one line, the offline banner and the chat header hide nothing, and the
officer's action card is on a phone's first screen."""
import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import DESKTOP, PHONE, agency_id, in_viewport_and_clickable, no_horizontal_scroll
from tests.e2e.test_meeting_journey import create_meeting, enter_room

pytestmark = pytest.mark.e2e

QUESTION = "Thông qua phương án phân bổ kinh phí hỗ trợ các huyện miền núi khắc phục hậu quả mưa lũ năm 2026?"

LINES = "el => Math.round(el.getBoundingClientRect().height / parseFloat(getComputedStyle(el).lineHeight))"


def box(locator):
    b = locator.bounding_box()
    assert b, f"{locator} has no box"
    return b


def overlap(a, b):
    return a["x"] < b["x"] + b["width"] and b["x"] < a["x"] + a["width"] and \
        a["y"] < b["y"] + b["height"] and b["y"] < a["y"] + a["height"]


def test_a_vote_opened_while_on_the_chat_tab_is_signalled_and_shown_full_width_on_a_phone(server, actors):
    chair = actors("phochutich")
    officer = actors("skhdt1", viewport=PHONE)
    meeting_id = create_meeting(server, chair, "Họp bàn phương án khắc phục hậu quả mưa lũ", ["skhdt1"], start=True)
    page = enter_room(officer, meeting_id)

    # votes and hands have their own tabs, each a thumb's width
    votes_tab, hands_tab = page.locator("[data-room-tab='votes']"), page.locator("[data-room-tab='speakers']")
    for tab in (votes_tab, hands_tab):
        in_viewport_and_clickable(tab)
        assert box(tab)["height"] >= 40, "a tab too small to tap"
    badge = votes_tab.locator("[data-badge='votes']")
    expect(badge).to_be_hidden()
    expect(page.locator("#chat-input")).to_be_visible()

    res = chair.api("POST", f"/api/v1/meetings/{meeting_id}/votes", {"question": QUESTION})
    assert res["status"] == 201, res
    # still on the chat: the tab counts the open vote and a toast says which
    expect(badge).to_have_text("1")
    expect(votes_tab).to_have_class(re.compile(r"\bhas-news\b"))
    expect(page.locator("#chat-input")).to_be_visible()
    toast = page.locator("#toasts a.vote-toast")
    expect(toast).to_contain_text(QUESTION)
    toast.click()
    expect(votes_tab).to_have_class(re.compile(r"\bactive\b"))
    expect(votes_tab).not_to_have_class(re.compile(r"\bhas-news\b"))
    expect(page.locator("#chat-input")).to_be_hidden()
    no_horizontal_scroll(page, PHONE["width"])

    # the question has the card's whole width: a few lines, not a word or two a line
    card = page.locator(".vote-card", has_text=QUESTION)
    question = card.locator(".vote-question")
    expect(question).to_be_visible()
    assert box(question)["width"] >= 0.9 * (box(card)["width"] - 20), (box(question), box(card))
    assert question.evaluate(LINES) <= 3
    choice = card.locator("button.vote-option").first
    in_viewport_and_clickable(choice)
    choice.click()
    expect(choice).to_have_attribute("aria-pressed", "true")

    # the hands tab: raise a hand from the phone
    hands_tab.click()
    in_viewport_and_clickable(page.locator("#speaker-toggle"))
    page.click("#speaker-toggle")
    expect(hands_tab.locator("[data-badge='speakers']")).to_have_text("1")
    no_horizontal_scroll(page, PHONE["width"])


def test_votes_and_hands_have_their_own_panels_beside_the_chat_on_a_desktop(server, actors):
    chair = actors("phochutich")
    officer = actors("hth1")
    meeting_id = create_meeting(server, chair, "Họp rà soát tiến độ giải phóng mặt bằng", ["hth1"], start=True)
    enter_room(chair, meeting_id)
    page = enter_room(officer, meeting_id)
    chat = box(page.locator(".chat-card"))
    # both visible at once, with the chat, without choosing a tab; the minutes card keeps its own tabs
    for panel in ("#room-speakers", "#room-votes", "#room-outcomes"):
        expect(page.locator(panel)).to_be_visible()
    assert box(page.locator("#speakers-card"))["x"] + 10 < chat["x"], "the hands are left of the chat"
    assert box(page.locator("#votes-card"))["x"] > chat["x"] + chat["width"], "the votes are right of the chat"
    expect(page.locator("#oc-tab-votes, #oc-tab-speakers")).to_have_count(0)

    page.click("#speaker-toggle")
    expect(chair.page.locator("#oc-speakers-badge")).to_have_text("1")
    expect(chair.page.locator("#speaker-queue li")).to_have_count(1)
    res = chair.api("POST", f"/api/v1/meetings/{meeting_id}/votes", {"question": QUESTION})
    assert res["status"] == 201, res
    expect(page.locator("#oc-votes-badge")).to_have_text("1")
    expect(page.locator(".vote-card .vote-question")).to_have_text(QUESTION)
    # the votes card is on the screen already: no toast to send the user there
    expect(page.locator("#toasts a.vote-toast")).to_have_count(0)


@pytest.mark.parametrize("username", ["admin", "chutich"])
def test_the_navbar_is_one_line_at_1366(server, actors, username):
    page = actors(username, viewport=DESKTOP).page
    page.goto("/")
    nav = page.locator("nav.app-navbar")
    brand = box(nav.locator(".navbar-brand"))
    # one line: no taller than the brand with the bar's padding, every link on the brand's line
    assert box(nav)["height"] <= brand["height"] + 24, box(nav)
    middle = brand["y"] + brand["height"] / 2
    for link in nav.locator(".nav-link:visible, #nav-bell").all():
        b = box(link)
        assert abs(b["y"] + b["height"] / 2 - middle) < 6, f"{link.inner_text()!r} is not on the brand's line"
        assert b["x"] + b["width"] <= DESKTOP["width"], f"{link.inner_text()!r} is past the right edge"
    if username == "admin":
        # the administration screens share one menu, which has room for more
        page.click("#admin-menu")
        items = page.locator("#admin-menu + .dropdown-menu .dropdown-item")
        expect(items.first).to_be_visible()
        assert items.count() >= 2
        assert page.locator("#admin-menu + .dropdown-menu a[href='/admin/users']").count() == 1


def test_the_offline_banner_and_the_chat_header_hide_nothing_on_a_phone(server, actors):
    chair = actors("phochutich")
    officer = actors("txbl1", viewport=PHONE)
    meeting_id = create_meeting(server, chair, "Họp giao ban trực tuyến cấp thị xã", ["txbl1"], start=True)
    page = enter_room(officer, meeting_id)
    header = page.locator(".chat-card .card-header")
    one_line = box(header)["height"]

    page.evaluate("App.socket.disconnect()")
    expect(page.locator("#chat-connection")).to_have_attribute("data-state", "disconnected")
    # the chat header says "offline" on the same one line; the whole sentence is its title
    assert box(header)["height"] <= one_line + 1, (box(header)["height"], one_line)
    title, state = box(header.locator("span").first), box(page.locator("#chat-connection"))
    assert abs(title["y"] - state["y"]) < 6
    expect(page.locator("#chat-connection")).to_have_attribute("title", re.compile(r"\S"))
    # the banner sits under the navbar (covering none of it) and inside the screen
    banner = page.locator("#connection-banner")
    expect(banner).to_be_visible()
    nav, shown = box(page.locator("nav.app-navbar")), box(banner)
    assert not overlap(nav, shown), (nav, shown)
    assert shown["y"] + shown["height"] <= PHONE["height"] and shown["x"] >= 0
    no_horizontal_scroll(page, PHONE["width"])

    page.evaluate("App.socket.connect()")
    expect(page.locator("#chat-connection")).to_have_attribute("data-state", "connected")


def test_the_officer_action_card_is_on_a_phone_first_screen(server, actors):
    leader = actors("chutich")
    body = "\n\n".join(
        [f"{n}. Rà soát, báo cáo tình hình thực hiện nhiệm vụ số {n} của kế hoạch chuyển đổi số năm 2026, "
         "kèm số liệu so sánh cùng kỳ và đề xuất giải pháp tháo gỡ khó khăn, vướng mắc." for n in range(1, 9)]
        + ["| Chỉ tiêu | Kế hoạch | Thực hiện |\n|---|---|---|\n| Dịch vụ công trực tuyến | 80% | 65% |\n"
           "| Hồ sơ số hóa | 100% | 72% |"]
    )
    res = leader.api("POST", "/api/v1/directives", {
        "title": "Đẩy nhanh tiến độ thực hiện kế hoạch chuyển đổi số năm 2026 trên địa bàn tỉnh",
        "body": body, "priority": "high",
        "deadline": (dt.datetime.now(dt.UTC) + dt.timedelta(days=10)).isoformat(),
        "lead_agency_id": agency_id(server, "STTTT"), "support_agency_ids": [agency_id(server, "SNV")],
    })
    assert res["status"] == 201, res
    path = f"/directives/{res['data']['id']}"

    page = actors("stttt1", viewport=PHONE).page
    page.goto(path)
    actions = page.locator("#actions")
    expect(actions).to_be_visible()
    top = box(actions)["y"]
    assert top < 700, f"the action card starts {top:.0f} px down"
    # the heading still comes first; the text follows the actions
    assert box(page.locator(".directive-head"))["y"] < top < box(page.locator(".directive-body"))["y"]
    in_viewport_and_clickable(actions.locator(".ack-button"))
    no_horizontal_scroll(page, PHONE["width"])

    # a desktop keeps the text on the left, the actions beside it at the top
    desk = actors("stttt2", viewport=DESKTOP).page
    desk.goto(path)
    head, card = box(desk.locator(".directive-head")), box(desk.locator("#actions"))
    text = box(desk.locator(".directive-body"))
    assert card["x"] > head["x"] + head["width"] and abs(card["y"] - head["y"]) < 2, (head, card)
    assert text["y"] > head["y"] + head["height"] - 1 and text["x"] < card["x"]
