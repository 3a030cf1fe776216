"""Search from the navbar (issue 15): an officer types without diacritics, finds their agency's directive
(and not another agency's), and opens it; the results page on a desktop and on a phone."""
import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import DESKTOP, PHONE, SCREENSHOTS

pytestmark = pytest.mark.e2e


def test_an_officer_searches_without_marks_from_the_navbar_and_opens_the_directive(actors):
    officer = actors("syt1", viewport=DESKTOP)
    page = officer.page
    page.goto("/")
    page.fill("#nav-search-q", "sot xuat huyet")
    page.press("#nav-search-q", "Enter")
    expect(page).to_have_url(re.compile(r"/search\?q=sot\+xuat\+huyet"))
    result = page.locator("#group-directive .search-result").first
    expect(result.locator("mark").first).to_have_text("sốt")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "search-desktop.png"), full_page=True)
    result.locator("a.search-title").click()
    expect(page).to_have_url(re.compile(r"/directives/\d+$"))
    expect(page.locator("h1")).to_contain_text("sốt xuất huyết")

    # another agency's directive (Sở Thông tin và Truyền thông's "chuyển đổi số") is not found, not even counted
    page.fill("#nav-search-q", "chuyen doi so tiep nhan")
    page.press("#nav-search-q", "Enter")
    expect(page.locator("#search-count")).to_contain_text("chuyen doi so")
    expect(page.locator(".search-result")).to_have_count(0)

    phone = actors("syt1", viewport=PHONE)
    phone.page.goto("/search?q=sot+xuat+huyet")
    expect(phone.page.locator("#group-directive .search-result").first).to_be_visible()
    phone.page.screenshot(path=str(SCREENSHOTS / "search-phone.png"), full_page=True)
    phone.page.click(".navbar-toggler")
    expect(phone.page.locator("#nav-search-q")).to_be_visible()  # on a phone the box is in the menu
    phone.page.screenshot(path=str(SCREENSHOTS / "search-phone-menu.png"))
