"""The execution report page (/reports/execution): a period's figures per agency beside the period before, the
trend month by month, the ranking and the overdue list with reasons; its Word and Excel files."""
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta
from flask import Response, jsonify, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from core.errors import Invalid
from core.xlsx import stamped_filename, xlsx_response
from directives import board, bp, execution
from directives.execution import local_today

DOCX_MIMETYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
#: how many months the trend shows, ending with the report's last month
TREND_MONTHS = 12


def _month(text):
    try:
        year, month = (int(x) for x in text.split("-"))
        return execution.month_period(year, month)
    except (ValueError, TypeError, OverflowError):
        raise Invalid({"month": _("Must be a month (YYYY-MM).")}) from None


def _quarter(text):
    try:
        year, q = text.upper().split("-Q")
        first = date(int(year), 3 * (int(q) - 1) + 1, 1)
        return execution.Period(first, first + relativedelta(months=3) - timedelta(days=1))
    except (ValueError, TypeError, OverflowError):
        raise Invalid({"quarter": _("Must be a quarter (YYYY-Qn).")}) from None


def _year(text):
    try:
        year = int(text)
        return execution.Period(date(year, 1, 1), date(year, 12, 31))
    except (ValueError, TypeError, OverflowError):
        raise Invalid({"year": _("Must be a year.")}) from None


def _within_years(name, period):
    if not execution.FIRST_YEAR <= period.first.year <= execution.LAST_YEAR:
        raise Invalid({name: _("Must be a date between %(first)d and %(last)d.", first=execution.FIRST_YEAR,
                               last=execution.LAST_YEAR)})
    return period


def period_from_args(args, today=None):
    """The period asked for: ``month`` (YYYY-MM), ``quarter`` (YYYY-Qn), ``year``, or ``from`` and ``to``; by
    default the last whole month (what the monthly report covers)."""
    for name, parse in (("month", _month), ("quarter", _quarter), ("year", _year)):
        if args.get(name):
            return name, _within_years(name, parse(args[name]))
    if args.get("from") or args.get("to"):
        return "custom", execution.parse_period(args.get("from"), args.get("to"))
    first = (today or local_today()).replace(day=1) - relativedelta(months=1)
    return "month", execution.month_period(first.year, first.month)


def _trend_months(period):
    last = execution.month_period(period.last.year, period.last.month)
    first = last.first - relativedelta(months=TREND_MONTHS - 1)
    return execution.months_of(execution.Period(first, last.last))


def _scope():
    agency = board.resolve_level(current_user, request.args.get("level"))
    return agency, (agency.id if agency is not None else None)


def _query(kind, period, level):
    keys = {"month": {"month": f"{period.first:%Y-%m}"}, "year": {"year": period.first.year},
            "quarter": {"quarter": f"{period.first.year}-Q{(period.first.month - 1) // 3 + 1}"}}
    out = keys.get(kind) or {"from": period.first.isoformat(), "to": period.last.isoformat()}
    return dict(out, level=level)


def _shortcuts(today):
    """The periods a leader asks for most, as links."""
    last_month = today.replace(day=1) - relativedelta(months=1)
    quarter = (today.month - 1) // 3 + 1
    last_quarter = (today.year, quarter - 1) if quarter > 1 else (today.year - 1, 4)
    return [
        (_l("Last month"), {"month": f"{last_month:%Y-%m}"}),
        (_l("This month"), {"month": f"{today:%Y-%m}"}),
        (_l("Last quarter"), {"quarter": f"{last_quarter[0]}-Q{last_quarter[1]}"}),
        (_l("This year"), {"year": today.year}),
        (_l("Last year"), {"year": today.year - 1}),
    ]


@bp.route("/reports/execution")
@login_required
def execution_report():
    agency, scope = _scope()
    level = agency.id if agency is not None else board.PROVINCE
    try:
        kind, period = period_from_args(request.args)
        errors = {}
    except Invalid as e:  # the form says what is wrong and the last month shows meanwhile
        errors = e.fields
        kind, period = period_from_args({})
    report = execution.report(scope, period)
    trend = execution.trend(scope, _trend_months(period))
    query = _query(kind, period, level)
    shortcuts = _shortcuts(local_today())
    return render_template(
        "directives/execution_report.html", report=report, trend=trend, period=period, kind=kind, agency=agency,
        level=level, query=query, shortcuts=shortcuts, errors=errors, crumbs=board.breadcrumbs(current_user, agency),
        level_url=lambda value: url_for("directives.execution_report", **dict(query, level=value)),
        docx_url=url_for("directives.execution_report_docx", **query),
        xlsx_url=url_for("directives.execution_report_xlsx", **query),
    )


@bp.route("/reports/execution/trend.json")
@login_required
def execution_trend():
    """The last TREND_MONTHS months of a level (``?level=``), for the tracking board's chart."""
    _agency, scope = _scope()
    today = local_today()
    return jsonify(execution.trend(scope, _trend_months(execution.month_period(today.year, today.month))))


def _scope_name(agency):
    return agency.name if agency is not None else None


@bp.route("/reports/execution.docx")
@login_required
def execution_report_docx():
    from directives import execution_documents

    agency, scope = _scope()
    _kind, period = period_from_args(request.args)
    data = execution_documents.docx_report(execution.report(scope, period), _scope_name(agency))
    name = stamped_filename(f"bao-cao-thuc-hien-{period.first:%Y%m%d}-{period.last:%Y%m%d}", ext="docx")
    return Response(data, mimetype=DOCX_MIMETYPE, headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.route("/reports/execution.xlsx")
@login_required
def execution_report_xlsx():
    from directives import execution_documents

    agency, scope = _scope()
    _kind, period = period_from_args(request.args)
    data = execution_documents.xlsx_report(execution.report(scope, period), execution.trend(
        scope, _trend_months(period)), _scope_name(agency))
    return xlsx_response(data, stamped_filename(f"bao-cao-thuc-hien-{period.first:%Y%m%d}-{period.last:%Y%m%d}"))
