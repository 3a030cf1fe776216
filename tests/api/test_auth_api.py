from tests.conftest import PASSWORD, bearer, login


def test_token_then_me(client, factory):
    user = factory.user(role="leader")
    res = client.post("/api/v1/auth/token", json={"username": user.username, "password": PASSWORD})
    assert res.status_code == 201
    token = res.get_json()["token"]
    me = client.get("/api/v1/me", headers=bearer(token)).get_json()
    assert me == {**me, "id": user.id, "username": user.username, "role": "leader", "agency_id": user.agency_id}


def test_bad_credentials_are_401_json(client, factory):
    user = factory.user()
    res = client.post("/api/v1/auth/token", json={"username": user.username, "password": "nope"})
    assert res.status_code == 401
    assert res.get_json()["error"]["code"] == "bad_credentials"


def test_cookie_write_needs_csrf(client, factory):
    admin = factory.user(role="admin", agency=factory.agency())
    csrf = login(client, admin)
    no = client.post("/api/v1/agencies", json={"code": "X1", "name": "Sở X"})
    assert no.status_code == 400 and no.get_json()["error"]["code"] == "csrf_failed"
    yes = client.post("/api/v1/agencies", json={"code": "X1", "name": "Sở X"}, headers={"X-CSRFToken": csrf})
    assert yes.status_code == 201
