"""HTML pages: login and logout, authorization, friendly errors, headers, language."""
import pytest

from auth.models import Agency, User
from core.extensions import db
from tests.conftest import PASSWORD, csrf_from, login


def test_anonymous_is_sent_to_login_with_next(client):
    res = client.get("/admin/users")
    assert res.status_code == 302
    assert res.headers["Location"].startswith("/login?next=")
    assert "/admin/users" in res.headers["Location"]
    assert client.get("/").headers["Location"].startswith("/login")


def test_login_page_is_vietnamese_and_logs_in(client, factory):
    user = factory.user(role="leader", full_name="Nguyễn Văn Minh",
                        agency=factory.agency(name="Văn phòng UBND tỉnh"))
    html = client.get("/login").get_data(as_text=True)
    assert "Đăng nhập" in html and 'lang="vi"' in html
    login(client, user)
    home = client.get("/").get_data(as_text=True)
    assert "Nguyễn Văn Minh" in home and "Văn phòng UBND tỉnh" in home and "Lãnh đạo" in home


def test_wrong_password_shows_the_form_again_with_the_username(client, factory):
    user = factory.user(username="thanh")
    token = csrf_from(client.get("/login").get_data(as_text=True))
    res = client.post("/login", data={"username": "thanh", "password": "bad", "csrf_token": token})
    html = res.get_data(as_text=True)
    assert res.status_code == 401 and "Sai tên đăng nhập hoặc mật khẩu" in html and 'value="thanh"' in html
    assert user.last_login_at is None


def test_login_form_needs_csrf(client, factory):
    user = factory.user()
    res = client.post("/login", data={"username": user.username, "password": PASSWORD})
    assert res.status_code == 400
    assert client.get("/").status_code == 302  # not logged in


@pytest.mark.parametrize("target, expected", [
    ("/notifications", "/notifications"),
    ("https://evil.example/x", "/"),
    ("//evil.example/x", "/"),
    ("/\\evil.example", "/"),
    ("javascript:alert(1)", "/"),
    ("http://localhost/admin/users", "/admin/users"),
])
def test_login_redirect_never_leaves_the_site(client, factory, target, expected):
    user = factory.user()
    token = csrf_from(client.get("/login").get_data(as_text=True))
    res = client.post("/login", query_string={"next": target},
                      data={"username": user.username, "password": PASSWORD, "csrf_token": token})
    assert res.status_code == 302
    assert res.headers["Location"] == expected


def test_login_starts_a_new_session(client, factory):
    user = factory.user()
    with client.session_transaction() as sess:
        sess["planted"] = "by an attacker"
    login(client, user)
    with client.session_transaction() as sess:
        assert "planted" not in sess
        assert sess.get("login_id")


def test_logout_needs_post_and_ends_the_session(client, factory):
    user = factory.user()
    csrf = login(client, user)
    assert client.get("/logout").status_code == 405
    res = client.post("/logout", data={"csrf_token": csrf})
    assert res.status_code == 302 and res.headers["Location"] == "/login"
    assert client.get("/").status_code == 302
    assert client.get("/api/v1/me").status_code == 401


def test_a_tab_sent_to_login_because_its_session_ended_leaves_the_signed_out_message_to_the_tab_that_signed_out(
        client, factory):
    """Tabs share one session: the one whose socket closed lands on /login?ended=1 while the tab that signed
    out follows its redirect; the "signed out" message is that tab's, whichever page loads first."""
    csrf = login(client, factory.user())
    client.post("/logout", data={"csrf_token": csrf})
    other_tab = client.get("/login?ended=1&next=%2F").get_data(as_text=True)
    assert 'id="login-ended"' in other_tab and "Bạn đã đăng xuất" not in other_tab
    assert "Bạn đã đăng xuất" in client.get("/login").get_data(as_text=True)


def test_logout_without_csrf_is_refused(client, factory):
    user = factory.user()
    login(client, user)
    assert client.post("/logout").status_code == 400
    assert client.get("/").status_code == 200


def test_non_admin_gets_403_on_admin_pages(client, factory):
    leader = factory.user(role="leader")
    login(client, leader)
    for path in ("/admin/users", "/admin/users/new", "/admin/agencies", "/admin/agencies/new"):
        res = client.get(path)
        assert res.status_code == 403, path
        html = res.get_data(as_text=True)
        assert "Bạn không có quyền truy cập trang này" in html and "Traceback" not in html


def _snapshot():
    """Every account and agency as stored, to prove a refused write changed nothing."""
    from auth.models import ApiToken

    db.session.expire_all()
    rows = [[o.to_dict() for o in db.session.scalars(db.select(model).order_by(model.id))]
            for model in (User, Agency, ApiToken)]
    return rows, db.session.scalars(db.select(User.password_hash).order_by(User.id)).all()


def test_refused_admin_writes_change_nothing(client, factory):
    agency = factory.agency(code="SYT")
    officer = factory.user(agency=agency)
    csrf = login(client, factory.user(role="leader"))
    before = _snapshot()
    writes = {
        "/admin/users/new": {"username": "moi", "password": "mat-khau-1", "full_name": "Mới", "role": "admin"},
        f"/admin/users/{officer.id}/edit": {"full_name": "Đổi", "role": "admin", "agency_id": str(agency.id)},
        "/admin/agencies/new": {"code": "MOI", "name": "Mới", "kind": "department"},
        f"/admin/agencies/{agency.id}/edit": {"code": "DOI", "name": "Đổi", "kind": "district"},
    }
    for path, data in writes.items():
        assert client.post(path, data={**data, "csrf_token": csrf}).status_code == 403, path
    assert _snapshot() == before


def test_refused_profile_and_token_writes_change_nothing(client, factory):
    from auth import services

    user, other = factory.user(), factory.user()
    _token, _raw = services.issue_token(other, "theirs")
    csrf = login(client, user)
    before = _snapshot()
    res = client.post("/account", data={"full_name": "Tên Mới", "email": "sai", "locale": "en", "csrf_token": csrf})
    assert res.status_code == 200
    res = client.post("/account/password", data={"current_password": "sai-mat-khau", "new_password": "mat-khau-moi",
                                                 "confirm_password": "mat-khau-moi", "csrf_token": csrf})
    assert res.status_code == 200
    assert client.post(f"/account/tokens/{_token.id}/revoke", data={"csrf_token": csrf}).status_code == 404
    assert client.post("/account/tokens", data={"name": "x" * 101, "csrf_token": csrf}).status_code == 302
    assert _snapshot() == before


def test_admin_pages_create_and_edit(client, factory):
    admin = factory.user(role="admin")
    csrf = login(client, admin)
    res = client.post("/admin/agencies/new", data={"code": "syt", "name": "Sở Y tế", "kind": "department",
                                                   "parent_id": "", "csrf_token": csrf})
    assert res.status_code == 302
    agency = db.session.scalar(db.select(Agency).where(Agency.code == "SYT"))
    assert "Sở Y tế" in client.get("/admin/agencies").get_data(as_text=True)
    res = client.post("/admin/users/new", data={"username": "cb1", "password": "mat-khau-1", "full_name": "Cán bộ Một",
                                                "role": "officer", "agency_id": str(agency.id), "csrf_token": csrf})
    assert res.status_code == 302
    user = db.session.scalar(db.select(User).where(User.username == "cb1"))
    assert user.agency_id == agency.id
    assert "Cán bộ Một" in client.get("/admin/users").get_data(as_text=True)
    res = client.post(f"/admin/users/{user.id}/edit", data={"full_name": "Cán bộ Một", "role": "officer",
                                                            "agency_id": str(agency.id), "csrf_token": csrf})
    assert res.status_code == 302
    db.session.refresh(user)
    assert user.active is False  # the unchecked "active" box deactivates


def test_admin_form_errors_keep_what_was_typed(client, factory):
    admin = factory.user(role="admin")
    csrf = login(client, admin)
    res = client.post("/admin/users/new", data={"username": "giu-lai", "password": "ngan", "full_name": "Giữ Lại",
                                                "role": "officer", "agency_id": "", "csrf_token": csrf})
    html = res.get_data(as_text=True)
    assert res.status_code == 200
    assert 'value="giu-lai"' in html and "Giữ Lại" in html
    assert "Tối thiểu 8 ký tự" in html and "Chuyên viên phải thuộc một cơ quan, đơn vị" in html


def test_friendly_vietnamese_404_page(client, factory):
    res = client.get("/no/such/page")
    assert res.status_code == 404
    html = res.get_data(as_text=True)
    assert "Không tìm thấy trang" in html and "Traceback" not in html
    login(client, factory.user())
    res = client.get("/no/such/page")
    assert res.status_code == 404 and "Không tìm thấy trang" in res.get_data(as_text=True)


def test_500_page_shows_no_stack_trace(client, factory, monkeypatch):
    from core import ui

    login(client, factory.user())
    monkeypatch.setattr(ui, "sections_for", lambda user: 1 / 0)
    res = client.get("/")
    html = res.get_data(as_text=True)
    assert res.status_code == 500
    assert "Hệ thống đã gặp sự cố" in html and "ZeroDivisionError" not in html and "Traceback" not in html


def test_security_headers(client):
    res = client.get("/login")
    csp = res.headers["Content-Security-Policy"]
    script_src = next(part for part in csp.split(";") if part.strip().startswith("script-src"))
    assert "'self'" in script_src and "unsafe-inline" not in script_src and "unsafe-eval" not in script_src
    assert "frame-ancestors 'none'" in csp
    assert res.headers["X-Content-Type-Options"] == "nosniff"
    assert res.headers["X-Frame-Options"] == "DENY"
    assert "<script>" not in res.get_data(as_text=True)  # no inline script
    api = client.get("/api/v1/me")
    assert api.headers["X-Content-Type-Options"] == "nosniff"


def test_session_cookie_is_httponly(client, factory):
    token = csrf_from(client.get("/login").get_data(as_text=True))
    user = factory.user()
    res = client.post("/login", data={"username": user.username, "password": PASSWORD, "csrf_token": token})
    cookie = next(h for h in res.headers.getlist("Set-Cookie") if h.startswith("session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_language_choice_is_remembered_on_the_account(client, factory, app):
    user = factory.user()
    csrf = login(client, user)
    res = client.post("/lang/en", data={"next": "/account", "csrf_token": csrf})
    assert res.status_code == 302 and res.headers["Location"] == "/account"
    assert 'lang="en"' in client.get("/").get_data(as_text=True)
    db.session.refresh(user)
    assert user.locale == "en"
    # a new browser: the account's language comes back after login
    other = app.test_client()
    login(other, user)
    assert 'lang="en"' in other.get("/").get_data(as_text=True)
    assert client.post("/lang/xx", data={"csrf_token": csrf}).status_code == 302
    db.session.refresh(user)
    assert user.locale == "en"


def test_a_language_link_cannot_change_the_account_language(client, factory):
    """Only a CSRF-checked POST writes the account: a GET link from another site does not."""
    user = factory.user(locale="vi")
    login(client, user)
    client.get("/lang/en")
    assert client.post("/lang/en").status_code == 400  # no CSRF token
    db.session.refresh(user)
    assert user.locale == "vi"
    assert 'lang="vi"' in client.get("/").get_data(as_text=True)


def test_language_switch_before_login(client):
    client.get("/lang/en")
    assert 'lang="en"' in client.get("/login").get_data(as_text=True)
    assert client.get("/lang/vi", query_string={"next": "https://evil.example/"}).headers["Location"] == "/"


def test_language_switch_is_not_a_redirect_to_another_site(client):
    res = client.get("/lang/vi", headers={"Referer": "https://evil.example/phish"})
    assert res.headers["Location"] == "/"


def test_profile_and_password_pages(client, factory):
    user = factory.user(locale="vi")
    csrf = login(client, user)
    res = client.post("/account", data={"full_name": "Tên Mới", "email": "sai", "locale": "vi", "csrf_token": csrf})
    assert res.status_code == 200 and "Địa chỉ thư điện tử không hợp lệ" in res.get_data(as_text=True)
    res = client.post("/account", data={"full_name": "Tên Mới", "email": "a@b.vn", "locale": "en", "csrf_token": csrf})
    assert res.status_code == 302
    db.session.refresh(user)
    assert (user.full_name, user.locale) == ("Tên Mới", "en")
    res = client.post("/account/password", data={"current_password": PASSWORD, "new_password": "mat-khau-moi",
                                                 "confirm_password": "mat-khau-moi", "csrf_token": csrf})
    assert res.status_code == 302
    fresh = client.application.test_client()
    login(fresh, user, password="mat-khau-moi")


def test_expired_form_gets_a_friendly_page(client, factory):
    login(client, factory.user())
    res = client.post("/account", data={"full_name": "X", "csrf_token": "stale"})
    html = res.get_data(as_text=True)
    assert res.status_code == 400 and "Biểu mẫu đã hết hạn" in html and "Traceback" not in html


def test_remembered_browser_comes_back_on_its_own_login_so_logout_closes_its_sockets(client, factory):
    user = factory.user()
    token = csrf_from(client.get("/login").get_data(as_text=True))
    client.post("/login", data={"username": user.username, "password": PASSWORD, "csrf_token": token, "remember": "1"})
    assert client.get_cookie("remember_token") is not None
    with client.session_transaction() as sess:
        first_login = sess["login_id"]
    client.delete_cookie("session")  # the browser was closed: only the remember cookie is left
    assert client.get("/").status_code == 200
    with client.session_transaction() as sess:
        # the session (and the cookie) carry the login, never the bare user id
        assert sess.get("login_id") == sess.get("_user_id") == first_login
    from auth import services

    assert services.user_for_login_key(sess["login_id"]) == user


@pytest.mark.parametrize("app_config", [{"TRUSTED_PROXIES": 1}])
def test_behind_a_proxy_the_client_address_is_the_forwarded_one(client, factory):
    from core.audit import AuditLog
    from tests.conftest import bearer

    token = factory.token(factory.user(role="admin"))
    client.post("/api/v1/agencies", json={"code": "P1", "name": "P"},
                headers={**bearer(token), "X-Forwarded-For": "203.0.113.9"})
    assert db.session.scalar(db.select(AuditLog.ip).where(AuditLog.action == "agency.create")) == "203.0.113.9"


def test_without_a_proxy_forwarded_headers_are_ignored(client, factory):
    from core.audit import AuditLog
    from tests.conftest import bearer

    token = factory.token(factory.user(role="admin"))
    client.post("/api/v1/agencies", json={"code": "P1", "name": "P"},
                headers={**bearer(token), "X-Forwarded-For": "203.0.113.9"})
    assert db.session.scalar(db.select(AuditLog.ip).where(AuditLog.action == "agency.create")) == "127.0.0.1"


def test_logout_also_forgets_keep_me_signed_in(client, factory):
    user = factory.user()
    page = client.get("/login")
    client.post("/login", data={"username": user.username, "password": PASSWORD, "remember": "1",
                                "csrf_token": csrf_from(page.get_data(as_text=True))})
    assert client.get_cookie("remember_token") is not None
    csrf = csrf_from(client.get("/account").get_data(as_text=True))
    assert client.post("/logout", data={"csrf_token": csrf}).status_code == 302
    assert client.get_cookie("remember_token") is None
    assert client.get("/").status_code == 302


def test_a_copied_session_cookie_stops_working_after_logout(client, factory, app):
    from auth.models import BrowserLogin

    user = factory.user()
    csrf = login(client, user)
    stolen = client.get_cookie("session").value
    thief = app.test_client()
    thief.set_cookie("session", stolen)
    assert thief.get("/").status_code == 200  # a copy works while the login lasts...
    client.post("/logout", data={"csrf_token": csrf})
    assert db.session.scalar(db.select(BrowserLogin.ended_at).where(BrowserLogin.user_id == user.id)) is not None
    replay = app.test_client()
    replay.set_cookie("session", stolen)
    assert replay.get("/").status_code == 302  # ...and not after the logout
    assert replay.get("/api/v1/me").status_code == 401
    # other browsers of the same user stay signed in
    other = app.test_client()
    login(other, user)
    assert other.get("/").status_code == 200


def test_a_login_ends_after_the_session_lifetime_and_is_then_pruned(client, factory, app):
    from datetime import timedelta

    from auth import services
    from auth.models import BrowserLogin
    from core.dbtypes import utcnow

    user = factory.user()
    old = services.start_login(user)
    lifetime = app.permanent_session_lifetime
    assert db.session.get(BrowserLogin, old).expires_at > utcnow() + lifetime - timedelta(minutes=1)
    db.session.get(BrowserLogin, old).expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    assert services.user_for_login_key(old) is None
    fresh = services.start_login(user)
    assert db.session.get(BrowserLogin, old) is None and services.user_for_login_key(fresh) == user


def test_changing_the_password_signs_out_the_other_browsers(client, factory, app):
    user = factory.user()
    csrf = login(client, user)
    other = app.test_client()
    login(other, user)
    res = client.post("/account/password", data={"current_password": PASSWORD, "new_password": "mat-khau-moi-1",
                                                  "confirm_password": "mat-khau-moi-1", "keep_signed_in": "1",
                                                  "csrf_token": csrf})
    assert res.status_code == 302
    assert client.get("/").status_code == 200  # the browser that changed it stays in (the form's default)
    assert other.get("/").status_code == 302


def test_an_admin_password_reset_signs_the_user_out(client, factory, app):
    user = factory.user()
    login(client, user)
    admin = factory.user(role="admin")
    admin_browser = app.test_client()
    csrf = login(admin_browser, admin)
    res = admin_browser.post(f"/admin/users/{user.id}/edit", data={
        "full_name": user.full_name, "role": "officer", "agency_id": str(user.agency_id), "active": "1",
        "password": "dat-lai-mat-khau", "csrf_token": csrf})
    assert res.status_code == 302
    assert client.get("/").status_code == 302
    assert admin_browser.get("/").status_code == 200


def test_empty_fields_show_empty_not_none(client, factory):
    """An account with no e-mail or title: its forms show empty fields, not the word None."""
    user = factory.user("officer", full_name="Chưa có thư")
    from core.extensions import db

    user.email, user.title = None, None
    db.session.commit()
    login(client, factory.user("admin"))
    html = client.get(f"/admin/users/{user.id}/edit").get_data(as_text=True)
    assert 'value="None"' not in html and ">None</textarea>" not in html
