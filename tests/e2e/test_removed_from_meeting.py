"""Someone taken off a live meeting's invitation sees it at once, for good, and hears no more of it."""
import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import user_id
from tests.e2e.test_meeting_journey import chat_message, create_meeting, enter_room, send_chat

pytestmark = pytest.mark.e2e


def test_a_removed_attendee_gets_a_lasting_notice_and_no_more_chat(server, actors):
    chair, kept, removed = actors("chutich"), actors("stc1"), actors("stc2")
    meeting_id = create_meeting(server, chair, "Họp rút tên", ["stc1", "stc2"], start=True)
    removed.page.clock.install()  # the page's timers (a toast's hiding) run on a clock the test moves on
    for actor in (chair, kept, removed):
        enter_room(actor, meeting_id)
    send_chat(chair.page, "Trước khi rút tên")
    expect(chat_message(removed.page, "Trước khi rút tên")).to_have_count(1)

    res = chair.api("PATCH", f"/api/v1/meetings/{meeting_id}", {"participant_ids": [user_id(server, "stc1")]})
    assert res["status"] == 200, res
    notice = removed.page.locator("#room-removed")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("danh sách mời")
    expect(removed.page.locator(".room-grid")).to_have_count(0)

    send_chat(chair.page, "Sau khi rút tên")
    expect(chat_message(kept.page, "Sau khi rút tên")).to_have_count(1)
    removed.page.clock.run_for(16_000)  # longer than a toast stays (6 s): fires every timer due in that time
    removed.page.wait_for_timeout(500)  # and real time for a wrong delivery of the chat to arrive
    expect(notice).to_be_visible()
    assert "Sau khi rút tên" not in removed.page.content()
