"""Self-service password reset by e-mail (through a real SMTP server), and the admin's "last sign-in"."""
import re
import time
from datetime import timedelta

import pytest

from auth import password_reset, services
from auth.models import ApiToken, BrowserLogin
from core.audit import AuditLog
from core.dbtypes import utcnow
from core.extensions import db
from tests.conftest import PASSWORD, SMTP_PORT, bearer, csrf_from, login

NEW_PASSWORD = "mat-khau-moi-2026"
MAIL = {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": SMTP_PORT, "MAIL_SENDER": "chidao@ubnd.example.vn",
        "PUBLIC_URL": "https://chidao.example.gov.vn"}
mail_on = pytest.mark.parametrize("app_config", [MAIL])
ANSWER = "một liên kết để đặt mật khẩu mới đang được gửi"


def ask(client, login_value, **headers):
    token = csrf_from(client.get("/password/forgot").get_data(as_text=True))
    return client.post("/password/forgot", data={"login": login_value, "csrf_token": token}, headers=headers)


def link_in(message):
    match = re.search(r"https://chidao\.example\.gov\.vn(/password/reset/\S+)", message.get_content())
    assert match, message.get_content()
    return match.group(1)


def set_password(client, path, password=NEW_PASSWORD, confirm=None):
    token = csrf_from(client.get(path).get_data(as_text=True))
    return client.post(path, data={"new_password": password, "confirm_password": confirm or password,
                                   "csrf_token": token})


def test_without_mail_there_is_no_forgotten_password_link_nor_page(client):
    assert "Quên mật khẩu?" not in client.get("/login").get_data(as_text=True)
    assert client.get("/password/forgot").status_code == 404


@mail_on
def test_the_login_page_offers_it_when_mail_is_on(client):
    html = client.get("/login").get_data(as_text=True)
    assert 'id="forgot-password"' in html and "Quên mật khẩu?" in html


@mail_on
def test_a_link_by_e_mail_sets_a_new_password_once_and_ends_every_session(app, client, factory, inbox):
    user = factory.user(username="nguyenthilan", email="lan@syt.example.vn", full_name="Nguyễn Thị Lan")
    other_browser = app.test_client()
    login(other_browser, user)
    raw_token = factory.token(user)

    res = ask(client, "NguyenThiLan ")
    assert res.status_code == 200 and ANSWER in res.get_data(as_text=True)
    (rcpts, message), = inbox.wait(1)
    assert rcpts == ["lan@syt.example.vn"] and message["Subject"] == "Đặt lại mật khẩu"
    assert "Nguyễn Thị Lan" in message.get_content() and "30 phút" in message.get_content()
    path = link_in(message)  # built on PUBLIC_URL, never on the request's Host

    page = client.get(path)
    assert page.status_code == 200 and "nguyenthilan" in page.get_data(as_text=True)
    assert page.headers["Referrer-Policy"] == "no-referrer"
    # the same rules as the change form
    assert "Tối thiểu 8 ký tự" in set_password(client, path, "short").get_data(as_text=True)
    assert "Hai mật khẩu không khớp" in set_password(client, path, NEW_PASSWORD, "other-pass-1").get_data(as_text=True)
    res = set_password(client, path)
    assert res.status_code == 302 and res.headers["Location"] == "/login"

    db.session.refresh(user)
    assert services.verify_password(user, NEW_PASSWORD)
    assert other_browser.get("/api/v1/me").status_code == 401
    assert client.get("/api/v1/me", headers=bearer(raw_token)).status_code == 401
    assert db.session.scalar(db.select(db.func.count()).select_from(BrowserLogin).where(
        BrowserLogin.user_id == user.id, BrowserLogin.ended_at.is_(None))) == 0
    assert db.session.scalar(db.select(db.func.count()).select_from(ApiToken).where(
        ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))) == 0
    actions = set(db.session.scalars(db.select(AuditLog.action).where(AuditLog.object_id == user.id,
                                                                       AuditLog.object_type == "user")))
    assert {"user.password_reset_request", "user.reset_password"} <= actions

    # single use: the link died with the old password
    again = client.get(path).get_data(as_text=True)
    assert 'id="reset-invalid"' in again
    assert set_password(client, path, "another-pass-1").status_code == 200
    db.session.refresh(user)
    assert services.verify_password(user, NEW_PASSWORD)
    login(client, user, NEW_PASSWORD)


@mail_on
def test_the_answer_is_the_same_for_unknown_names_and_nothing_is_sent(client, factory, inbox):
    factory.user(username="noemail", email=None)
    disabled = factory.user(username="disabled", email="off@syt.example.vn")
    disabled.active = False
    db.session.commit()
    answers = [ask(client, name) for name in ("ghost", "ghost@nowhere.vn", "noemail", "disabled")]
    bodies = {re.sub(r'name="csrf_token" value="[^"]+"|name="csrf-token" content="[^"]+"', "", r.get_data(as_text=True))
              for r in answers}
    assert {r.status_code for r in answers} == {200} and len(bodies) == 1 and ANSWER in bodies.pop()
    time.sleep(0.5)
    assert inbox.messages == []


@mail_on
def test_an_e_mail_address_finds_the_account_in_its_language(client, factory, inbox):
    factory.user(username="binh", email="Binh@STC.example.vn", locale="en")
    ask(client, "binh@stc.example.vn")
    (_rcpts, message), = inbox.wait(1)
    assert message["Subject"] == "Reset your password" and "/password/reset/" in message.get_content()


@mail_on
def test_a_link_expires_and_a_forged_one_never_works(client, factory, monkeypatch):
    user = factory.user(email="a@b.vn")
    token = password_reset.make_token(user)
    assert password_reset.user_for_token(token) == user
    assert password_reset.user_for_token(token[:-2] + "xx") is None
    assert password_reset.user_for_token("not-a-token") is None
    later = time.time() + 31 * 60
    monkeypatch.setattr("itsdangerous.timed.time.time", lambda: later)
    assert password_reset.user_for_token(token) is None
    assert 'id="reset-invalid"' in client.get(f"/password/reset/{token}").get_data(as_text=True)


@mail_on
def test_a_link_dies_when_the_password_is_changed_another_way(client, factory):
    user = factory.user(email="a@b.vn")
    token = password_reset.make_token(user)
    services.change_password(user, PASSWORD, "changed-pass-1")
    assert password_reset.user_for_token(token) is None


@pytest.mark.parametrize("app_config", [dict(MAIL, PASSWORD_RESET_RATE_LIMIT="3 per hour")])
def test_requests_are_throttled_per_address_and_per_name_typed(app, client, factory, inbox):
    factory.user(username="lan", email="lan@syt.example.vn")
    assert [ask(client, "lan").status_code for _ in range(3)] == [200, 200, 200]
    res = ask(client, "lan")
    assert res.status_code == 429 and "Quá nhiều yêu cầu" in res.get_data(as_text=True)
    assert ask(client, "ghost").status_code == 429  # this address has spent its budget, whatever it types
    elsewhere = app.test_client()
    elsewhere.environ_base["REMOTE_ADDR"] = "10.0.0.9"
    assert ask(elsewhere, "lan").status_code == 429  # one mailbox is not flooded from many addresses
    assert ask(elsewhere, "ghost").status_code == 200
    time.sleep(0.3)
    assert len(inbox.wait(3)) == 3


def test_the_admin_sees_when_each_user_last_signed_in(app, client, factory):
    admin = factory.user(role="admin", full_name="Quản trị")
    seen = factory.user(full_name="Đã đăng nhập")
    never = factory.user(full_name="Chưa đăng nhập")
    login(app.test_client(), seen)
    row = db.session.scalar(db.select(BrowserLogin).where(BrowserLogin.user_id == seen.id))
    row.created_at = utcnow().replace(hour=1, minute=30, second=0, microsecond=0) - timedelta(days=1)
    db.session.commit()
    login(client, admin)
    html = client.get("/admin/users").get_data(as_text=True)
    assert "Đăng nhập gần nhất" in html

    def cell(user):
        return re.search(rf'class="small text-nowrap last-sign-in" data-user-id="{user.id}">(.*?)</td>', html).group(1)

    local = row.created_at + timedelta(hours=7)  # shown in Asia/Ho_Chi_Minh
    assert cell(seen) == local.strftime("%d/%m/%Y 08:30")
    assert "chưa bao giờ" in cell(never)
