"""After `deploy/upgrade.sh --rollback` the database is at a revision the older code does not know: a start
warns and serves (no crash-loop under Restart=always); `flask init-db` fails clearly (docs/operations.md)."""
import logging
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from core import create_app
from core.cli import upgrade_schema
from tests.conftest import FAST_HASH, ROOT, make_test_config

FLASK = str(Path(sys.executable).with_name("flask"))
NEWER = "9999_from_a_newer_release"


def test_a_start_on_a_newer_schema_warns_and_runs_init_db_fails_clearly(tmp_path, monkeypatch, caplog):
    db_path = tmp_path / "test.db"
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "APP_ENV", "SECRET_KEY")}
    env.update({"DATABASE_URL": f"sqlite:///{db_path}", "INSTANCE_PATH": str(tmp_path / "instance"),
                "ASYNC_MODE": "threading", "PASSWORD_HASH_METHOD": FAST_HASH})

    def init_db():
        return subprocess.run([FLASK, "--app", "wsgi", "init-db"], cwd=ROOT, env=env, capture_output=True,
                              text=True, timeout=60)

    assert init_db().returncode == 0  # in a subprocess: alembic's logging config would remove caplog's handler
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("SELECT count(*) FROM alembic_version").fetchone()[0] >= 1
        conn.execute("DELETE FROM alembic_version")
        conn.execute("INSERT INTO alembic_version VALUES (?)", (NEWER,))

    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app(make_test_config(tmp_path))
    caplog.set_level(logging.WARNING)
    with app.app_context():
        upgrade_schema(start=True)  # what wsgi.main runs: no SystemExit
    [warning] = [r.getMessage() for r in caplog.records if NEWER in r.getMessage()]
    assert "newer than this release" in warning and "starting without migrating" in warning
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [(NEWER,)]

    res = init_db()
    assert res.returncode != 0
    assert f"{NEWER} is newer than this release" in res.stderr and "Traceback" not in res.stderr, res.stderr
