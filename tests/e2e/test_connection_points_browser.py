"""Connection points (điểm cầu) in the live room: a district's officer declares their hall and the people in
it, and another participant's room shows it at once with the total; on a phone, under the Details tab."""
from playwright.sync_api import expect

from tests.e2e.conftest import PHONE, SCREENSHOTS, query

LIVE_DEMO = "Họp trực tuyến về phòng, chống dịch bệnh mùa đông"  # meetings/demo.py: hds1 and syt1 invited


def test_a_declared_connection_point_shows_live_in_another_participants_room(server, actors):
    mid = query(server, "SELECT id FROM meetings WHERE title = ?", LIVE_DEMO)[0][0]
    watcher = actors("syt1")
    seen = watcher.goto(f"/meetings/{mid}/room")
    expect(seen.locator("#chat-connection")).to_have_attribute("data-state", "connected")
    expect(seen.locator("#points-card")).to_be_visible()

    district = actors("hds1", viewport=PHONE)
    page = district.goto(f"/meetings/{mid}/room")
    expect(page.locator("#chat-connection")).to_have_attribute("data-state", "connected")
    page.click('[data-room-tab="info"]')
    card = page.locator("#points-card")
    expect(card).to_be_visible()
    district.allow(r"status of 422")  # the refused count below, on purpose
    page.fill("#points-people-input", "0")
    page.click("#points-submit")
    expect(page.locator("#points-error")).not_to_be_empty()  # the server names the field; nothing stored
    page.fill("#points-people-input", "45")
    page.click("#points-submit")
    mine = card.locator("#points-list li.is-me")
    expect(mine).to_have_count(1)
    agency = mine.locator(".points-agency").inner_text()
    expect(mine.locator(".points-count")).to_have_text("45")
    expect(page.locator("#points-submit")).to_contain_text("Cập nhật")
    card.screenshot(path=str(SCREENSHOTS / "connection-points-phone.png"))
    page.screenshot(path=str(SCREENSHOTS / "connection-points-room-phone.png"), full_page=True)

    # the other participant's list follows without a reload, with the total
    row = seen.locator("#points-list li", has_text=agency)
    expect(row).to_have_count(1)
    expect(row.locator(".points-count")).to_have_text("45")
    people = int(seen.locator("#points-people").inner_text().replace(".", "").replace(",", ""))
    assert people >= 45
    expect(seen.locator("#points-total-text")).to_contain_text("điểm cầu")
    seen.locator("#points-card").screenshot(path=str(SCREENSHOTS / "connection-points-desktop.png"))
    seen.screenshot(path=str(SCREENSHOTS / "connection-points-room.png"))
    assert query(server, "SELECT people_present FROM meeting_connection_points WHERE meeting_id = ? AND "
                         "operator_id = (SELECT id FROM users WHERE username = 'hds1')", mid) == [(45,)]

    # an update reaches the other room too
    page.fill("#points-people-input", "60")
    page.click("#points-submit")
    expect(row.locator(".points-count")).to_have_text("60")
