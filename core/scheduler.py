"""Scheduled jobs run inside the server, guarded by a lease so only one process runs each.

Modules register jobs with :func:`register_job`; each is also exposed for cron
through its module's CLI. The lease lives in the database, so it holds across
processes and machines sharing one database.
"""
import logging
from datetime import timedelta

from sqlalchemy.exc import IntegrityError

from core import metrics
from core.dbtypes import UTCDateTime, utcnow
from core.extensions import db, socketio
from core.realtime import SERVER_ID

log = logging.getLogger(__name__)
JOBS = {}  # name -> (interval seconds, fn)
TICK_SECONDS = 30


class JobLease(db.Model):
    """Who runs a scheduled job right now, and until when."""

    __tablename__ = "job_leases"

    #: the job's name
    name = db.Column(db.String(64), primary_key=True)
    #: the process holding the lease
    holder = db.Column(db.String(128), nullable=False)
    #: the lease ends then unless renewed
    expires_at = db.Column(UTCDateTime, nullable=False)
    #: when the job last finished a run
    last_run_at = db.Column(UTCDateTime)


def register_job(name, interval_seconds, fn):
    """fn() runs in an app context about every ``interval_seconds``."""
    JOBS[name] = (interval_seconds, fn)


def acquire_lease(name, holder, interval_seconds, now=None):
    """True when ``holder`` may run ``name`` now: the lease is free or expired, and the job is due."""
    now = now or utcnow()
    expires = now + timedelta(seconds=interval_seconds)
    result = db.session.execute(
        db.update(JobLease)
        .where(JobLease.name == name, JobLease.expires_at <= now)
        .values(holder=holder, expires_at=expires)
    )
    if result.rowcount == 1:
        db.session.commit()
        return True
    db.session.rollback()
    if db.session.get(JobLease, name) is not None:
        return False
    try:
        db.session.add(JobLease(name=name, holder=holder, expires_at=expires))
        db.session.commit()
        return True
    except IntegrityError:
        db.session.rollback()  # another process created it first
        return False


def run_due_jobs(app, now=None):
    ran = []
    with app.app_context():
        for name, (interval, fn) in list(JOBS.items()):
            if not acquire_lease(name, SERVER_ID, interval, now):
                continue
            try:
                fn()
                ran.append(name)
                db.session.execute(db.update(JobLease).where(JobLease.name == name).values(last_run_at=utcnow()))
                db.session.commit()
                metrics.scheduler_ran(name, ok=True)
            except Exception:
                db.session.rollback()
                log.exception("scheduled job %s failed", name)
                metrics.scheduler_ran(name, ok=False)
        db.session.remove()
    return ran


def start_scheduler(app):
    if not app.config.get("SCHEDULER_ENABLED", True):
        return None

    def loop():
        while True:
            socketio.sleep(TICK_SECONDS)
            try:
                run_due_jobs(app)
            except Exception:
                log.exception("scheduler tick failed")

    return socketio.start_background_task(loop)
