"""Endpoints for operations, public and small: /healthz (the database and Redis answer), /readyz (this process
takes traffic) and /metrics (Prometheus; loopback or METRICS_TOKEN only). docs/operations.md "Observability"."""
import logging

from flask import Response, abort, current_app, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from core import lifecycle, metrics
from core.extensions import db
from core.pages import bp

log = logging.getLogger(__name__)
#: seconds a Redis PING may take before /healthz calls Redis down
REDIS_TIMEOUT = 1.0


@bp.route("/healthz")
def health():
    """200 when the database and Redis (if configured) answer; 503 naming the part that does not."""
    parts = {"database": _database(), "redis": _redis()}
    ok = all(value in ("ok", "off") for value in parts.values())
    return jsonify(status="ok" if ok else "error", **parts), 200 if ok else 503


@bp.route("/readyz")
def ready():
    """200 when this process has started, reaches the database and is not shutting down (SIGTERM)."""
    app = current_app._get_current_object()
    if lifecycle.state(app)["stopping"]:
        return jsonify(status="stopping"), 503
    if not lifecycle.ready(app):
        return jsonify(status="starting"), 503
    if _database() != "ok":
        return jsonify(status="error", database="error"), 503
    return jsonify(status="ok")


@bp.route("/metrics")
def prometheus_metrics():
    if not metrics.may_scrape():
        abort(404)  # as if it were not there
    body, content_type = metrics.exposition()
    return Response(body, content_type=content_type)


def _database():
    try:
        db.session.execute(text("SELECT 1"))
        return "ok"
    except SQLAlchemyError as exc:
        log.warning("health check: database: %s", exc)
        db.session.rollback()
        return "error"


def _redis():
    url = current_app.config.get("REDIS_URL")
    if not url:
        return "off"
    import redis

    client = current_app.extensions.get("chidao.health_redis")
    if client is None:
        client = redis.Redis.from_url(url, socket_timeout=REDIS_TIMEOUT, socket_connect_timeout=REDIS_TIMEOUT)
        current_app.extensions["chidao.health_redis"] = client
    try:
        client.ping()
        return "ok"
    except (redis.RedisError, OSError) as exc:
        log.warning("health check: redis: %s", exc)
        return "error"
