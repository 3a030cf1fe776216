"""Shared fixtures: an app on a fresh database, factories, logins, real server processes.

On CI (CI=true or REQUIRE_SYSTEM_DEPS=1) a test that needs PostgreSQL, Redis or
Chromium fails when the part is missing; elsewhere it is skipped with the reason.
"""
import email
import email.policy
import os
import re
import socket
import subprocess
import sys
import threading
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa
from flask import g, has_app_context
from flask.testing import FlaskClient

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core import create_app, i18n  # noqa: E402
from core.extensions import db as _db  # noqa: E402

# the .mo files, as `make install` compiles them: a production app (or server) a test starts never does
i18n.compile_catalogs()

FAST_HASH = "pbkdf2:sha256:1000"
PASSWORD = "secret-pass-1"


CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-quic",
    # the call: a synthetic camera and microphone, granted without asking (tests/e2e/test_call_mesh.py)
    "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
]


def must_run():
    return os.environ.get("CI", "").lower() in ("1", "true", "yes") or os.environ.get("REQUIRE_SYSTEM_DEPS") == "1"


def need(available, what):
    """Skip (or on CI fail) when a system part is missing."""
    if available:
        return
    if must_run():
        pytest.fail(f"{what} is required on CI but is not available")
    pytest.skip(f"{what} is not available on this machine")


def postgres_url():
    return os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


def redis_url():
    return os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def postgres_available():
    url = sa.engine.make_url(postgres_url())
    return port_open(url.host or "127.0.0.1", url.port or 5432)


@contextmanager
def fresh_postgres_database(prefix="test"):
    """A new, empty PostgreSQL database (its URL), dropped afterwards: parallel runs never collide.
    Off CI without PostgreSQL the test is skipped; on CI it fails."""
    need(postgres_available(), "PostgreSQL")
    base = sa.engine.make_url(postgres_url())
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        # a commit need not wait for the disk: only a crash of PostgreSQL itself could lose one (never
        # a test's server process), and waiting for fsync made each commit ~4 ms here
        conn.execute(sa.text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def pg_database():
    with fresh_postgres_database("scale") as url:
        yield url


def port_open(host, port):
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex((host, port)) == 0


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- in-process app -------------------------------------------------------------

def make_test_config(tmp_path, **extra):
    cfg = {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'test.db'}",
        "ASYNC_MODE": "threading",
        "PASSWORD_HASH_METHOD": FAST_HASH,
        "SCHEDULER_ENABLED": False,
        "RATELIMIT_STORAGE_URI": "memory://",
        "REDIS_URL": None,
        "MAIL_SERVER": None,
    }
    cfg.update(extra)
    return cfg


@pytest.fixture
def app_config():
    """Override in a test module to change the app's config."""
    return {}


class IsolatedClient(FlaskClient):
    """Each request behaves as on a real server although the test holds an app context:
    it starts with an empty ``g`` (Flask-Login and CSRF cache there) and, after it, the
    test's session re-reads from the database."""

    def open(self, *args, **kwargs):
        saved = dict(g.__dict__) if has_app_context() else None
        if saved is not None:
            g.__dict__.clear()
        try:
            return super().open(*args, **kwargs)
        finally:
            if saved is not None:
                g.__dict__.clear()
                g.__dict__.update(saved)
                _db.session.expire_all()


@pytest.fixture
def app(tmp_path, monkeypatch, app_config):
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path / "instance"))
    application = create_app(make_test_config(tmp_path, **app_config))
    application.test_client_class = IsolatedClient
    with application.app_context():
        _db.create_all()
        yield application
        _db.session.remove()
        _db.engine.dispose()  # the database file goes with tmp_path


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def factory(app):
    return Factory()


class Factory:
    """Makes agencies, users and tokens directly through the services."""

    def __init__(self):
        self.n = 0

    def agency(self, code=None, name=None, parent=None, kind="department"):
        from auth.models import Agency

        self.n += 1
        agency = Agency(code=code or f"AG{self.n}", name=name or f"Sở Thử nghiệm {self.n}", kind=kind, parent=parent)
        _db.session.add(agency)
        _db.session.commit()
        return agency

    def user(
        self,
        role="officer",
        agency=None,
        username=None,
        full_name=None,
        password=PASSWORD,
        email=None,
        locale="vi",
        agency_leader=None,
    ):
        """A user. A leader put in a top-level agency made with the default kind is taken to be one of the
        province's leaders (that agency becomes the provincial office), as tests written before the cascade
        meant; a leader of a district or commune (or ``agency_leader=True``) directs that agency's subtree."""
        from auth import services
        from auth.models import AgencyKind, User

        self.n += 1
        if role == "officer" and agency is None:
            agency = self.agency()
        if agency_leader is None:
            agency_leader = agency is not None and (agency.parent_id is not None or agency.kind != "department")
        if role == "leader" and agency is not None and not agency_leader:
            agency.kind = AgencyKind.PROVINCIAL_OFFICE
        user = User(
            username=username or f"{role}{self.n}",
            full_name=full_name or f"Người dùng {self.n}",
            role=role,
            agency=agency,
            email=email,
            locale=locale,
            password_hash=services.hash_password(password),
        )
        _db.session.add(user)
        _db.session.commit()
        return user

    def token(self, user):
        from auth import services

        _token, raw = services.issue_token(user, "test")
        return raw


def login(client, user, password=PASSWORD):
    """Log in through the real login form; returns the CSRF token of the session."""
    page = client.get("/login")
    token = csrf_from(page.get_data(as_text=True))
    res = client.post("/login", data={"username": user.username, "password": password, "csrf_token": token})
    assert res.status_code == 302, res.get_data(as_text=True)[:500]
    return csrf_from(client.get("/account").get_data(as_text=True))


def csrf_from(html):
    match = re.search(r'name="csrf-token" content="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html
    )
    assert match, "no CSRF token in page"
    return match.group(1)


def bearer(raw):
    return {"Authorization": f"Bearer {raw}"}


# -- a real SMTP server ------------------------------------------------------------

SMTP_PORT = free_port()


class Inbox:
    def __init__(self):
        self.messages = []
        self.arrived = threading.Event()

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append((envelope.rcpt_tos, message))
        self.arrived.set()
        return "250 OK"

    def wait(self, count=1, timeout=10):
        deadline = time.time() + timeout
        while len(self.messages) < count and time.time() < deadline:
            time.sleep(0.02)
        return self.messages


@pytest.fixture
def inbox():
    """An SMTP server (aiosmtpd) on ``SMTP_PORT`` for the test; what it receives is in ``inbox.messages``."""
    from aiosmtpd.controller import Controller

    box = Inbox()
    controller = Controller(box, hostname="127.0.0.1", port=SMTP_PORT)
    controller.start()
    yield box
    controller.stop()


# -- real server processes -------------------------------------------------------

def stop_process(proc):
    """Terminate a started server (or Janus) and wait for it; kill it if it does not go."""
    if proc and proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


class LiveServer:
    """``python wsgi.py`` in its own process, with its own database."""

    def __init__(self, tmp_path, async_mode="gevent", database_url=None, redis=None, env=None, name="srv"):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.database_url = database_url or f"sqlite:///{tmp_path / 'live.db'}"
        self.env = dict(os.environ)
        self.env.update(
            {
                "PORT": str(self.port),
                "HOST": "127.0.0.1",
                "ASYNC_MODE": async_mode,
                "DATABASE_URL": self.database_url,
                "INSTANCE_PATH": str(tmp_path / f"instance-{name}"),
                "SECRET_KEY": "live-test-secret",
                "PASSWORD_HASH_METHOD": FAST_HASH,
                "SCHEDULER_ENABLED": "0",
                "LOGIN_RATE_LIMIT": "1000 per minute",
                "PYTHONUNBUFFERED": "1",
                "SHUTDOWN_GRACE": "0",  # exit at once without waiting for requests in flight
            }
        )
        if redis:
            self.env["REDIS_URL"] = redis
        else:
            self.env.pop("REDIS_URL", None)
        self.env.update(env or {})
        self.log_path = tmp_path / f"{name}-{self.port}.log"
        self.proc = None

    def start(self, timeout=40):
        # the child process keeps its own copy of the log file; ours can close at once
        with open(self.log_path, "w") as log:
            self.proc = subprocess.Popen(
                [sys.executable, str(ROOT / "wsgi.py")], cwd=str(ROOT), env=self.env,
                stdout=log, stderr=subprocess.STDOUT,
            )
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited early:\n{self.log_path.read_text()[-3000:]}")
            try:
                if requests.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"server did not start:\n{self.log_path.read_text()[-3000:]}")

    def stop(self):
        stop_process(self.proc)

    def kill(self):
        """kill -9: the crash case."""
        self.proc.kill()
        self.proc.wait(5)

    def output(self):
        return self.log_path.read_text()

    def session(self, username, password=PASSWORD):
        """A requests.Session logged in through the login form; .csrf holds its CSRF token."""
        s = requests.Session()
        page = s.get(self.url + "/login")
        res = s.post(self.url + "/login", data={"username": username, "password": password,
                                               "csrf_token": csrf_from(page.text)}, allow_redirects=False)
        assert res.status_code == 302, res.text[:300]
        s.csrf = csrf_from(s.get(self.url + "/account").text)
        s.headers["X-CSRFToken"] = s.csrf
        return s

    def token(self, username, password=PASSWORD):
        res = requests.post(self.url + "/api/v1/auth/token", json={"username": username, "password": password})
        assert res.status_code == 201, res.text
        return res.json()["token"]

    def socket(self, token=None, session=None, wait=True, **kwargs):
        """A connected python-socketio client, authenticated by token or by a logged-in session's cookie."""
        import socketio

        client = socketio.Client(reconnection=kwargs.pop("reconnection", False), **kwargs)
        headers = {}
        if session is not None:
            headers["Cookie"] = "; ".join(f"{c.name}={c.value}" for c in session.cookies)
        client.connect(self.url, auth={"token": token} if token else None, headers=headers,
                       transports=["websocket"], wait=wait, wait_timeout=10)
        return client


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the whole run: Playwright's sync API allows one driver per thread,
    so every browser test in every folder shares this one (each test makes its own contexts)."""
    need(os.path.exists(CHROMIUM), "Chromium")
    try:
        from playwright.sync_api import expect, sync_playwright
    except ImportError:  # pragma: no cover
        need(False, "Playwright for Python")
    expect.set_options(timeout=10_000)
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def janus(tmp_path_factory):
    """One real Janus for the run's SFU tests, started from deploy/janus (tests/sfu.py)."""
    from tests.sfu import JanusServer, janus_binary

    need(janus_binary(), "Janus (Debian package janus)")
    server = JanusServer(tmp_path_factory.mktemp("janus")).start()
    yield server
    server.stop()


@pytest.fixture
def live_db(tmp_path):
    """Direct access to a live server's database from the test process: ``with live_db(server) as app``."""
    from contextlib import contextmanager

    @contextmanager
    def open_db(server):
        application = create_app(make_test_config(tmp_path, SQLALCHEMY_DATABASE_URI=server.database_url))
        with application.app_context():
            yield application
            _db.session.remove()
            _db.engine.dispose()

    return open_db


@pytest.fixture
def live_server(tmp_path, request):
    """A started server; ``request.param`` (via indirect parametrize) picks the async mode."""
    mode = getattr(request, "param", "gevent")
    server = LiveServer(tmp_path, async_mode=mode).start()
    yield server
    server.stop()
