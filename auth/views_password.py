"""The "forgot password" pages: ask for a link by e-mail, then set a new password with it."""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from auth import bp, password_reset
from auth.throttle import TooManyAttempts
from auth.views import _forget_this_browser, new_password_from_form
from core.errors import Invalid
from core.extensions import db
from core.forms import call_service


@bp.app_context_processor
def reset_links():
    return {"password_reset_enabled": password_reset.enabled()}


@bp.route("/password/forgot", methods=["GET", "POST"])
def forgot_password():
    if not password_reset.enabled():
        abort(404)
    if current_user.is_authenticated:
        return redirect(url_for("auth.change_password"))
    errors, login = {}, request.values.get("login", "")
    if request.method == "POST":
        try:
            password_reset.request_reset(login, request.remote_addr)
        except TooManyAttempts as exc:
            page = render_template("auth/forgot_password.html", errors={"login": exc.message}, login=login)
            return page, 429, {"Retry-After": str(exc.extra["retry_after"])}
        except Invalid as exc:
            db.session.rollback()
            errors = exc.fields
        else:
            # the same answer whether or not an account matched
            return render_template("auth/forgot_password.html", sent=True, errors={}, login="")
    return render_template("auth/forgot_password.html", errors=errors, login=login)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token):
    if not password_reset.enabled():
        abort(404)
    user = password_reset.user_for_token(token)
    headers = {"Referrer-Policy": "no-referrer", "Cache-Control": "no-store"}  # the token is in the URL
    if user is None:
        return render_template("auth/reset_password.html", invalid=True, errors={}), 200, headers
    errors = {}
    if request.method == "POST":
        new, errors = new_password_from_form()
        if not errors:
            _done, errors = call_service(password_reset.reset_password, token, new, field="new_password")
        if not errors:
            if current_user.is_authenticated:
                _forget_this_browser()
            flash(_("Your new password is set, and every earlier sign-in has ended. "
                    "Sign in with the new password."),
                  "success")
            return redirect(url_for("auth.login"))
    return render_template("auth/reset_password.html", invalid=False, user=user, errors=errors), 200, headers
