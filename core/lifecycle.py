"""Whether this process is ready for traffic (/readyz), and its stop on SIGTERM.

wsgi.py marks the start once the schema is upgraded, and on SIGTERM calls :func:`shutting_down`: the process
stops accepting connections at once (gevent: the listening socket closes, so nginx gets "connection refused"
and, with ``proxy_next_upstream error``, sends the request to another process), answers the HTTP requests in
flight for up to SHUTDOWN_GRACE seconds, then ends as SIGTERM's default would. Socket.IO connections are not
waited for: they live for hours; they drop and the browsers reconnect to another process. eventlet and the
threading server give no handle on their listening socket: they keep accepting while they drain (and /readyz
answers 503, for a load balancer that polls it).
"""
import logging
import os
import signal
import threading
import time

from werkzeug.wsgi import ClosingIterator

log = logging.getLogger(__name__)
KEY = "chidao.lifecycle"

#: HTTP requests being answered by this process now (Socket.IO's are not counted); process-wide like the metrics
_in_flight = [0]
_lock = threading.Lock()  # monkey-patched into a greenlet lock under gevent and eventlet


def state(app):
    return app.extensions.setdefault(KEY, {"started": False, "stopping": False})


def mark_started(app, started=True):
    state(app)["started"] = started


def ready(app):
    current = state(app)
    return current["started"] and not current["stopping"]


def in_flight():
    return _in_flight[0]


def _count(step):
    with _lock:
        _in_flight[0] += step


class InFlight:
    """WSGI middleware: counts the HTTP requests in flight until their body is sent, so a stopping process waits
    for them; once it is stopping, each answer closes its connection (nginx keeps idle upstream connections and
    would send the next request on one)."""

    def __init__(self, app, wsgi_app):
        self.app, self.wsgi_app = app, wsgi_app

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO", "").startswith("/socket.io"):
            return self.wsgi_app(environ, start_response)
        current = state(self.app)

        def start(status, headers, exc_info=None):
            if current["stopping"]:
                headers = [h for h in headers if h[0].lower() != "connection"] + [("Connection", "close")]
            return start_response(status, headers, exc_info)

        _count(1)
        try:
            body = self.wsgi_app(environ, start)
        except BaseException:
            _count(-1)
            raise
        return ClosingIterator(body, [lambda: _count(-1)])


def shutting_down(app, start_task, sleep, stop_accepting=None):
    """Called from the SIGTERM handler (in the main thread or gevent's loop): stop accepting, drain, exit.

    ``start_task`` and ``sleep`` are the async mode's (socketio.start_background_task and socketio.sleep), so the
    wait does not block the requests it waits for. A second SIGTERM ends the process at once.
    """
    state(app)["stopping"] = True
    grace = float(app.config.get("SHUTDOWN_GRACE", 5))
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # only the main thread may set it
    if stop_accepting is not None:
        stop_accepting()
    log.warning("SIGTERM: %s; %d requests in flight, exiting when they are answered or in %.1f s",
                "not accepting connections" if stop_accepting else "/readyz answers 503", in_flight(), grace)

    def exit_after_drain():
        deadline = time.monotonic() + grace
        while in_flight() > 0 and time.monotonic() < deadline:
            sleep(0.02)
        if in_flight():
            log.warning("SIGTERM: %d requests still in flight after %.1f s: exiting", in_flight(), grace)
        os.kill(os.getpid(), signal.SIGTERM)  # the default action: the process ends as it did before

    start_task(exit_after_drain)


def wait_for_exit(app, sleep):
    """After the server returned (its listener closed): keep the process, and its requests in flight, alive
    until :func:`shutting_down`'s task ends it."""
    while state(app)["stopping"]:
        sleep(0.1)
