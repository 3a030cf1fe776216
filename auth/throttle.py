"""One budget of failed sign-ins, shared by the login form and ``POST /api/v1/auth/token``.

Two budgets count failures: per address and username (guessing one account's password) and per
address across usernames (one password tried on many accounts). They live in Flask-Limiter's
storage, Redis when ``REDIS_URL`` is set, so every process draws on the same budgets.
"""
import math
import time
from datetime import UTC, datetime

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


def _wait(limit, key):
    """(seconds until the budget frees up, that time as HH:mm in the display zone)."""
    reset_at, _remaining = limiter.limiter.get_window_stats(limit, *key)
    wait = max(1, math.ceil(reset_at - time.time()))
    return wait, format_datetime(datetime.fromtimestamp(time.time() + wait, UTC), "HH:mm")


def check(address, username):
    """Raise TooManyAttempts when either budget of this address (and username) is spent."""
    strategy = limiter.limiter
    for limit, key in _budgets(address, username):
        if not strategy.test(limit, *key):
            wait, at = _wait(limit, key)
            raise TooManyAttempts(_("Too many failed sign-in attempts. Try again after %(time)s.", time=at),
                                  retry_after=wait)


def record_failure(address, username):
    """Count one failed sign-in against both budgets."""
    strategy = limiter.limiter
    for limit, key in _budgets(address, username):
        strategy.hit(limit, *key)


def spend_reset_request(address, identifier):
    """Count one "forgot password" request against the budget of the address and that of the name
    or e-mail typed (known or not, so the answer says nothing about accounts); TooManyAttempts
    once either is spent. Keeps a mailbox from being flooded and the form from being a scanner."""
    config = current_app.config
    limit = parse(config["PASSWORD_RESET_RATE_LIMIT"])
    prefix = (config["RATELIMIT_KEY_PREFIX"],) if config.get("RATELIMIT_KEY_PREFIX") else ()
    name = identifier.strip().lower()[:255] if isinstance(identifier, str) else ""
    keys = [(*prefix, "reset-address", address or "-"), (*prefix, "reset-name", name)]
    strategy = limiter.limiter
    for key in keys:
        if not strategy.test(limit, *key):
            wait, at = _wait(limit, key)
            raise TooManyAttempts(_("Too many requests. Try again after %(time)s.", time=at), retry_after=wait)
    for key in keys:
        strategy.hit(limit, *key)
