"""The chat's rate limit, CHAT_RATE_LIMIT = (COUNT, SECONDS), without a database query: one user may have
at most COUNT new messages in one meeting within any SECONDS (a moving window, as when they were counted
in the database).

Checked before a message is stored; counted only once a NEW message is stored, so a retry of a stored
``client_id`` costs nothing and two sockets of one user share one count. With REDIS_URL the log of each
(meeting, user) is a Redis sorted set that every process shares and that expires with its window; without
it (one process) it is kept in memory, where everything older than the window is dropped on each access,
so the structure holds only the last SECONDS' messages.
"""
import logging
import threading
from collections import deque

from flask import current_app

log = logging.getLogger(__name__)

#: seconds a Redis call may take; past that the message is let through (the limit guards against
#: floods, it must not stop the chat when Redis is slow)
REDIS_TIMEOUT = 1.0


class MemoryLog:
    """The messages this process accepted in the last SECONDS, oldest first, and a count per key."""

    errors = ()  # nothing here fails for want of a server

    def __init__(self):
        self.events = deque()  # (timestamp, key)
        self.counts = {}
        self.lock = threading.Lock()

    def _sweep(self, since):
        while self.events and self.events[0][0] <= since:
            _at, key = self.events.popleft()
            left = self.counts[key] - 1
            if left:
                self.counts[key] = left
            else:
                del self.counts[key]

    def count(self, key, now, seconds):
        with self.lock:
            self._sweep(now - seconds)
            return self.counts.get(key, 0)

    def add(self, key, now, seconds, _member):
        with self.lock:
            self._sweep(now - seconds)
            self.events.append((now, key))
            self.counts[key] = self.counts.get(key, 0) + 1

    def size(self, now, seconds):
        """How many messages (and keys) it holds once what is older than the window is dropped."""
        with self.lock:
            self._sweep(now - seconds)
            return len(self.events), len(self.counts)


class RedisLog:
    """One sorted set per key (members: message ids, scores: their times), shared by every process."""

    def __init__(self, url, prefix):
        import redis

        self.errors = (redis.RedisError, OSError)
        self.client = redis.Redis.from_url(url, socket_timeout=REDIS_TIMEOUT, socket_connect_timeout=REDIS_TIMEOUT)
        self.prefix = prefix

    def count(self, key, now, seconds):
        pipe = self.client.pipeline(transaction=True)
        pipe.zremrangebyscore(self.prefix + key, "-inf", now - seconds)
        pipe.zcard(self.prefix + key)
        return pipe.execute()[1]

    def add(self, key, now, seconds, member):
        pipe = self.client.pipeline(transaction=True)
        pipe.zadd(self.prefix + key, {str(member): now})
        pipe.expire(self.prefix + key, int(seconds) + 1)  # nothing is left of a user who stopped writing
        pipe.execute()


def _log():
    store = current_app.extensions.get("meetings.chat_rate")
    if store is None:
        url = current_app.config.get("REDIS_URL")
        # the channel keeps deployments (and test runs) that share one Redis apart
        prefix = f"chat-rate:{current_app.config.get('SOCKETIO_CHANNEL', '')}:"
        store = RedisLog(url, prefix) if url else MemoryLog()
        current_app.extensions["meetings.chat_rate"] = store
    return store


def _limit():
    count, seconds = current_app.config.get("CHAT_RATE_LIMIT", (10, 10))
    return count, seconds


def limited(meeting_id, user_id, now):
    """Whether this user already has COUNT messages in this meeting within the SECONDS before ``now``."""
    count, seconds = _limit()
    store = _log()
    try:
        return store.count(f"{meeting_id}:{user_id}", now.timestamp(), seconds) >= count
    except store.errors as exc:
        log.warning("chat rate limit: Redis: %s", exc)
        return False


def counted(meeting_id, user_id, message_id, now):
    """Count a NEW message (never a retry of a stored one)."""
    _count, seconds = _limit()
    store = _log()
    try:
        store.add(f"{meeting_id}:{user_id}", now.timestamp(), seconds, message_id)
    except store.errors as exc:
        log.warning("chat rate limit: Redis: %s", exc)
