"""Migration 0022 fills the deadline in force after each history event of existing data: from what each event
says it set, and, for older events before any of these, backwards from today's deadline."""
import importlib.util
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from core.extensions import db

PATH = Path(__file__).resolve().parents[2] / "migrations" / "versions" / "0022_event_deadline.py"
spec = importlib.util.spec_from_file_location("m0022", PATH)
m0022 = importlib.util.module_from_spec(spec)
spec.loader.exec_module(m0022)


def d(day):
    return datetime(2026, 10, day, 10, 0)


def iso(day):
    return d(day).isoformat() + "+00:00"


def test_a_put_back_assignment_keeps_its_first_deadline_before_it():
    events = [("issue", {"deadline": iso(25)}), ("seen", {}), ("remove", {}),
              ("add", {"deadline": iso(30)}), ("acknowledge", {})]
    assert m0022.deadlines_after(events, today=d(30)) == [d(25), d(25), d(25), d(30), d(30)]


def test_extensions_corrections_and_followers():
    events = [("issue", {"deadline": iso(10)}), ("extension_request", {"old_deadline": iso(10)}),
              ("extension_approve", {"old_deadline": iso(10), "new_deadline": iso(20)}),
              ("correct", {"changes": {"assignment_deadline": {"from": iso(20), "to": iso(15)}}}),
              ("deadline_follow", {"old_deadline": iso(15), "new_deadline": iso(12)}), ("report", {})]
    assert m0022.deadlines_after(events, today=d(12)) == [d(10), d(10), d(20), d(15), d(12), d(12)]


def test_older_events_without_a_deadline_are_filled_backwards():
    events = [("issue", {}), ("extension_approve", {"old_deadline": iso(10), "new_deadline": iso(20)}),
              ("submit", {})]
    assert m0022.deadlines_after(events, today=d(20)) == [d(10), d(20), d(20)]


def test_the_demo_history_round_trips_through_the_migration(app):
    """Seeded by the services (each event's deadline written as it happened), taken down to 0021 and back:
    the backfill finds the same deadline for every event."""
    from core import demo

    db.drop_all()
    with db.engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
    upgrade()
    demo.seed()
    query = sa.text("SELECT id, deadline FROM directive_assignment_events ORDER BY id")
    written = db.session.execute(query).all()
    db.session.commit()
    downgrade(revision="0021_cascade")
    upgrade()
    assert db.session.execute(query).all() == written
    assert len(written) > 1000 and all(deadline is not None for _id, deadline in written)
