"""Sessions that really end: "keep me signed in" and session cookies die with their browser login
(logout, password change, admin reset, sign out everywhere, deactivation), and so do API tokens."""
import pytest
from flask_login.utils import encode_cookie

from auth.models import ApiToken, BrowserLogin
from core.dbtypes import utcnow
from core.extensions import db, socketio
from tests.conftest import PASSWORD, bearer, csrf_from, login

NEW_PASSWORD = "mat-khau-moi-1"


def remembered_login(client, user, password=PASSWORD):
    """Log in with "keep me signed in"; returns (CSRF token, the remember cookie's value)."""
    page = client.get("/login")
    res = client.post("/login", data={"username": user.username, "password": password, "remember": "1",
                                      "csrf_token": csrf_from(page.get_data(as_text=True))})
    assert res.status_code == 302
    cookie = client.get_cookie("remember_token")
    assert cookie is not None
    return csrf_from(client.get("/account").get_data(as_text=True)), cookie.value


def browser_with_remember_cookie(app, value):
    """A browser that was closed: no session cookie, only the "keep me signed in" cookie."""
    browser = app.test_client()
    browser.set_cookie("remember_token", value)
    return browser


def assert_signed_out(browser):
    res = browser.get("/")
    assert res.status_code == 302 and res.headers["Location"].startswith("/login")
    assert browser.get("/api/v1/me").status_code == 401


def assert_signed_in(browser):
    assert browser.get("/").status_code == 200
    assert browser.get("/api/v1/me").status_code == 200


def test_a_remember_cookie_works_while_its_login_lasts(app, client, factory):
    user = factory.user()
    _csrf, cookie = remembered_login(client, user)
    assert_signed_in(browser_with_remember_cookie(app, cookie))


def test_an_old_remember_cookie_is_refused_after_logout(app, client, factory):
    user = factory.user()
    csrf, cookie = remembered_login(client, user)
    assert client.post("/logout", data={"csrf_token": csrf}).status_code == 302
    assert_signed_out(browser_with_remember_cookie(app, cookie))


def test_an_old_remember_cookie_is_refused_after_a_password_change(app, client, factory):
    user = factory.user()
    _csrf, copied = remembered_login(client, user)  # e.g. copied off this computer by someone
    other = app.test_client()
    csrf = login(other, user)
    res = other.post("/account/password", data={"current_password": PASSWORD, "new_password": NEW_PASSWORD,
                                                 "confirm_password": NEW_PASSWORD, "keep_signed_in": "1",
                                                 "csrf_token": csrf})
    assert res.status_code == 302 and res.headers["Location"] == "/account"
    assert_signed_out(browser_with_remember_cookie(app, copied))
    assert_signed_out(client)
    assert_signed_in(other)


def test_the_browser_that_keeps_its_session_gets_a_new_login_so_copies_of_its_cookies_die(app, client, factory):
    user = factory.user()
    csrf, copied = remembered_login(client, user)
    stolen_session = client.get_cookie("session").value
    res = client.post("/account/password", data={"current_password": PASSWORD, "new_password": NEW_PASSWORD,
                                                  "confirm_password": NEW_PASSWORD, "keep_signed_in": "1",
                                                  "csrf_token": csrf})
    assert res.status_code == 302
    assert_signed_in(client)
    assert client.get_cookie("remember_token").value != copied  # still remembered, on the new login
    assert_signed_out(browser_with_remember_cookie(app, copied))
    replay = app.test_client()
    replay.set_cookie("session", stolen_session)
    assert_signed_out(replay)


def test_unticking_keep_me_signed_in_signs_this_browser_out_too(app, client, factory):
    user = factory.user()
    csrf, cookie = remembered_login(client, user)
    page = client.get("/account/password").get_data(as_text=True)
    assert 'name="keep_signed_in"' in page and "checked" in page
    assert "thu hồi mọi mã truy cập API" in page  # the form says what a change does
    res = client.post("/account/password", data={"current_password": PASSWORD, "new_password": NEW_PASSWORD,
                                                  "confirm_password": NEW_PASSWORD, "csrf_token": csrf})
    assert res.status_code == 302 and res.headers["Location"] == "/login"
    assert client.get_cookie("remember_token") is None
    assert_signed_out(client)
    assert_signed_out(browser_with_remember_cookie(app, cookie))
    assert db.session.scalar(db.select(db.func.count()).select_from(BrowserLogin).where(
        BrowserLogin.user_id == user.id, BrowserLogin.ended_at.is_(None))) == 0


def test_an_old_remember_cookie_is_refused_after_an_admin_reset(app, client, factory):
    user = factory.user()
    _csrf, cookie = remembered_login(client, user)
    admin_browser = app.test_client()
    csrf = login(admin_browser, factory.user(role="admin"))
    form = admin_browser.get(f"/admin/users/{user.id}/edit").get_data(as_text=True)
    assert "đăng xuất người dùng trên mọi trình duyệt" in form
    res = admin_browser.post(f"/admin/users/{user.id}/edit", data={
        "full_name": user.full_name, "role": "officer", "agency_id": str(user.agency_id), "active": "1",
        "password": "dat-lai-mat-khau", "csrf_token": csrf})
    assert res.status_code == 302
    assert_signed_out(browser_with_remember_cookie(app, cookie))
    assert_signed_out(client)
    assert_signed_in(admin_browser)


def test_an_old_remember_cookie_is_refused_after_sign_out_everywhere(app, client, factory):
    user = factory.user()
    _csrf, cookie = remembered_login(client, user)
    other = app.test_client()
    csrf = login(other, user)
    token = factory.token(user)
    profile = other.get("/account").get_data(as_text=True)
    assert 'id="sign-out-everywhere"' in profile and "Bạn đang đăng nhập trên 2 trình duyệt" in profile
    res = other.post("/account/sign-out-everywhere", data={"csrf_token": csrf})
    assert res.status_code == 302 and res.headers["Location"] == "/login"
    assert_signed_out(browser_with_remember_cookie(app, cookie))
    assert_signed_out(client)
    assert_signed_out(other)
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 401


def test_sign_out_everywhere_needs_csrf(client, factory):
    user = factory.user()
    login(client, user)
    assert client.post("/account/sign-out-everywhere").status_code == 400
    assert_signed_in(client)


def test_a_remember_cookie_of_the_old_kind_opens_nothing(app, factory):
    """Before, the cookie was a signature of the user id alone, the same for every login."""
    user = factory.user()
    login(app.test_client(), user)
    assert_signed_out(browser_with_remember_cookie(app, encode_cookie(str(user.id))))


def test_a_dead_remember_cookie_is_deleted(app, client, factory):
    user = factory.user()
    csrf, cookie = remembered_login(client, user)
    client.post("/logout", data={"csrf_token": csrf})
    browser = browser_with_remember_cookie(app, cookie)
    browser.get("/")
    assert browser.get_cookie("remember_token") is None


def test_a_remembered_login_outlives_the_session_lifetime_but_not_the_remember_duration(app, factory):
    from auth import services

    user = factory.user()
    plain = db.session.get(BrowserLogin, services.start_login(user))
    kept = db.session.get(BrowserLogin, services.start_login(user, remember=True))
    now = utcnow()
    assert plain.expires_at <= now + app.permanent_session_lifetime
    assert kept.expires_at > now + app.config["REMEMBER_COOKIE_DURATION"] - app.permanent_session_lifetime


# -- API tokens -----------------------------------------------------------------

def test_a_password_change_revokes_every_api_token(app, client, factory):
    user = factory.user()
    tokens = [factory.token(user), factory.token(user)]
    browser = app.test_client()
    csrf = login(browser, user)
    browser.post("/account/password", data={"current_password": PASSWORD, "new_password": NEW_PASSWORD,
                                            "confirm_password": NEW_PASSWORD, "keep_signed_in": "1",
                                            "csrf_token": csrf})
    for raw in tokens:
        assert client.get("/api/v1/me", headers=bearer(raw)).status_code == 401
    assert all(t.revoked_at is not None for t in db.session.scalars(db.select(ApiToken)))


def test_an_admin_reset_revokes_every_api_token(client, factory):
    user = factory.user()
    raw = factory.token(user)
    admin_token = factory.token(factory.user(role="admin"))
    res = client.patch(f"/api/v1/users/{user.id}", json={"password": "dat-lai-mat-khau"}, headers=bearer(admin_token))
    assert res.status_code == 200
    assert client.get("/api/v1/me", headers=bearer(raw)).status_code == 401
    assert client.get("/api/v1/me", headers=bearer(admin_token)).status_code == 200  # the admin's own stays


def test_tokens_and_logins_stay_revoked_after_deactivate_and_reactivate(app, client, factory):
    user = factory.user()
    raw = factory.token(user)
    browser = app.test_client()
    _csrf, cookie = remembered_login(browser, user)
    admin_token = factory.token(factory.user(role="admin"))
    for active in (False, True):
        res = client.patch(f"/api/v1/users/{user.id}", json={"active": active}, headers=bearer(admin_token))
        assert res.status_code == 200 and res.get_json()["active"] is active
    assert client.get("/api/v1/me", headers=bearer(raw)).status_code == 401
    assert_signed_out(browser_with_remember_cookie(app, cookie))
    assert_signed_out(browser)
    # the account itself works again: a new sign-in and a new token
    fresh = app.test_client()
    login(fresh, user)
    assert client.get("/api/v1/me", headers=bearer(factory.token(user))).status_code == 200


def test_a_socket_whose_token_was_revoked_without_its_disconnect_is_closed_by_the_recheck(app, factory, monkeypatch):
    """A socket keeps the user it connected as; a revocation whose disconnect never reached it (a lost message,
    a change made straight in the database) is found by the recheck each process runs every RECHECK_SECONDS."""
    from core import realtime

    monkeypatch.setattr(realtime, "_kept", {})  # only this test's sockets
    user = factory.user()
    raw = factory.token(user)
    sock = socketio.test_client(app, auth={"token": raw})
    other = socketio.test_client(app, auth={"token": factory.token(factory.user())})
    assert sock.emit("meeting:join", {"meeting_id": 99999}, callback=True)["error"] == "not_found"
    assert realtime.recheck_sockets() == 0
    db.session.execute(db.update(ApiToken).where(ApiToken.user_id == user.id).values(revoked_at=utcnow()))
    db.session.commit()
    assert realtime.recheck_sockets() == 1
    assert not sock.is_connected() and other.is_connected()


# -- one login throttle ----------------------------------------------------------

def form_login(client, username, password, **kwargs):
    token = csrf_from(client.get("/login", **kwargs).get_data(as_text=True))
    return client.post("/login", data={"username": username, "password": password, "csrf_token": token}, **kwargs)


def token_login(client, username, password, **kwargs):
    return client.post("/api/v1/auth/token", json={"username": username, "password": password}, **kwargs)


@pytest.mark.parametrize("app_config", [{"LOGIN_RATE_LIMIT": "10 per 5 minutes"}])
def test_the_form_and_the_token_endpoint_share_one_budget(client, factory):
    factory.user(username="thuy")
    for _ in range(5):
        assert form_login(client, "thuy", "wrong").status_code == 401
    for _ in range(5):
        assert token_login(client, "thuy", "wrong").status_code == 401
    # ten failures in all: the right password is refused on both doors now
    res = token_login(client, "thuy", PASSWORD)
    assert res.status_code == 429
    err = res.get_json()["error"]
    assert err["code"] == "rate_limited" and err["message"] and int(res.headers["Retry-After"]) > 0
    page = form_login(client, "Thuy ", PASSWORD)  # the same account, however it is typed
    assert page.status_code == 429 and int(page.headers["Retry-After"]) > 0
    html = page.get_data(as_text=True)
    assert "Quá nhiều lần thử đăng nhập sai" in html and 'id="login-error"' in html and 'value="Thuy "' in html


@pytest.mark.parametrize("app_config", [{"LOGIN_RATE_LIMIT": "10 per 5 minutes",
                                         "LOGIN_RATE_LIMIT_PER_ADDRESS": "6 per 5 minutes"}])
def test_spraying_one_password_over_many_usernames_hits_the_per_address_budget(client, factory):
    victim = factory.user(username="nam")
    for n in range(6):
        login_try = form_login if n % 2 else token_login
        assert login_try(client, f"user{n}", "Mua-he-2026").status_code == 401
    assert token_login(client, victim.username, PASSWORD).status_code == 429
    assert form_login(client, victim.username, PASSWORD).status_code == 429
    # another address has its own budget
    elsewhere = {"environ_base": {"REMOTE_ADDR": "198.51.100.7"}}
    assert token_login(client, victim.username, PASSWORD, **elsewhere).status_code == 201


def test_the_per_address_budget_is_configured(app):
    assert app.config["LOGIN_RATE_LIMIT_PER_ADDRESS"] == "30 per 5 minutes"


def test_a_malformed_login_rate_limit_is_refused_at_start(monkeypatch):
    from core.config import ConfigError, load_config

    monkeypatch.setenv("LOGIN_RATE_LIMIT_PER_ADDRESS", "thirty")
    with pytest.raises(ConfigError, match="LOGIN_RATE_LIMIT_PER_ADDRESS"):
        load_config()
