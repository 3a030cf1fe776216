"""Issue 13 in Chromium: the chair adds a paper on the meeting's documents page and reads it in the viewer, then
presents it in the live room to two attendees (three browsers): their viewers follow the presenter's pages within a
second, one steps away to read alone and comes back with "Theo dõi người trình bày", and one who joins late lands
on the current page. Screenshots of the list, the viewer and presenting, on a computer and a phone."""
import time

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import PHONE, no_horizontal_scroll
from tests.e2e.conftest import shot as take_shot
from tests.e2e.test_meeting_journey import create_meeting, enter_room
from tests.pdf_support import make_pdf

pytestmark = pytest.mark.e2e
FOLLOW_MS = 1000


def shot(page, name):
    page.evaluate("document.fonts.ready.then(() => true)")  # the icons' font, or the picture has holes
    take_shot(page, name)


def viewer(page):
    return page.locator("#present-viewer")


def follows(page, n, timeout=FOLLOW_MS):
    """The page's presenting viewer shows page ``n`` within ``timeout`` ms; returns how long it took (ms)."""
    start = time.monotonic()
    expect(viewer(page)).to_have_attribute("data-page", str(n), timeout=timeout)
    return (time.monotonic() - start) * 1000


def test_documents_read_and_presented_live_to_three_browsers(actors, server):
    chair = actors("chutich")
    meeting_id = create_meeting(server, chair, "Giao ban trực tuyến: tài liệu", ["thuky", "syt1", "syt2"],
                                start=True)

    # the documents page: upload through the form, listed under the meeting, read in the viewer
    page = chair.goto(f"/meetings/{meeting_id}/documents")
    expect(page.locator("#documents-empty")).to_be_visible()
    page.set_input_files("#f-file", files=[{"name": "Báo cáo kinh tế - xã hội.pdf", "mimeType": "application/pdf",
                                            "buffer": make_pdf(5, "Bao cao KT-XH")}])
    page.click("#document-upload-btn")
    row = page.locator(".doc-row", has_text="Báo cáo kinh tế - xã hội.pdf")
    expect(row).to_be_visible()
    page.set_input_files("#f-file", files=[{"name": "Tờ trình.pdf", "mimeType": "application/pdf",
                                            "buffer": make_pdf(2, "To trinh")}])
    page.select_option("#f-agenda_item_id", index=1)
    page.click("#document-upload-btn")
    expect(page.locator(".doc-row", has_text="Tờ trình.pdf")).to_be_visible()
    shot(page, "documents-list-desktop")
    row.locator(".doc-name").click()
    expect(page.locator("#document-viewer")).to_have_attribute("data-page", "1")
    expect(page.locator("[data-testid=doc-page-label]")).to_have_text("Trang 1/5")
    page.locator("#document-viewer button[aria-label='Trang sau']").click()
    expect(page.locator("#document-viewer")).to_have_attribute("data-page", "2")
    shot(page, "document-viewer-desktop")

    # the live room: the chair presents, an attendee on a computer follows
    member = actors("syt1")
    chair_room = enter_room(chair, meeting_id)
    member_room = enter_room(member, meeting_id)
    chair_room.select_option("#present-document", label="Báo cáo kinh tế - xã hội.pdf")
    chair_room.click("#present-start")
    expect(viewer(chair_room)).to_have_attribute("data-page", "1")
    follows(member_room, 1, timeout=10_000)  # the first open loads pdf.js and the file
    expect(member_room.locator("#present-status")).to_contain_text("Nguyễn Văn Minh đang trình bày")
    chair_room.locator("#present-viewer button[aria-label='Trang sau']").click()
    times = [follows(member_room, 2)]

    # a late joiner, on a phone, lands on the current page
    late = actors("syt2", viewport=PHONE)
    late_room = enter_room(late, meeting_id)
    follows(late_room, 2, timeout=10_000)
    expect(late_room.locator("[data-testid=doc-page-label]")).to_have_text("Trang 2/5")
    no_horizontal_scroll(late_room, PHONE["width"])

    # the presenter turns pages: both follow within a second
    next_button = chair_room.locator("#present-viewer button[aria-label='Trang sau']")
    next_button.click()
    times += [follows(member_room, 3), follows(late_room, 3)]

    # the computer attendee steps back to read alone; the presenter goes on without them
    member_room.locator("#present-viewer button[aria-label='Trang trước']").click()
    expect(viewer(member_room)).to_have_attribute("data-page", "2")
    expect(member_room.locator("#present-follow")).to_be_visible()
    expect(member_room.locator("#present-card")).to_have_attribute("data-state", "away")
    next_button.click()
    times.append(follows(late_room, 4))
    time.sleep(0.3)
    expect(viewer(member_room)).to_have_attribute("data-page", "2")
    shot(late_room, "document-presenting-phone")
    shot(member_room, "document-presenting-away-desktop")

    # "Theo dõi người trình bày" brings them back to the presenter's page, and they follow again
    member_room.click("#present-follow")
    times.append(follows(member_room, 4))
    expect(member_room.locator("#present-follow")).to_be_hidden()
    next_button.click()
    times += [follows(member_room, 5), follows(late_room, 5)]
    shot(chair_room, "document-presenting-desktop")
    print(f"follow times (ms): {[round(t) for t in times]}")

    # the presenter stops: every viewer closes
    chair_room.click("#present-stop")
    for p in (member_room, late_room):
        expect(viewer(p)).to_be_hidden()

    # the phone: the list and the viewer fit its width
    phone_page = late.page
    phone_page.goto(f"/meetings/{meeting_id}/documents")
    expect(phone_page.locator(".doc-row")).to_have_count(2)
    no_horizontal_scroll(phone_page, PHONE["width"])
    shot(phone_page, "documents-list-phone")
    phone_page.locator(".doc-row .doc-name", has_text="Báo cáo").click()
    expect(phone_page.locator("#document-viewer")).to_have_attribute("data-page", "1")
    no_horizontal_scroll(phone_page, PHONE["width"])
    shot(phone_page, "document-viewer-phone")
