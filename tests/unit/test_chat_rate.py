"""The chat's rate limit without a database query (issue 17): CHAT_RATE_LIMIT = (COUNT, SECONDS), at most
COUNT new messages by one user in one meeting within any SECONDS. A retry of a stored message does not
count; the sockets of one user share the count; with Redis every app instance shares it; in memory nothing
is kept once the window has passed."""
import uuid
from datetime import timedelta

import pytest

from core.dbtypes import utcnow
from core.errors import ServiceError
from core.extensions import db, socketio
from tests.conftest import make_test_config, need, redis_url
from tests.realtime.helpers import redis_available

T0 = utcnow().replace(microsecond=0)


@pytest.fixture
def room(app, factory):
    from meetings import services

    app.config["CHAT_RATE_LIMIT"] = (3, 10)
    office = factory.agency(code="VP")
    chair = factory.user("leader", office, username="chair")
    members = [factory.user("officer", office, username=f"member{n}") for n in range(3)]
    meeting = services.create_meeting(chair, {"title": "Giao ban", "participant_ids": [m.id for m in members],
                                              "starts_at": (utcnow() + timedelta(hours=1)).isoformat()})
    services.start_meeting(chair, meeting)
    return meeting.id, members


def _send(user, mid, client_id, at):
    """The ack's message id, or the error code."""
    from meetings import chat

    try:
        message, _created = chat.send_message(user, {"meeting_id": mid, "body": "Ý kiến", "client_id": client_id},
                                              now=T0 + timedelta(seconds=at))
    except ServiceError as exc:
        db.session.rollback()
        return exc.code
    return message.id


def test_count_messages_within_any_window_of_seconds(room):
    mid, (alice, bob, _carol) = room
    assert all(isinstance(_send(alice, mid, f"a{n}", at=n), int) for n in range(3))
    assert _send(alice, mid, "a3", at=3) == "rate_limited"
    assert isinstance(_send(bob, mid, "b0", at=3), int)  # per user
    assert _send(alice, mid, "a3", at=9.9) == "rate_limited"  # a moving window: the first is 9.9 s old
    assert isinstance(_send(alice, mid, "a3", at=10.5), int)  # the first (at 0) has left the window
    assert _send(alice, mid, "a4", at=10.6) == "rate_limited"


def test_a_retry_does_not_count_and_is_answered_when_limited(room):
    mid, (alice, _bob, _carol) = room
    first = _send(alice, mid, "same", at=0)
    assert [_send(alice, mid, "same", at=n / 10) for n in range(1, 6)] == [first] * 5
    assert isinstance(_send(alice, mid, "two", at=1), int) and isinstance(_send(alice, mid, "three", at=1), int)
    assert _send(alice, mid, "four", at=2) == "rate_limited"
    assert _send(alice, mid, "same", at=2) == first  # still answered


def test_the_sockets_of_one_user_share_it(app, factory, room):
    mid, (alice, _bob, _carol) = room
    app.config["CHAT_RATE_LIMIT"] = (3, 3600)
    token = factory.token(alice)
    tabs = [socketio.test_client(app, auth={"token": token}) for _ in range(2)]
    acks = [tabs[n % 2].emit("chat:send", {"meeting_id": mid, "body": "Ý kiến", "client_id": f"t{n}"},
                             callback=True) for n in range(4)]
    assert [a["ok"] for a in acks] == [True, True, True, False] and acks[3]["error"] == "rate_limited"
    for tab in tabs:
        tab.disconnect()


def test_in_memory_nothing_is_kept_once_the_window_has_passed(app, room):
    from meetings import chat_rate

    mid, members = room
    for n, user in enumerate(members):
        for k in range(2):
            assert isinstance(_send(user, mid, f"m{n}-{k}", at=n + k), int)
    store = app.extensions["meetings.chat_rate"]
    assert isinstance(store, chat_rate.MemoryLog)
    assert store.size((T0 + timedelta(seconds=5)).timestamp(), 10) == (6, 3)
    assert store.size((T0 + timedelta(seconds=13)).timestamp(), 10) == (0, 0)
    assert store.counts == {} and len(store.events) == 0


def test_with_redis_two_app_instances_share_it(app, tmp_path, room):
    need(redis_available(), "Redis")
    import redis

    from core import create_app

    mid, (alice, _bob, _carol) = room
    channel = f"test-{uuid.uuid4().hex[:12]}"
    other = create_app(make_test_config(tmp_path, SOCKETIO_CHANNEL=channel))
    for instance in (app, other):  # after create_app: Socket.IO's message queue is not what is tested
        instance.config.update(REDIS_URL=redis_url(), SOCKETIO_CHANNEL=channel, CHAT_RATE_LIMIT=(3, 10))
    client = redis.Redis.from_url(redis_url())
    key = f"chat-rate:{channel}:{mid}:{alice.id}"
    try:
        first = _send(alice, mid, "a0", at=0)
        with other.app_context():
            from auth.models import User

            there = db.session.get(User, alice.id)
            assert _send(there, mid, "a0", at=1) == first  # a retry on the other instance: not counted
            assert isinstance(_send(there, mid, "a1", at=1), int)
            db.session.remove()
        assert isinstance(_send(alice, mid, "a2", at=2), int)
        with other.app_context():
            assert _send(db.session.get(User, alice.id), mid, "a3", at=3) == "rate_limited"
            db.session.remove()
        assert _send(alice, mid, "a3", at=3) == "rate_limited"
        assert client.zcard(key) == 3 and 0 < client.ttl(key) <= 11  # it expires with its window
    finally:
        client.delete(key)
        client.close()
        with other.app_context():
            db.engine.dispose()


def _burst(store, key, now, tokens):
    """Every token asks for a place at the same moment, from its own thread; the tokens that got one."""
    import threading

    won, start = [], threading.Barrier(len(tokens))

    def ask(token):
        start.wait()
        if store.reserve(key, now, 10, 3, token):
            won.append(token)

    threads = [threading.Thread(target=ask, args=(t,)) for t in tokens]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return won


def test_a_burst_of_sends_at_once_gets_no_more_than_the_limit_and_a_place_given_back_is_free_again():
    from meetings import chat_rate

    store, now = chat_rate.MemoryLog(), T0.timestamp()
    won = _burst(store, "1:2", now, [f"t{n}" for n in range(20)])
    assert len(won) == 3 and store.counts == {"1:2": 3}
    store.release("1:2", won[0])  # that send was a retry of a stored message, or it failed
    assert store.reserve("1:2", now, 10, 3, "again") and not store.reserve("1:2", now, 10, 3, "one more")


def test_with_redis_a_burst_from_many_clients_at_once_gets_no_more_than_the_limit():
    need(redis_available(), "Redis")
    from meetings import chat_rate

    store = chat_rate.RedisLog(redis_url(), f"chat-rate:test-{uuid.uuid4().hex[:12]}:")
    key, now = "1:2", T0.timestamp()
    try:
        won = _burst(store, key, now, [f"t{n}" for n in range(20)])
        assert len(won) == 3 and store.client.zcard(store.prefix + key) == 3
        store.release(key, won[0])
        assert store.reserve(key, now, 10, 3, "again") and not store.reserve(key, now, 10, 3, "one more")
    finally:
        store.client.delete(store.prefix + key)
        store.client.close()
