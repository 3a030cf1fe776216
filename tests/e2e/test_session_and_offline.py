"""Sessions and connections as officials meet them: an acknowledgement made offline waits and is sent
once when the network is back; a session ended on the server takes the page to the login page and
back; the language chosen on the login page is the one the user gets after signing in."""
import contextlib
import datetime as dt
import re
import sqlite3

import pytest
import requests
from playwright.sync_api import expect

from tests.conftest import csrf_from
from tests.e2e.conftest import DEMO_PASSWORD, OFFLINE_NOISE, agency_id, query, user_id

pytestmark = pytest.mark.e2e


def issue_to(server, agency_code, title):
    """The chairman issues a directive to one agency (through the API); returns the assignment id."""
    leader = requests.Session()
    page = leader.get(server.url + "/login")
    leader.post(server.url + "/login", data={"username": "chutich", "password": DEMO_PASSWORD,
                                            "csrf_token": csrf_from(page.text)})
    leader.headers["X-CSRFToken"] = csrf_from(leader.get(server.url + "/account").text)
    deadline = (dt.datetime.now(dt.UTC) + dt.timedelta(days=10)).isoformat()
    res = leader.post(server.url + "/api/v1/directives", json={
        "title": title, "body": "Báo cáo kết quả về UBND tỉnh.", "deadline": deadline,
        "lead_agency_id": agency_id(server, agency_code)})
    assert res.status_code == 201, res.text
    return res.json()["assignments"][0]["id"]


def ack_events(server, assignment_id):
    return query(server, "SELECT count(*) FROM directive_assignment_events WHERE assignment_id = ? "
                         "AND action = 'acknowledge'", assignment_id)[0][0]


def test_an_acknowledgement_made_offline_waits_and_reaches_the_server_once(server, actors):
    assignment = issue_to(server, "XDT", "Rà soát hộ nghèo xã Đông Thịnh quý IV")
    officer = actors("xdt1")
    page = officer.page
    page.goto("/")
    officer.socket_connected()
    row = page.locator(f"#assignment-{assignment}")
    button = row.locator(".ack-button")
    expect(button).to_be_visible()
    reached = []
    page.on("response", lambda r: reached.append(r.status) if r.url.endswith(
        f"/assignments/{assignment}/acknowledge") else None)

    officer.allow(*OFFLINE_NOISE)
    officer.context.set_offline(True)
    button.click()
    # said in Vietnamese, kept for later: never the browser's "Failed to fetch"
    expect(row.locator("form.ack-form")).to_have_attribute("data-state", "waiting")
    expect(button).to_have_text("Chờ gửi")
    expect(page.locator("#toasts")).to_contain_text("Mất kết nối: xác nhận tiếp nhận sẽ được gửi")
    assert "Failed to fetch" not in page.locator("body").inner_text()
    key = f"ack-outbox:{user_id(server, 'xdt1')}"
    assert page.evaluate("k => JSON.parse(localStorage.getItem(k))", key) == [str(assignment)]
    assert ack_events(server, assignment) == 0

    officer.context.set_offline(False)
    expect(row.locator(".ack-info")).to_be_visible(timeout=20_000)
    expect(row.locator(".ack-button")).to_have_count(0)
    page.wait_for_timeout(1500)  # the socket's reconnect and the retry timer must not send it again
    assert reached == [200]
    assert ack_events(server, assignment) == 1
    assert page.evaluate("k => localStorage.getItem(k)", key) is None


def test_an_ended_session_sends_the_page_to_the_login_page_and_back(server, actors):
    assignment = issue_to(server, "XDH", "Kiểm tra đê điều xã Đông Hưng")
    officer = actors("xdh1")
    page = officer.page
    page.goto("/directives/inbox?status=pending")
    officer.socket_connected()
    # the login is revoked on the server while the page stays open (its socket too)
    with contextlib.closing(sqlite3.connect(server.database_url.split("sqlite:///", 1)[1], timeout=10)) as conn:
        conn.execute("UPDATE browser_logins SET ended_at = CURRENT_TIMESTAMP WHERE user_id = ?",
                     (user_id(server, "xdh1"),))
        conn.commit()
    officer.allow(r"status of 401")
    page.locator(f"#assignment-{assignment} .ack-button").click()
    expect(page).to_have_url(re.compile(r"/login\?"))
    expect(page.locator("#login-ended")).to_contain_text("Phiên đăng nhập đã kết thúc")
    page.fill("#username", "xdh1")
    page.fill("#password", DEMO_PASSWORD)
    page.click("#login-submit")
    expect(page).to_have_url(re.compile(r"/directives/inbox\?status=pending$"))
    # the acknowledgement clicked as the session ended goes out once signed in again
    expect(page.locator(f"#assignment-{assignment} .ack-info")).to_be_visible(timeout=15_000)
    assert ack_events(server, assignment) == 1


def test_signing_out_everywhere_takes_the_other_browsers_to_the_login_page(server, actors):
    reader = actors("xdh2")
    page = reader.page
    page.goto("/directives/inbox")
    reader.socket_connected()
    elsewhere = actors("xdh2")
    for browser in (reader, elsewhere):
        browser.allow(r"status of 401")  # the page asking whether its session still lives
    elsewhere.page.goto("/account")
    elsewhere.page.click("#sign-out-everywhere")
    expect(elsewhere.page).to_have_url(re.compile(r"/login"))
    # the first browser is told by its socket, without a click
    expect(page).to_have_url(re.compile(r"/login\?.*next=%2Fdirectives%2Finbox"), timeout=15_000)
    expect(page.locator("#login-ended")).to_be_visible()


def test_english_chosen_on_the_login_page_is_kept_after_signing_in(server, actors):
    guest = actors("xdt2", login=False)
    page = guest.page
    page.goto("/login")
    page.click("#lang-en")
    expect(page.locator("#login-submit")).to_have_text("Sign in")
    page.fill("#username", "xdt2")
    page.fill("#password", DEMO_PASSWORD)
    page.click("#login-submit")
    expect(page).not_to_have_url(re.compile(r"/login"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("#home-unacknowledged")).to_contain_text("Directives waiting for acknowledgement")
    assert query(server, "SELECT locale FROM users WHERE username = 'xdt2'")[0][0] == "en"
