"""Against real `python wsgi.py` processes: ending a user's access closes their open sockets, and
the failed-sign-in budget is one budget across the login form, the token endpoint and processes."""
import uuid

import pytest
import requests
import socketio

from tests.conftest import PASSWORD, Factory, LiveServer, csrf_from, need, redis_url
from tests.realtime.helpers import (
    close,
    new_channel,
    quick_ws_close,  # noqa: F401  (fixture)
    redis_available,
    wait_disconnected,
)

pytestmark = [pytest.mark.realtime, pytest.mark.usefixtures("quick_ws_close")]

NEW_PASSWORD = "mat-khau-moi-1"


def seed(live_server, live_db):
    with live_db(live_server):
        f = Factory()
        user = f.user("officer", f.agency(code="SYT"), username="thao")
        f.user("admin", None, username="quantri")
        return user.id


def assert_refused(server, **how):
    with pytest.raises(socketio.exceptions.ConnectionError):
        server.socket(**how)


def test_a_password_change_closes_every_socket_of_the_user(live_server, live_db):
    seed(live_server, live_db)
    token = live_server.token("thao")
    by_token = live_server.socket(token=token)
    other_browser = live_server.session("thao")
    by_cookie = live_server.socket(session=other_browser)
    me = live_server.session("thao")
    mine = live_server.socket(session=me)
    res = me.post(live_server.url + "/account/password", allow_redirects=False, data={
        "current_password": PASSWORD, "new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD,
        "keep_signed_in": "1", "csrf_token": me.csrf})
    assert res.status_code == 302 and res.headers["Location"] == "/account"
    assert wait_disconnected(by_token) and wait_disconnected(by_cookie) and wait_disconnected(mine)
    assert_refused(live_server, token=token)
    assert_refused(live_server, session=other_browser)
    # the browser that changed it goes on, on its new login
    again = live_server.socket(session=me)
    assert again.connected
    close(again)


def test_an_admin_reset_and_sign_out_everywhere_close_the_users_sockets(live_server, live_db):
    user_id = seed(live_server, live_db)
    admin = live_server.session("quantri")
    sock = live_server.socket(token=live_server.token("thao"))
    res = admin.patch(f"{live_server.url}/api/v1/users/{user_id}", json={"password": NEW_PASSWORD})
    assert res.status_code == 200, res.text
    assert wait_disconnected(sock)

    browser = live_server.session("thao", password=NEW_PASSWORD)
    by_cookie = live_server.socket(session=browser)
    by_token = live_server.socket(token=live_server.token("thao", password=NEW_PASSWORD))
    res = browser.post(live_server.url + "/account/sign-out-everywhere", data={"csrf_token": browser.csrf},
                       allow_redirects=False)
    assert res.status_code == 302
    assert wait_disconnected(by_cookie) and wait_disconnected(by_token)


def test_a_remember_cookie_is_dead_after_logout_on_a_real_server(live_server, live_db):
    seed(live_server, live_db)
    browser = requests.Session()
    page = browser.get(live_server.url + "/login")
    browser.post(live_server.url + "/login", allow_redirects=False, data={
        "username": "thao", "password": PASSWORD, "remember": "1", "csrf_token": csrf_from(page.text)})
    remembered = browser.cookies.get("remember_token")
    assert remembered
    copy = requests.Session()
    copy.cookies.set("remember_token", remembered)
    assert copy.get(live_server.url + "/api/v1/me").status_code == 200
    csrf = csrf_from(browser.get(live_server.url + "/account").text)
    assert browser.post(live_server.url + "/logout", data={"csrf_token": csrf}).status_code == 200
    stale = requests.Session()
    stale.cookies.set("remember_token", remembered)
    assert stale.get(live_server.url + "/api/v1/me").status_code == 401
    assert_refused(live_server, session=stale)


def test_two_processes_share_one_failed_sign_in_budget(tmp_path, live_db):
    need(redis_available(), "Redis")
    # Limits of their own (and a fresh user name) so other runs on the same Redis count elsewhere.
    env = {"LOGIN_RATE_LIMIT": "6 per 5 minutes", "LOGIN_RATE_LIMIT_PER_ADDRESS": "997 per 5 minutes",
           "SOCKETIO_CHANNEL": new_channel()}
    first = LiveServer(tmp_path, redis=redis_url(), env=env, name="a").start()
    second = LiveServer(tmp_path, database_url=first.database_url, redis=redis_url(), env=env, name="b").start()
    try:
        username = f"u{uuid.uuid4().hex[:10]}"
        with live_db(first):
            Factory().user("leader", None, username=username)
        for _ in range(3):  # three failures on the first process's login form...
            page = requests.Session()
            csrf = csrf_from(page.get(first.url + "/login").text)
            res = page.post(first.url + "/login", data={"username": username, "password": "x", "csrf_token": csrf})
            assert res.status_code == 401
        for _ in range(3):  # ...and three on the second process's token endpoint
            res = requests.post(second.url + "/api/v1/auth/token", json={"username": username, "password": "x"})
            assert res.status_code == 401
        for server in (first, second):
            res = requests.post(server.url + "/api/v1/auth/token", json={"username": username, "password": PASSWORD})
            assert res.status_code == 429 and res.json()["error"]["code"] == "rate_limited"
    finally:
        second.stop()
        first.stop()
