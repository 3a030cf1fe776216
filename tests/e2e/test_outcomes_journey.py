"""The outcomes journey in the browser: the secretary writes minutes the others watch appear, the chair
runs a vote and the speaker queue, two conclusions become directives that reach their agency at once,
the chair finalizes the minutes and downloads a Word biên bản; a stale save shows the merge view."""
import io
import re

import pytest
from docx import Document
from playwright.sync_api import expect

from tests.e2e.conftest import TIMEOUT_MS
from tests.e2e.test_meeting_journey import create_meeting, enter_room

pytestmark = pytest.mark.e2e


def test_minutes_vote_speakers_conclusions_directives_and_the_word_minutes(server, actors):
    chair, secretary, officer, lead_officer = actors("chutich"), actors("thuky"), actors("syt1"), actors("syt2")
    meeting_id = create_meeting(server, chair, "Giao ban kết quả tháng 11", ["thuky", "syt1"], start=True)
    c, s, o = (enter_room(a, meeting_id) for a in (chair, secretary, officer))

    # minutes: typed by the secretary, autosaved, seen live by the officer as sanitised HTML
    s.fill("#minutes-editor", "# Khai mạc\n**Chủ tịch** chủ trì.\n\n<img src=x onerror=alert(1)>\n- Sở Y tế báo cáo")
    expect(s.locator("#minutes-meta")).to_contain_text("1", timeout=TIMEOUT_MS)
    expect(o.locator("#minutes-view strong")).to_have_text("Chủ tịch")
    expect(o.locator("#minutes-view h1")).to_have_text("Khai mạc")
    assert o.locator("#minutes-view img").count() == 0

    # a named vote: the officer votes, changes his mind, the chair sees the live tally and closes it
    c.click("#vote-open-box summary")
    c.fill("#vote-question", "Thông qua kế hoạch quý IV?")
    c.click("#vote-open-submit")
    o.locator(".vote-card .vote-option").nth(0).click()
    o.locator(".vote-card .vote-option").nth(1).click()
    expect(c.locator(".vote-card .vote-count").nth(1)).to_contain_text("1 ·")
    expect(c.locator(".vote-card .vote-count").nth(0)).to_contain_text("0 ·")
    c.locator(".vote-card button", has_text=re.compile("Kết thúc biểu quyết")).click()
    expect(o.locator(".vote-card .badge").first).to_have_text("Đã kết thúc")
    assert o.locator(".vote-card button.vote-option").count() == 0  # closed: no more voting

    # the speaker queue: the officer raises his hand, only the chair gives the floor
    o.click("#speaker-toggle")
    expect(c.locator("#speaker-queue li")).to_have_count(1)
    assert o.locator("#speaker-queue button").count() == 0
    c.locator("#speaker-queue li button.btn-success").click()
    expect(o.locator("#speaker-current-name")).to_contain_text("Đỗ Văn Long")

    # two conclusions, each turned into a directive through the prefilled form
    s.click("#oc-tab-conclusions")
    for text in ("Sở Y tế chủ trì rà soát danh sách tiêm chủng trước 20/12/2099.",
                 "Sở Y tế báo cáo kết quả giải ngân trước 30/12/2099."):
        s.fill("#conclusion-text", text)
        s.click("#conclusion-add")
        expect(s.locator("#conclusion-text")).to_have_value("")  # recorded
    c.click("#oc-tab-conclusions")
    expect(c.locator("#conclusion-list li")).to_have_count(2)
    lead_officer.page.goto("/")
    lead_officer.socket_connected()
    for n in range(2):
        c.locator("#conclusion-list li").nth(n).locator("a.assign-btn").click()
        expect(c.locator("#f-lead_agency_id option:checked")).to_have_text("Sở Y tế")
        c.click("#assign-submit")
        expect(c.locator("#directives .list-group-item")).to_have_count(n + 1)
        # the lead agency's officer hears of it at once
        expect(lead_officer.page.locator("#toasts .toast").nth(n)).to_contain_text("Sở Y tế", timeout=TIMEOUT_MS)
        c.goto(f"/meetings/{meeting_id}/room")
        c.click("#oc-tab-conclusions")
    expect(c.locator("#directive-list .directive-row")).to_have_count(2)
    expect(c.locator("#directive-list .tracking-badge").first).to_have_text("Trong hạn")

    # the chair finalizes; the editor locks for the secretary; the Word minutes download
    c.click("#oc-tab-minutes")
    with chair.confirming():
        c.click("#minutes-finalize")
    expect(s.locator("#minutes-status")).to_have_text("Đã chốt")
    expect(s.locator("#minutes-editor-box")).to_be_hidden()
    with c.expect_download() as download:
        c.click("#minutes-downloads button")
        c.click("#download-minutes")
    doc = Document(io.BytesIO(download.value.path().read_bytes()))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "BIÊN BẢN CUỘC HỌP" in text and "Giao ban kết quả tháng 11" in text
    assert "Sở Y tế chủ trì rà soát danh sách tiêm chủng trước 20/12/2099." in text
    # the vote as a biên bản reports it: out of the delegates present
    assert re.search(r"Kết quả: 0/(\d+) đại biểu có mặt chọn “Đồng ý” \(0%\); 1/\1 đại biểu có mặt chọn “Không đồng ý”",
                     text), text


def test_a_stale_save_never_overwrites_and_shows_both_texts(server, actors):
    chair, secretary = actors("chutich"), actors("thuky")
    secretary.allow(r"409")  # the refused stale save is logged by the browser
    meeting_id = create_meeting(server, chair, "Họp thử xung đột biên bản", ["thuky"], start=True)
    c, s = enter_room(chair, meeting_id), enter_room(secretary, meeting_id)
    s.fill("#minutes-editor", "Dòng của thư ký")
    expect(c.locator("#minutes-editor")).to_have_value("Dòng của thư ký")
    # the secretary goes on typing offline of the server's knowledge while the chair saves first
    s.evaluate("document.getElementById('minutes-editor').value += '\\nThêm ý của thư ký'")
    c.fill("#minutes-editor", "Dòng của thư ký\nSửa của chủ trì")
    c.locator("#minutes-editor").blur()
    expect(c.locator("#minutes-meta")).to_contain_text("2")
    s.dispatch_event("#minutes-editor", "input")
    expect(s.locator("#minutes-conflict")).to_be_visible()
    expect(s.locator("#minutes-theirs")).to_have_value("Dòng của thư ký\nSửa của chủ trì")
    expect(s.locator("#minutes-mine")).to_have_value("Dòng của thư ký\nThêm ý của thư ký")
    s.fill("#minutes-mine", "Dòng của thư ký\nSửa của chủ trì\nThêm ý của thư ký")
    s.click("#minutes-save-merge")
    expect(c.locator("#minutes-editor")).to_have_value("Dòng của thư ký\nSửa của chủ trì\nThêm ý của thư ký")
    res = chair.api("GET", f"/api/v1/meetings/{meeting_id}/minutes")
    assert res["data"] == {
        "body": "Dòng của thư ký\nSửa của chủ trì\nThêm ý của thư ký",
        "version": 3,
        "status": "draft",
    }
