"""In-app notifications (the bell) and e-mail."""
from flask import Blueprint

from core.api import make_api_blueprint

bp = Blueprint("notifications", __name__)
api_bp = make_api_blueprint("notifications_api", __name__)
blueprints = [bp, api_bp]
