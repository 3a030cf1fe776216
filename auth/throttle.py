"""One budget of failed sign-ins, shared by the login form and ``POST /api/v1/auth/token``.

Two budgets count failures: per address and username (guessing one account's password) and per
address across usernames (one password tried on many accounts). They live in Flask-Limiter's
storage, Redis when ``REDIS_URL`` is set, so every process draws on the same budgets.
"""
import math
import time
from datetime import datetime, timezone

from flask import current_app
from flask_babel import format_datetime
from flask_babel import gettext as _
from limits import parse

from core.errors import ServiceError
from core.extensions import limiter


class TooManyAttempts(ServiceError):
    """429: a sign-in budget is spent; ``retry_after`` says in how many seconds one frees up."""

    status, code = 429, "rate_limited"


def _budgets(address, username):
    config = current_app.config
    name = username.strip().lower()[:64] if isinstance(username, str) else ""
    address = address or "-"
    prefix = (config["RATELIMIT_KEY_PREFIX"],) if config.get("RATELIMIT_KEY_PREFIX") else ()
    return [
        (parse(config["LOGIN_RATE_LIMIT"]), (*prefix, "login", address, name)),
        (parse(config["LOGIN_RATE_LIMIT_PER_ADDRESS"]), (*prefix, "login-address", address)),
    ]


def check(address, username):
    """Raise TooManyAttempts when either budget of this address (and username) is spent."""
    strategy = limiter.limiter
    for limit, key in _budgets(address, username):
        if not strategy.test(limit, *key):
            reset_at, _remaining = strategy.get_window_stats(limit, *key)
            wait = max(1, math.ceil(reset_at - time.time()))
            at = datetime.fromtimestamp(time.time() + wait, timezone.utc)
            raise TooManyAttempts(
                _("Too many failed sign-in attempts. Try again after %(time)s.", time=format_datetime(at, "HH:mm")),
                retry_after=wait,
            )


def record_failure(address, username):
    """Count one failed sign-in against both budgets."""
    strategy = limiter.limiter
    for limit, key in _budgets(address, username):
        strategy.hit(limit, *key)
