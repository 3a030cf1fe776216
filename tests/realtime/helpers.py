"""Helpers for tests against real server processes: event recorders and an in-process publisher."""
import threading
import time
import uuid

import pytest

from tests.conftest import make_test_config, port_open, redis_url


def redis_available():
    url = redis_url()
    host_port = url.split("//", 1)[1].split("/", 1)[0]
    host, _, port = host_port.rpartition(":")
    return port_open(host or "127.0.0.1", int(port or 6379))


def new_channel():
    """A Redis pub/sub channel of our own: other test runs may share the same Redis."""
    return f"test-{uuid.uuid4().hex[:12]}"


class Recorder:
    """Collects the events a python-socketio client receives."""

    def __init__(self, client, *events):
        self.client = client
        self.events = []
        self.cond = threading.Condition()
        for name in events:
            client.on(name, handler=self._handler(name))

    def _handler(self, name):
        def on_event(data=None):
            with self.cond:
                self.events.append((name, data))
                self.cond.notify_all()

        return on_event

    def names(self):
        with self.cond:
            return [name for name, _ in self.events]

    def wait_for(self, name, timeout=10, where=lambda data: True):
        deadline = time.time() + timeout
        with self.cond:
            while True:
                for event, data in self.events:
                    if event == name and where(data):
                        return data
                left = deadline - time.time()
                if left <= 0:
                    raise AssertionError(f"{name} not received; got {self.events}")
                self.cond.wait(left)


def wait_disconnected(client, timeout=10):
    deadline = time.time() + timeout
    while client.connected and time.time() < deadline:
        time.sleep(0.05)
    return not client.connected


def publisher_app(tmp_path, database_url, redis, channel):
    """An app in the test process, on the server's database, emitting through the server's Redis channel."""
    from core import create_app

    return create_app(make_test_config(tmp_path, SQLALCHEMY_DATABASE_URI=database_url, REDIS_URL=redis,
                                       SOCKETIO_CHANNEL=channel))


@pytest.fixture(autouse=False)
def quick_ws_close(monkeypatch):
    """websocket-client waits 3 s for the server's close frame, which simple-websocket servers
    (gevent, threading) do not send: wait 0.2 s so tests stay fast. Use it with autouse."""
    import websocket

    original = websocket.WebSocket.close

    def close(self, status=1000, reason=b"", timeout=3):
        return original(self, status, reason, timeout=min(timeout or 0.2, 0.2))

    monkeypatch.setattr(websocket.WebSocket, "close", close)


def close(*clients):
    """Disconnect the clients at once, each without waiting for a pending long poll. In parallel: closing a
    websocket waits up to 3 s for the server's close frame (websocket-client), so one after another a
    fixture of four people took 12 s to tear down."""
    threads = [threading.Thread(target=_close_one, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def _close_one(client):
    if client.connected:
        if client.transport() == "polling":
            client.eio.disconnect(abort=True)  # do not wait for the pending long poll
        else:
            client.disconnect()
