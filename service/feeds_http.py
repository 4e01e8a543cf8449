"""``GET /calendar/<token>.ics``: the calendar feeds, on their own listen address
(``WHOSEONFIRST_FEEDS``), apart from ``/healthz``, which stays on loopback.

Every request runs in its own thread with its own short read-only unit of work, so a slow or
busy feed never holds up the daemon's ticks (they run in the scheduler's thread and take the
database's write lock; a reader takes none). Whatever is wrong with a request — an unknown, a
reset or a malformed token, another path — gets the same 404 with the same body, after the
same work: the token is always hashed and looked up. Responses carry an ETag (of the body,
which holds no time of writing) and a matching ``If-None-Match`` gets 304. Each client
address may make :data:`BURST` requests at once and :data:`PER_MINUTE` a minute after that
(429 with ``Retry-After`` beyond).
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from whoseonfirst_core.clock import Clock
from whoseonfirst_core.db.session import Database, read_revision
from whoseonfirst_core.usecases.feeds import calendar_ics, feed_window_bounds, member_for_token

_log = logging.getLogger(__name__)

#: Requests one client address may make at once, and how many a minute it regains.
BURST = 60
PER_MINUTE = 30
_PATH = re.compile(r"/calendar/(?P<token>[A-Za-z0-9_-]{1,128})\.ics")
_NOT_FOUND = b"not found\n"


class RateLimit:
    """A token bucket per client address (``monotonic`` seconds; a test passes its own)."""

    def __init__(
        self,
        burst: int = BURST,
        per_minute: int = PER_MINUTE,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.burst = burst
        self.rate = per_minute / 60.0
        self._monotonic = monotonic
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def allow(self, address: str) -> float | None:
        """None when ``address`` may make a request now, else the seconds until it may."""
        now = self._monotonic()
        with self._lock:
            if len(self._buckets) > 10_000:  # forget the addresses that are full again
                self._buckets = {
                    a: (level, at)
                    for a, (level, at) in self._buckets.items()
                    if level + (now - at) * self.rate < self.burst
                }
            level, at = self._buckets.get(address, (float(self.burst), now))
            level = min(float(self.burst), level + (now - at) * self.rate)
            if level < 1:
                self._buckets[address] = (level, now)
                return (1 - level) / self.rate
            self._buckets[address] = (level - 1, now)
            return None


@dataclass(frozen=True, slots=True)
class Feed:
    body: bytes
    etag: str


class FeedMaker:
    """Makes the feed a token opens, in its own short read-only unit of work.

    A feed changes only when the database does (its revision, bumped by every edit) or when
    its window moves on (at the team's midnight), so each made feed is kept under those two
    and a request for an unchanged one costs three small reads. One feed is made at a time:
    fifty requests for feeds not made yet hold one feed's objects in memory, not fifty.
    """

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock
        self._made: dict[int | None, tuple[tuple[int, datetime], Feed]] = {}
        self._making = threading.Lock()

    def __call__(self, token: str | None) -> Feed | None:
        """The feed ``token`` opens, or None (a wrong, reset or missing token). Never writes."""
        with self.db.reader() as uow:
            owner = member_for_token(uow, token or "")
            if owner is None or token is None:
                return None
            now = self.clock.now()
            key = (read_revision(uow.session), feed_window_bounds(uow, now)[0])
            made = self._made.get(owner.member_id)
            if made is not None and made[0] == key:
                return made[1]
            with self._making:
                made = self._made.get(owner.member_id)
                if made is not None and made[0] == key:
                    return made[1]
                body = calendar_ics(uow, now, owner.member_id)
                feed = Feed(body, '"' + hashlib.sha256(body).hexdigest()[:32] + '"')
                self._made[owner.member_id] = (key, feed)
                return feed


class _Handler(BaseHTTPRequestHandler):
    server: _FeedServer

    def do_GET(self) -> None:
        wait = self.server.limit.allow(self.client_address[0])
        if wait is not None:
            self._send(429, b"too many requests\n", {"Retry-After": str(int(wait) + 1)})
            return
        match = _PATH.fullmatch(self.path.split("?", 1)[0])
        try:
            feed = self.server.feed(match["token"] if match else None)
        except Exception:  # noqa: BLE001 - a feed that fails is a 503, logged, never a hang
            _log.exception("calendar feed failed")
            self._send(503, b"the calendar is not available right now\n", {})
            return
        if feed is None:
            self._send(404, _NOT_FOUND, {})
            return
        etag = feed.etag
        headers = {"ETag": etag, "Cache-Control": "private, max-age=300"}
        # A proxy that compresses may have weakened the tag (W/"…"): it still names this body.
        wanted = {
            t.strip().removeprefix("W/") for t in self.headers.get("If-None-Match", "").split(",")
        }
        if etag in wanted or "*" in wanted:
            self._send(304, b"", headers)
            return
        headers["Content-Type"] = "text/calendar; charset=utf-8"
        headers["Content-Disposition"] = 'inline; filename="on-call.ics"'
        self._send(200, feed.body, headers)

    def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        if status != 304:
            headers.setdefault("Content-Type", "text/plain; charset=utf-8")
            headers["Content-Length"] = str(len(body))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        if status != 304:
            self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        # The path holds the secret token: log the status only.
        _log.debug("feed request from %s: %s", self.client_address[0], args[1] if args else "")


class _FeedServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 64

    def __init__(
        self, bind: tuple[str, int], feed: Callable[[str | None], Feed | None], limit: RateLimit
    ) -> None:
        super().__init__(bind, _Handler)
        self.feed = feed
        self.limit = limit


class FeedServer:
    """Serves the calendar feeds from a thread per request until :meth:`stop`."""

    def __init__(
        self,
        bind: tuple[str, int],
        db: Database,
        clock: Clock,
        *,
        limit: RateLimit | None = None,
    ) -> None:
        self._server = _FeedServer(bind, FeedMaker(db, clock), limit or RateLimit())
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{int(port)}"

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.2},
            name="whoseonfirst-feeds",
            daemon=True,
        )
        self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join()
            self._thread = None
        self._server.server_close()
