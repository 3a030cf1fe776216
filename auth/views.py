from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user, logout_user
from flask_login.config import COOKIE_NAME as REMEMBER_COOKIE

from auth import agencies as agency_services
from auth import bp, permissions, queries, services
from auth.models import AgencyKind, ApiToken, Role
from auth.protocol import affiliation
from auth.throttle import TooManyAttempts
from core import i18n, ui
from core.errors import ServiceError
from core.extensions import db
from core.forms import call_service
from core.urls import safe_next
from core.validation import Fields, arg_int, text_problem

ROLE_LABELS = {Role.ADMIN: _l("Administrator"), Role.LEADER: _l("Leader"), Role.OFFICER: _l("Officer")}
KIND_LABELS = {
    AgencyKind.PROVINCIAL_OFFICE: _l("Provincial office"),
    AgencyKind.DEPARTMENT: _l("Department"),
    AgencyKind.DISTRICT: _l("District"),
    AgencyKind.COMMUNE: _l("Commune, ward or town"),
    AgencyKind.OTHER: _l("Other"),
}

ui.add_nav(ui.NavItem("auth.users", _l("Users"), "people", permissions.can_manage_accounts, order=80))
ui.add_nav(ui.NavItem("auth.agencies", _l("Agencies"), "diagram-3", permissions.can_manage_agencies, order=81))


@i18n.locale_chosen.connect
def _save_locale(_app, user, locale):
    services.set_locale(user, locale)


@bp.app_context_processor
def labels():
    return {"ROLE_LABELS": ROLE_LABELS, "KIND_LABELS": KIND_LABELS, "auth_permissions": permissions,
            "affiliation": affiliation}


def admin_required():
    if not permissions.can_manage_accounts(current_user):
        abort(403)


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("core.home"))
    if request.method == "GET":
        return render_template("auth/login.html", error=None, username="")
    username = request.form.get("username", "")
    for field, label in (("username", _("Username")), ("password", _("Password"))):
        # NUL or control characters: no account has them, and PostgreSQL would refuse NUL
        problem = text_problem(request.form.get(field, ""))
        if problem:
            error = _("%(field)s: %(message)s", field=label, message=problem)
            return render_template("auth/login.html", error=error, username=""), 422
    try:
        user = services.authenticate(username, request.form.get("password"), address=request.remote_addr)
    except TooManyAttempts as exc:
        page = render_template("auth/login.html", error=exc.message, username=username)
        return page, 429, {"Retry-After": str(exc.extra["retry_after"])}
    except services.AccountDisabled as exc:
        return render_template("auth/login.html", error=exc.message, username=username), 401
    if user is None:
        return render_template("auth/login.html", error=_("Wrong username or password."), username=username), 401
    lang = user.locale
    if session.get("lang_chosen") and session.get("lang") in current_app.config["LANGUAGES"]:
        lang = session["lang"]  # the language just chosen on the login page wins, and is kept
        services.set_locale(user, lang)
    _sign_in(user, remember=bool(request.form.get("remember")), lang=lang)
    return redirect(safe_next(request.args.get("next")))


def _sign_in(user, remember, lang):
    """Start a new session on a new browser login (nothing of the previous session is kept)."""
    session.clear()
    session["login_id"] = services.start_login(user, remember=remember)
    session["lang"] = lang
    if not remember:
        session["_remember"] = "clear"  # a cookie of an earlier login here has nothing to remember
    login_user(user, remember=remember)


def _forget_this_browser():
    """Empty this browser's session and drop its "keep me signed in" cookie; the language stays."""
    lang = session.get("lang")
    session.clear()
    logout_user()  # after clear(): it leaves the mark that deletes the "keep me signed in" cookie
    if lang:
        session["lang"] = lang


def _sign_in_again(user):
    """After all the user's logins were ended: this browser goes on, on a new login, remembered
    if it was; copies of its old cookies stay dead."""
    remembered = current_app.config.get("REMEMBER_COOKIE_NAME", REMEMBER_COOKIE) in request.cookies
    _sign_in(user, remember=remembered, lang=session.get("lang") or user.locale)


@bp.route("/logout", methods=["POST"])
def logout():
    login_id = session.get("login_id")
    _forget_this_browser()
    services.end_login(login_id)
    flash(_("You have signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/sign-out-everywhere", methods=["POST"])
@login_required
def sign_out_everywhere():
    services.sign_out_everywhere(current_user)
    _forget_this_browser()
    flash(_("You have signed out on every browser and device, and your API tokens were revoked."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/account", methods=["GET", "POST"])
@login_required
def profile():
    errors = {}
    if request.method == "POST":
        _user, errors = call_service(services.update_profile, current_user, request.form)
        if not errors:
            flash(_("Your profile was saved."), "success")
            return redirect(url_for("auth.profile"))
    return render_template("auth/profile.html", errors=errors, form=request.form,
                           tokens=queries.tokens_of(current_user), new_token=session.pop("new_token", None),
                           login_count=services.live_login_count(current_user))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    errors = {}
    if request.method == "POST":
        new, errors = new_password_from_form()
        if not errors:
            _none, errors = call_service(services.change_password, current_user,
                                         request.form.get("current_password", ""), new)
        if not errors:
            return _after_password_change()
    return render_template("auth/password.html", errors=errors)


def new_password_from_form():
    """The new password typed twice: (it, {}) or (it, the error of confirm_password) when the copies differ."""
    new = request.form.get("new_password", "")
    if new != request.form.get("confirm_password", ""):
        return new, {"confirm_password": _("The two passwords differ.")}
    return new, {}


def _after_password_change():
    if request.form.get("keep_signed_in"):
        _sign_in_again(current_user._get_current_object())
        flash(_("Your password was changed."), "success")
        return redirect(url_for("auth.profile"))
    _forget_this_browser()
    flash(_("Your password was changed. Sign in with the new one."), "success")
    return redirect(url_for("auth.login"))


@bp.route("/account/tokens", methods=["POST"])
@login_required
def create_token():
    f = Fields(request.form)
    name = f.str("name", required=False, max_len=100, default="api")
    if f.errors:
        flash(_("Token name: %(message)s", message=f.errors["name"]), "danger")
        return redirect(url_for("auth.profile"))
    _token, raw = services.issue_token(current_user, name)
    session["new_token"] = raw  # shown once on the next page
    return redirect(url_for("auth.profile"))


@bp.route("/account/tokens/<int:token_id>/revoke", methods=["POST"])
@login_required
def revoke_token(token_id):
    token = db.session.get(ApiToken, token_id)
    if token is None:
        abort(404)
    try:
        services.revoke_token(current_user, token)
    except ServiceError:
        abort(404)
    flash(_("The token was revoked."), "info")
    return redirect(url_for("auth.profile"))


# -- administration -------------------------------------------------------------

@bp.route("/admin/users")
@login_required
def users():
    admin_required()
    q = request.args.get("q", "").strip()
    agency_id = arg_int("agency_id")
    people = sorted(queries.find_users(q, agency_id), key=lambda u: not u.active)  # the inactive last
    return render_template("auth/users.html", users=people, q=q, last_sign_in=services.last_sign_ins(people),
                           agency_id=agency_id, tree=queries.agency_tree())


@bp.route("/admin/users/new", methods=["GET", "POST"])
@bp.route("/admin/users/<int:user_id>/edit", methods=["GET", "POST"])
@login_required
def edit_user(user_id=None):
    admin_required()
    user = services.get_user(user_id) if user_id else None
    errors = {}
    if request.method == "POST":
        errors = _save_user(user, _user_form_data(user))
        if not errors:
            return redirect(url_for("auth.users"))
    form = request.form if request.method == "POST" else (user.to_dict() if user else {})
    return render_template("auth/user_form.html", user=user, form=form, errors=errors, roles=tuple(Role),
                           tree=queries.agency_tree(include_inactive=False))


def _user_form_data(user):
    data = request.form.to_dict()
    data["meeting_contact"] = bool(request.form.get("meeting_contact"))
    if user is not None:
        data["active"] = bool(request.form.get("active"))
        if not data.get("password"):
            data.pop("password", None)
    return data


def _save_user(user, data):
    """Create or update the account; the form's errors, if refused."""
    if user is None:
        _user, errors = call_service(services.create_user, current_user, data, field="username")
        if not errors:
            flash(_("The account was created."), "success")
        return errors
    _user, errors = call_service(services.update_user, current_user, user, data, field="username")
    if not errors:
        if user.id == current_user.id and data.get("password"):
            _sign_in_again(user)  # an administrator who set their own password stays in
        flash(_("The account was saved."), "success")
    return errors


@bp.route("/admin/agencies")
@login_required
def agencies():
    admin_required()
    return render_template("auth/agencies.html", tree=queries.agency_tree(), counts=queries.active_user_counts())


@bp.route("/agencies/<int:agency_id>/approval", methods=["POST"])
@login_required
def agency_approval(agency_id):
    """An agency's leader (or an admin) switches the agency's internal approval on or off; back to the
    page the form was on."""
    agency = agency_services.get_agency(agency_id)
    _agency, errors = call_service(agency_services.set_approval_required, current_user, agency,
                                   request.form.to_dict(), field="approval_required")
    if errors:
        flash(errors["approval_required"], "error")
    elif agency.approval_required:
        flash(_("Results of %(agency)s's officers now wait for a leader's approval before they go up.",
                agency=agency.name), "success")
    else:
        flash(_("Results of %(agency)s's officers now go up without a leader's approval.", agency=agency.name),
              "success")
    return redirect(safe_next(request.form.get("next")))


@bp.route("/admin/agencies/new", methods=["GET", "POST"])
@bp.route("/admin/agencies/<int:agency_id>/edit", methods=["GET", "POST"])
@login_required
def edit_agency(agency_id=None):
    admin_required()
    agency = agency_services.get_agency(agency_id) if agency_id else None
    errors = {}
    if request.method == "POST":
        data = request.form.to_dict()
        data["parent_id"] = data.get("parent_id") or None
        if agency is not None:
            data["active"] = bool(request.form.get("active"))
            data["approval_required"] = bool(request.form.get("approval_required"))
        if agency is None:
            _agency, errors = call_service(agency_services.create_agency, current_user, data, field="code")
        else:
            _agency, errors = call_service(agency_services.update_agency, current_user, agency, data, field="code")
        if not errors:
            flash(_("The agency was created.") if agency is None else _("The agency was saved."), "success")
            return redirect(url_for("auth.agencies"))
    form = request.form if request.method == "POST" else (agency.to_dict() if agency else {})
    return render_template("auth/agency_form.html", agency=agency, form=form, errors=errors,
                           kinds=tuple(AgencyKind), tree=queries.agency_tree())
