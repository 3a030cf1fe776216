"""The chat's rate limit, CHAT_RATE_LIMIT = (COUNT, SECONDS), without a database query: one user may have
at most COUNT new messages in one meeting within any SECONDS (a moving window, as when they were counted
in the database).

A message reserves its place before it is stored, in one atomic step (count and add), so a burst of sends
at once cannot all pass a count of zero; the place is given back when the send turns out to be a retry of a
stored ``client_id`` or fails, so a retry costs nothing. Two sockets of one user share one count. With
REDIS_URL the log of each (meeting, user) is a Redis sorted set that every process shares and that expires
with its window; without it (one process) it is kept in memory, where everything older than the window is
dropped on each access, so the structure holds only the last SECONDS' messages.
"""
import logging
import threading
import uuid
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
        self.events = deque()  # (timestamp, key, reservation token)
        self.counts = {}
        self.lock = threading.Lock()

    def _sweep(self, since):
        while self.events and self.events[0][0] <= since:
            self._drop_one(self.events.popleft()[1])

    def _drop_one(self, key):
        left = self.counts[key] - 1
        if left:
            self.counts[key] = left
        else:
            del self.counts[key]

    def reserve(self, key, now, seconds, limit, token):
        with self.lock:
            self._sweep(now - seconds)
            if self.counts.get(key, 0) >= limit:
                return False
            self.events.append((now, key, token))
            self.counts[key] = self.counts.get(key, 0) + 1
            return True

    def release(self, key, token):
        with self.lock:
            for event in self.events:
                if event[1] == key and event[2] == token:
                    self.events.remove(event)
                    self._drop_one(key)
                    return

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
        self._reserve = self.client.register_script(self.RESERVE)

    #: drop what left the window, then add the reservation only if the window holds fewer than the limit
    RESERVE = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[4])
redis.call('EXPIRE', KEYS[1], ARGV[5])
return 1
"""

    def reserve(self, key, now, seconds, limit, token):
        # one script: atomic on the Redis server, so processes racing for the last place cannot both win
        return bool(self._reserve(keys=[self.prefix + key], args=[now - seconds, limit, now, token, int(seconds) + 1]))

    def release(self, key, token):
        self.client.zrem(self.prefix + key, token)


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


def reserve(meeting_id, user_id, now):
    """A place for one new message of this user in this meeting: its token, or None when COUNT messages
    already are within the SECONDS before ``now``. Give it back with :func:`release` if nothing is stored."""
    count, seconds = _limit()
    store = _log()
    token = uuid.uuid4().hex
    try:
        return token if store.reserve(f"{meeting_id}:{user_id}", now.timestamp(), seconds, count, token) else None
    except store.errors as exc:
        log.warning("chat rate limit: Redis: %s", exc)
        return token


def release(meeting_id, user_id, token):
    """Give a place back: the send was a retry of a stored message, or it failed."""
    store = _log()
    try:
        store.release(f"{meeting_id}:{user_id}", token)
    except store.errors as exc:
        log.warning("chat rate limit: Redis: %s", exc)
