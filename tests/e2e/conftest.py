"""Browser fixtures: headless Debian Chromium driven by Playwright against a real server process.

One server (``python wsgi.py``, fresh SQLite, the demo province) per test module; one browser per
session; one browser context per user, so several users act at once. Every page of every user is
watched: an uncaught JS error, a console error (CSP violations included), a dialog or an HTTP 5xx
fails the test that caused it.
"""
import contextlib
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from tests.conftest import ROOT, LiveServer

DEMO_PASSWORD = "demo1234"
DESKTOP = {"width": 1366, "height": 850}
PHONE = {"width": 390, "height": 844}
TIMEOUT_MS = 10_000
# `make screenshots` writes the README's pictures; a plain test run keeps them out of the tree.
SCREENSHOTS = Path(os.environ.get("SCREENSHOTS_DIR") or Path(tempfile.gettempdir()) / "chidao-screenshots")

# Reported by the page itself on a CSP violation (init scripts are not subject to the CSP).
WATCH_CSP = """
document.addEventListener("securitypolicyviolation", function (e) {
  console.error("CSP violation: " + e.violatedDirective + " blocked " + (e.blockedURI || "inline"));
});
"""

# Console noise that is expected while a context is deliberately offline.
OFFLINE_NOISE = [
    re.compile(r"WebSocket connection to .* failed"),
    re.compile(r"net::ERR_INTERNET_DISCONNECTED"),
    re.compile(r"net::ERR_NETWORK_CHANGED"),
    re.compile(r"Failed to load resource"),
    re.compile(r"Failed to fetch"),
]

def pytest_collection_modifyitems(items):
    for item in items:
        if "/e2e/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.e2e)


def seed_demo(server):
    """``flask --app wsgi seed-demo`` against the server's database, as an operator would run it."""
    env = dict(server.env, ASYNC_MODE="threading")
    res = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "seed-demo"], cwd=str(ROOT), env=env,
        capture_output=True, text=True, timeout=120,
    )
    assert res.returncode == 0, res.stdout + res.stderr


def start_seeded_server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("e2e")
    srv = LiveServer(tmp, name="e2e")
    srv.start()
    try:
        seed_demo(srv)
    except BaseException:
        srv.stop()
        raise
    return srv


@pytest.fixture(scope="session")
def server(tmp_path_factory, browser):
    """One started, seeded server shared by the journeys (``browser`` first, so a missing Chromium skips
    early). Each journey uses its own demo users and its own directives/meetings, and compares counts
    before and after, so they do not disturb one another. A module that needs the pristine demo
    province (the screenshots) overrides this with ``fresh_server``."""
    srv = start_seeded_server(tmp_path_factory)
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def fresh_server(tmp_path_factory, browser):
    srv = start_seeded_server(tmp_path_factory)
    yield srv
    srv.stop()


class Actor:
    """One user in one browser context: a page, logged in through the login form, watched for errors."""

    def __init__(self, browser, server, username, viewport=None, password=DEMO_PASSWORD):
        self.server = server
        self.username = username
        self.password = password
        self.errors = []
        self.allowed = []
        self.confirms = 0  # confirm() dialogs this user is about to accept on purpose
        self.context = browser.new_context(
            base_url=server.url, viewport=viewport or DESKTOP, locale="vi-VN",
            timezone_id="Asia/Ho_Chi_Minh", accept_downloads=True,
        )
        self.context.set_default_timeout(TIMEOUT_MS)
        self.context.add_init_script(WATCH_CSP)
        self.page = self.new_page()

    def new_page(self):
        page = self.context.new_page()
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.errors.append(f"[{self.username}] uncaught JS error: {exc}"))
        page.on("dialog", self._dialog)
        page.on("response", self._response)
        return page

    def _console(self, msg):
        if msg.type != "error":
            return
        text = msg.text
        if any(p.search(text) for p in self.allowed):
            return
        where = (msg.location or {}).get("url", "")
        self.errors.append(f"[{self.username}] console error: {text} ({where})")

    def _dialog(self, dialog):
        if dialog.type == "confirm" and self.confirms > 0:
            self.confirms -= 1
            dialog.accept()
            return
        self.errors.append(f"[{self.username}] unexpected {dialog.type} dialog: {dialog.message!r}")
        dialog.dismiss()

    @contextlib.contextmanager
    def confirming(self):
        """Accept the one confirm() the next action asks for ("End the meeting for everyone?")."""
        self.confirms += 1
        try:
            yield
        finally:
            self.confirms = 0

    def _response(self, response):
        if response.status >= 500:
            self.errors.append(f"[{self.username}] HTTP {response.status} on {response.url}")
        elif response.status == 404 and "/static/" in response.url:
            self.errors.append(f"[{self.username}] missing static file {response.url}")

    def allow(self, *patterns):
        """Console errors matching these are expected (e.g. while offline)."""
        self.allowed.extend(re.compile(p) if isinstance(p, str) else p for p in patterns)

    def login(self):
        from playwright.sync_api import expect

        page = self.page
        page.goto("/login")
        page.fill("#username", self.username)
        page.fill("#password", self.password)
        page.click("#login-submit")
        expect(page).not_to_have_url(re.compile(r"/login"), timeout=TIMEOUT_MS)
        return self

    def goto(self, path):
        self.page.goto(path)
        return self.page

    def socket_connected(self, page=None):
        from playwright.sync_api import expect

        expect((page or self.page).locator("body")).to_have_attribute("data-socket", "connected", timeout=TIMEOUT_MS)

    def api(self, method, path, body=None):
        """Call the JSON API with this user's session (cookie + CSRF header), from the page itself."""
        return self.page.evaluate(
            """async ([method, path, body]) => {
                const meta = document.querySelector('meta[name="csrf-token"]');
                const res = await fetch(path, {method, credentials: "same-origin",
                  headers: {"Content-Type": "application/json", "Accept": "application/json",
                            "X-CSRFToken": meta ? meta.content : ""},
                  body: body === null ? undefined : JSON.stringify(body)});
                let data = null; try { data = await res.json(); } catch (e) {}
                return {status: res.status, data};
            }""",
            [method, path, body],
        )

    def close(self):
        with contextlib.suppress(Exception):  # the browser may already be gone
            self.context.close()


@pytest.fixture
def actors(browser, server):
    """``actors("chutich")`` -> a logged-in Actor; all are closed after the test, and their errors fail it."""
    made = []

    def make(username, viewport=None, login=True):
        actor = Actor(browser, server, username, viewport=viewport)
        made.append(actor)
        if login:
            actor.login()
        return actor

    yield make
    errors = [e for a in made for e in a.errors]
    for actor in made:
        actor.close()
    if errors:
        pytest.fail("browser errors:\n" + "\n".join(errors), pytrace=False)


def query(server, sql, *params):
    """Read the server's SQLite database directly (what was really stored)."""
    path = server.database_url.split("sqlite:///", 1)[1]
    with contextlib.closing(sqlite3.connect(path, timeout=10)) as conn:
        return conn.execute(sql, params).fetchall()


def user_id(server, username):
    return query(server, "SELECT id FROM users WHERE username = ?", username)[0][0]


def agency_id(server, code):
    return query(server, "SELECT id FROM agencies WHERE code = ?", code)[0][0]


def no_reload_marker(page):
    """Mark the page's JS world; ``assert_not_reloaded`` proves later changes came without a reload."""
    page.evaluate("window.__e2eNoReload = true")


def assert_not_reloaded(page):
    assert page.evaluate("window.__e2eNoReload === true"), f"{page.url} was reloaded"


WIDER_THAN = """width => Array.from(document.querySelectorAll("body *")).filter(el => {
  const r = el.getBoundingClientRect();
  return r.width > 0 && r.right > width + 0.5 && getComputedStyle(el).position !== "fixed";
}).slice(0, 6).map(el => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
  (typeof el.className === "string" && el.className ? "." + el.className.trim().split(/\\s+/).join(".") : "") +
  " (right edge " + Math.round(el.getBoundingClientRect().right) + "px)")"""


def no_horizontal_scroll(page, width):
    """No sideways scrolling once the page has settled (a sliding toast or a flash may overflow for a moment)."""
    with contextlib.suppress(Exception):  # playwright's TimeoutError: report what is too wide
        page.wait_for_function("w => document.documentElement.scrollWidth <= w", arg=width, timeout=3000)
    scroll = page.evaluate("document.documentElement.scrollWidth")
    if scroll > width:
        culprits = page.evaluate(WIDER_THAN, width)
        raise AssertionError(f"page scrolls sideways: scrollWidth {scroll} > {width} on {page.url}; "
                             f"too wide: {culprits}")


def in_viewport_and_clickable(locator):
    """The element is visible, inside the viewport horizontally, and is the topmost element at its centre."""
    from playwright.sync_api import expect

    expect(locator).to_be_visible()
    locator.scroll_into_view_if_needed()
    box = locator.bounding_box()
    page = locator.page
    width = page.viewport_size["width"]
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= width + 1, f"{locator} is outside the viewport: {box}"
    hit = locator.evaluate(
        """el => { const r = el.getBoundingClientRect();
                   const top = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
                   return !!top && (el === top || el.contains(top)); }"""
    )
    assert hit, f"{locator} is covered by another element"


def shot(page, name):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=False)
    return Path(path)
