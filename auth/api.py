from flask import g, jsonify, request
from flask_babel import gettext as _
from flask_login import current_user

from auth import api_bp as api
from auth import agencies, permissions, services
from auth.models import ApiToken, User
from auth.throttle import TooManyAttempts
from core.api import json_body, public
from core.collation import sort_key
from core.errors import Forbidden, NotFound, Unauthorized
from core.extensions import db
from core.validation import Fields, arg_int


@api.post("/auth/token")
@public
def create_token():
    f = Fields(json_body())
    username = f.str("username", max_len=64)
    password = f.str("password", max_len=200)
    name = f.str("name", required=False, max_len=100, default="api")
    f.check()
    try:
        # the same failed-sign-in budgets as the login form
        user = services.authenticate(username, password, address=request.remote_addr)
    except TooManyAttempts as exc:
        return jsonify(exc.to_dict()), 429, {"Retry-After": str(exc.extra["retry_after"])}
    if user is None:
        raise Unauthorized(_("Wrong username or password."), code="bad_credentials")
    _token, raw = services.issue_token(user, name)
    return jsonify(token=raw, user=user.to_dict()), 201


@api.delete("/auth/token")
def revoke_current_token():
    """Revoke the bearer token this request was made with."""
    token = g.get("api_token")
    if token is None:
        raise Forbidden(_("This request was not made with a token."))
    services.revoke_token(current_user, token)
    return "", 204


@api.get("/auth/tokens")
def list_tokens():
    tokens = db.session.scalars(
        db.select(ApiToken).where(ApiToken.user_id == current_user.id).order_by(ApiToken.id.desc())
    ).all()
    return jsonify(items=[t.to_dict() for t in tokens])


@api.delete("/auth/tokens/<int:token_id>")
def revoke_token(token_id):
    token = db.session.get(ApiToken, token_id)
    if token is None:
        raise NotFound(_("Token not found."))
    services.revoke_token(current_user, token)
    return "", 204


@api.get("/me")
def me():
    u = current_user
    return jsonify(
        id=u.id, username=u.username, full_name=u.full_name, role=u.role, agency_id=u.agency_id,
        email=u.email, title=u.title, locale=u.locale,
    )


@api.get("/agencies")
def list_agencies():
    return jsonify(items=[dict(a.to_dict(), depth=depth) for a, depth in services.agency_tree()])


@api.post("/agencies")
def create_agency():
    agency = agencies.create_agency(current_user, json_body())
    return jsonify(agency.to_dict()), 201


@api.get("/agencies/<int:agency_id>")
def get_agency(agency_id):
    return jsonify(agencies.get_agency(agency_id).to_dict())


@api.patch("/agencies/<int:agency_id>")
def update_agency(agency_id):
    agency = agencies.get_agency(agency_id)
    return jsonify(agencies.update_agency(current_user, agency, json_body()).to_dict())


@api.get("/users")
def list_users():
    """The directory of active users (for invitations); admins also see inactive ones."""
    query = db.select(User)
    if not permissions.can_manage_accounts(current_user):
        query = query.where(User.active.is_(True))
    agency_id = arg_int("agency_id")
    if agency_id:
        query = query.where(User.agency_id == agency_id)
    people = sorted(db.session.scalars(query), key=lambda u: sort_key(u.full_name))
    return jsonify(items=[_public_user(u) for u in people])


def _public_user(user):
    data = user.to_dict()
    if not permissions.can_manage_accounts(current_user) and user.id != current_user.id:
        data.pop("email", None)
        data.pop("locale", None)
    return data


@api.post("/users")
def create_user():
    user = services.create_user(current_user, json_body())
    return jsonify(user.to_dict()), 201


@api.get("/users/<int:user_id>")
def get_user(user_id):
    return jsonify(_public_user(services.get_user(user_id)))


@api.patch("/users/<int:user_id>")
def update_user(user_id):
    if not permissions.can_manage_accounts(current_user):
        raise Forbidden(_("Only administrators manage accounts."))
    user = services.get_user(user_id)
    return jsonify(services.update_user(current_user, user, json_body()).to_dict())
