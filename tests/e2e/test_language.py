"""Journey 5: switch the UI to English and back; no screen shows strings in the other language."""
import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import query
from tests.e2e.i18n_check import wrong_language

pytestmark = pytest.mark.e2e


def is_screen(href):
    """A page of the app, not a download (.xlsx, .docx, .ics...) nor the language switch."""
    return href.startswith("/") and not href.startswith("/lang/") and not re.search(r"\.\w{2,4}$", href.split("?")[0])


def main_screens(page):
    """The screens a user reaches from the navbar, plus home, notifications and the account page."""
    page.goto("/")
    links = page.eval_on_selector_all(
        "#nav-main .navbar-nav .nav-link[href]:not([href='#']), #nav-main .admin-menu .dropdown-item[href]",
        "els => els.map(e => e.getAttribute('href'))"
    )
    paths = ["/"] + [href for href in links if is_screen(href)]
    paths += ["/notifications", "/account"]
    if "/directives/dashboard" in paths:  # the periodic report opens from the board
        paths.append("/reports/execution")
    # one detail page per list, when a list links to one (a directive, a meeting)
    for href in list(paths):
        if re.match(r"^/(directives|meetings)/?$", href):
            page.goto(href)
            detail = page.locator(f"main a[href^='{href.rstrip('/')}/']").filter(
                has_not=page.locator("[href$='/new']")).first
            if detail.count() and is_screen(detail.get_attribute("href")):
                paths.append(detail.get_attribute("href"))
                if re.match(r"^/meetings/\d+$", paths[-1]):
                    paths.append(paths[-1] + "/room")  # the live room, with its outcome panels
    seen = []
    for p in paths:
        if p not in seen:
            seen.append(p)
    return seen


def user_data(server):
    """Texts that are data, whatever the UI language: people, titles, agencies, and notification texts
    (stored in the recipient's language when they were sent)."""
    rows = query(server, "SELECT full_name FROM users UNION SELECT title FROM users UNION SELECT username FROM users "
                         "UNION SELECT name FROM agencies UNION SELECT text FROM notifications")
    return {r[0] for r in rows if r[0]}


def check_screens(page, server, paths, lang):
    problems = []
    for path in paths:
        page.goto(path)
        expect(page.locator("html")).to_have_attribute("lang", lang)
        problems += [f"{path} {p}" for p in wrong_language(page, lang, user_data(server))]
    return problems


def switch(page, lang):
    page.locator(f"#lang-{lang}").first.click()
    expect(page.locator("html")).to_have_attribute("lang", lang)


def test_login_page_in_both_languages(actors):
    guest = actors("guest", login=False)
    page = guest.page
    page.goto("/login")
    expect(page.locator("html")).to_have_attribute("lang", "vi")
    expect(page.locator("#login-submit")).to_have_text("Đăng nhập")
    assert wrong_language(page, "vi") == []
    # the check itself notices a page in the other language
    assert len(wrong_language(page, "en")) >= 3
    switch(page, "en")
    expect(page.locator("#login-submit")).to_have_text("Sign in")
    assert wrong_language(page, "en") == []
    switch(page, "vi")
    expect(page.locator("#login-submit")).to_have_text("Đăng nhập")
    # a failed sign-in shows its error in the current language (the page comes back as a 401)
    guest.allow(r"status of 401")
    page.fill("#username", "nobody")
    page.fill("#password", "wrong")
    page.click("#login-submit")
    expect(page.locator("#login-error")).to_be_visible()
    assert wrong_language(page, "vi") == []


@pytest.mark.parametrize("username", ["chutich", "syt1", "admin"])
def test_switch_to_english_and_back_leaves_no_untranslated_strings(actors, username):
    user = actors(username)
    page = user.page
    paths = main_screens(page)
    assert len(paths) >= 3, paths

    problems = check_screens(page, user.server, paths, "vi")
    page.goto(paths[-1])
    switch(page, "en")
    # the switch keeps the user on the page they were reading
    assert page.url.endswith(paths[-1]) or paths[-1] == "/", page.url
    problems += check_screens(page, user.server, paths, "en")
    page.goto("/")
    switch(page, "vi")
    problems += check_screens(page, user.server, paths[:4], "vi")
    assert not problems, "strings in the wrong language:\n" + "\n".join(problems)
