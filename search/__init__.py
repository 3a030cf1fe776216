"""Search: one box over directives, reports, meetings, agendas, minutes, conclusions, chat and papers."""
from flask import Blueprint

from core.api import make_api_blueprint

bp = Blueprint("search", __name__)
api_bp = make_api_blueprint("search_api", __name__)
blueprints = [bp, api_bp]


@bp.record_once
def _setup(state):
    from core.cli import after_upgrade_hooks
    from search import cli, indexing  # indexing: the session hooks that keep the index in step

    state.app.cli.add_command(cli.search_rebuild_command)
    if indexing.fill_if_empty not in after_upgrade_hooks:
        after_upgrade_hooks.append(indexing.fill_if_empty)
