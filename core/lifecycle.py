"""Whether this process is ready for traffic (/readyz): started, and not shutting down.

wsgi.py marks the start once the schema is upgraded, and on SIGTERM calls :func:`shutting_down`:
/readyz answers 503 for SHUTDOWN_GRACE seconds, so a load balancer or the upgrade script stops sending
new work, then the process ends as SIGTERM's default would.
"""
import logging
import os
import signal

log = logging.getLogger(__name__)
KEY = "chidao.lifecycle"


def state(app):
    return app.extensions.setdefault(KEY, {"started": False, "stopping": False})


def mark_started(app, started=True):
    state(app)["started"] = started


def ready(app):
    current = state(app)
    return current["started"] and not current["stopping"]


def shutting_down(app, start_task, sleep):
    """Called from the SIGTERM handler (in the main thread): not ready from now on; exit after the grace period.

    ``start_task`` and ``sleep`` are the async mode's (socketio.start_background_task and socketio.sleep), so the
    wait does not block the server that goes on answering meanwhile. A second SIGTERM ends the process at once.
    """
    state(app)["stopping"] = True
    grace = float(app.config.get("SHUTDOWN_GRACE", 1))
    log.warning("SIGTERM: /readyz answers 503; exiting in %.1f s", grace)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # only the main thread may set it

    def exit_later():
        sleep(grace)
        os.kill(os.getpid(), signal.SIGTERM)  # the default action: the process ends as it did before

    start_task(exit_later)
