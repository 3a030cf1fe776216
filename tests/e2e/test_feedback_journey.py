"""No dead ends, in a real browser: a refused extension asks for a reason and a confirmation and the
officer reads it in their card; the board's numbers open the assignments behind them; the chair
finalizes the minutes of an ended meeting from its outcomes page."""
import re
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import agency_id, shot, user_id

pytestmark = pytest.mark.e2e

QUIET = "#toasts { display: none !important; } .connection-banner { display: none !important; }"


def snap(page, name):
    page.add_style_tag(content=QUIET)
    page.mouse.move(0, 0)
    return shot(page, name)


def later(days):
    return (datetime.now(UTC) + timedelta(days=days)).replace(microsecond=0).isoformat()


def test_a_refusal_asks_for_a_reason_and_a_confirmation_and_the_officer_reads_it(actors, server):
    leader, officer = actors("chutich"), actors("syt1")
    res = leader.api("POST", "/api/v1/directives", {
        "title": "Rà soát cơ sở khám chữa bệnh tư nhân", "body": "Báo cáo kết quả rà soát.", "deadline": later(10),
        "lead_agency_id": agency_id(server, "SYT")})
    assert res["status"] == 201, res
    directive = res["data"]
    assignment_id = directive["assignments"][0]["id"]
    assert officer.api("POST", f"/api/v1/assignments/{assignment_id}/acknowledge")["status"] == 200
    res = officer.api("POST", f"/api/v1/assignments/{assignment_id}/extension-requests",
                      {"deadline": later(30), "reason": "Chờ số liệu của 3 huyện miền núi"})
    assert res["status"] == 201, res

    page = leader.goto(f"/directives/{directive['id']}")
    ext_id = res["data"]["id"]
    card = page.locator(f"#extension-{ext_id}")
    card.locator(f"[data-bs-target='#reject-{ext_id}']").click()
    reason = card.locator("textarea[name=reason]")
    expect(reason).to_be_visible()
    reason.fill("Đã gia hạn một lần; đề nghị báo cáo phần đã có trước hạn.")
    snap(page, "feedback-reject-extension")
    with leader.confirming():
        card.locator(f"#reject-{ext_id} button[type=submit]").click()
        expect(page.locator(".alert-success")).to_be_visible()
        assert leader.confirms == 0  # the confirmation was asked, and accepted

    page = officer.goto(f"/directives/{directive['id']}")
    refusal = page.locator("#own-rejection")
    expect(refusal).to_contain_text("Đã gia hạn một lần")
    expect(refusal).to_contain_text("Nguyễn Văn Minh")

    res = officer.api("POST", f"/api/v1/assignments/{assignment_id}/submit", {"note": "Đã rà soát xong"})
    assert res["status"] == 200
    res = leader.api("POST", f"/api/v1/assignments/{assignment_id}/return",
                     {"reason": "Thiếu danh sách cơ sở vi phạm kèm mức xử phạt."})
    assert res["status"] == 200, res
    page.reload()
    expect(page.locator("#own-return")).to_contain_text("Thiếu danh sách cơ sở vi phạm")
    page.locator("#actions").scroll_into_view_if_needed()
    snap(page, "feedback-officer-card")


def test_a_board_number_opens_exactly_the_assignments_it_counts(actors):
    leader = actors("chutich")
    page = leader.goto("/directives/dashboard")
    link = page.locator("#stats-body a.drill-link").filter(has_text=re.compile(r"^\d+$")).first
    expect(link).to_be_visible()  # drawn by dashboard.js
    number = int(link.inner_text())
    snap(page, "feedback-board")
    page.locator("#stats-table").evaluate(
        "el => window.scrollTo(0, el.getBoundingClientRect().top + window.scrollY - 140)"
    )
    link.hover()
    shot(page, "feedback-board-table")
    link.click()
    expect(page).to_have_url(re.compile(r"view=assignments"))
    expect(page.locator("#assignment-rows tbody tr")).to_have_count(min(number, 20))
    expect(page.locator("#list-count")).to_contain_text(str(number))
    snap(page, "feedback-list-by-agency")
    page.goto("/directives/dashboard")
    page.locator("[data-kpi=overdue]").click()
    expect(page.locator("#view-assignments")).to_have_class(re.compile("active"))


def test_the_chair_finalizes_the_minutes_of_an_ended_meeting_from_its_outcomes_page(actors, server):
    chair, deputy = actors("chutich"), actors("phochutich")
    secretary = actors("thuky")
    res = chair.api("POST", "/api/v1/meetings", {
        "title": "Họp rà soát giải ngân vốn đầu tư công", "starts_at": later(0.01),
        "participant_ids": [user_id(server, "thuky"), user_id(server, "phochutich")],
        "secretary_id": user_id(server, "thuky")})
    assert res["status"] == 201, res
    meeting_id = res["data"]["id"]
    assert chair.api("POST", f"/api/v1/meetings/{meeting_id}/start")["status"] == 200
    res = secretary.api("PUT", f"/api/v1/meetings/{meeting_id}/minutes",
                        {"body": "# Biên bản\n- Giải ngân đạt 62% kế hoạch.", "base_version": 0})
    assert res["status"] == 200, res
    assert chair.api("POST", f"/api/v1/meetings/{meeting_id}/end")["status"] == 200

    # before finalizing: a download explains itself instead of a bare error
    page = deputy.goto(f"/meetings/{meeting_id}/documents/bien-ban.docx")
    expect(page).to_have_url(re.compile(rf"/meetings/{meeting_id}/outcomes"))
    expect(page.locator(".alert-warning").first).to_contain_text("chưa được chốt")
    expect(page.locator("#documents-locked")).to_contain_text("Nguyễn Văn Minh")  # who unlocks them
    expect(page.locator("#finalize-minutes")).to_have_count(0)
    snap(page, "feedback-outcomes-early-download")

    page = chair.goto(f"/meetings/{meeting_id}")  # where ending the meeting lands
    expect(page.locator("#outcomes-detail #finalize-minutes")).to_be_visible()
    page.locator("#outcomes-detail").scroll_into_view_if_needed()
    snap(page, "feedback-meeting-ended-card")

    page = chair.goto(f"/meetings/{meeting_id}/outcomes")
    expect(page.locator("#documents-locked")).to_be_visible()
    snap(page, "feedback-outcomes-locked")
    with chair.confirming():
        page.locator("#finalize-minutes").click()
        expect(page.locator(".alert-success")).to_be_visible()
        assert chair.confirms == 0
    expect(page.locator("#download-minutes")).to_be_visible()
    expect(page.locator("#documents-locked")).to_have_count(0)
    with page.expect_download() as info:
        page.locator("#download-minutes").click()
    assert info.value.suggested_filename.endswith(".docx")
