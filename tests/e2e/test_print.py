"""Printing the directive page and the tracking board: the print stylesheet is linked, the navbar,
buttons and forms are gone on paper, tables stay tables, and each screen makes a sensible PDF
(written next to the screenshots; rendered to PNG pages when pdftoppm is installed, to look at)."""
import re
import shutil
import subprocess

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import SCREENSHOTS

pytestmark = pytest.mark.e2e


def pdf_of(page, name, landscape=False):
    """The page as Chromium prints it (its @page size and margins), as PDF bytes; also saved with
    PNG pages beside it when pdftoppm is there."""
    data = page.pdf(prefer_css_page_size=True, print_background=True)
    assert data.startswith(b"%PDF-")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"print-{name}.pdf"
    path.write_bytes(data)
    if shutil.which("pdftoppm"):
        subprocess.run(["pdftoppm", "-png", "-r", "60", str(path), str(SCREENSHOTS / f"print-{name}")],
                       check=True, timeout=60)
    pages = len(re.findall(rb"/Type\s*/Page[^s]", data))
    sizes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", data)
    assert pages >= 1 and sizes
    width, height = (float(v) for v in sizes[0])
    assert (width > height) == landscape, f"{name}: page {width}x{height} pt"
    return pages


def print_view(page):
    page.emulate_media(media="print")
    expect(page.locator(".app-navbar")).to_be_hidden()
    assert page.locator('link#print-css[media="print"]').count() == 1


def test_the_directive_page_prints_its_header_content_agencies_and_history_without_controls(actors):
    leader = actors("chutich")
    listing = leader.api("GET", "/api/v1/directives?status=issued&limit=5")
    directive = max(listing["data"]["items"], key=lambda d: len(d["assignments"]))
    page = leader.page
    page.goto(f"/directives/{directive['id']}")
    expect(page.locator(".app-navbar")).to_be_visible()
    expect(page.locator("#correct-directive")).to_be_visible()
    expect(page.locator("#print-as-of")).to_be_hidden()

    print_view(page)
    for hidden in ("#correct-directive", "#print-directive", "#part-actions", ".breadcrumb", "form"):
        assert page.locator(hidden).first.is_hidden(), hidden
    for shown in (".directive-number", ".directive-heading", ".directive-meta", "#print-as-of", ".directive-body",
                  ".agency-table", "#part-history"):
        expect(page.locator(shown).first).to_be_visible()
    head = page.locator(".directive-head").inner_text()
    assert directive["number"] in head and re.search(r"\d{2}/\d{2}/\d{4}", head)  # issued and deadline dates
    # A4 is as narrow as a phone: the agency table must not turn into cards on paper
    assert page.locator(".agency-table thead").evaluate("el => getComputedStyle(el).display") == "table-header-group"
    assert page.locator(".agency-table tbody tr").first.evaluate("el => getComputedStyle(el).display") == "table-row"
    pdf_of(page, "directive")

    page.emulate_media(media="screen")
    expect(page.locator(".app-navbar")).to_be_visible()


def test_the_tracking_board_prints_landscape_with_its_numbers_and_table_without_controls(actors):
    leader = actors("chutich")
    page = leader.page
    page.goto("/directives/dashboard")
    expect(page.locator("#stats-body tr").first).to_be_visible()
    print_view(page)
    for hidden in ("#dash-filters", "#print-board", ".live-dot"):
        assert page.locator(hidden).first.is_hidden(), hidden
    for shown in ("#kpis", "#print-as-of", "#stats-table", "#ranking"):
        expect(page.locator(shown)).to_be_visible()
    pages = pdf_of(page, "dashboard", landscape=True)
    assert pages >= 2  # the per-agency table starts a page of its own
