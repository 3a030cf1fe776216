"""Operations: the request log, the Prometheus metrics and who may read them.

Metrics are per process (each process is scraped on its own port), so they live in prometheus_client's
default registry, defined once when this module is imported; apps built later in the same process (tests)
share them. docs/operations.md lists them.
"""
import hmac
import ipaddress
import logging
import time
from urllib.parse import quote

from flask import g, request
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Counter, Gauge, Histogram, generate_latest

from core import lifecycle

access_log = logging.getLogger("chidao.access")
access_log.setLevel(logging.INFO)  # whatever level the root logger was left at (alembic's config sets WARN)

#: methods kept as a label; anything else is counted as "other" (a label per invented method would grow forever)
METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}
#: headers a proxy adds: a request carrying one did not come straight from loopback
PROXY_HEADERS = ("X-Forwarded-For", "X-Real-IP", "Forwarded")
#: characters the logged path keeps as they are
SAFE = "/:@!$&'()*+,;=-._~"

REQUESTS = Counter("chidao_http_requests", "HTTP requests handled by Flask", ["method", "endpoint", "status"])
REQUEST_SECONDS = Histogram("chidao_http_request_duration_seconds", "Time to answer an HTTP request", ["endpoint"])
SOCKETS = Gauge("chidao_socketio_connected", "Socket.IO connections open on this process now")
EVENTS = Counter("chidao_realtime_events_emitted", "Realtime events emitted (published after commit)", ["event"])
CHAT_LATENCY = Histogram("chidao_chat_broadcast_seconds", "A chat message from its arrival to its broadcast",
                         buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
IN_FLIGHT = Gauge("chidao_http_requests_in_flight", "HTTP requests being answered now (not Socket.IO)")
IN_FLIGHT.set_function(lifecycle.in_flight)
SCHEDULER_RUNS = Counter("chidao_scheduler_runs", "Scheduled job runs by this process", ["job", "outcome"])

#: the Socket.IO sessions open on this process (a set: a disconnect seen twice does not count twice)
_sockets = set()
SOCKETS.set_function(lambda: len(_sockets))


def socket_connected(sid):
    _sockets.add(sid)


def socket_disconnected(sid):
    _sockets.discard(sid)


def event_emitted(name):
    EVENTS.labels(name).inc()


def scheduler_ran(job, ok):
    SCHEDULER_RUNS.labels(job, "ok" if ok else "error").inc()


def init_app(app):
    """Time every request, log it on ``chidao.access`` and count it."""

    def _start_clock():
        g.request_started = time.perf_counter()

    # first of all: a request another before_request refuses is still timed, logged and counted
    app.before_request_funcs.setdefault(None, []).insert(0, _start_clock)

    @app.after_request
    def _log_and_count(response):
        started = g.pop("request_started", None)
        if started is None:  # refused before the clock started (e.g. another before_request ran first)
            return response
        seconds = time.perf_counter() - started
        endpoint = request.endpoint or "none"  # 404s share one label, whatever path they asked for
        method = request.method if request.method in METHODS else "other"
        REQUESTS.labels(method, endpoint, str(response.status_code)).inc()
        REQUEST_SECONDS.labels(endpoint).observe(seconds)
        if not request.path.startswith("/static/"):
            # the path without its query string (a query can hold a token), re-quoted: no space or newline in a line
            access_log.info("%s %s %s %.1fms user=%s addr=%s", request.method, _logged_path(), response.status_code,
                            seconds * 1000, _user_id(), request.remote_addr or "-")
        return response


def _logged_path():
    """The path re-quoted (no space or newline in a line), a secret in it masked: /password/reset/<token>,
    /calendar/<token>.ics carry the credential itself."""
    path = quote(request.path, safe=SAFE)
    for name, value in (request.view_args or {}).items():
        if "token" in name and isinstance(value, str) and value:
            path = path.replace(quote(value, safe=SAFE), "<token>")
    return path


def _user_id():
    """The signed-in user's id if this request loaded it; never a query just for the log."""
    user = g.get("_login_user")
    return getattr(user, "id", None) or "-"


def may_scrape():
    """Straight from loopback with no proxy header, or with the METRICS_TOKEN bearer token when one is set."""
    from flask import current_app

    token = current_app.config.get("METRICS_TOKEN")
    if token:
        header = request.headers.get("Authorization", "")
        if header.startswith("Bearer ") and hmac.compare_digest(header[7:].encode(), token.encode()):
            return True
    if any(name in request.headers for name in PROXY_HEADERS):
        return False
    try:
        return ipaddress.ip_address(request.remote_addr or "").is_loopback
    except ValueError:
        return False


def exposition():
    """(body, content type) of this process's metrics."""
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
