"""Entry point: choose the async mode, patch the standard library for it, build the app, serve.

This is the only module that imports gevent or eventlet.
"""
import gc
import logging
import os

ASYNC_MODE = os.environ.get("ASYNC_MODE", "gevent")
if ASYNC_MODE == "gevent":
    from gevent import monkey

    monkey.patch_all()
    try:
        from psycogreen.gevent import patch_psycopg

        patch_psycopg()  # PostgreSQL waits yield to other greenlets
    except ImportError:
        pass
elif ASYNC_MODE == "eventlet":
    import eventlet

    eventlet.monkey_patch()
    try:
        from psycogreen.eventlet import patch_psycopg

        patch_psycopg()
    except ImportError:
        pass
elif ASYNC_MODE != "threading":
    raise SystemExit(f"ASYNC_MODE must be gevent, eventlet or threading, not {ASYNC_MODE!r}")

from core import create_app  # noqa: E402  (after monkey-patching, by design)
from core.extensions import socketio  # noqa: E402

app = create_app({"ASYNC_MODE": ASYNC_MODE})


def main():
    from core import lifecycle, realtime
    from core.cli import upgrade_schema
    from core.realtime import close_stale_connections
    from core.scheduler import start_scheduler

    realtime.serving = True  # coalesced emits (presence) may wait for their moment: this process stays up

    lifecycle.mark_started(app, False)
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    with app.app_context():
        upgrade_schema(start=True)
        close_stale_connections()
    root.handlers[:] = handlers  # alembic's logging config replaced them (WARN, no time): keep the access log
    root.setLevel(level)
    lifecycle.mark_started(app)
    # The ~200,000 objects of the started app live as long as the process: out of the collector's way, a full
    # collection with 500 sockets connected takes 45-85 ms instead of 150-280 (bench/README.md, 10)
    gc.freeze()
    _on_sigterm()
    start_scheduler(app)
    host = os.environ.get("HOST", "127.0.0.1")
    port = int(os.environ.get("PORT", "5000"))
    print(f" * Serving on http://{host}:{port} (async mode: {ASYNC_MODE}, env: {app.config['APP_ENV']})", flush=True)
    socketio.run(app, host=host, port=port, debug=False, use_reloader=False, log_output=False,
                 allow_unsafe_werkzeug=ASYNC_MODE == "threading")
    lifecycle.wait_for_exit(app, socketio.sleep)  # gevent's server returns once SIGTERM closed its listener


def _on_sigterm():
    """SIGTERM: stop accepting (gevent), answer the requests in flight for up to SHUTDOWN_GRACE seconds, exit
    (core/lifecycle.py)."""
    import signal

    from core import lifecycle

    app.wsgi_app = lifecycle.InFlight(app, app.wsgi_app)

    def stop(*_args):
        if watcher:
            watcher.cancel()
        server = getattr(socketio, "wsgi_server", None)  # Flask-SocketIO keeps gevent's WSGIServer there
        lifecycle.shutting_down(app, socketio.start_background_task, socketio.sleep,
                                server.close if server is not None else None)

    watcher = None
    if ASYNC_MODE == "gevent":
        import gevent

        # runs in its own greenlet; a plain signal.signal handler may wait for the loop to wake up
        watcher = gevent.signal_handler(signal.SIGTERM, stop)
    else:
        signal.signal(signal.SIGTERM, stop)


if __name__ == "__main__":
    main()
