"""A loopback TCP proxy for tests and benchmarks: a database far away, or one that goes away.

- ``delay``: every chunk leaves no earlier than ``delay`` seconds after it arrived, in each
  direction. Latency, not a bandwidth cap: a 20 ms proxy turns one round trip into ≥ 40 ms however
  many bytes flow, and pipelined traffic stays pipelined.
- ``round_trips``: how many times a client spoke after the server had answered it (or first on
  a connection), summed over every connection since the last ``reset_count()``. A request and
  its answer are one; statements pipelined before the first answer arrives are one too. This is
  what a link's latency multiplies, counted on the wire rather than estimated from statements.
- ``cut()`` stops listening and breaks every open connection (clients see resets, then refused
  connections); ``restore()`` listens again on the same port. A database outage without
  stopping the database server.

Each direction of each connection has a reader thread (stamps every chunk with the instant it may
leave) and a writer thread (sends it no earlier than that). ``close()`` (or leaving the ``with``
block) joins every thread it started.

    with LoopbackProxy("127.0.0.1", pg_port, delay=0.020) as proxy:
        url = f"postgresql+psycopg://postgres@127.0.0.1:{proxy.port}/db"
"""

from __future__ import annotations

import queue
import socket
import threading
import time
from collections.abc import Callable
from types import TracebackType

_Chunks = queue.Queue[tuple[float, bytes]]


class _Turn:
    """Which side of one proxied connection sent the latest bytes."""

    client_spoke_last = False


class LoopbackProxy:
    def __init__(self, target_host: str, target_port: int, *, delay: float = 0.0) -> None:
        self.target = (target_host, target_port)
        self.delay = delay
        self.port = 0
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None
        self._accepting = threading.Event()
        self._threads: list[threading.Thread] = []
        self._sockets: list[socket.socket] = []
        self._round_trips = 0

    @property
    def round_trips(self) -> int:
        with self._lock:
            return self._round_trips

    def reset_count(self) -> None:
        with self._lock:
            self._round_trips = 0

    def __enter__(self) -> LoopbackProxy:
        self.restore()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def restore(self) -> None:
        """Listen (the first time on a free port, later on the same one) and forward."""
        if self._listener is not None:
            return
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(32)
        listener.settimeout(0.05)
        self.port = listener.getsockname()[1]
        self._listener = listener
        self._accepting.set()
        self._spawn(self._accept, listener)

    start = restore

    def cut(self) -> None:
        """Refuse new connections and break every open one."""
        self._accepting.clear()
        with self._lock:
            sockets, self._sockets = self._sockets, []
            threads, self._threads = self._threads, []
        for s in sockets:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()
        for thread in threads:
            thread.join(timeout=5)
        if self._listener is not None:
            self._listener.close()
            self._listener = None

    close = cut

    # -- internals ---------------------------------------------------------------------------

    def _spawn(self, target: Callable[..., None], *args: object) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        with self._lock:
            self._threads.append(thread)
        thread.start()

    def _accept(self, listener: socket.socket) -> None:
        while self._accepting.is_set():
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            for s in (client, upstream):
                s.settimeout(None)
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self._lock:
                if not self._accepting.is_set():  # cut while connecting
                    client.close()
                    upstream.close()
                    return
                self._sockets += [client, upstream]
            turn = _Turn()
            for src, dst, asks in ((client, upstream, True), (upstream, client, False)):
                chunks: _Chunks = queue.Queue()
                self._spawn(self._read, src, chunks, turn, asks)
                self._spawn(self._write, dst, chunks)

    def _read(self, src: socket.socket, chunks: _Chunks, turn: _Turn, asks: bool) -> None:
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                with self._lock:
                    if asks and not turn.client_spoke_last:
                        self._round_trips += 1
                    turn.client_spoke_last = asks
                chunks.put((time.monotonic() + self.delay, data))
        except OSError:
            pass
        chunks.put((time.monotonic() + self.delay, b""))  # end of stream, delayed too

    def _write(self, dst: socket.socket, chunks: _Chunks) -> None:
        try:
            while True:
                due, data = chunks.get()
                wait = due - time.monotonic()
                if wait > 0:
                    time.sleep(wait)
                if not data:
                    dst.shutdown(socket.SHUT_WR)
                    return
                dst.sendall(data)
        except OSError:
            return
