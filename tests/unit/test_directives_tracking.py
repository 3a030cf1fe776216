"""Tracking at its boundaries: the Python rule and the SQL CASE give the same answers."""
from datetime import UTC, datetime, timedelta

import pytest

from core.extensions import db
from directives.models import Assignment, Directive
from directives.tracking import tracking_expr, tracking_of

NOW = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
WINDOW = timedelta(days=3)
S = timedelta(seconds=1)

CASES = [
    # (status, deadline, submitted_at, completed_at, expected)
    ("pending", NOW, None, None, "overdue"),  # deadline exactly now: no longer ahead
    ("in_progress", NOW - S, None, None, "overdue"),
    ("acknowledged", NOW + S, None, None, "due_soon"),
    ("in_progress", NOW + WINDOW, None, None, "due_soon"),  # exactly at the window edge
    ("in_progress", NOW + WINDOW + S, None, None, "on_track"),
    ("submitted", NOW - S, NOW - 2 * S, None, "overdue"),  # not done until accepted
    # submitted exactly at the deadline
    ("completed", NOW - timedelta(days=1), NOW - timedelta(days=1), NOW, "completed_on_time"),
    ("completed", NOW - timedelta(days=1), NOW - timedelta(days=1) + S, NOW, "completed_late"),  # one second late
    ("completed", NOW + timedelta(days=9), None, NOW, "completed_on_time"),
    ("completed", NOW - S, None, NOW, "completed_late"),
    ("cancelled", NOW - timedelta(days=5), None, None, "cancelled"),
]


@pytest.fixture
def rows(factory):
    leader = factory.user("leader")
    agency = factory.agency()
    out = []
    for n, (status, deadline, submitted_at, completed_at, expected) in enumerate(CASES, start=1):
        d = Directive(number=f"{n}/CĐ-UBND", year=2026, seq=n, title="t", body="", issuer_id=leader.id,
                      issued_at=NOW - timedelta(days=20), deadline=deadline)
        db.session.add(d)
        a = Assignment(directive=d, agency_id=agency.id, role="lead", status=status, deadline=deadline,
                       submitted_at=submitted_at, completed_at=completed_at)
        db.session.add(a)
        out.append((a, expected))
    db.session.commit()
    return out


def test_python_rule_at_the_boundaries(rows):
    for a, expected in rows:
        assert tracking_of(a, NOW, WINDOW) == expected, (a.status, a.deadline)


def test_sql_rule_gives_the_same_answers(rows):
    got = dict(db.session.execute(db.select(Assignment.id, tracking_expr(NOW, WINDOW))).all())
    for a, expected in rows:
        assert got[a.id] == expected, (a.status, a.deadline)


def test_sql_rule_filters_and_groups(rows):
    expr = tracking_expr(NOW, WINDOW)
    counts = dict(db.session.execute(db.select(expr, db.func.count()).group_by(expr)).all())
    expected = {}
    for _a, value in rows:
        expected[value] = expected.get(value, 0) + 1
    assert counts == expected
    overdue = db.session.scalars(db.select(Assignment.id).where(expr == "overdue")).all()
    assert sorted(overdue) == sorted(a.id for a, e in rows if e == "overdue")


def test_window_comes_from_config(app, rows):
    app.config["DUE_SOON_DAYS"] = 10
    far = next(a for a, e in rows if e == "on_track")
    assert tracking_of(far, NOW) == "due_soon"
    assert db.session.scalar(db.select(tracking_expr(NOW)).where(Assignment.id == far.id)) == "due_soon"
