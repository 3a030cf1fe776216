"""Meetings: scheduling, the live room, chat, presence, minutes, votes, conclusions."""
from flask import Blueprint

from core.api import make_api_blueprint

bp = Blueprint("meetings", __name__)
api_bp = make_api_blueprint("meetings_api", __name__)
blueprints = [bp, api_bp]
