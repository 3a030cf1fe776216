"""Journey 4: text that looks like HTML is shown as text everywhere, and never runs.

Every Actor fails the test on any dialog (alert/confirm/prompt), uncaught error or CSP violation.
"""
import datetime as dt

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import agency_id, no_reload_marker
from tests.e2e.test_meeting_journey import create_meeting, enter_room, send_chat

pytestmark = pytest.mark.e2e

IMG = "<img src=x onerror=alert(1)>"
SCRIPT = "<script>alert(2)</script>"
HOSTILE = f"Báo cáo {IMG} và {SCRIPT} xong"


def no_injected_markup(page):
    """Nothing of the payload became an element: no <img src=x>, no script with alert()."""
    assert page.locator("img[src='x']").count() == 0, f"an <img> was injected on {page.url}"
    scripts = page.eval_on_selector_all("script", "els => els.map(e => e.textContent)")
    assert not any("alert(" in s for s in scripts), f"a <script> was injected on {page.url}"


def test_hostile_chat_message_shows_as_text(server, actors):
    chair, officer = actors("chutich"), actors("stc1")
    meeting_id = create_meeting(server, chair, f"Họp {IMG}", ["stc1"], start=True)
    enter_room(chair, meeting_id)
    enter_room(officer, meeting_id)
    # the meeting title itself is shown as text in the room
    expect(officer.page.locator("#room-title")).to_have_text(f"Họp {IMG}")

    send_chat(officer.page, HOSTILE)
    send_chat(chair.page, SCRIPT)
    for page in (chair.page, officer.page):
        expect(page.locator("#chat-list .chat-msg .chat-body")).to_have_text([HOSTILE, SCRIPT])
        no_injected_markup(page)
    # and again when the history is loaded from the server rather than pushed live
    officer.page.reload()
    expect(officer.page.locator("#chat-list .chat-msg .chat-body")).to_have_text([HOSTILE, SCRIPT])
    no_injected_markup(officer.page)


def test_hostile_directive_title_shows_as_text(server, actors):
    leader, officer = actors("chutich"), actors("snv1")
    officer.page.goto("/directives/inbox")
    officer.socket_connected()
    no_reload_marker(officer.page)

    deadline = (dt.datetime.now(dt.UTC) + dt.timedelta(days=10)).isoformat()
    res = leader.api("POST", "/api/v1/directives", {
        "title": HOSTILE, "body": f"Nội dung {SCRIPT}\n\n{IMG}", "deadline": deadline, "priority": "urgent",
        "lead_agency_id": agency_id(server, "SNV"),
    })
    assert res["status"] == 201, res
    directive_id = res["data"]["id"]

    # pushed live into the officer's inbox (and its toast), as text
    row = officer.page.locator(".inbox-row", has_text=IMG)
    expect(row.locator(".directive-title")).to_have_text(HOSTILE)
    no_injected_markup(officer.page)

    for actor, path in ((officer, "/directives/inbox"), (officer, f"/directives/{directive_id}"),
                        (leader, f"/directives/{directive_id}"), (leader, "/directives"),
                        (officer, "/notifications"), (leader, "/directives/dashboard")):
        actor.page.goto(path)
        no_injected_markup(actor.page)
        if "/directives/" in path and path.split("/")[-1].isdigit():
            expect(actor.page.locator("h1.directive-heading")).to_have_text(HOSTILE)
            # the body is sanitised Markdown: raw HTML is dropped, the rest is shown
            expect(actor.page.locator(".directive-body")).to_contain_text("Nội dung")
    leader.page.goto("/directives")
    expect(leader.page.get_by_text(HOSTILE).first).to_be_visible()
