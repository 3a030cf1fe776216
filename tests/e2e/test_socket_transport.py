"""The page's socket tries WebSocket first (no sticky sessions needed) and, where a proxy refuses the
Upgrade, falls back to HTTP long-polling (socket.io-client's tryAllTransports): live updates still arrive."""
import contextlib
import socket
import threading
from types import SimpleNamespace

import pytest
from playwright.sync_api import expect

from tests.conftest import free_port
from tests.e2e.conftest import Actor
from tests.e2e.test_session_and_offline import issue_to

pytestmark = pytest.mark.e2e


class NoUpgradeProxy:
    """A TCP proxy in front of the server that answers 403 to every WebSocket handshake, as some office
    proxies do, and passes everything else through (browsers open each WebSocket on its own connection)."""

    def __init__(self, upstream_port):
        self.upstream = ("127.0.0.1", upstream_port)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.refused = 0
        self.listener = socket.create_server(("127.0.0.1", self.port))
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client):
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = client.recv(65536)
            if not chunk:
                client.close()
                return
            head += chunk
        if b"\r\nupgrade: websocket" in head.lower():
            self.refused += 1
            client.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            client.close()
            return
        upstream = socket.create_connection(self.upstream)
        upstream.sendall(head)
        threading.Thread(target=self._pipe, args=(upstream, client), daemon=True).start()
        self._pipe(client, upstream)

    @staticmethod
    def _pipe(source, target):
        with contextlib.suppress(OSError):
            while chunk := source.recv(65536):
                target.sendall(chunk)
        for s in (source, target):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)

    def close(self):
        self.listener.close()


def test_a_browser_whose_websocket_is_refused_falls_back_to_polling_and_gets_live_updates(browser, server):
    proxy = NoUpgradeProxy(server.port)
    officer = Actor(browser, SimpleNamespace(url=proxy.url), "xdt1")
    officer.allow(r"WebSocket connection to .* failed")
    polls = []
    officer.page.on("request", lambda r: polls.append(r.url) if "transport=polling" in r.url else None)
    try:
        officer.login()
        page = officer.page
        page.goto("/")
        officer.socket_connected()
        assert proxy.refused >= 1 and polls, (proxy.refused, polls)
        assignment = issue_to(server, "XDT", "Kiểm tra kết nối dự phòng qua long-polling")
        expect(page.locator(f"#assignment-{assignment}")).to_be_visible()  # live, no reload
        assert not officer.errors, officer.errors
    finally:
        officer.close()
        proxy.close()


def test_a_browser_uses_websocket_when_it_can(actors):
    officer = actors("xdt2", login=False)
    sockets = []
    officer.page.on("websocket", lambda ws: sockets.append(ws.url))
    officer.login()
    officer.page.goto("/")
    officer.socket_connected()
    assert any("/socket.io/" in url and "transport=websocket" in url for url in sockets), sockets
