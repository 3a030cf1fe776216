"""Replying to an invitation in a real browser: an officer who cannot attend sends a colleague of the same
department in their place from the meeting page; the chair, with the meeting page open, sees the answer
arrive without reloading; the colleague is told, has the meeting, and takes part live when it starts."""
from playwright.sync_api import expect

from tests.e2e.conftest import PHONE, no_horizontal_scroll, shot, user_id
from tests.e2e.test_meeting_journey import create_meeting
from tests.e2e.test_meetings_chat_browser import enter


def test_an_officer_sends_a_colleague_in_their_place_and_the_chair_sees_it_live(server, actors):
    chair, officer = actors("chutich"), actors("syt1", viewport=PHONE)
    mid = create_meeting(server, chair, "Họp triển khai tiêm chủng", ["syt1"])
    colleague_id = user_id(server, "syt2")

    chair_page = chair.goto(f"/meetings/{mid}")
    replies = chair_page.locator("#meeting-replies")
    expect(replies.locator(f'[data-user-id="{user_id(server, "syt1")}"]')).to_contain_text("Chưa trả lời")

    page = officer.goto(f"/meetings/{mid}")
    form = page.get_by_test_id("reply-form")
    expect(form.locator("#reply-substitute-id")).to_be_hidden()  # only once "send a substitute" is chosen
    form.locator("label[for=reply-substitute]").click()
    form.locator("#reply-substitute-id").select_option(str(colleague_id))
    form.locator("#reply-reason").fill("Đi kiểm tra cơ sở tại huyện")
    no_horizontal_scroll(page, PHONE["width"])
    shot(page, "meeting-reply-phone")
    form.get_by_test_id("reply-submit").click()
    expect(page.locator(".alert-success, .toast")).to_contain_text("Người dự thay đã được mời")
    expect(page.get_by_test_id("my-reply-state")).to_contain_text("Cử người dự thay")

    # the chair's open page follows: the answer, the colleague and the reason, without a reload
    row = replies.locator(f'[data-user-id="{user_id(server, "syt1")}"]')
    expect(row).to_contain_text("Cử người dự thay")
    expect(row).to_contain_text("Đi kiểm tra cơ sở tại huyện")
    expect(replies.locator(f'[data-user-id="{colleague_id}"]')).to_have_count(1)
    expect(replies.locator('[data-count="substitute"]')).to_have_text("1")
    shot(chair_page, "meeting-replies")

    # the colleague is invited in their place: told, and in the live room once the meeting starts
    colleague = actors("syt2")
    expect(colleague.goto("/notifications").locator("main")).to_contain_text("Họp triển khai tiêm chủng")
    colleague_page = colleague.goto(f"/meetings/{mid}")
    expect(colleague_page.locator("#my-reply")).to_contain_text("dự họp thay")
    assert chair.api("POST", f"/api/v1/meetings/{mid}/start")["status"] == 200
    enter(colleague, mid)
    expect(colleague.page.locator("#chat-connection")).to_have_attribute("data-state", "connected")
