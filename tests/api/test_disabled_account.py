"""A deactivated user who types the right password is told the account is disabled and whom to ask;
anyone else (a wrong password) still hears only "wrong username or password"."""
import pytest

from core.extensions import db
from tests.conftest import PASSWORD, csrf_from


def sign_in(client, username, password):
    token = csrf_from(client.get("/login").get_data(as_text=True))
    return client.post("/login", data={"username": username, "password": password, "csrf_token": token})


@pytest.fixture
def disabled(factory):
    user = factory.user(username="tranvanb")
    user.active = False
    db.session.commit()
    return user


def test_the_login_page_says_the_account_is_disabled_only_for_the_right_password(client, disabled):
    res = sign_in(client, "tranvanb", PASSWORD)
    html = res.get_data(as_text=True)
    assert res.status_code == 401
    assert "Tài khoản của bạn đã bị khóa" in html and "quản trị hệ thống" in html
    assert "Sai tên đăng nhập hoặc mật khẩu" not in html
    assert client.get("/api/v1/me").status_code == 401  # and still not signed in

    wrong = sign_in(client, "tranvanb", "not-the-password").get_data(as_text=True)
    assert "Sai tên đăng nhập hoặc mật khẩu" in wrong and "bị khóa" not in wrong


@pytest.mark.parametrize("app_config", [{"SUPPORT_CONTACT": "Phòng CNTT, 0203 3812 345"}])
def test_the_support_contact_is_named_when_configured(client, disabled):
    html = sign_in(client, "tranvanb", PASSWORD).get_data(as_text=True)
    assert "liên hệ: Phòng CNTT, 0203 3812 345" in html


def test_the_token_endpoint_answers_401_account_disabled(client, disabled):
    res = client.post("/api/v1/auth/token", json={"username": "tranvanb", "password": PASSWORD})
    assert res.status_code == 401
    error = res.get_json()["error"]
    assert error["code"] == "account_disabled"
    assert "bị khóa" in error["message"]
    res = client.post("/api/v1/auth/token", json={"username": "tranvanb", "password": "wrong-one"})
    assert res.status_code == 401 and res.get_json()["error"]["code"] == "bad_credentials"

