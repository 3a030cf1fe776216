"""The application factory."""
import importlib
import logging
from pathlib import Path

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

from core import errors, fanout, i18n, lifecycle, metrics, security, static_files, ui, validation
from core.config import BASE_DIR, load_config
from core.extensions import babel, csrf, db, limiter, login_manager, migrate, socketio

#: Domain modules, each a package with ``blueprints`` and optional views, api and events.
MODULES = ("core.pages", "auth", "notifications", "directives", "meetings", "search")


def create_app(overrides=None):
    cfg = load_config(overrides)
    app = Flask(
        __name__,
        instance_path=cfg["INSTANCE_PATH"],
        template_folder=str(BASE_DIR / "templates"),
        static_folder=str(BASE_DIR / "static"),
        static_url_path=static_files.url_path(),
    )
    app.config.update(cfg)
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = i18n.translation_directories()
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if app.config.get("TRUSTED_PROXIES"):
        # Behind nginx: the client address and scheme come from X-Forwarded-For/-Proto
        # (login throttling and the audit trail need the real address). Not X-Forwarded-Host:
        # nginx passes the Host header itself and never sets it, so a client could forge it.
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    # Import every module before socketio.init_app: socket handlers registered while no
    # server exists are kept by Flask-SocketIO and attached to every app built later
    # (tests build several apps in one process), not only to the first one.
    from core import audit, realtime, scheduler  # noqa: F401  (their models and handlers)

    packages = [_import_module_with_parts(name) for name in MODULES]

    db.init_app(app)
    migrate.init_app(app, db, directory=str(BASE_DIR / "migrations"), render_as_batch=True)
    login_manager.init_app(app)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=i18n.select_locale, timezone_selector=i18n.select_timezone)
    limiter.init_app(app)
    # SocketIO keeps options across init_app calls: forget a previous app's Redis queue.
    socketio.server_options.pop("client_manager", None)
    socketio.init_app(
        app,
        async_mode=app.config["ASYNC_MODE"],
        message_queue=app.config["REDIS_URL"],
        channel=app.config.get("SOCKETIO_CHANNEL", "flask-socketio"),
        manage_session=True,
        # well above SOCKET_MAX_PAYLOAD: an oversized event reaches socket_handler and gets an
        # error ack instead of Engine.IO closing the connection
        max_http_buffer_size=max(app.config.get("MAX_CONTENT_LENGTH") or 0, 16 * app.config["SOCKET_MAX_PAYLOAD"]),
    )
    if not app.config.get("SOCKET_COMPRESSION"):
        app.wsgi_app = realtime.WithoutWebsocketCompression(app.wsgi_app)  # outside Socket.IO's middleware
    fanout.install(socketio.server)  # one frame per broadcast, written straight to each websocket (gevent)
    i18n.init_app(app)
    security.init_app(app)
    ui.init_app(app)
    static_files.init_app(app)  # ?v= on static URLs, and their cache headers
    validation.init_app(app)  # before the blueprints: their <int:...> routes use its converter
    errors.register_error_handlers(app)

    for package in packages:
        for blueprint in getattr(package, "blueprints", ()):
            app.register_blueprint(blueprint)

    from core import cli

    cli.init_app(app)
    metrics.init_app(app)  # last: its clock starts before every other before_request
    lifecycle.mark_started(app)  # built; wsgi.main marks it again once the schema is upgraded
    return app


def _import_module_with_parts(name):
    package = importlib.import_module(name)
    _import_parts(name, package)
    return package


def _import_parts(name, package):
    """Import a module's models, views, api and events files (also e.g. views_outcomes.py)."""
    folder = Path(package.__file__).parent
    for part in ("models", "views", "api", "events"):
        for path in sorted(folder.glob(f"{part}*.py")):
            importlib.import_module(f"{name}.{path.stem}")


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record):
    """SQLite: WAL so readers never block the writer, foreign keys enforced, wait on locks."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()
