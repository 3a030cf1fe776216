"""API.md rows for /auth/token, /me, /agencies and /users, with their error statuses."""
import pytest

from auth.models import Agency, User
from core.audit import AuditLog
from core.extensions import db
from tests.conftest import PASSWORD, bearer, login


def error_of(res, status, code=None):
    """The response is exactly API.md's error shape with this status."""
    assert res.status_code == status, res.get_data(as_text=True)[:500]
    assert res.is_json, res.headers.get("Content-Type")
    body = res.get_json()
    assert set(body) == {"error"}
    assert {"code", "message"} <= set(body["error"])
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    if code:
        assert body["error"]["code"] == code
    return body["error"]


@pytest.fixture
def admin(factory):
    return factory.user(role="admin", agency=factory.agency(code="VP", name="Văn phòng UBND tỉnh"))


@pytest.fixture
def admin_token(factory, admin):
    return factory.token(admin)


# -- POST /auth/token, GET /me --------------------------------------------------

def test_token_then_me(client, factory):
    user = factory.user(role="leader")
    res = client.post("/api/v1/auth/token", json={"username": user.username, "password": PASSWORD})
    assert res.status_code == 201
    body = res.get_json()
    assert body["user"]["id"] == user.id and "password_hash" not in body["user"]
    me = client.get("/api/v1/me", headers=bearer(body["token"])).get_json()
    assert me == {**me, "id": user.id, "username": user.username, "full_name": user.full_name,
                  "role": "leader", "agency_id": user.agency_id}


def test_me_by_session_cookie(client, factory):
    user = factory.user()
    login(client, user)
    assert client.get("/api/v1/me").get_json()["agency_id"] == user.agency_id


def test_bad_credentials_are_401_json(client, factory):
    user = factory.user()
    error_of(client.post("/api/v1/auth/token", json={"username": user.username, "password": "nope"}),
             401, "bad_credentials")
    error_of(client.post("/api/v1/auth/token", json={"username": "ghost", "password": PASSWORD}),
             401, "bad_credentials")


def test_deactivated_user_gets_no_token(client, factory):
    user = factory.user()
    user.active = False
    db.session.commit()
    error_of(client.post("/api/v1/auth/token", json={"username": user.username, "password": PASSWORD}), 401)


def test_token_request_with_wrong_types_is_422_not_500(client, factory):
    user = factory.user()
    err = error_of(client.post("/api/v1/auth/token", json={"username": 12, "password": ["x"]}), 422, "invalid")
    assert set(err["fields"]) == {"username", "password"}
    err = error_of(client.post("/api/v1/auth/token", json={"username": user.username}), 422)
    assert "password" in err["message"]


def test_token_can_be_revoked_by_its_holder(client, factory):
    user = factory.user()
    raw = factory.token(user)
    assert client.delete("/api/v1/auth/token", headers=bearer(raw)).status_code == 204
    error_of(client.get("/api/v1/me", headers=bearer(raw)), 401, "unauthorized")


def test_token_list_shows_no_secret(client, factory):
    user = factory.user()
    raw = factory.token(user)
    items = client.get("/api/v1/auth/tokens", headers=bearer(raw)).get_json()["items"]
    assert len(items) == 1 and items[0]["prefix"] == raw[:8]
    assert raw not in str(items) and "token_hash" not in items[0]


def test_someone_elses_token_id_is_404(client, factory):
    owner, other = factory.user(), factory.user()
    factory.token(owner)
    from auth.models import ApiToken

    token_id = db.session.scalar(db.select(ApiToken.id).where(ApiToken.user_id == owner.id))
    error_of(client.delete(f"/api/v1/auth/tokens/{token_id}", headers=bearer(factory.token(other))), 404)
    error_of(client.delete("/api/v1/auth/tokens/99999", headers=bearer(factory.token(other))), 404)


# -- agencies -------------------------------------------------------------------

def test_admin_creates_agencies_and_anyone_lists_them(client, factory, admin_token):
    res = client.post("/api/v1/agencies", json={"code": "syt", "name": "Sở Y tế"}, headers=bearer(admin_token))
    assert res.status_code == 201
    parent = res.get_json()
    assert parent == {**parent, "code": "SYT", "name": "Sở Y tế", "parent_id": None}
    res = client.post("/api/v1/agencies", json={"code": "BVT", "name": "Bệnh viện tỉnh", "parent_id": parent["id"]},
                      headers=bearer(admin_token))
    assert res.status_code == 201 and res.get_json()["parent_id"] == parent["id"]
    officer = factory.user()
    items = client.get("/api/v1/agencies", headers=bearer(factory.token(officer))).get_json()["items"]
    codes = [a["code"] for a in items]
    assert codes.index("SYT") < codes.index("BVT")
    assert {"id", "code", "name", "parent_id"} <= set(items[0])
    created_rows = db.select(db.func.count()).select_from(AuditLog).where(AuditLog.action == "agency.create")
    assert db.session.scalar(created_rows) == 2


def test_duplicate_agency_code_is_409(client, admin_token):
    client.post("/api/v1/agencies", json={"code": "SYT", "name": "Sở Y tế"}, headers=bearer(admin_token))
    error_of(client.post("/api/v1/agencies", json={"code": "syt", "name": "Khác"}, headers=bearer(admin_token)),
             409, "duplicate")
    assert db.session.scalar(db.select(db.func.count()).select_from(Agency).where(Agency.code == "SYT")) == 1


def test_non_admin_cannot_create_agencies(client, factory):
    for role in ("leader", "officer"):
        token = factory.token(factory.user(role=role))
        error_of(client.post("/api/v1/agencies", json={"code": "X", "name": "X"}, headers=bearer(token)),
                 403, "forbidden")
    assert db.session.scalar(db.select(Agency.id).where(Agency.code == "X")) is None


def test_invalid_agency_is_422_naming_the_fields(client, admin_token):
    err = error_of(client.post("/api/v1/agencies", json={"name": "", "parent_id": 99999, "kind": "planet"},
                               headers=bearer(admin_token)), 422, "invalid")
    assert set(err["fields"]) == {"code", "name", "parent_id", "kind"}
    for name in ("code", "name", "parent_id", "kind"):
        assert name in err["message"]
    err = error_of(client.post("/api/v1/agencies", json={"code": "A" * 40, "name": "X", "parent_id": "abc"},
                               headers=bearer(admin_token)), 422)
    assert set(err["fields"]) == {"code", "parent_id"}


def test_agency_update_and_unknown_agency(client, admin_token):
    created = client.post("/api/v1/agencies", json={"code": "SYT", "name": "Sở Y tế"},
                          headers=bearer(admin_token)).get_json()
    res = client.patch(f"/api/v1/agencies/{created['id']}", json={"name": "Sở Y tế tỉnh"}, headers=bearer(admin_token))
    assert res.status_code == 200 and res.get_json()["name"] == "Sở Y tế tỉnh"
    error_of(client.get("/api/v1/agencies/99999", headers=bearer(admin_token)), 404, "not_found")
    error_of(client.patch("/api/v1/agencies/99999", json={"name": "x"}, headers=bearer(admin_token)), 404)


# -- users ----------------------------------------------------------------------

def test_admin_creates_users(client, factory, admin_token):
    agency = factory.agency()
    res = client.post("/api/v1/users", json={"username": "NguyenVanB", "password": "mat-khau-1",
                                             "full_name": "Nguyễn Văn B", "role": "officer", "agency_id": agency.id},
                      headers=bearer(admin_token))
    assert res.status_code == 201
    body = res.get_json()
    assert body == {**body, "username": "nguyenvanb", "full_name": "Nguyễn Văn B", "role": "officer",
                    "agency_id": agency.id}
    assert "password" not in body and "password_hash" not in body
    # the new account works
    token = client.post("/api/v1/auth/token", json={"username": "nguyenvanb", "password": "mat-khau-1"})
    assert token.status_code == 201
    for role in ("admin", "leader"):
        res = client.post("/api/v1/users", json={"username": f"u{role}", "password": "mat-khau-1", "full_name": "X",
                                                 "role": role, "agency_id": None}, headers=bearer(admin_token))
        assert res.status_code == 201 and res.get_json()["role"] == role


def test_only_admins_create_users(client, factory):
    agency = factory.agency()
    for role in ("leader", "officer"):
        token = factory.token(factory.user(role=role, agency=agency))
        error_of(client.post("/api/v1/users", json={"username": "x1", "password": "mat-khau-1", "full_name": "X",
                                                    "role": "admin"}, headers=bearer(token)), 403)
    assert db.session.scalar(db.select(User.id).where(User.username == "x1")) is None


def test_taken_username_is_409(client, factory, admin_token):
    factory.user(username="trung", role="leader")
    error_of(client.post("/api/v1/users", json={"username": "Trung", "password": "mat-khau-1", "full_name": "X",
                                                "role": "leader"}, headers=bearer(admin_token)), 409, "duplicate")


@pytest.mark.parametrize("patch, fields", [
    ({"role": "king"}, {"role"}),
    ({"password": "short"}, {"password"}),
    ({"agency_id": None}, {"agency_id"}),  # officers need an agency
    ({"agency_id": 99999}, {"agency_id"}),
    ({"username": "có dấu"}, {"username"}),
    ({"username": None, "full_name": None}, {"username", "full_name"}),
    ({"email": "not-an-address"}, {"email"}),
])
def test_invalid_user_is_422_naming_the_fields(client, factory, admin_token, patch, fields):
    agency = factory.agency()
    data = {"username": "newbie", "password": "mat-khau-1", "full_name": "X", "role": "officer", "agency_id": agency.id}
    data.update(patch)
    err = error_of(client.post("/api/v1/users", json=data, headers=bearer(admin_token)), 422, "invalid")
    assert set(err["fields"]) == fields
    for name in fields:
        assert name in err["message"]
    assert db.session.scalar(db.select(User.id).where(User.username == "newbie")) is None


def test_user_directory_hides_private_fields_from_non_admins(client, factory, admin_token):
    other = factory.user(email="a@example.vn")
    viewer = factory.user()
    items = client.get("/api/v1/users", headers=bearer(factory.token(viewer))).get_json()["items"]
    seen = next(u for u in items if u["id"] == other.id)
    assert "email" not in seen
    assert client.get(f"/api/v1/users/{other.id}", headers=bearer(admin_token)).get_json()["email"] == "a@example.vn"
    error_of(client.get("/api/v1/users/99999", headers=bearer(admin_token)), 404)


def test_admin_updates_users_and_others_cannot(client, factory, admin_token):
    user = factory.user()
    res = client.patch(f"/api/v1/users/{user.id}", json={"full_name": "Tên mới"}, headers=bearer(admin_token))
    assert res.status_code == 200 and res.get_json()["full_name"] == "Tên mới"
    error_of(client.patch(f"/api/v1/users/{user.id}", json={"role": "admin"}, headers=bearer(factory.token(user))), 403)


# -- CSRF -----------------------------------------------------------------------

def test_cookie_write_needs_csrf(client, factory, admin):
    csrf = login(client, admin)
    no = client.post("/api/v1/agencies", json={"code": "X1", "name": "Sở X"})
    error_of(no, 400, "csrf_failed")
    bad = client.post("/api/v1/agencies", json={"code": "X1", "name": "Sở X"}, headers={"X-CSRFToken": "forged"})
    error_of(bad, 400, "csrf_failed")
    assert db.session.scalar(db.select(Agency.id).where(Agency.code == "X1")) is None
    yes = client.post("/api/v1/agencies", json={"code": "X1", "name": "Sở X"}, headers={"X-CSRFToken": csrf})
    assert yes.status_code == 201


def test_bearer_write_needs_no_csrf(client, admin_token):
    res = client.post("/api/v1/agencies", json={"code": "X2", "name": "Sở X"}, headers=bearer(admin_token))
    assert res.status_code == 201


def test_cookie_reads_need_no_csrf(client, factory, admin):
    login(client, admin)
    assert client.get("/api/v1/agencies").status_code == 200
