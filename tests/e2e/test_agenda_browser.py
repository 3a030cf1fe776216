"""Agenda control in Chromium (issue 13): the chair opens item 1, then item 2; a participant's room (on a phone)
follows live (the line at the top, the highlighted item, its timer against the planned minutes) and the minutes
get both headings. The agenda editor reorders rows from the keyboard. Screenshots of both, desktop and phone."""
import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import PHONE, assert_not_reloaded, no_horizontal_scroll, no_reload_marker, shot, user_id
from tests.e2e.test_meeting_journey import enter_room

pytestmark = pytest.mark.e2e

ITEMS = ["Tình hình giải ngân vốn đầu tư công", "Công tác phòng chống thiên tai"]


def _meeting(server, chair):
    starts = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5)
    res = chair.api("POST", "/api/v1/meetings", {
        "title": "Giao ban điều hành chương trình họp", "starts_at": starts.isoformat(),
        "participant_ids": [user_id(server, "syt1"), user_id(server, "thuky")],
        "secretary_id": user_id(server, "thuky"),
        "agenda": [{"title": ITEMS[0], "presenter_id": user_id(server, "syt1"), "planned_minutes": 20},
                   {"title": ITEMS[1], "planned_minutes": 15}],
    })
    assert res["status"] == 201, res
    meeting_id = res["data"]["id"]
    assert chair.api("POST", f"/api/v1/meetings/{meeting_id}/start")["status"] == 200
    return meeting_id


def test_the_chair_moves_through_the_agenda_and_a_phone_follows_live(server, actors):
    chair, officer = actors("chutich"), actors("syt1", viewport=PHONE)
    meeting_id = _meeting(server, chair)
    mine = enter_room(chair, meeting_id)
    theirs = enter_room(officer, meeting_id)
    no_reload_marker(theirs)
    line = theirs.locator("#agenda-current")
    expect(line).to_be_hidden()  # nothing under discussion yet, and the officer does not run the agenda
    expect(mine.locator("#agenda-next")).to_contain_text("1")

    mine.click("#agenda-next")  # Chuyển sang nội dung 1
    expect(line).to_be_visible()
    expect(theirs.locator("#agenda-current-title")).to_have_text("1. " + ITEMS[0])
    timer = theirs.locator("#agenda-current-timer")
    expect(timer).to_have_text(re.compile(r"^0:0\d / 20:00$"))
    first = timer.text_content()
    expect(timer).not_to_have_text(first, timeout=3000)  # it runs

    mine.click("#agenda-next")  # on to item 2: item 1 closes
    expect(theirs.locator("#agenda-current-title")).to_have_text("2. " + ITEMS[1])
    expect(timer).to_have_text(re.compile(r"^0:0\d / 15:00$"))
    theirs.click("[data-room-tab='info']")  # the agenda lives in the phone's Details tab
    items = theirs.locator("#agenda-list [data-item-id]")
    expect(items.nth(1)).to_have_class(re.compile(r"\bis-current\b"))
    expect(items.nth(0)).to_have_class(re.compile(r"\bis-done\b"))
    expect(items.nth(1).locator("[data-item-timer]")).to_be_visible()
    theirs.locator("#agenda-current").scroll_into_view_if_needed()
    no_horizontal_scroll(theirs, PHONE["width"])
    shot(theirs, "agenda-room-phone")

    # the minutes: both headings, for the officer (rendered) and in the chair's editor
    theirs.click("[data-room-tab='outcomes']")
    headings = theirs.locator("#minutes-view h2")
    expect(headings).to_have_text(["1. " + ITEMS[0], "2. " + ITEMS[1]])
    expect(mine.locator("#minutes-editor")).to_have_value(f"## 1. {ITEMS[0]}\n\n## 2. {ITEMS[1]}\n")
    mine.locator("#agenda-current").scroll_into_view_if_needed()
    shot(mine, "agenda-room-desktop")
    mine.locator("#agenda-card").scroll_into_view_if_needed()
    shot(mine, "agenda-list-desktop")
    assert_not_reloaded(theirs)


def test_the_agenda_editor_reorders_from_the_keyboard(server, actors):
    chair = actors("chutich")
    meeting_id = _meeting(server, chair)
    page = chair.goto(f"/meetings/{meeting_id}/edit")
    rows = page.locator("#agenda-rows [data-agenda-row]")
    expect(rows).to_have_count(2)  # the empty row a page without script adds with is gone: there is a button
    # the presenter picker offers the invitees only
    presenter = rows.nth(0).locator("[data-agenda-presenter]")
    expect(presenter).to_have_value(str(user_id(server, "syt1")))
    assert presenter.locator("option").count() == 4  # none, the chair, the secretary, syt1
    rows.nth(0).locator('[data-agenda-move="1"]').focus()
    page.keyboard.press("Enter")
    expect(rows.nth(0).locator("[data-agenda-title]")).to_have_value(ITEMS[1])
    expect(rows.nth(1).locator("[data-agenda-title]")).to_have_value(ITEMS[0])
    expect(page.locator("#agenda-status")).to_have_text(re.compile("2"))
    focused = page.evaluate(
        "document.activeElement.closest('[data-agenda-row]').querySelector('[data-agenda-title]').value")
    assert focused == ITEMS[0]  # the focus moved with the item
    page.click("#agenda-add")
    expect(rows).to_have_count(3)
    page.keyboard.type("Các nội dung khác")  # the new row's title has the focus
    rows.nth(2).locator("input[name='agenda_minutes']").fill("10")
    page.locator("#agenda-editor").scroll_into_view_if_needed()
    shot(page, "agenda-editor-desktop")
    page.set_viewport_size(PHONE)
    page.locator("#agenda-editor").scroll_into_view_if_needed()
    no_horizontal_scroll(page, PHONE["width"])
    shot(page, "agenda-editor-phone")
    page.set_viewport_size({"width": 1366, "height": 850})
    page.click("#meeting-save")
    expect(page).to_have_url(re.compile(rf"/meetings/{meeting_id}$"))
    agenda = chair.api("GET", f"/api/v1/meetings/{meeting_id}")["data"]["agenda"]
    assert [(a["title"], a["planned_minutes"]) for a in agenda] == [
        (ITEMS[1], 15), (ITEMS[0], 20), ("Các nội dung khác", 10)]
