from flask import current_app, jsonify, redirect, render_template, request, session
from flask_login import current_user, login_required

from core import i18n, ui
from core.api import public
from core.pages import bp
from core.urls import safe_next


@bp.route("/")
@login_required
def home():
    return render_template("core/home.html", sections=ui.sections_for(current_user))


@bp.route("/lang/<code>", methods=["GET", "POST"])
def set_language(code):
    """Switch the UI language. A POST (CSRF-checked) also saves it on the account; a GET only
    sets this browser's choice, so a link from another site cannot change anyone's account."""
    if code in current_app.config["LANGUAGES"]:
        session["lang"] = code
        if request.method == "POST" and current_user.is_authenticated:
            i18n.locale_chosen.send(current_app._get_current_object(), user=current_user._get_current_object(),
                                    locale=code)
        elif not current_user.is_authenticated:
            session["lang_chosen"] = True  # chosen on the login page: signing in saves it on the account
    return redirect(safe_next(request.values.get("next") or request.referrer))


@bp.route("/api/v1/openapi.json")
@public  # the document is public, like the /api/docs page
def openapi_json():
    from core.openapi import document

    return jsonify(document())


@bp.route("/api/docs")
def api_docs():
    from core.openapi import document

    return render_template("core/api_docs.html", doc=document())
