"""Accounts: password and token hashing, expiry, revocation, the agency tree, role permissions."""
import hashlib
from datetime import timedelta

import pytest
from flask_login import AnonymousUserMixin

from auth import agencies, permissions, queries, services
from auth.models import ApiToken
from core.config import load_config
from core.dbtypes import utcnow
from core.errors import Conflict, Forbidden, Invalid
from core.extensions import db
from tests.conftest import bearer

# -- passwords --------------------------------------------------------------------

def test_scrypt_is_the_default_password_hash(monkeypatch):
    monkeypatch.delenv("PASSWORD_HASH_METHOD", raising=False)
    assert load_config({"SECRET_KEY": "x"})["PASSWORD_HASH_METHOD"] == "scrypt"


@pytest.mark.parametrize("app_config", [{"PASSWORD_HASH_METHOD": "scrypt"}])
def test_password_is_stored_as_scrypt_hash_and_verifies(app, factory):
    user = factory.user(password="correct horse")
    assert user.password_hash.startswith("scrypt:")
    assert "correct horse" not in user.password_hash
    assert services.verify_password(user, "correct horse")
    assert not services.verify_password(user, "correct hors")


def test_authenticate_rejects_wrong_password_unknown_user_and_inactive_user(app, factory):
    user = factory.user(username="nguyenvana", password="right-pass-1")
    assert services.authenticate("NguyenVanA ", "right-pass-1") == user  # case and spaces forgiven
    assert user.last_login_at is not None
    assert services.authenticate("nguyenvana", "wrong-pass") is None
    assert services.authenticate("nobody", "right-pass-1") is None
    assert services.authenticate("", "") is None
    user.active = False
    db.session.commit()
    assert services.authenticate("nguyenvana", "wrong-pass") is None  # a guesser learns nothing more
    with pytest.raises(services.AccountDisabled):
        services.authenticate("nguyenvana", "right-pass-1")


def test_change_password_needs_the_current_one(app, factory):
    user = factory.user(password="old-pass-123")
    with pytest.raises(Invalid) as err:
        services.change_password(user, "not-it", "new-pass-123")
    assert "current_password" in err.value.fields
    with pytest.raises(Invalid) as err:
        services.change_password(user, "old-pass-123", "short")
    assert "new_password" in err.value.fields
    services.change_password(user, "old-pass-123", "new-pass-123")
    assert services.verify_password(user, "new-pass-123")


# -- tokens ---------------------------------------------------------------------

def test_only_the_sha256_of_a_token_is_stored(app, factory):
    user = factory.user()
    token, raw = services.issue_token(user, "mobile app")
    assert len(raw) >= 40
    assert token.token_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert token.prefix == raw[:8]
    assert token.name == "mobile app"
    row = db.session.execute(db.text("SELECT * FROM api_tokens WHERE id = :id"), {"id": token.id}).mappings().one()
    assert raw not in [str(v) for v in row.values()]
    assert services.user_for_token(raw) == (user, token)
    assert services.user_for_token(raw + "x") is None
    assert services.user_for_token("") is None
    assert services.user_for_token("a" * 500) is None


def test_two_tokens_never_share_a_value(app, factory):
    user = factory.user()
    assert services.issue_token(user)[1] != services.issue_token(user)[1]


def test_expired_token_is_refused(app, factory, client):
    user = factory.user()
    token, raw = services.issue_token(user)
    assert token.expires_at > utcnow() + timedelta(days=29)
    token.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert services.user_for_token(raw) is None
    assert client.get("/api/v1/me", headers=bearer(raw)).status_code == 401


def test_token_of_deactivated_user_is_refused(app, factory, client):
    user = factory.user()
    raw = factory.token(user)
    user.active = False
    db.session.commit()
    assert client.get("/api/v1/me", headers=bearer(raw)).status_code == 401


def test_revoked_token_gets_401(app, factory, client):
    user = factory.user()
    token, raw = services.issue_token(user)
    assert client.get("/api/v1/me", headers=bearer(raw)).status_code == 200
    services.revoke_token(user, token)
    assert token.revoked_at is not None
    res = client.get("/api/v1/me", headers=bearer(raw))
    assert res.status_code == 401
    assert res.get_json()["error"]["code"] == "unauthorized"


def test_only_the_owner_or_an_admin_revokes_a_token(app, factory):
    owner, other = factory.user(), factory.user()
    admin = factory.user(role="admin")
    token, _raw = services.issue_token(owner)
    with pytest.raises(Exception) as err:
        services.revoke_token(other, token)
    assert err.value.status == 404
    services.revoke_token(admin, token)
    assert token.revoked_at is not None


def test_last_used_is_written_at_most_once_a_minute(app, factory, monkeypatch):
    import auth.services as module

    user = factory.user()
    token, raw = services.issue_token(user)
    start = utcnow()
    monkeypatch.setattr(module, "utcnow", lambda: start)
    services.user_for_token(raw)
    assert token.last_used_at == start
    monkeypatch.setattr(module, "utcnow", lambda: start + timedelta(seconds=30))
    services.user_for_token(raw)
    assert db.session.get(ApiToken, token.id).last_used_at == start
    monkeypatch.setattr(module, "utcnow", lambda: start + timedelta(minutes=2))
    services.user_for_token(raw)
    assert db.session.get(ApiToken, token.id).last_used_at == start + timedelta(minutes=2)


# -- agencies -------------------------------------------------------------------

def test_agency_tree_lists_parents_before_children_with_depth(app, factory):
    admin = factory.user(role="admin")
    office = agencies.create_agency(admin, {"code": "vp", "name": "Văn phòng UBND tỉnh", "kind": "provincial_office"})
    health = agencies.create_agency(admin, {"code": "SYT", "name": "Sở Y tế", "parent_id": office.id})
    finance = agencies.create_agency(admin, {"code": "STC", "name": "Sở Tài chính", "parent_id": office.id})
    hospital = agencies.create_agency(admin, {"code": "BV", "name": "Bệnh viện tỉnh", "parent_id": health.id})
    district = agencies.create_agency(admin, {"code": "HDS", "name": "Huyện Đông Sơn", "kind": "district"})
    assert office.code == "VP"  # codes are upper-cased
    tree = [(a.code, depth) for a, depth in queries.agency_tree()]
    assert tree == [("VP", 0), ("STC", 1), ("SYT", 1), ("BV", 2), ("HDS", 0)]
    assert finance.parent is office and hospital.parent is health and district.parent is None


def test_agency_tree_without_inactive_keeps_orphans_visible(app, factory):
    admin = factory.user(role="admin")
    parent = agencies.create_agency(admin, {"code": "P", "name": "Cha"})
    child = agencies.create_agency(admin, {"code": "C", "name": "Con", "parent_id": parent.id})
    agencies.update_agency(admin, parent, {"active": False})
    assert [(a.code, d) for a, d in queries.agency_tree(include_inactive=False)] == [("C", 0)]
    assert child in [a for a, _ in queries.agency_tree()]


def test_agency_cannot_be_moved_under_itself_or_its_descendant(app, factory):
    admin = factory.user(role="admin")
    top = agencies.create_agency(admin, {"code": "TOP", "name": "Trên"})
    mid = agencies.create_agency(admin, {"code": "MID", "name": "Giữa", "parent_id": top.id})
    low = agencies.create_agency(admin, {"code": "LOW", "name": "Dưới", "parent_id": mid.id})
    for new_parent in (top, low):
        with pytest.raises(Invalid) as err:
            agencies.update_agency(admin, top, {"parent_id": new_parent.id})
        assert "parent_id" in err.value.fields
        db.session.rollback()
    assert db.session.get(type(top), top.id).parent_id is None
    agencies.update_agency(admin, low, {"parent_id": top.id})  # a legal move still works
    assert low.parent is top


def test_duplicate_agency_code_is_a_conflict(app, factory):
    admin = factory.user(role="admin")
    agencies.create_agency(admin, {"code": "SYT", "name": "Sở Y tế"})
    with pytest.raises(Conflict):
        agencies.create_agency(admin, {"code": "syt", "name": "Sở Y tế 2"})


def test_agency_changes_are_audited(app, factory):
    from core.audit import AuditLog

    admin = factory.user(role="admin")
    agency = agencies.create_agency(admin, {"code": "SYT", "name": "Sở Y tế"})
    agencies.update_agency(admin, agency, {"name": "Sở Y tế tỉnh"})
    actions = db.session.scalars(db.select(AuditLog.action).where(AuditLog.object_id == agency.id,
                                                                  AuditLog.object_type == "agency")).all()
    assert actions == ["agency.create", "agency.update"]


# -- permissions ----------------------------------------------------------------

def test_role_permissions(app, factory):
    admin, leader, officer = factory.user(role="admin"), factory.user(role="leader"), factory.user()
    anonymous = AnonymousUserMixin()
    everyone = (admin, leader, officer, anonymous)
    assert [permissions.can_manage_accounts(u) for u in everyone] == [True, False, False, False]
    assert [permissions.can_manage_agencies(u) for u in everyone] == [True, False, False, False]
    assert [permissions.is_staff(u) for u in (admin, leader, officer, anonymous)] == [True, True, False, False]
    token, _raw = services.issue_token(officer)
    assert permissions.can_revoke_token(officer, token)
    assert permissions.can_revoke_token(admin, token)
    assert not permissions.can_revoke_token(leader, token)
    assert not permissions.can_revoke_token(anonymous, token)


def test_services_enforce_admin_only(app, factory):
    leader = factory.user(role="leader")
    with pytest.raises(Forbidden):
        agencies.create_agency(leader, {"code": "X", "name": "X"})
    with pytest.raises(Forbidden):
        services.create_user(leader, {"username": "a", "password": "12345678", "full_name": "A", "role": "leader"})
    with pytest.raises(Forbidden):
        services.update_user(leader, leader, {"role": "admin"})


def test_admin_cannot_demote_or_deactivate_themself(app, factory):
    admin = factory.user(role="admin")
    with pytest.raises(Invalid) as err:
        services.update_user(admin, admin, {"role": "leader"})
    assert "role" in err.value.fields
    db.session.rollback()
    with pytest.raises(Invalid) as err:
        services.update_user(admin, admin, {"active": False})
    assert "active" in err.value.fields
    db.session.rollback()
    assert admin.role == "admin" and admin.active
