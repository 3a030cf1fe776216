"""Every error status under /api/v1 has API.md's JSON shape; pages get friendly Vietnamese errors."""
import pytest

from tests.api.test_auth_api import error_of
from tests.conftest import PASSWORD, bearer, csrf_from


@pytest.fixture
def admin_token(factory):
    return factory.token(factory.user(role="admin"))


def test_400_malformed_json(client, admin_token):
    res = client.post("/api/v1/agencies", data="{not json", content_type="application/json",
                      headers=bearer(admin_token))
    error_of(res, 400, "malformed")
    res = client.post("/api/v1/agencies", data="code=X", content_type="application/x-www-form-urlencoded",
                      headers=bearer(admin_token))
    error_of(res, 400, "malformed")


@pytest.mark.parametrize("body", [[1, 2], "text", 3, None])
def test_400_body_that_is_not_an_object(client, admin_token, body):
    error_of(client.post("/api/v1/agencies", json=body, headers=bearer(admin_token)), 400, "malformed")


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic abc"},
                                     {"Authorization": "Bearer "}])
def test_401_without_valid_authentication(client, headers):
    error_of(client.get("/api/v1/me", headers=headers), 401, "unauthorized")
    error_of(client.post("/api/v1/agencies", json={"code": "X", "name": "X"}, headers=headers), 401)


def test_403_not_allowed(client, factory):
    headers = bearer(factory.token(factory.user()))
    error_of(client.post("/api/v1/agencies", json={"code": "X", "name": "X"}, headers=headers), 403, "forbidden")


def test_404_unknown_route_and_unknown_ids(client, admin_token):
    error_of(client.get("/api/v1/no-such-thing", headers=bearer(admin_token)), 404, "not_found")
    error_of(client.get("/api/v1/no-such-thing"), 404, "not_found")  # anonymous too: JSON, not a redirect
    error_of(client.get("/api/v1/users/424242", headers=bearer(admin_token)), 404, "not_found")
    error_of(client.get("/api/v1/agencies/424242", headers=bearer(admin_token)), 404, "not_found")


def test_405_wrong_method(client, admin_token):
    error_of(client.get("/api/v1/auth/token"), 405, "method_not_allowed")
    error_of(client.put("/api/v1/me", json={}, headers=bearer(admin_token)), 405, "method_not_allowed")


def test_409_conflict(client, admin_token):
    client.post("/api/v1/agencies", json={"code": "A", "name": "A"}, headers=bearer(admin_token))
    error_of(client.post("/api/v1/agencies", json={"code": "A", "name": "A"}, headers=bearer(admin_token)), 409)


@pytest.mark.parametrize("app_config", [{"MAX_CONTENT_LENGTH": 1024}])
def test_413_body_too_large(client, factory):
    token = factory.token(factory.user(role="admin"))
    big = {"code": "BIG", "name": "x" * 5000}
    error_of(client.post("/api/v1/agencies", json=big, headers=bearer(token)), 413, "too_large")
    error_of(client.post("/api/v1/auth/token", json={"username": "x" * 5000, "password": "y"}), 413, "too_large")


def test_422_names_the_fields(client, admin_token):
    err = error_of(client.post("/api/v1/agencies", json={"code": 5}, headers=bearer(admin_token)), 422, "invalid")
    assert set(err["fields"]) == {"code", "name"}


@pytest.mark.parametrize("app_config", [{"LOGIN_RATE_LIMIT": "3 per minute"}])
def test_429_after_repeated_login_failures(client, factory):
    user = factory.user(username="bichngoc")
    for _ in range(3):
        error_of(client.post("/api/v1/auth/token", json={"username": "bichngoc", "password": "wrong"}), 401)
    err = error_of(client.post("/api/v1/auth/token", json={"username": "bichngoc", "password": PASSWORD}),
                   429, "rate_limited")
    assert err["message"]
    # other accounts are not locked out by someone guessing this one
    other = factory.user(username="khac")
    assert client.post("/api/v1/auth/token", json={"username": other.username, "password": PASSWORD}).status_code == 201
    assert user.id


@pytest.mark.parametrize("app_config", [{"LOGIN_RATE_LIMIT": "3 per minute"}])
def test_successful_logins_do_not_count_towards_the_limit(client, factory):
    factory.user(username="hoa")
    for _ in range(5):
        assert client.post("/api/v1/auth/token", json={"username": "hoa", "password": PASSWORD}).status_code == 201


@pytest.mark.parametrize("app_config", [{"LOGIN_RATE_LIMIT": "2 per minute"}])
def test_login_page_is_throttled_too(client, factory):
    factory.user(username="lan")
    for _ in range(2):
        token = csrf_from(client.get("/login").get_data(as_text=True))
        res = client.post("/login", data={"username": "lan", "password": "bad", "csrf_token": token})
        assert res.status_code == 401
    token = csrf_from(client.get("/login").get_data(as_text=True))
    res = client.post("/login", data={"username": "lan", "password": PASSWORD, "csrf_token": token})
    assert res.status_code == 429
    html = res.get_data(as_text=True)
    assert "Quá nhiều lần thử" in html and "Traceback" not in html


def test_500_is_json_without_details(client, app, admin_token, monkeypatch):
    from auth import queries

    def boom(*a, **k):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(queries, "agency_tree", boom)
    err = error_of(client.get("/api/v1/agencies", headers=bearer(admin_token)), 500, "internal_error")
    assert "secret" not in err["message"]
