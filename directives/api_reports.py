"""JSON of the execution report (API.md ``GET /reports/execution``), for a higher-level system to collect."""
from flask import jsonify, request
from flask_babel import gettext as _
from flask_login import current_user

from core.dbtypes import isoformat
from core.errors import Invalid
from directives import api_bp as api
from directives import board, execution


def resolve_scope(user, raw_agency_id):
    """The level asked for with ``agency_id`` (board.resolve_level): None for the province's; 403 outside the
    caller's scope, 404 for an agency that does not exist, 422 naming ``agency_id`` for anything else."""
    try:
        agency = board.resolve_level(user, raw_agency_id)
    except Invalid as e:
        raise Invalid({"agency_id": e.fields.get("level", _("Must be an agency id."))}) from None
    return agency


def _plain(report):
    report["as_of"] = isoformat(report["as_of"])
    for item in report["overdue"]:
        item["deadline"] = isoformat(item["deadline"])
    return report


@api.get("/reports/execution")
def execution_report():
    """?from=YYYY-MM-DD&to=YYYY-MM-DD[&agency_id=]: the period's figures per agency and the previous period's."""
    agency = resolve_scope(current_user, request.args.get("agency_id"))
    period = execution.parse_period(request.args.get("from"), request.args.get("to"))
    report = execution.report(agency.id if agency is not None else None, period)
    return jsonify(_plain(report))
from directives import monthly_report  # noqa: E402,F401  (its scheduled job and CLI command)
