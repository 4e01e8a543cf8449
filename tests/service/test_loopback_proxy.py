"""The loopback proxy the outage tests and the remote-database benchmark stand on."""

from __future__ import annotations

import socket
import socketserver
import threading
import time
from collections.abc import Iterator

import pytest

from tests.loopback_proxy import LoopbackProxy


class _Echo(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        while data := self.request.recv(65536):
            self.request.sendall(data)


@pytest.fixture
def echo_port() -> Iterator[int]:
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Echo)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()
    thread.join()


def _round_trip(port: int, payload: bytes = b"ping") -> tuple[bytes, float]:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
        started = time.monotonic()
        conn.sendall(payload)
        received = b""
        while len(received) < len(payload):
            received += conn.recv(65536)
        return received, time.monotonic() - started


def test_delay_applies_each_way(echo_port: int) -> None:
    with LoopbackProxy("127.0.0.1", echo_port, delay=0.05) as proxy:
        data, seconds = _round_trip(proxy.port)
    assert data == b"ping"
    assert seconds >= 0.1  # 50 ms there and 50 ms back; latency can only add to it


def test_cut_breaks_connections_and_restore_listens_on_the_same_port(echo_port: int) -> None:
    threads_before = set(threading.enumerate())
    with LoopbackProxy("127.0.0.1", echo_port) as proxy:
        port = proxy.port
        open_conn = socket.create_connection(("127.0.0.1", port), timeout=5)
        assert _round_trip(port)[0] == b"ping"

        proxy.cut()
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", port), timeout=5)
        open_conn.settimeout(5)
        try:
            assert open_conn.recv(1) == b""  # the broken connection ends
        except ConnectionResetError:
            pass
        open_conn.close()

        proxy.restore()
        assert proxy.port == port
        assert _round_trip(port)[0] == b"ping"
    # The proxy's own threads (named after their targets) are all joined on leaving.
    leaked = [
        t.name
        for t in threading.enumerate()
        if t not in threads_before and t.name.endswith(("(_accept)", "(_read)", "(_write)"))
    ]
    assert not leaked, leaked


def test_round_trips_count_each_request_answered(echo_port: int) -> None:
    with (
        LoopbackProxy("127.0.0.1", echo_port) as proxy,
        socket.create_connection(("127.0.0.1", proxy.port), timeout=5) as conn,
    ):
        for _ in range(3):
            conn.sendall(b"ping")
            received = b""
            while len(received) < 4:
                received += conn.recv(65536)
        assert proxy.round_trips == 3
        proxy.reset_count()
        assert proxy.round_trips == 0
