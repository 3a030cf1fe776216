"""The Alembic migrations build exactly the schema the models describe."""
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade
from sqlalchemy.exc import IntegrityError

from core import create_app
from core.extensions import db
from tests.conftest import make_test_config


def _diff(app):
    with app.app_context():
        upgrade(revision="heads")
        upgrade(revision="heads")  # a second run changes nothing
        with db.engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": False})
            return compare_metadata(ctx, db.metadata)


def test_migrations_match_models_on_sqlite(tmp_path, monkeypatch):
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path / "i"))
    app = create_app(make_test_config(tmp_path, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'm.db'}"))
    assert _diff(app) == []


def test_meeting_states_migration_keeps_calendars_updating(tmp_path, monkeypatch):
    """0010 starts each meeting's ics_sequence at the changes and cancellations already sent (counted
    in the audit trail until then), so the next update still replaces the calendars' copy."""
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path / "i"))
    app = create_app(make_test_config(tmp_path, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'm.db'}"))
    with app.app_context():
        upgrade(revision="0009_audit_log_search")
        with db.engine.begin() as conn:
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            for meeting_id in (1, 2):
                conn.exec_driver_sql(
                    "INSERT INTO meetings (id, title, description, starts_at, place, online, chair_id, status,"
                    " created_by_id, created_at) VALUES (?, 'Họp', '', '2026-12-01 01:00:00', '', 1, 1,"
                    " 'scheduled', 1, '2026-11-30 01:00:00')", (meeting_id,))
            for action in ("meeting.create", "meeting.update", "meeting.update", "meeting.cancel"):
                conn.exec_driver_sql(
                    "INSERT INTO audit_log (created_at, action, object_type, object_id, data)"
                    " VALUES ('2026-11-30 01:00:00', ?, 'meeting', 1, '{}')", (action,))
        upgrade(revision="0010_meeting_states")
        with db.engine.connect() as conn:
            rows = conn.exec_driver_sql("SELECT id, ics_sequence FROM meetings ORDER BY id").all()
            with pytest.raises(IntegrityError):  # and a state outside its enum is refused
                conn.exec_driver_sql("UPDATE meetings SET status = 'postponed' WHERE id = 1")
    assert [tuple(row) for row in rows] == [(1, 3), (2, 0)]
