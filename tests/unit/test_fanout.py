"""One frame per broadcast (core/fanout.py): the frame is what wsproto would send, a broadcast is framed once and
written straight to each idle websocket, a busy one keeps its order, and a slow reader neither blocks the sender
nor loses or reorders bytes."""
import gevent
import gevent.queue
import gevent.socket
import pytest
import socketio
from wsproto.connection import Connection, ConnectionType
from wsproto.events import BytesMessage, TextMessage

from core import fanout


@pytest.mark.parametrize("size", [0, 1, 125, 126, 65535, 65536, 200_000])
@pytest.mark.parametrize("kind", ["text", "bytes"])
def test_frame_is_what_wsproto_sends(size, kind):
    data = "đ" * (size // 2) + "a" * (size % 2) if kind == "text" else bytes(range(256)) * (size // 256) + b"x" * (
        size % 256)
    event = TextMessage(data=data) if kind == "text" else BytesMessage(data=data)
    assert fanout.frame(data) == Connection(ConnectionType.SERVER).send(event)


class Recorder:
    def __init__(self):
        self.sent, self.broken = [], False

    def send(self, data):
        self.sent.append(data)


class FakeEioSocket:
    """What the fast path reads of an Engine.IO socket."""

    def __init__(self, writer, upgraded=True):
        self.frame_writer, self.upgraded = writer, upgraded
        self.upgrading = self.closing = self.closed = False
        self.queue = gevent.queue.JoinableQueue()

    def check_ping_timeout(self):
        return True

    def send(self, pkt):
        self.queue.put(pkt)


def test_a_broadcast_is_framed_once_and_written_to_every_idle_socket_in_order_behind_queued_ones():
    server = socketio.Server(async_mode="gevent")
    assert fanout.install(server)
    idle = [FakeEioSocket(Recorder()) for _ in range(3)]
    busy = FakeEioSocket(Recorder())
    busy.queue.put("an ack queued before the broadcast")
    polling = FakeEioSocket(None, upgraded=False)
    for n, sock in enumerate([*idle, busy, polling]):
        server.eio.sockets[f"e{n}"] = sock
        sid = server.manager.connect(f"e{n}", "/")
        server.manager.enter_room(sid, "/", "meeting:1")

    server.emit("chat:message", {"body": "hello"}, to="meeting:1")

    frames = [sock.frame_writer.sent for sock in idle]
    assert all(len(sent) == 1 for sent in frames)
    assert frames[0][0] is frames[1][0] is frames[2][0]  # the same bytes object: framed once
    assert frames[0][0] == fanout.frame('42["chat:message",{"body":"hello"}]')
    # a socket with packets waiting gets the broadcast behind them, through its queue; so does a polling one
    assert busy.frame_writer.sent == [] and busy.queue.qsize() == 2
    assert polling.queue.qsize() == 1


def _pair():
    return gevent.socket.socketpair()  # cooperative and blocking, as gevent's server hands them over


def test_writer_never_blocks_the_sender_and_keeps_order_behind_a_slow_reader():
    a, b = _pair()
    writer = fanout.FrameWriter(a, gevent.spawn)
    chunks = [bytes([n % 251]) * 50_000 for n in range(40)]  # 2 MB: far more than the socket buffer holds
    for chunk in chunks:
        assert writer.send(chunk) == len(chunk)  # returns at once: the rest waits for the flusher
    assert writer._flushing
    received = bytearray()
    while len(received) < 2_000_000:
        received += b.recv(65536)
    assert bytes(received) == b"".join(chunks)
    gevent.sleep(0)
    assert not writer._flushing and writer._pending == []


def test_close_waits_for_what_is_pending():
    a, b = _pair()
    writer = fanout.FrameWriter(a, gevent.spawn)
    writer.send(b"x" * 1_000_000)
    writer.close()  # e.g. the close frame was queued last: the socket closes once it is out
    received = bytearray()
    while True:
        data = b.recv(65536)
        if not data:
            break
        received += data
    assert len(received) == 1_000_000


def test_a_client_that_stops_reading_is_cut_off_not_buffered_forever(monkeypatch):
    monkeypatch.setattr(fanout, "MAX_PENDING", 256 * 1024)
    a, b = _pair()
    writer = fanout.FrameWriter(a, gevent.spawn)
    with pytest.raises(OSError):
        for _ in range(1000):
            writer.send(b"y" * 10_000)
    assert writer.broken and writer._pending == []


class FakeEio:
    ping_interval = 0.05

    def __init__(self):
        self.tasks = 0

    def start_background_task(self, fn):
        self.tasks += 1
        return gevent.spawn(fn)

    sleep = staticmethod(gevent.sleep)


def test_one_greenlet_pings_every_socket_when_its_interval_is_up():
    eio = FakeEio()
    pinger = fanout.Pinger(eio)
    socks = [FakeEioSocket(Recorder()) for _ in range(3)]
    socks[2].closed = True
    for sock in socks:
        pinger.schedule(sock)
        assert sock.last_ping is None  # no timeout counts until the ping is out
    gevent.sleep(0.01)
    assert all(sock.queue.qsize() == 0 for sock in socks)  # not yet due
    gevent.sleep(0.1)
    assert [sock.queue.qsize() for sock in socks] == [1, 1, 0]  # a closed socket is not pinged
    assert socks[0].queue.get().packet_type == 2 and socks[0].last_ping is not None  # engine.io PING
    assert eio.tasks == 1 and not pinger.running and pinger.due == []


def test_a_client_that_reads_nothing_for_the_flush_timeout_is_cut_off(monkeypatch):
    monkeypatch.setattr(fanout, "FLUSH_TIMEOUT", 0.2)
    a, _b = _pair()  # nobody reads _b
    writer = fanout.FrameWriter(a, gevent.spawn)
    writer.send(b"z" * 2_000_000)
    writer.close()  # the session ended: the socket closes after its pending bytes, or when the timeout cuts
    gevent.sleep(0.5)
    assert writer.broken and not writer._flushing and writer._pending == []
    with pytest.raises(BrokenPipeError):
        writer.send(b"more")
