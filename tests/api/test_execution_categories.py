"""The execution report's categories at a period's end (directives/execution.py): each assignment judged by the
state its history gives at that instant, not by today's; the boundaries of completion, extension across the end,
cancellation, passing down; carried-over counts; the previous period; a constant number of statements."""
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import event

from core.extensions import db
from directives import execution, extensions, services
from tests.cascade_support import Province
from tests.conftest import bearer, fresh_postgres_database

# November 2026 in Hanoi time runs from 2026-10-31 17:00 UTC to 2026-11-30 17:00 UTC
NOV = execution.Period(date(2026, 11, 1), date(2026, 11, 30))
NOV_END = datetime(2026, 11, 30, 17, 0, tzinfo=UTC)
NOV_START = datetime(2026, 10, 31, 17, 0, tzinfo=UTC)
#: "now" for the reports: after everything the tests do (they act after November's end too)
LATER = datetime(2027, 6, 1, tzinfo=UTC)
#: the richest rules run on both engines (a PostgreSQL database per test costs ~1.7 s, so not every test)
BOTH = pytest.mark.parametrize("app_config", ["sqlite", "postgresql"], indirect=True)


@pytest.fixture
def app_config(request):
    """SQLite, or PostgreSQL for the tests marked BOTH: the history is read with window functions."""
    if getattr(request, "param", "sqlite") == "sqlite":
        yield {}
        return
    with fresh_postgres_database("report") as url:
        yield {"SQLALCHEMY_DATABASE_URI": url}


@pytest.fixture
def p(factory):
    return Province(factory)


def at(days, hours=0, seconds=0):
    """An instant relative to the start of November (Hanoi)."""
    return NOV_START + timedelta(days=days, hours=hours, seconds=seconds)


def issue(p, deadline, lead="SYT", support=(), issued=None):
    return services.issue_directive(p.u["chutich"], {
        "title": "Báo cáo tình hình", "deadline": deadline.isoformat(),
        "lead_agency_id": p.ag[lead].id, "support_agency_ids": [p.ag[s].id for s in support]},
        now=issued or at(-20))


def finish(p, assignment, officer, submitted, accepted=None):
    services.acknowledge(p.u[officer], assignment, now=submitted - timedelta(days=1))
    services.submit(p.u[officer], assignment, {"note": "Đã xong"}, now=submitted)
    services.accept(p.u["chutich"], assignment, now=accepted or submitted + timedelta(hours=1))


def report_at(scope, period, now=LATER):
    return execution.report(scope, period, now=now)


def row(report, agency):
    return next(r for r in report["agencies"] if r["agency_id"] == agency.id)


def test_completed_one_second_before_or_after_the_deadline(p):
    deadline = at(10)
    on_time = issue(p, deadline).lead_assignment
    late = issue(p, deadline, lead="HDS").lead_assignment
    finish(p, on_time, "syt1", deadline)
    finish(p, late, "hdsct", deadline + timedelta(seconds=1))
    report = report_at(None, NOV)
    assert row(report, p.ag["SYT"])["completed_on_time"] == 1
    assert row(report, p.ag["HDS"])["completed_late"] == 1
    assert report["totals"]["due"] == 2
    assert report["totals"]["on_time_rate"] == 50.0


@BOTH
def test_state_as_of_the_period_end_not_now(p):
    """Accepted after the period's end: open and overdue at the end of November, completed late in December."""
    a = issue(p, at(10)).lead_assignment
    finish(p, a, "syt1", at(29), accepted=NOV_END + timedelta(seconds=1))
    nov = report_at(None, NOV)
    assert row(nov, p.ag["SYT"])["open_overdue"] == 1
    assert row(nov, p.ag["SYT"])["completed_late"] == 0
    assert nov["overdue"][0]["assignment_id"] == a.id
    dec = report_at(None, execution.Period(date(2026, 12, 1), date(2026, 12, 31)))
    assert dec["totals"]["due"] == 0  # due in November, not in December
    assert dec["totals"]["carried_over"] == 1 and dec["totals"]["carried_over_completed"] == 1


def test_accepted_exactly_at_the_end_is_not_yet_completed(p):
    """The state at an instant is the last change before it: accepted at the very end counts next period."""
    a = issue(p, at(10)).lead_assignment
    finish(p, a, "syt1", at(9), accepted=NOV_END)
    r = row(report_at(None, NOV), p.ag["SYT"])
    assert (r["open_overdue"], r["completed_on_time"]) == (1, 0)


@BOTH
def test_extended_across_the_period_end_is_due_and_within_deadline(p):
    a = issue(p, at(20)).lead_assignment
    services.acknowledge(p.u["syt1"], a, now=at(1))
    ext = extensions.request_extension(p.u["syt1"], a, {"deadline": at(45).isoformat(), "reason": "Chờ số liệu"},
                                       now=at(15))
    extensions.approve_extension(p.u["chutich"], ext, now=at(16))
    nov = report_at(None, NOV)
    r = row(nov, p.ag["SYT"])
    assert (r["due"], r["open_within_deadline"], r["open_overdue"], r["extensions_granted"]) == (1, 1, 0, 1)
    # December: its deadline now falls in December, so it is due there too, and overdue at its end
    dec = report_at(None, execution.Period(date(2026, 12, 1), date(2026, 12, 31)))
    assert row(dec, p.ag["SYT"])["open_overdue"] == 1
    assert dec["overdue"][0]["reason"] == "Chờ số liệu"


def test_extension_granted_after_the_period_end_does_not_change_it(p):
    a = issue(p, at(20)).lead_assignment
    ext = extensions.request_extension(p.u["syt1"], a, {"deadline": at(45).isoformat(), "reason": "Chờ"},
                                       now=at(25))
    extensions.approve_extension(p.u["chutich"], ext, now=NOV_END + timedelta(days=2))
    r = row(report_at(None, NOV), p.ag["SYT"])
    assert (r["open_overdue"], r["open_within_deadline"], r["extensions_granted"]) == (1, 0, 0)


def test_cancelled_before_the_end_is_left_out_cancelled_after_is_counted(p):
    before = issue(p, at(10))
    after = issue(p, at(10), lead="HDS")
    services.cancel_directive(p.u["chutich"], before, {"reason": "Không còn cần"}, now=at(12))
    services.cancel_directive(p.u["chutich"], after, {"reason": "Không còn cần"}, now=NOV_END + timedelta(hours=1))
    report = report_at(None, NOV)
    assert [r["agency_id"] for r in report["agencies"] if r["due"]] == [p.ag["HDS"].id]
    assert row(report, p.ag["HDS"])["open_overdue"] == 1


def test_passed_down_counts_once_at_each_level(p):
    d = issue(p, at(20), lead="HDS")
    root = d.lead_assignment
    from directives import cascade
    cascade.pass_on(p.u["hdsct"], root, {"agency_ids": [p.ag["XDH"].id], "deadline": at(15).isoformat(),
                                         "note": "Triển khai"}, now=at(2))
    province = report_at(None, NOV)
    assert [(r["agency_id"], r["due"]) for r in province["agencies"]] == [(p.ag["HDS"].id, 1)]
    district = report_at(p.ag["HDS"].id, NOV)
    assert [(r["agency_id"], r["due"], r["open_overdue"]) for r in district["agencies"]] == [(p.ag["XDH"].id, 1, 1)]


@BOTH
def test_carried_over_and_the_previous_period(p):
    old = issue(p, at(-5), issued=at(-30)).lead_assignment  # due in October, still open
    done = issue(p, at(-3), lead="HDS", issued=at(-30)).lead_assignment
    finish(p, done, "hdsct", at(-4))
    report = report_at(None, NOV)
    assert row(report, p.ag["SYT"])["carried_over"] == 1
    assert p.ag["HDS"].id not in {r["agency_id"] for r in report["agencies"]}  # done in October: nothing left
    prev = report["previous"]
    assert (prev["from"], prev["to"]) == ("2026-10-01", "2026-10-31")
    before = {r["agency_id"]: r for r in prev["agencies"]}
    assert before[p.ag["SYT"].id]["open_overdue"] == 1
    assert before[p.ag["HDS"].id]["completed_on_time"] == 1
    assert old.id in {o["assignment_id"] for o in report_at(None, execution.Period(
        date(2026, 10, 1), date(2026, 10, 31)))["overdue"]}


@BOTH
def test_medians_of_acknowledgement_and_handling(p):
    for hours, lead in ((2, "SYT"), (4, "HDS"), (10, "HTH")):
        d = issue(p, at(10), lead=lead, issued=at(0))
        officer = {"SYT": "syt1", "HDS": "hdsct", "HTH": "hthct"}[lead]
        services.acknowledge(p.u[officer], d.lead_assignment, now=at(0, hours=hours))
        services.submit(p.u[officer], d.lead_assignment, {"note": "Xong"}, now=at(5))
        services.accept(p.u["chutich"], d.lead_assignment, now=at(6))
    totals = report_at(None, NOV)["totals"]
    assert totals["median_ack_seconds"] == 4 * 3600
    assert totals["median_handling_seconds"] == 6 * 86400


def test_a_period_not_over_yet_is_judged_as_of_now(p):
    """Mid-November: what is due later in the month is open within its deadline, not overdue."""
    later = issue(p, at(20)).lead_assignment
    earlier = issue(p, at(10), lead="HDS").lead_assignment
    report = report_at(None, NOV, now=at(15))
    assert (report["as_of"], report["over"]) == (at(15), False)
    assert row(report, p.ag["SYT"])["open_within_deadline"] == 1
    assert row(report, p.ag["HDS"])["open_overdue"] == 1
    assert [o["assignment_id"] for o in report["overdue"]] == [earlier.id]
    assert report["overdue"][0]["days_overdue"] == 5
    assert later.id not in {o["assignment_id"] for o in report["overdue"]}
    assert report_at(None, NOV)["over"] is True


def test_put_back_is_measured_from_when_it_came_back(p):
    """Taken off and put back by a correction: its acknowledgement and handling count from the put-back."""
    from directives import corrections

    d = issue(p, at(20), support=("HDS",), issued=at(-20))
    corrections.correct_directive(p.u["chutich"], d, {"lead_agency_id": p.ag["SYT"].id, "support_agency_ids": [],
                                                      "reason": "Bớt đơn vị"}, now=at(-15))
    corrections.correct_directive(p.u["chutich"], d, {"lead_agency_id": p.ag["SYT"].id,
                                                      "support_agency_ids": [p.ag["HDS"].id],
                                                      "reason": "Giao lại"}, now=at(1))
    back = next(a for a in d.assignments if a.agency_id == p.ag["HDS"].id)
    finish(p, back, "hdsct", at(3), accepted=at(3, hours=12))
    r = row(report_at(None, NOV), p.ag["HDS"])
    assert r["completed_on_time"] == 1
    assert r["median_ack_seconds"] == 86400  # acknowledged a day after coming back (finish acknowledges at -1 d)
    assert r["median_handling_seconds"] == 2 * 86400 + 12 * 3600


def test_previous_period_of_custom_spans():
    assert execution.Period(date(2026, 1, 1), date(2026, 3, 31)).previous() == execution.Period(
        date(2025, 10, 1), date(2025, 12, 31))
    assert execution.Period(date(2026, 3, 10), date(2026, 3, 19)).previous() == execution.Period(
        date(2026, 2, 28), date(2026, 3, 9))


def test_constant_number_of_statements_whatever_the_period(p, app):
    for i in range(6):
        d = issue(p, at(-200 + 40 * i), issued=at(-260 + 40 * i), lead=("SYT", "HDS", "HTH")[i % 3])
        services.acknowledge(p.u[{"SYT": "syt1", "HDS": "hds1", "HTH": "hth1"}[d.lead_assignment.agency.code]],
                             d.lead_assignment, now=at(-250 + 40 * i))
    counts = []
    for period in (NOV, execution.Period(date(2026, 1, 1), date(2026, 12, 31)),
                   execution.Period(date(2024, 1, 1), date(2026, 12, 31))):
        counts.append(0)

        def listener(*args):
            counts[-1] += 1

        db.session.expire_all()
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            report_at(None, period)
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
    assert len(set(counts)) == 1, counts
    assert counts[0] <= 8


def test_api_figures_and_errors(p, client):
    issue(p, at(10))
    h = p.h("chutich")
    body = client.get("/api/v1/reports/execution?from=2026-11-01&to=2026-11-30", headers=h).get_json()
    assert body["from"] == "2026-11-01" and body["to"] == "2026-11-30"
    assert set(body["agencies"][0]) >= {"agency_id", "due", "completed_on_time", "completed_late",
                                         "open_within_deadline", "open_overdue", "on_time_rate",
                                         "median_ack_seconds", "median_handling_seconds"}
    assert body["previous"]["from"] == "2026-10-01"
    bad = client.get("/api/v1/reports/execution?from=2026-13-01&to=2026-11-30", headers=h)
    assert bad.status_code == 422 and "from" in bad.get_json()["error"]["message"]
    missing = client.get("/api/v1/reports/execution?from=2026-11-01", headers=h)
    assert missing.status_code == 422 and "to" in missing.get_json()["error"]["message"]
    assert client.get("/api/v1/reports/execution?from=2026-11-01&to=2026-11-30",
                      headers=p.h("syt1")).status_code == 403


def test_api_scope_of_an_agency_leader(p, client, factory):
    d = issue(p, at(20), lead="HDS")
    from directives import cascade
    cascade.pass_on(p.u["hdsct"], d.lead_assignment, {"agency_ids": [p.ag["XDH"].id],
                                                      "deadline": at(15).isoformat()}, now=at(2))
    url = "/api/v1/reports/execution?from=2026-11-01&to=2026-11-30"
    mine = client.get(url, headers=p.h("hdsct")).get_json()
    assert [r["agency_id"] for r in mine["agencies"]] == [p.ag["XDH"].id]
    assert client.get(url + f"&agency_id={p.ag['HTH'].id}", headers=p.h("hdsct")).status_code == 403
    assert client.get(url + "&agency_id=999999", headers=p.h("chutich")).status_code == 404
    assert client.get(url + "&agency_id=x", headers=p.h("chutich")).status_code == 422
    token = factory.token(factory.user("admin", username="qt"))
    whole = client.get(url, headers=bearer(token)).get_json()
    assert [r["agency_id"] for r in whole["agencies"]] == [p.ag["HDS"].id]
