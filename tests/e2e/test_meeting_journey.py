"""Journeys 2 and 3: a live meeting with three attendees, and an attendee who drops off the network."""
import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import OFFLINE_NOISE, assert_not_reloaded, no_reload_marker, user_id

pytestmark = pytest.mark.e2e


def create_meeting(server, chair, title, attendees, secretary="thuky", start=False):
    """The chair schedules a meeting through the API (the scheduling form is not what these journeys test)."""
    starts = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5)
    res = chair.api("POST", "/api/v1/meetings", {
        "title": title,
        "starts_at": starts.isoformat(),
        "ends_at": (starts + dt.timedelta(hours=2)).isoformat(),
        "participant_ids": [user_id(server, u) for u in attendees],
        "secretary_id": user_id(server, secretary),
        "agenda": [{"title": "Tình hình giải ngân vốn đầu tư công"}, {"title": "Công tác phòng chống dịch"}],
    })
    assert res["status"] == 201, res
    meeting_id = res["data"]["id"]
    if start:
        res = chair.api("POST", f"/api/v1/meetings/{meeting_id}/start")
        assert res["status"] == 200, res
    return meeting_id


def enter_room(actor, meeting_id, page=None):
    page = page or actor.page
    page.goto(f"/meetings/{meeting_id}/room")
    expect(page.locator("#chat-connection")).to_have_attribute("data-state", "connected")
    return page


def send_chat(page, text):
    page.fill("#chat-input", text)
    page.click("#chat-send")


def chat_message(page, text):
    return page.locator("#chat-list .chat-msg .chat-body", has_text=text)


def online(page, uid):
    return page.locator(f"#participant-list li[data-user-id='{uid}']")


def test_three_attendees_hold_a_live_meeting(server, actors):
    chair, secretary, officer = actors("chutich"), actors("thuky"), actors("syt1")
    ids = {a.username: user_id(server, a.username) for a in (chair, secretary, officer)}
    meeting_id = create_meeting(server, chair, "Giao ban công tác tháng 11", ["thuky", "syt1"])

    pages = {a.username: enter_room(a, meeting_id) for a in (chair, secretary, officer)}
    for page in pages.values():
        no_reload_marker(page)

    # presence: everyone sees the three of them online
    for page in pages.values():
        for uid in ids.values():
            expect(online(page, uid)).to_have_class(re.compile(r"\bis-online\b"))
        expect(page.locator("#present-count")).to_have_text("3")

    # the chair opens the meeting; the others' rooms follow without a reload
    chair.page.click("#btn-start")
    expect(chair.page.locator("body")).to_have_attribute("data-meeting-status", "live")
    expect(chair.page.locator("#chat-connection")).to_have_attribute("data-state", "connected")
    no_reload_marker(chair.page)  # starting is a form post: the chair's own page reloads once
    for a in (secretary, officer):
        expect(a.page.locator("body")).to_have_attribute("data-meeting-status", "live")
        expect(a.page.locator("#room-lobby")).to_be_hidden()

    # chat both ways
    send_chat(officer.page, "Sở Y tế đã sẵn sàng báo cáo.")
    for page in pages.values():
        expect(chat_message(page, "Sở Y tế đã sẵn sàng báo cáo.")).to_have_count(1)
    send_chat(chair.page, "Mời đồng chí trình bày.")
    for page in pages.values():
        expect(chat_message(page, "Mời đồng chí trình bày.")).to_have_count(1)
    expect(officer.page.locator("#chat-list .chat-msg.mine .chat-body")).to_have_text(["Sở Y tế đã sẵn sàng báo cáo."])

    # presence when someone leaves and comes back
    officer.page.goto("/")
    expect(online(chair.page, ids["syt1"])).not_to_have_class(re.compile(r"\bis-online\b"))
    expect(chair.page.locator("#present-count")).to_have_text("2")
    pages["syt1"] = enter_room(officer, meeting_id)
    no_reload_marker(officer.page)
    expect(online(chair.page, ids["syt1"])).to_have_class(re.compile(r"\bis-online\b"))
    # the history is there for the one who came back
    expect(chat_message(officer.page, "Mời đồng chí trình bày.")).to_have_count(1)

    # the secretary keeps the minutes; the others read them as they are typed
    minutes = "# Biên bản\n\n**Thành phần:** đủ\n\n- Sở Y tế báo cáo tiến độ tiêm chủng đạt 92%"
    secretary.page.fill("#minutes-editor", minutes)
    expect(secretary.page.locator("#minutes-meta")).to_contain_text(re.compile(r"\d"))
    expect(officer.page.locator("#minutes-view")).to_contain_text("Sở Y tế báo cáo tiến độ tiêm chủng đạt 92%")
    expect(officer.page.locator("#minutes-view strong")).to_have_text("Thành phần:")
    expect(chair.page.locator("#minutes-editor")).to_have_value(minutes)

    # a vote: the chair opens it, the others vote, everyone sees the count (the votes have their own panel)
    chair.page.click("#vote-open-box summary")
    chair.page.fill("#vote-question", "Thông qua kế hoạch tiêm chủng đợt 2?")
    chair.page.click("#vote-open-submit")
    for a in (secretary, officer):
        expect(a.page.locator("#oc-votes-badge")).to_have_text("1")
        card = a.page.locator(".vote-card", has_text="Thông qua kế hoạch tiêm chủng đợt 2?")
        card.locator("button.vote-option").first.click()
        expect(card.locator("button.vote-option").first).to_have_attribute("aria-pressed", "true")
    chair_card = chair.page.locator(".vote-card", has_text="Thông qua kế hoạch tiêm chủng đợt 2?")
    expect(chair_card.locator(".vote-count").first).to_have_text(re.compile(r"^2 · 100%"))

    # a raised hand reaches the chair's speaker queue
    officer.page.click("#speaker-toggle")
    expect(officer.page.locator("#speaker-toggle")).to_have_attribute("data-raised", "1")
    expect(chair.page.locator("#oc-speakers-badge")).to_have_text("1")
    expect(chair.page.locator("#speaker-queue li")).to_have_count(1)
    expect(chair.page.locator("#speaker-queue li")).to_contain_text("Đỗ Văn Long")
    for a in (chair, secretary, officer):
        assert_not_reloaded(a.page)

    # the chair ends the meeting for everyone; the chat closes everywhere without a reload
    with chair.confirming():
        chair.page.click("#btn-end")
    for a in (secretary, officer):
        expect(a.page.locator("body")).to_have_attribute("data-meeting-status", "ended")
        expect(a.page.locator("#chat-form")).to_be_hidden()
        expect(a.page.locator("#chat-closed")).to_be_visible()
        assert_not_reloaded(a.page)
    # the chair lands on the record of the meeting, where nobody can chat any more
    expect(chair.page.locator("#chat-form")).to_be_hidden()

    # the chair finalizes the minutes and downloads them as a Word document
    enter_room(chair, meeting_id)
    with chair.confirming():
        chair.page.click("#minutes-finalize")
    expect(chair.page.locator("#minutes-downloads")).to_be_visible()
    expect(officer.page.locator("#minutes-status")).to_have_class(re.compile(r"text-bg-success"))
    chair.page.click("#minutes-downloads .dropdown-toggle")
    with chair.page.expect_download() as info:
        chair.page.click("#download-minutes")
    download = info.value
    assert download.suggested_filename.endswith(".docx"), download.suggested_filename
    import docx

    document = docx.Document(download.path())
    text = "\n".join(p.text for p in document.paragraphs)
    text += "\n".join(c.text for t in document.tables for r in t.rows for c in r.cells)
    assert "Sở Y tế báo cáo tiến độ tiêm chủng đạt 92%" in text, text[:2000]
    assert "Giao ban công tác tháng 11" in text, text[:2000]


def test_an_attendee_who_goes_offline_misses_nothing_and_sends_once(server, actors):
    chair, officer = actors("phochutich"), actors("hds1")
    meeting_id = create_meeting(server, chair, "Họp trực tuyến về dự án đường tỉnh 12", ["hds1"], start=True)
    enter_room(chair, meeting_id)
    page = enter_room(officer, meeting_id)
    no_reload_marker(page)
    send_chat(chair.page, "Trước khi mất mạng")
    expect(chat_message(page, "Trước khi mất mạng")).to_have_count(1)

    officer.allow(*OFFLINE_NOISE)
    officer.context.set_offline(True)
    expect(page.locator("#chat-connection")).not_to_have_attribute("data-state", "connected", timeout=30_000)
    # meanwhile the chair goes on, and the officer types a message that cannot leave yet
    send_chat(chair.page, "Tin nhắn thứ nhất khi đồng chí mất mạng")
    send_chat(chair.page, "Tin nhắn thứ hai khi đồng chí mất mạng")
    expect(chat_message(chair.page, "Tin nhắn thứ hai khi đồng chí mất mạng")).to_have_count(1)
    send_chat(page, "Gõ khi đang mất mạng")
    expect(page.locator("#chat-pending .chat-msg", has_text="Gõ khi đang mất mạng")).to_have_attribute(
        "data-state", re.compile("sending|failed"))
    expect(chat_message(chair.page, "Gõ khi đang mất mạng")).to_have_count(0)

    officer.context.set_offline(False)
    expect(page.locator("#chat-connection")).to_have_attribute("data-state", "connected", timeout=30_000)
    # what was missed arrives, in order, with no reload
    for text in ("Tin nhắn thứ nhất khi đồng chí mất mạng", "Tin nhắn thứ hai khi đồng chí mất mạng"):
        expect(chat_message(page, text)).to_have_count(1)
    # the offline message goes out once, and is shown once on both sides
    expect(chat_message(chair.page, "Gõ khi đang mất mạng")).to_have_count(1, timeout=20_000)
    expect(chat_message(page, "Gõ khi đang mất mạng")).to_have_count(1)
    expect(page.locator("#chat-pending .chat-msg")).to_have_count(0)
    assert_not_reloaded(page)
    bodies = [m.inner_text() for m in page.locator("#chat-list .chat-msg .chat-body").all()]
    assert bodies == ["Trước khi mất mạng", "Tin nhắn thứ nhất khi đồng chí mất mạng",
                      "Tin nhắn thứ hai khi đồng chí mất mạng", "Gõ khi đang mất mạng"], bodies

    # the server stored it once (the API is what integrations read)
    res = chair.api("GET", f"/api/v1/meetings/{meeting_id}/messages?limit=200")
    stored = [m["body"] for m in res["data"]["items"]]
    assert stored.count("Gõ khi đang mất mạng") == 1, stored
    # a reload of the page does not send it again either (the outbox is empty)
    page.reload()
    expect(page.locator("#chat-connection")).to_have_attribute("data-state", "connected")
    expect(chat_message(page, "Gõ khi đang mất mạng")).to_have_count(1)
    res = chair.api("GET", f"/api/v1/meetings/{meeting_id}/messages?limit=200")
    assert [m["body"] for m in res["data"]["items"]].count("Gõ khi đang mất mạng") == 1
