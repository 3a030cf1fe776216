"""One frame per broadcast (gevent, the production server).

Stock Engine.IO sends a broadcast to each recipient through that socket's queue: one greenlet wake-up, a
queue timeout, wsproto framing and a syscall per recipient. Here a broadcast packet is framed once (server
frames are never masked, so without a negotiated compression extension every recipient gets the same bytes)
and written straight to each websocket that has nothing queued: one non-blocking syscall per recipient.

Order is kept: a socket that still has packets in its Engine.IO queue takes the stock path behind them, and
every write to a websocket (ours, Engine.IO's writer, simple-websocket's pings and close) goes through the
socket's :class:`FrameWriter`, which sends what fits at once and leaves the rest, in order, to a flusher.
"""
import contextlib
import heapq
import itertools
import logging
import socket
import struct
import time

import engineio.socket
import simple_websocket
from engineio import exceptions as eio_exceptions
from engineio import packet as eio_packet
from wsproto.utilities import LocalProtocolError

log = logging.getLogger(__name__)

#: bytes waiting for one slow client before it is cut off (it reconnects and replays what it missed)
MAX_PENDING = 8 * 1024 * 1024
#: seconds a client has to answer our websocket close frame before its socket is closed anyway
CLOSE_TIMEOUT = 5
#: seconds a client may leave pending bytes unread before it is cut off (else a closed session's socket,
#: its greenlet and its pending bytes could wait forever on a peer that stopped reading)
FLUSH_TIMEOUT = 60


def frame(data):
    """``data`` as one unmasked, unfragmented websocket frame: text for str, binary for bytes."""
    if isinstance(data, str):
        data, opcode = data.encode(), 0x81
    else:
        opcode = 0x82
    n = len(data)
    if n < 126:
        header = struct.pack("!BB", opcode, n)
    elif n < 65536:
        header = struct.pack("!BBH", opcode, 126, n)
    else:
        header = struct.pack("!BBQ", opcode, 127, n)
    return header + data


class FrameWriter:
    """Every write to one websocket's TCP socket, in order, without making the caller wait.

    ``send`` tries the socket once without blocking; whatever does not fit waits in ``pending`` and a
    flusher greenlet writes it as the client reads. While it does, later writes queue behind it."""

    def __init__(self, sock, spawn):
        self._sock = sock
        self._spawn = spawn
        self._pending = []
        self._pending_bytes = 0
        self._flushing = False
        self._close_after_flush = False
        self.broken = False

    def __getattr__(self, name):  # recv, fileno, settimeout...: the socket's own
        return getattr(self._sock, name)

    def send(self, data, flags=0):
        if self.broken:
            raise BrokenPipeError("websocket connection lost")  # what simple-websocket's close expects
        if self._flushing:
            self._queue(data)
            return len(data)
        try:
            sent = self._sock.send(data, 0, 0.0)  # timeout 0: never wait here
        except BlockingIOError:
            sent = 0
        except OSError:
            self.broken = True
            raise
        if sent < len(data):
            self._queue(data[sent:])
            self._flushing = True
            self._spawn(self._flush)
        return len(data)

    sendall = send

    def close(self):
        if self._flushing:
            self._close_after_flush = True  # the close frame is still pending: send it first
        else:
            self._sock.close()

    def _queue(self, data):
        self._pending.append(data)
        self._pending_bytes += len(data)
        if self._pending_bytes > MAX_PENDING:
            log.warning("a websocket client reads too slowly: %d bytes pending, disconnecting it",
                        self._pending_bytes)
            self._cut()

    def _cut(self):
        self.broken = True
        self._pending.clear()
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_RDWR)  # its reader sees the end and Engine.IO closes the session

    def _flush(self):
        from gevent import Timeout  # only gevent's server has FrameWriters (install); wsgi.py imports gevent

        try:
            while self._pending and not self.broken:
                data = b"".join(self._pending)
                self._pending.clear()
                self._pending_bytes = 0
                with Timeout(FLUSH_TIMEOUT, OSError("a websocket client read nothing for a minute")):
                    self._sock.sendall(data)  # waits for the client, in this greenlet only
        except OSError:
            self._cut()
        finally:
            self._flushing = False
            if self._close_after_flush:
                self._sock.close()


class _NoThread:
    """Stands in for simple-websocket's reader thread: InlineServer reads in the caller's greenlet."""

    name = "inline"

    def __init__(self, target):
        pass

    def start(self):
        pass


class InlineServer(simple_websocket.Server):
    """simple-websocket's server without its reader greenlet: ``receive`` reads the socket itself, in Engine.IO's
    handler greenlet, which only ever waits for the next message anyway. One greenlet (and its ~8 KB of stack)
    less per socket, and no event hand-off per incoming message."""

    def __init__(self, environ, **kwargs):
        super().__init__(environ, **dict(kwargs, thread_class=_NoThread))

    def receive(self, timeout=None):
        while self.connected and not self.input_buffer:
            try:
                data = self.sock.recv(self.receive_bytes)
                if not data:
                    raise OSError("connection closed by the client")
                self.ws.receive_data(data)
                self.connected = self._handle_events()
            except (OSError, LocalProtocolError):
                self.connected = False
        if self.input_buffer:
            return self.input_buffer.pop(0)
        self.sock.close()  # what the reader thread did on its way out
        raise simple_websocket.ConnectionClosed(self.close_reason, self.close_message)

    def close(self, reason=None, message=None):
        with contextlib.suppress(OSError):  # a peer already gone (reset): nothing to tell it
            super().close(reason, message)
        self.connected = False
        # The handler's read ends when the client answers the close frame: read first, the socket then closes
        # with nothing unread (an unread byte turns the close into a reset, which can drop what we just sent
        # from the client's buffer). A client that never answers is let go after CLOSE_TIMEOUT.
        from gevent import spawn_later  # only gevent's server uses this class (install)

        spawn_later(CLOSE_TIMEOUT, self._stop_reading)

    def _stop_reading(self):
        with contextlib.suppress(OSError):  # closed meanwhile, as it should be
            self.sock.shutdown(socket.SHUT_RD)


def framed_websocket(base):
    """Engine.IO's simple-websocket WSGI class, reading inline, with a FrameWriter under each uncompressed
    connection."""

    class FramedWebSocket(base):
        def __call__(self, environ, start_response):
            self.ws = InlineServer(environ, **self.server_args)
            eio_socket = getattr(self.app, "__self__", None)  # self.app is that socket's _websocket_handler
            writer = None
            if eio_socket is not None and not environ.get("HTTP_SEC_WEBSOCKET_EXTENSIONS"):
                # no extension offered, so none negotiated: frames are plain and the same for everyone
                writer = FrameWriter(self.ws.sock, eio_socket.server.start_background_task)
                self.ws.sock = writer
            if eio_socket is not None:
                eio_socket.frame_writer = writer  # this attempt's, never an earlier failed upgrade's
            ret = serve(eio_socket, self) if getattr(eio_socket, "frame_writer", None) else self.app(self)
            if self.ws.mode == "gunicorn":
                raise StopIteration()
            if self.ws.mode == "werkzeug":
                raise ConnectionError()
            return ret

    return FramedWebSocket


def serve(sock, ws):
    """Engine.IO's websocket handler (engineio 4.15's Socket._websocket_handler) without its writer greenlet:
    once the socket is on the websocket, each packet is written when it is sent (``_send`` below), in order,
    through the FrameWriter. One greenlet, a queue hop and a timeout less per socket."""

    def wait():
        data = ws.wait()
        if data and len(data) > sock.server.max_http_buffer_size:
            raise ValueError("packet is too large")
        return data

    if sock.connected:  # an upgrade from polling: the probe, then the upgrade packet
        sock.upgrading = True
        probe = wait()
        probe = probe and eio_packet.Packet(encoded_packet=probe)
        if not probe or probe.packet_type != eio_packet.PING or probe.data != "probe":
            return _upgrade_failed(sock, ws)
        ws.send(eio_packet.Packet(eio_packet.PONG, data="probe").encode())
        sock.queue.put(eio_packet.Packet(eio_packet.NOOP))  # ends the poll in flight
        data = wait()
        if data is None or eio_packet.Packet(encoded_packet=data).packet_type != eio_packet.UPGRADE:
            return _upgrade_failed(sock, ws)
        sock.upgraded, sock.upgrading = True, False
    else:
        sock.connected = sock.upgraded = True
    _go_direct(sock, ws)
    while True:
        try:
            data = wait()
        except Exception:
            break
        if data is None:  # closed, by the client or by us
            break
        try:
            sock.receive(eio_packet.Packet(encoded_packet=data))
        except eio_exceptions.UnknownPacketError:
            pass
        except eio_exceptions.SocketIsClosedError:
            break
        except Exception:
            sock.server.logger.exception("Unknown receive error")
            break
    sock.close(wait=False, abort=True, reason=sock.server.reason.TRANSPORT_CLOSE)
    ws.close()
    ws.ws.sock.close()  # the FrameWriter's: once what is pending is out
    return []


def _upgrade_failed(sock, ws):
    """The client stays on polling: this websocket and its writer are dropped."""
    sock.upgraded = sock.upgrading = False
    sock.frame_writer = None
    ws.close()
    ws.ws.sock.close()
    return []


def _go_direct(sock, ws):
    """From now on packets go straight out; what was queued before goes first (a None is a close asked for)."""
    sock.frame_ws = ws
    queued = []
    while sock.queue.qsize():
        queued.append(sock.queue.get(block=False))
        sock.queue.task_done()
    for pkt in queued:
        if pkt is None:
            ws.close()
            return
        with contextlib.suppress(OSError):
            ws.send(pkt.encode())


_stock_send = engineio.socket.Socket.send
_stock_close = engineio.socket.Socket.close


def _send(self, pkt):
    ws = self.__dict__.get("frame_ws")
    if ws is None:
        return _stock_send(self, pkt)
    if self.check_ping_timeout():
        with contextlib.suppress(OSError):  # the connection is gone: its handler's read ends and closes it
            ws.send(pkt.encode())
    return None


def _close(self, wait=True, abort=False, reason=None):
    """Stock close, where handing the CLOSE packet over is writing it: nothing waits in a queue."""
    ws = self.__dict__.get("frame_ws")
    if ws is None:
        return _stock_close(self, wait, abort, reason)
    if not self.closed and not self.closing:
        self.closing = True
        self.server._trigger_event("disconnect", self.sid, reason or self.server.reason.SERVER_DISCONNECT,
                                   run_async=False)
        if not abort:
            self.send(eio_packet.Packet(eio_packet.CLOSE))
        self.closed = True
        ws.close()  # ends the handler's read
    return None


class Pinger:
    """Engine.IO's pings for every socket of one server from one greenlet. Stock Engine.IO keeps a greenlet
    per socket asleep for the ping interval (~8 KB of stack each); here a socket waits in a heap instead."""

    def __init__(self, eio):
        self.eio = eio
        self.due = []
        self._order = itertools.count()
        self.running = False

    def schedule(self, sock):
        sock.last_ping = None  # as stock: no ping timeout runs until the next ping is out
        heapq.heappush(self.due, (time.monotonic() + self.eio.ping_interval, next(self._order), sock))
        if not self.running:
            self.running = True
            self.eio.start_background_task(self._run)

    def _run(self):
        try:
            while self.due:
                wait = self.due[0][0] - time.monotonic()
                if wait > 0:
                    self.eio.sleep(min(wait, 1.0))
                    continue
                sock = heapq.heappop(self.due)[2]
                if not sock.closing and not sock.closed:
                    sock.last_ping = time.time()
                    with contextlib.suppress(Exception):  # one broken socket must not stop everyone's pings
                        sock.send(eio_packet.Packet(eio_packet.PING))
        finally:
            self.running = False


_stock_schedule_ping = engineio.socket.Socket.schedule_ping


def _schedule_ping(self):
    pinger = getattr(self.server, "pinger", None)
    if pinger is None:
        return _stock_schedule_ping(self)
    if self.last_ping:  # as stock: only once the previous ping was answered
        pinger.schedule(self)
    return None


def install(server):
    """Send broadcasts of this Socket.IO server one frame for all (gevent only; other modes keep the stock path)."""
    eio = server.eio
    base = eio._async.get("websocket") if eio.async_mode == "gevent" else None
    if base is None or not issubclass(base, simple_websocket_wsgi()):
        return False
    eio._async = dict(eio._async, websocket=framed_websocket(base))
    eio.pinger = Pinger(eio)
    # for sockets this module serves; the stock methods for the others (polling, compressed, other servers)
    engineio.socket.Socket.schedule_ping = _schedule_ping
    engineio.socket.Socket.send = _send
    engineio.socket.Socket.close = _close
    stock = server._send_eio_packet

    def send_eio_packet(eio_sid, pkt):
        sock = eio.sockets.get(eio_sid)
        writer = getattr(sock, "frame_writer", None)
        if (writer is None or writer.broken or not sock.upgraded or sock.upgrading or sock.closing or sock.closed
                or sock.queue.qsize()):
            return stock(eio_sid, pkt)  # behind what is queued, or not a plain websocket
        if not sock.check_ping_timeout():
            return None
        data = pkt.__dict__.get("ws_frame")
        if data is None:
            data = pkt.ws_frame = frame(pkt.encode())  # once per broadcast: Manager.emit reuses the packet
        with contextlib.suppress(OSError):  # the connection is gone: its reader closes the session
            writer.send(data)
        return None

    server._send_eio_packet = send_eio_packet
    return True


def simple_websocket_wsgi():
    from engineio.async_drivers._websocket_wsgi import SimpleWebSocketWSGI
    return SimpleWebSocketWSGI
