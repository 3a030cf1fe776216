"""The monthly execution report: on the first working day of a month, the report of the month just ended is put
in the leaders' notifications (and mailed when mail is configured): the province's to the provincial leaders,
each agency's own level to that agency's leaders. Once: a ReminderSent key claims the month, and core.scheduler
runs the job in one process at a time."""
from datetime import date, timedelta

import click
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from auth.models import User
from core import audit
from core.dbtypes import utcnow
from core.extensions import db
from core.scheduler import register_job
from core.validation import display_zone
from directives import bp, execution, permissions
from directives.models import ReminderKind, ReminderSent
from directives.page_helpers import human_duration
from directives.reminders import _claim, _config_int


def first_working_day(year, month):
    """The first Monday-to-Friday of the month."""
    day = date(year, month, 1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def _due_month(now):
    """The month whose report is due at ``now`` (the month before, from the first working day's digest hour on)."""
    local = now.astimezone(display_zone())
    today = local.date()
    if today < first_working_day(today.year, today.month):
        return None
    if today == first_working_day(today.year, today.month) and local.hour < _config_int("DIRECTIVE_DIGEST_HOUR", 7):
        return None
    last = today.replace(day=1) - timedelta(days=1)
    return execution.month_period(last.year, last.month)


def _link(period, level):
    return f"/reports/execution?month={period.first:%Y-%m}&level={level}"


def _send(users, report, period, link):
    from notifications.services import notify

    totals = report["totals"]
    month = f"{period.first:%m/%Y}"

    def text(user):
        rate = "—" if totals["on_time_rate"] is None else f"{totals['on_time_rate']:.0f}%"
        return _("Execution report %(month)s: %(due)d due, on time %(rate)s, %(overdue)d overdue", month=month,
                 due=totals["due"], rate=rate, overdue=totals["open_overdue"])

    def body(user):
        lines = [text(user), "",
                 _("Median handling time: %(time)s", time=human_duration(totals["median_handling_seconds"])),
                 _("Carried over from before: %(n)d", n=totals["carried_over"]), ""]
        lines += [f"- {r['agency_name']}: {r['completed_on_time']}/{r['due']}, "
                  + _("overdue %(n)d", n=r["open_overdue"]) for r in report["agencies"] if r["due"]]
        return "\n".join(lines + ["", current_app.config["PUBLIC_URL"] + link])

    notify(users, "report.monthly", text, link=link, email_subject=text, email_body=body)
    return len(users)


def run_monthly_report(now=None):
    """Send the report of the month just ended if it is due and was not sent; returns how many leaders got it."""
    now = now or utcnow()
    period = _due_month(now)
    if period is None:
        return 0
    key = f"monthly_report:{period.first:%Y-%m}"
    if db.session.scalar(select(ReminderSent.id).where(ReminderSent.key == key)) is not None:
        return 0
    # every report is computed before the month is claimed: on SQLite the claim takes the write lock, which
    # must not be held while the reports are read
    active = User.active.is_(True)
    leaders = db.session.scalars(select(User).where(permissions.province_leaders(), active)).all()
    by_agency = {}
    for user in db.session.scalars(select(User).where(permissions.agency_leader_users(), active)):
        by_agency.setdefault(user.agency_id, []).append(user)
    sends = [(leaders, execution.report(None, period, now=now), "province")] if leaders else []
    for agency_id, users in sorted(by_agency.items()):
        report = execution.report(agency_id, period, now=now)
        if report["totals"]["due"] or report["totals"]["carried_over"]:  # an agency that gave nothing: no noise
            sends.append((users, report, agency_id))
    if not _claim(key, ReminderKind.MONTHLY_REPORT, None, now):
        return 0
    sent = sum(_send(users, report, period, _link(period, level)) for users, report, level in sends)
    audit.record(None, "directive.monthly_report", object_type="system", month=f"{period.first:%Y-%m}", sent=sent)
    db.session.commit()
    return sent


register_job("directives.monthly_report", 900, run_monthly_report)


@bp.cli.command("monthly-report")
def monthly_report_command():
    """Send the execution report of the month just ended now, if due and not sent yet (for cron)."""
    click.echo(_("Sent to %(n)d leaders.", n=run_monthly_report()))
