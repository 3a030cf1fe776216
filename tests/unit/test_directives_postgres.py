"""On PostgreSQL: the SQL tracking rule, the stats (median with percentile_cont) and the list filters
give the same answers as on SQLite. Uses a database of its own, so parallel test runs do not collide."""
from datetime import UTC, datetime, timedelta

import pytest

from core.extensions import db
from tests.conftest import fresh_postgres_database

NOW = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)


@pytest.fixture
def app_config():
    with fresh_postgres_database("dirtest") as url:
        yield {"SQLALCHEMY_DATABASE_URI": url}


def test_tracking_stats_and_filters_on_postgres(app, factory):
    from directives import queries, services
    from directives.models import Assignment
    from directives.tracking import tracking_expr, tracking_of

    assert db.engine.dialect.name == "postgresql"
    syt, sgd = factory.agency("SYT"), factory.agency("SGD")
    leader = factory.user("leader")
    o1, o2 = factory.user("officer", syt), factory.user("officer", sgd)
    t0 = NOW - timedelta(days=10)
    d1 = services.issue_directive(leader, {"title": "Phòng chống dịch",
                                           "deadline": (NOW + timedelta(days=2)).isoformat(),
                                           "lead_agency_id": syt.id, "support_agency_ids": [sgd.id]}, now=t0)
    d2 = services.issue_directive(leader, {"title": "Tuyển sinh 50% chỉ tiêu",
                                           "deadline": (NOW - timedelta(days=1)).isoformat(),
                                           "lead_agency_id": syt.id}, now=t0)
    a1 = d1.assignments[0]
    services.acknowledge(o1, a1, now=t0 + timedelta(seconds=100))
    services.acknowledge(o1, d2.assignments[0], now=t0 + timedelta(seconds=300))
    services.acknowledge(o2, d1.assignments[1], now=t0 + timedelta(seconds=50))
    services.submit(o1, d2.assignments[0], {}, now=NOW - timedelta(days=1) + timedelta(seconds=1))
    services.accept(leader, d2.assignments[0], now=NOW - timedelta(hours=1))

    rows = db.session.scalars(db.select(Assignment)).all()
    in_sql = dict(db.session.execute(db.select(Assignment.id, tracking_expr(NOW))).all())
    assert in_sql == {a.id: tracking_of(a, NOW) for a in rows}
    assert in_sql[d2.assignments[0].id] == "completed_late"

    stats = {s["agency_id"]: s for s in queries.agency_stats(now=NOW)}
    assert stats[syt.id]["median_ack_seconds"] == 200 and stats[sgd.id]["median_ack_seconds"] == 50
    assert stats[syt.id]["due_soon"] == 1 and stats[syt.id]["completed_late"] == 1
    ids = [d.id for d in db.session.scalars(queries.list_query(leader, {"q": "50%"}, now=NOW))]
    assert ids == [d2.id]
    ids = [d.id for d in db.session.scalars(queries.list_query(leader, {"tracking": "due_soon"}, now=NOW))]
    assert ids == [d1.id]


def test_inbox_and_reminders_on_postgres(app, factory):
    from directives import queries, reminders, services
    from directives.models import ReminderSent

    syt = factory.agency("SYT")
    leader = factory.user("leader")
    officer = factory.user("officer", syt)
    t0 = NOW - timedelta(days=10)
    d1 = services.issue_directive(leader, {"title": "Một", "deadline": (NOW + timedelta(days=1)).isoformat(),
                                           "lead_agency_id": syt.id}, now=t0)
    d2 = services.issue_directive(leader, {"title": "Hai", "deadline": (NOW - timedelta(days=1)).isoformat(),
                                           "lead_agency_id": syt.id}, now=t0)
    services.acknowledge(officer, d1.assignments[0], now=t0)
    rows = queries.inbox(officer, {}, now=NOW)
    assert [a.directive_id for a in rows] == [d2.id, d1.id]
    assert [a.directive_id for a in queries.inbox(officer, {"tracking": "due_soon"}, now=NOW)] == [d1.id]
    sent = reminders.run_reminders(NOW)
    assert (sent["due_soon"], sent["overdue"], sent["unacknowledged"], sent["digest"]) == (1, 1, 1, 1)
    assert reminders.run_reminders(NOW + timedelta(minutes=5)) == {"due_soon": 0, "overdue": 0, "unacknowledged": 0,
                                                                   "digest": 0}
    assert db.session.scalar(db.select(db.func.count(ReminderSent.id))) == 4
