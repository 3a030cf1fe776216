"""The Alembic migrations build exactly the schema the models describe."""
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade
from sqlalchemy.exc import IntegrityError

from core import create_app
from core.extensions import db
from search.models import ENGINE_OBJECTS
from tests.conftest import make_test_config


def _diff(app):
    with app.app_context():
        upgrade(revision="heads")
        upgrade(revision="heads")  # a second run changes nothing
        with db.engine.connect() as conn:
            # the search engines' own tables and indexes (FTS5, GIN) are not models: search.models names them
            ctx = MigrationContext.configure(conn, opts={
                "compare_type": False, "include_name": lambda name, _type, _parents: name not in ENGINE_OBJECTS})
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
            conn.exec_driver_sql(
                "INSERT INTO users (id, username, full_name, role, locale, active, password_hash, created_at)"
                " VALUES (1, 'chutich', 'Chủ tịch', 'leader', 'vi', 1, 'x', '2026-11-30 01:00:00')")
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


def _row_counts(conn):
    # the search index is derived data (rebuilt by init-db when empty, or search-rebuild), not rows to keep
    tables = [name for (name,) in conn.exec_driver_sql(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        " AND name != 'alembic_version' AND name != 'search_entries' AND name NOT LIKE 'search_fts%'")]
    return {table: conn.exec_driver_sql(f'SELECT count(*) FROM "{table}"').scalar() for table in tables}


def test_migrations_that_rebuild_tables_keep_every_row_on_sqlite(tmp_path, monkeypatch):
    """SQLite rebuilds a table to add a CHECK constraint: with foreign keys on, dropping the old copy
    deleted every child row (participants, chat, assignments...). Down to 0009 and up again keeps all."""
    from core import demo

    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path / "i"))
    app = create_app(make_test_config(tmp_path, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'm.db'}"))
    with app.app_context():
        upgrade(revision="heads")
        demo.seed()
        db.session.remove()
        from flask_migrate import downgrade

        # the cascade's rows (assignments passed on, their history) have no place below 0021: its downgrade
        # drops them (tests/unit/test_cascade_migration.py); every other row must survive the rebuilds
        downgrade(revision="0020_search")
        upgrade(revision="heads")
        with db.engine.connect() as conn:
            seeded = _row_counts(conn)

        downgrade(revision="0009_audit_log_search")
        with db.engine.connect() as conn:
            at_0009 = _row_counts(conn)
        upgrade(revision="heads")
        with db.engine.connect() as conn:
            again = _row_counts(conn)
            foreign_keys = conn.exec_driver_sql("PRAGMA foreign_keys").scalar()
    assert seeded["meeting_participants"] > 0 and seeded["directive_assignments"] > 0
    # tables created after 0009 (the call's members) are gone at 0009; the demo leaves them empty
    assert at_0009 == {table: n for table, n in seeded.items() if table in at_0009}
    assert all(seeded[table] == 0 for table in seeded.keys() - at_0009.keys())
    assert again == seeded
    assert foreign_keys == 1  # the app's connections enforce them again
