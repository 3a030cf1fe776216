"""The CLI of API.md, run as a user runs it: `flask --app wsgi ...` in a subprocess."""
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import FAST_HASH, ROOT

FLASK = str(Path(sys.executable).with_name("flask"))
#: a production environment that passes the settings checks (tests/unit/test_config_production.py)
PRODUCTION = {"APP_ENV": "production",
              "SECRET_KEY": "9c1f4e7a2b8d3f6a0e5c1b9d7a4f2e8c6b3a1d0f9e7c5b3a4e1f0a9b8c7d6e5f42",
              "TRUSTED_PROXIES": "1", "PUBLIC_URL": "https://chidao.example.gov.vn"}


@pytest.fixture
def cli(tmp_path):
    env = dict(os.environ)
    for name in ("REDIS_URL", "APP_ENV", "SECRET_KEY", "MAIL_SERVER"):
        env.pop(name, None)
    env.update({
        "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "ASYNC_MODE": "threading",
        "PASSWORD_HASH_METHOD": FAST_HASH,
    })

    def run(*args, stdin=None, **extra_env):
        return subprocess.run([FLASK, "--app", "wsgi", *args], cwd=ROOT, env={**env, **extra_env}, input=stdin,
                              capture_output=True, text=True, timeout=60)

    run.db = tmp_path / "cli.db"
    return run


def users(db_path):
    with sqlite3.connect(db_path) as conn:
        return conn.execute("SELECT username, role FROM users ORDER BY id").fetchall()


def test_init_db_twice_then_create_admin_from_stdin_and_clear_failures(cli):
    """One database through the whole story, to keep the number of (slow) subprocesses down."""
    from werkzeug.security import check_password_hash

    first = cli("init-db")
    assert first.returncode == 0, first.stderr
    with sqlite3.connect(cli.db) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        head = conn.execute("SELECT version_num FROM alembic_version ORDER BY 1").fetchall()
    assert {"users", "agencies", "api_tokens", "notifications", "audit_log"} <= tables
    again = cli("init-db")
    assert again.returncode == 0, again.stderr
    with sqlite3.connect(cli.db) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version ORDER BY 1").fetchall() == head

    made = cli("create-admin", "quantri", "--password-stdin", stdin="mat khau quan tri\r\n")
    assert made.returncode == 0, made.stderr
    assert "quantri" in made.stdout
    assert users(cli.db) == [("quantri", "admin")]
    with sqlite3.connect(cli.db) as conn:
        stored = conn.execute("SELECT password_hash FROM users WHERE username='quantri'").fetchone()[0]
    assert check_password_hash(stored, "mat khau quan tri")  # one line, without its line ending

    again = cli("create-admin", "QuanTri", "--password-stdin", stdin="mat-khau-khac-1\n")
    assert again.returncode != 0
    assert "quantri" in again.stderr and "taken" in again.stderr and "Traceback" not in again.stderr

    short = cli("create-admin", "ngan", "--password-stdin", stdin="123\n")
    assert short.returncode != 0 and "password" in short.stderr and "Traceback" not in short.stderr

    refused = cli("seed-demo", **PRODUCTION)
    assert refused.returncode != 0
    assert "production" in refused.stderr and "Traceback" not in refused.stderr
    assert "SECRET_KEY" not in refused.stderr  # refused by seed-demo itself, not by the settings check
    assert users(cli.db) == [("quantri", "admin")]


def test_seed_demo_prints_logins_and_refuses_a_second_time(cli):
    assert cli("init-db").returncode == 0
    res = cli("seed-demo")
    assert res.returncode == 0, res.stderr
    assert "chutich" in res.stdout and "admin" in res.stdout
    with sqlite3.connect(cli.db) as conn:
        kinds = dict(conn.execute("SELECT kind, COUNT(*) FROM agencies GROUP BY kind").fetchall())
        roles = dict(conn.execute("SELECT role, COUNT(*) FROM users GROUP BY role").fetchall())
    assert kinds.get("provincial_office") == 1 and kinds["department"] >= 6 and kinds["district"] >= 4
    assert roles["leader"] >= 2 and roles["admin"] >= 1
    assert roles["officer"] >= 2 * (kinds["department"] + kinds["district"])
    assert cli("seed-demo", "--if-empty").returncode == 0
    assert len(users(cli.db)) == sum(roles.values())


def test_production_refuses_to_start_without_secret_key(cli, tmp_path):
    res = cli("init-db", APP_ENV="production")
    assert res.returncode != 0
    assert "SECRET_KEY" in res.stderr
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "REDIS_URL")}
    env.update({"APP_ENV": "production", "ASYNC_MODE": "threading", "INSTANCE_PATH": str(tmp_path / "p"),
                "DATABASE_URL": f"sqlite:///{tmp_path / 'p.db'}", "PORT": "1"})
    server = subprocess.run([sys.executable, "wsgi.py"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert server.returncode != 0 and "SECRET_KEY" in server.stderr


def test_production_config_is_hardened(monkeypatch):
    from core.config import load_config

    for name, value in PRODUCTION.items():
        monkeypatch.setenv(name, value)
    cfg = load_config()
    assert cfg["SESSION_COOKIE_SECURE"] and cfg["REMEMBER_COOKIE_SECURE"] and not cfg["DEBUG"]
    monkeypatch.setenv("APP_ENV", "staging")
    from core.config import ConfigError

    with pytest.raises(ConfigError):
        load_config()
