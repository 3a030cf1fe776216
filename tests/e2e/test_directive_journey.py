"""Journey 1: a leader issues a directive to two agencies and follows it live while they act on it."""
import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import assert_not_reloaded, no_reload_marker

pytestmark = pytest.mark.e2e

LEAD, SUPPORT = "Sở Y tế", "Sở Giáo dục và Đào tạo"


def local_input(days, hour=17):
    """A value for <input type=datetime-local> in the display zone, and how the pages show it."""
    when = (dt.datetime.now(dt.timezone(dt.timedelta(hours=7))) + dt.timedelta(days=days)).replace(
        hour=hour, minute=0, second=0, microsecond=0)
    return when.strftime("%Y-%m-%dT%H:%M"), when.strftime("%d/%m/%Y %H:%M")


def kpi(page, key):
    return int(re.sub(r"\D", "", page.locator(f"[data-kpi='{key}']").first.inner_text()) or 0)


def issue_directive(page, title, days=14):
    page.goto("/directives/new")
    page.fill("#f-title", title)
    page.fill("#f-body", "Các đơn vị khẩn trương triển khai:\n\n- Rà soát danh sách\n- Báo cáo kết quả về UBND tỉnh")
    value, shown = local_input(days)
    page.fill("#f-deadline", value)
    page.click("label[for=f-priority-high]")
    page.select_option("#f-lead_agency_id", label=LEAD)
    page.locator("#picker-search").fill("giáo dục")
    page.locator(f"#picker-list .picker-item[data-name^='{SUPPORT}'] input").check()
    page.click("#issue-button")
    expect(page).to_have_url(re.compile(r"/directives/\d+$"))
    return int(page.url.rsplit("/", 1)[1]), shown


def test_leader_issues_and_follows_a_directive_live(actors):
    leader, lead_officer, support_officer = actors("chutich"), actors("syt1"), actors("sgddt1")
    title = "Triển khai tiêm chủng mở rộng cho học sinh năm học 2026–2027"

    # the officers sit on their inboxes; the leader keeps the tracking board open in a second tab
    for officer in (lead_officer, support_officer):
        officer.page.goto("/directives/inbox")
        officer.socket_connected()
        no_reload_marker(officer.page)
    board = leader.new_page()
    board.goto("/directives/dashboard")
    leader.socket_connected(board)
    no_reload_marker(board)
    assigned_before, unack_before = kpi(board, "assigned"), kpi(board, "unacknowledged")

    directive_id, deadline_shown = issue_directive(leader.page, title)
    page = leader.page
    leader.socket_connected()
    no_reload_marker(page)
    expect(page.locator("h1.directive-heading")).to_have_text(title)
    lead_row = page.locator("tr[id^='agency-row-']", has_text=LEAD)
    support_row = page.locator("tr[id^='agency-row-']", has_text=SUPPORT)
    expect(lead_row.locator("[data-status]")).to_have_attribute("data-status", "pending")
    expect(support_row.locator("[data-status]")).to_have_attribute("data-status", "pending")

    # the board counts the two new assignments without a reload
    expect(board.locator("[data-kpi='assigned']").first).to_have_text(re.compile(rf"^\s*{assigned_before + 2}\s*$"))
    assert kpi(board, "unacknowledged") == unack_before + 2

    # the lead agency's officer sees it arrive, unacknowledged, and acknowledges from the inbox
    inbox = lead_officer.page
    row = inbox.locator(".inbox-row", has_text=title)
    expect(row).to_have_class(re.compile(r"\binbox-unack\b"))
    expect(row.locator(".directive-title")).to_have_text(title)
    row.locator(".ack-button").click()
    expect(row.locator(".ack-button")).to_have_count(0)
    expect(row.locator("[data-status]")).to_have_attribute("data-status", "acknowledged")
    expect(inbox.locator(".inbox-row.inbox-unack", has_text=title)).to_have_count(0)
    assert_not_reloaded(inbox)

    # the leader's page and board follow without a reload
    expect(lead_row.locator("[data-status]")).to_have_attribute("data-status", "acknowledged")
    expect(lead_row).to_contain_text("Đỗ Văn Long")  # who acknowledged (syt1 in the demo province)
    expect(board.locator("[data-kpi='unacknowledged']").first).to_have_text(
        re.compile(rf"^\s*{unack_before + 1}\s*$"))
    assert_not_reloaded(page)
    assert_not_reloaded(board)

    # the support agency's officer opens it from the inbox, acknowledges, reports progress
    sup = support_officer.page
    sup.locator(".inbox-row", has_text=title).locator(".directive-title").click()
    expect(sup).to_have_url(re.compile(rf"/directives/{directive_id}$"))
    sup.locator("#actions .ack-button").click()
    expect(sup.locator("#f-progress")).to_be_visible()
    expect(support_row.locator("[data-status]")).to_have_attribute("data-status", "acknowledged")
    sup.fill("#f-progress", "40")
    sup.fill("#f-report-note", "Đã rà soát 120/300 trường học trên địa bàn.")
    sup.locator("#tab-report button[type=submit]").click()
    expect(sup.locator("#actions [data-status]").first).to_have_attribute("data-status", "in_progress")
    expect(support_row.locator("[data-status]")).to_have_attribute("data-status", "in_progress")
    expect(support_row.locator(".progress-value")).to_have_text("40%")
    expect(page.locator("#part-history")).to_contain_text("Đã rà soát 120/300 trường học")

    # ... and asks for more time
    new_value, new_shown = local_input(45)
    sup.locator("button[data-bs-target='#tab-ext']").click()
    sup.fill("#f-ext-deadline", new_value)
    sup.fill("#f-ext-reason", "Chờ vắc-xin được cấp bổ sung từ Bộ Y tế.")
    sup.locator("#tab-ext button[type=submit]").click()
    expect(sup.locator("#tab-ext .alert-warning")).to_contain_text(new_shown)
    no_reload_marker(sup)

    # the leader sees the request appear, and approves it
    request = page.locator("[id^='extension-']", has_text=SUPPORT)
    expect(request).to_contain_text("Chờ vắc-xin được cấp bổ sung")
    expect(request).to_contain_text(new_shown)
    assert_not_reloaded(page)
    request.locator("button[type=submit]").first.click()
    expect(page.locator("[id^='extension-']", has_text=SUPPORT)).to_have_count(0)
    expect(support_row).to_contain_text(new_shown)
    expect(lead_row).to_contain_text(deadline_shown)  # the other agency keeps its deadline

    # the officer's page shows the new deadline without a reload
    expect(sup.locator("#actions")).to_contain_text(new_shown)
    expect(sup.locator("#tab-ext .alert-warning")).to_have_count(0)
    assert_not_reloaded(sup)
