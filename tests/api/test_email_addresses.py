"""E-mail addresses are checked by their form (email-validator), never by DNS: intranets have none."""
import pytest

from auth.models import User
from core.extensions import db
from tests.conftest import bearer


@pytest.fixture
def admin_token(factory):
    return factory.token(factory.user("admin"))


def _create(client, token, email):
    return client.post("/api/v1/users", json={"username": "vanthu", "password": "mat-khau-1", "full_name": "Văn thư",
                                              "role": "leader", "agency_id": None, "email": email},
                       headers=bearer(token))


@pytest.mark.parametrize("email", ["vanthu@sotc.local", "vanthu@soyte.gov.vn", "van.thu+hop@mail.intranet"])
def test_intranet_and_public_addresses_are_accepted(client, admin_token, email):
    res = _create(client, admin_token, email)
    assert res.status_code == 201, res.get_json()
    assert db.session.scalar(db.select(User.email).where(User.username == "vanthu")) == email


@pytest.mark.parametrize("email", ["vanthu", "vanthu@", "@sotc.gov.vn", "van thu@sotc.gov.vn", "a@b@sotc.gov.vn",
                                   "vanthu@sotc..gov.vn"])
def test_malformed_addresses_are_refused_and_nothing_is_created(client, admin_token, email):
    before = db.session.scalar(db.select(db.func.count(User.id)))
    res = _create(client, admin_token, email)
    assert res.status_code == 422
    assert set(res.get_json()["error"]["fields"]) == {"email"}
    assert db.session.scalar(db.select(db.func.count(User.id))) == before


def test_an_address_stored_before_checks_does_not_block_saving_other_fields(client, factory, admin_token):
    user = factory.user("officer", factory.agency())
    user.email = "van thu@localhost"  # what the old "has an @" rule let through
    db.session.commit()
    res = client.patch(f"/api/v1/users/{user.id}", json={"full_name": "Tên mới", "email": "van thu@localhost"},
                       headers=bearer(admin_token))
    assert res.status_code == 200, res.get_json()
    res = client.patch(f"/api/v1/users/{user.id}", json={"email": "van thu2@localhost"}, headers=bearer(admin_token))
    assert res.status_code == 422 and set(res.get_json()["error"]["fields"]) == {"email"}
    db.session.expire_all()
    assert (user.full_name, user.email) == ("Tên mới", "van thu@localhost")
