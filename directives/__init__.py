"""Directives: issue, deliver, acknowledge, report, extend, accept."""
from flask import Blueprint

from core.api import make_api_blueprint

bp = Blueprint("directives", __name__)
api_bp = make_api_blueprint("directives_api", __name__)
blueprints = [bp, api_bp]
