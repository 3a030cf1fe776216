"""Accounts, agencies, login and API tokens."""
from flask import Blueprint

from core.api import make_api_blueprint

bp = Blueprint("auth", __name__)
api_bp = make_api_blueprint("auth_api", __name__)
blueprints = [bp, api_bp]


@bp.record_once
def _setup(state):
    from auth import cli, login

    login.init_app(state.app)
    cli.init_app(state.app)
