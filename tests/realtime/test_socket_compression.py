"""Websocket frames are not compressed per recipient unless SOCKET_COMPRESSION asks for it (issue 17): the
server takes the browser's permessage-deflate offer out of the handshake, as Node's socket.io does."""
import base64
import os
import socket

import pytest

from tests.conftest import LiveServer


def _handshake_response(server):
    key = base64.b64encode(os.urandom(16)).decode()
    request = (f"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
               f"Origin: {server.url}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
               "Sec-WebSocket-Version: 13\r\n"
               "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n")
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(request.encode())
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(4096)
            if not chunk:
                break
            data += chunk
    head = data.split(b"\r\n\r\n", 1)[0].decode("latin-1").lower()
    assert head.startswith("http/1.1 101"), head
    return head


@pytest.mark.parametrize("setting, compressed", [(None, False), ("1", True)])
def test_the_deflate_offer_is_declined_unless_asked_for(tmp_path, setting, compressed):
    server = LiveServer(tmp_path, env={"SOCKET_COMPRESSION": setting} if setting else None)
    server.start()
    try:
        head = _handshake_response(server)
    finally:
        server.stop()
    assert ("permessage-deflate" in head) is compressed, head
