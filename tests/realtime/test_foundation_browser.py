"""The foundation in a real browser (headless Chromium) against `python wsgi.py` with the demo province:
Vietnamese login, the leader's home page, the bell updated live, logout closing the page's socket."""
import re

import pytest
import requests

from tests.e2e.conftest import DEMO_PASSWORD, Actor, server  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.realtime, pytest.mark.e2e]


@pytest.fixture
def actor(browser, server):  # noqa: F811
    made = []

    def make(username, login=True):
        a = Actor(browser, server, username)
        made.append(a)
        return a.login() if login else a

    yield make
    errors = [e for a in made for e in a.errors]
    for a in made:
        a.close()
    assert not errors, "\n".join(errors)


def test_vietnamese_login_then_the_leaders_home_page(actor):
    from playwright.sync_api import expect

    leader = actor("chutich", login=False)
    leader.allow(r"status of 401")  # the wrong password answers 401, which Chromium reports
    page = leader.goto("/login")
    expect(page.locator("html")).to_have_attribute("lang", "vi")
    expect(page.locator("#login-submit")).to_have_text("Đăng nhập")
    page.fill("#username", "chutich")
    page.fill("#password", "sai mật khẩu")
    page.click("#login-submit")
    expect(page.locator("body")).to_contain_text("Sai tên đăng nhập hoặc mật khẩu")
    expect(page.locator("#username")).to_have_value("chutich")
    leader.login()
    expect(page.locator("main h1")).to_contain_text("Nguyễn Văn Minh")
    # the chairman's title says what he leads; the office that keeps his account is not his
    expect(page.locator("main")).to_contain_text("Chủ tịch UBND tỉnh")
    expect(page.locator("#user-menu")).to_contain_text("Nguyễn Văn Minh")
    leader.socket_connected()


def test_the_bell_counts_live_and_the_list_marks_read(actor, server):  # noqa: F811
    from playwright.sync_api import expect

    from core.extensions import db
    from tests.realtime.helpers import publisher_app

    app = publisher_app(server.log_path.parent, server.database_url, None, "unused")
    with app.app_context():
        from auth.models import User
        from notifications.services import mark_read, notify

        user = db.session.scalar(db.select(User).where(User.username == "syt2"))
        mark_read(user)  # start from an empty bell whatever the demo left there
        first = notify([user], "test.browser", "Giấy mời họp giao ban tháng 12", link="/notifications")[0]
        notify([user], "test.browser", "Chỉ đạo mới: phòng chống dịch", link="/notifications")
        db.session.commit()
        first_id = first.id
        db.session.remove()
        db.engine.dispose()

    officer = actor("syt2")
    page = officer.page
    officer.socket_connected()
    bell = page.locator("#bell-count")
    expect(bell).to_have_text("2")
    page.evaluate("window.__noReload = true")
    # read elsewhere (the mobile app): this page's bell follows without a reload
    token = requests.post(server.url + "/api/v1/auth/token",
                          json={"username": "syt2", "password": DEMO_PASSWORD}).json()["token"]
    requests.post(f"{server.url}/api/v1/notifications/{first_id}/read", headers={"Authorization": f"Bearer {token}"})
    expect(bell).to_have_text("1")
    assert page.evaluate("window.__noReload === true")
    page.click("#nav-bell")
    expect(page.locator("#notification-list")).to_contain_text("Chỉ đạo mới: phòng chống dịch")
    page.click("text=Đánh dấu tất cả đã đọc")
    expect(bell).to_be_hidden()


def test_logout_closes_the_sockets_of_every_tab(actor):
    from playwright.sync_api import expect

    officer = actor("stc1")
    officer.socket_connected()
    other_tab = officer.new_page()
    other_tab.goto("/")
    officer.socket_connected(other_tab)
    page = officer.page
    officer.allow(r"WebSocket", r"Failed to load resource", r"socket")  # the other tab finding out
    page.click("#user-menu")
    page.click("#logout")
    expect(page).to_have_url(re.compile(r"/login"))
    expect(page.locator("body")).to_contain_text("Bạn đã đăng xuất")
    # the other tab's socket was closed by the server; its session is gone too, so the tab goes to
    # the login page, which will bring it back
    expect(other_tab).to_have_url(re.compile(r"/login\?ended=1&next=%2F$"))
    expect(other_tab.locator("#login-ended")).to_be_visible()
