"""What hostile input gets, said plainly (the generated sweep in test_no_500_sweep.py covers every
route): out-of-range path ids are a 404, bad numbers and text in fields and query strings a 422
naming the field, on SQLite and PostgreSQL."""
import pytest

from tests.api.test_auth_api import error_of
from tests.conftest import bearer, csrf_from, fresh_postgres_database


@pytest.fixture(params=["sqlite", "postgresql"])
def app_config(request):
    if request.param == "sqlite":
        yield {}
        return
    with fresh_postgres_database("hostile") as url:
        yield {"SQLALCHEMY_DATABASE_URI": url}


@pytest.fixture
def admin(factory):
    return bearer(factory.token(factory.user(role="admin")))


@pytest.mark.parametrize("big", [2**63, 2**64, 10**30])
def test_an_out_of_range_path_id_is_a_404(client, admin, big):
    error_of(client.get(f"/api/v1/meetings/{big}", headers=admin), 404, "not_found")
    error_of(client.patch(f"/api/v1/users/{big}", json={}, headers=admin), 404, "not_found")  # not a 405
    assert client.get(f"/api/v1/meetings/{2**63 - 1}", headers=admin).status_code == 404  # the largest id: looked up
    assert client.get(f"/meetings/{big}", headers=admin).status_code == 404


@pytest.mark.parametrize("value", [2**63, -2**63 - 1, "²", "٣", "99999999999999999999", 1e300])
def test_an_id_field_out_of_range_is_a_422_naming_it(client, admin, value):
    err = error_of(client.post("/api/v1/agencies", json={"code": "X1", "name": "Sở X", "parent_id": value},
                               headers=admin), 422, "invalid")
    assert list(err["fields"]) == ["parent_id"]


@pytest.mark.parametrize("text", ["Sở\x00Y tế", "\ud800", "Sở\tY tế", "Sở\x1bY"])
def test_text_with_nul_surrogates_or_control_characters_is_a_422_naming_the_field(client, admin, text):
    err = error_of(client.post("/api/v1/agencies", json={"code": "X2", "name": text}, headers=admin), 422, "invalid")
    assert list(err["fields"]) == ["name"]


def test_multi_line_fields_take_line_breaks_and_tabs_but_no_other_control_character(client, factory):
    from core.dbtypes import utcnow

    leader = factory.user(role="leader")
    agency = factory.agency()
    deadline = utcnow().replace(year=utcnow().year + 1).isoformat()
    token = bearer(factory.token(leader))
    ok = client.post("/api/v1/directives", json={"title": "Chỉ đạo", "body": "Dòng 1\r\n\tDòng 2", "deadline": deadline,
                                                 "lead_agency_id": agency.id}, headers=token)
    assert ok.status_code == 201 and ok.get_json()["body"] == "Dòng 1\r\n\tDòng 2"
    err = error_of(client.post("/api/v1/directives", json={"title": "Chỉ đạo", "body": "a\x0bb", "deadline": deadline,
                                                           "lead_agency_id": agency.id}, headers=token), 422)
    assert list(err["fields"]) == ["body"]


@pytest.mark.parametrize("path", ["/api/v1/users?agency_id=9223372036854775808", "/api/v1/users?agency_id=%C2%B2",
                                  "/api/v1/directives?limit=1e999", "/api/v1/directives?q=a%00b"])
def test_a_bad_query_parameter_is_a_422_naming_it(client, admin, path):
    err = error_of(client.get(path, headers=admin), 422, "invalid")
    assert list(err["fields"]) == [path.split("?")[1].split("=")[0]]


def test_a_nul_in_the_login_form_is_a_form_error(client, factory):
    factory.user(username="lan")
    token = csrf_from(client.get("/login").get_data(as_text=True))
    res = client.post("/login", data={"username": "lan\x00", "password": "x", "csrf_token": token})
    assert res.status_code == 422
    assert 'id="username"' in res.get_data(as_text=True)  # the form again, with the error


def test_a_multipart_part_without_a_name_is_a_400_and_a_nul_in_a_name_a_422(client, factory):
    headers = bearer(factory.token(factory.user(role="leader")))
    nameless = b'--b\r\nContent-Disposition: form-data\r\n\r\nnull\r\n--b--\r\n'
    error_of(client.post("/api/v1/meetings", data=nameless, content_type="multipart/form-data; boundary=b",
                         headers=headers), 400, "malformed")
    token = csrf_from(client.get("/login").get_data(as_text=True))  # a page too (the CSRF check used to crash)
    assert client.post("/login", data=nameless, content_type="multipart/form-data; boundary=b",
                       headers={"X-CSRFToken": token}).status_code == 400
    nul_name = b'--b\r\nContent-Disposition: form-data; name="a\x00"\r\n\r\nx\r\n--b--\r\n'
    error_of(client.post("/api/v1/meetings", data=nul_name, content_type="multipart/form-data; boundary=b",
                         headers=headers), 422, "invalid")
