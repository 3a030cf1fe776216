"""Pages every user shares: the home page, the language switch, the health check."""
from flask import Blueprint

bp = Blueprint("core", __name__)
blueprints = [bp]
