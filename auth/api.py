from flask import g, jsonify, request
from flask_babel import gettext as _
from flask_login import current_user

from auth import agencies, permissions, queries, services
from auth import api_bp as api
from auth.models import AgencyKind, ApiToken, Role
from auth.throttle import TooManyAttempts
from core import openapi as oa
from core.api import json_body, public
from core.config import LANGUAGES
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
    return jsonify(items=[t.to_dict() for t in queries.tokens_of(current_user)])


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
    return jsonify(items=[dict(a.to_dict(), depth=depth) for a, depth in queries.agency_tree()])


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
    people = queries.find_users(agency_id=arg_int("agency_id"),
                                active_only=not permissions.can_manage_accounts(current_user))
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


# -- the OpenAPI entries of the routes above ---------------------------------------------------
def _document():
    roles = {"enum": [role.value for role in Role]}
    kinds = {"enum": [kind.value for kind in AgencyKind]}
    username = {"type": "string", "pattern": "^[A-Za-z0-9._-]{1,64}$"}
    password = {"type": "string", "minLength": services.MIN_PASSWORD, "maxLength": 200}
    S, ID, B, ITEMS = oa.S, oa.ID, oa.B, oa.ITEMS
    agency = oa._obj(["id", "code", "name"], id=ID, code=S, name=S, parent_id=oa._null(ID), kind=S, active=B)
    user = oa._obj(["id", "username", "full_name", "role"], id=ID, username=S, full_name=S, role=roles,
                   agency_id=oa._null(ID), email=oa._null(S), title=oa._null(S), active=B, locale=S)
    oa.path("/auth/token",
            post=oa._op("Exchange a username and password for a bearer token (401: error code bad_credentials, or "
                        "account_disabled when the password is right but the account was deactivated)", "anyone", 201,
                        oa._obj(["username", "password"], username=S, password=S, name=S),
                        errors=(400, 401, 422, 429), ok_schema=oa._obj(["token", "user"], token=S, user=user)),
            delete=oa._op("Revoke the token this request carries", "a bearer-token caller", 204, errors=(401, 403)))
    oa.path("/auth/tokens", get=oa._op("My API tokens", "any user", errors=(401,), ok_schema=ITEMS))
    oa.path("/auth/tokens/{token_id}",
            delete=oa._op("Revoke one of my tokens", "its owner, admins", 204, errors=(401, 403, 404)))
    oa.path("/me", get=oa._op("Who I am: {id, username, full_name, role, agency_id}", "any user", errors=(401,),
                              ok_schema=user))
    oa.path("/agencies",
            get=oa._op("All agencies in tree order ({items: [...]})", "any user", errors=(401,), ok_schema=ITEMS),
            post=oa._op("Create an agency", "admin", 201,
                        oa._obj(["code", "name"], code=S, name=S, parent_id=oa._null(ID), kind=kinds),
                        errors=(400, 401, 403, 409, 422), ok_schema=agency))
    oa.path("/agencies/{agency_id}",
            get=oa._op("One agency", "any user", errors=(401, 404), ok_schema=agency),
            patch=oa._op("Edit an agency (code, name, kind, parent_id, active)", "admin",
                         body=oa._obj(code=S, name=S, kind=kinds, parent_id=oa._null(ID), active=B),
                         errors=(400, 401, 403, 404, 409, 422), ok_schema=agency))
    oa.path("/users",
            get=oa._op("The user directory", "any user", params=[("agency_id", "integer", "only this agency")],
                       errors=(401,), ok_schema=ITEMS),
            post=oa._op("Create a user", "admin", 201,
                        oa._obj(["username", "password", "full_name", "role"], username=username, password=password,
                                full_name=oa._text(255), role=roles, agency_id=oa._null(ID), email=S, title=S,
                                locale={"enum": list(LANGUAGES)}),
                        errors=(400, 401, 403, 409, 422), ok_schema=user))
    oa.path("/users/{user_id}",
            get=oa._op("One user", "any user", errors=(401, 404), ok_schema=user),
            patch=oa._op("Edit a user (full_name, role, agency_id, email, title, password, active)", "admin",
                         body=oa._obj(full_name=oa._text(255), role=roles, agency_id=oa._null(ID), email=oa._text(255),
                                      title=oa._text(255), password=password, active=B),
                         errors=(400, 401, 403, 404, 409, 422), ok_schema=user))


_document()
