"""``GET /healthz`` and ``GET /metrics`` on a small stdlib HTTP server (SPEC §5).

``/healthz`` runs real checks on every request — ``SELECT 1`` on the database, the age of the
last successful tick, whether the newest tick failed (``last_error``; a tick whose writes the
database refused also marks ``checks.database`` not ok), the SMS backend, pending and problem
counts, and whether texts are going out (``checks.sms``: ``{"ok": false, "reason": "…"}``
from the first tick that saw Twilio refuse the credentials, the last sends all fail for good,
or nothing go out while texts are overdue; the rule is
:func:`whoseonfirst_core.domain.service_state.sms_health`) — and answers 200 when the service
can do its job, 503 when it cannot (JSON either way). ``/metrics`` is Prometheus text from the
service's own registry (no global state).
"""

from __future__ import annotations

import json
import logging
import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from whoseonfirst_core.clock import Clock
from whoseonfirst_core.db.errors import first_line
from whoseonfirst_core.db.session import Database
from whoseonfirst_core.domain.masking import mask_phones
from whoseonfirst_core.domain.service_state import ALIVE_WITHIN, is_alive
from whoseonfirst_core.usecases import outbox

from .delivery import TickSummary

_log = logging.getLogger(__name__)

#: TickSummary counters exported as ``whoseonfirst_texts_total{outcome=…}``.
TEXT_OUTCOMES = (
    "queued",
    "missed",
    "expired",
    "sent",
    "simulated",
    "reconciled",
    "retried",
    "failed",
    "delivered",
    "undelivered",
    "alerts",
)


class ServiceMetrics:
    """The Prometheus metrics of one service process, in a private registry."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.ticks = Counter(
            "whoseonfirst_ticks", "Ticks run, by result (ok or error)", ["result"], registry=r
        )
        self.texts = Counter(
            "whoseonfirst_texts",
            "Texts by what happened to them in a tick",
            ["outcome"],
            registry=r,
        )
        self.last_tick = Gauge(
            "whoseonfirst_last_tick_timestamp_seconds",
            "Unix time of the last successful tick",
            registry=r,
        )
        self.next_due = Gauge(
            "whoseonfirst_next_due_timestamp_seconds",
            "Unix time the next text is due (0: none scheduled)",
            registry=r,
        )
        self.pending = Gauge("whoseonfirst_pending_texts", "Texts queued or being sent", registry=r)
        self.problems = Gauge(
            "whoseonfirst_problem_texts",
            "Failed, undelivered, missed or expired texts due in the last 24 hours",
            registry=r,
        )
        self.database_up = Gauge(
            "whoseonfirst_database_up", "1 when the last database check succeeded", registry=r
        )
        self.sms_up = Gauge(
            "whoseonfirst_sms_up",
            "1 when the last tick found texts going out (0: credentials refused, the last sends "
            "all failed permanently, or nothing sent while texts are overdue)",
            registry=r,
        )
        for result in ("ok", "error"):
            self.ticks.labels(result)
        for outcome in TEXT_OUTCOMES:
            self.texts.labels(outcome)

    def record_tick(self, summary: TickSummary) -> None:
        self.ticks.labels("ok").inc()
        self.last_tick.set(summary.started_at.timestamp())
        self.next_due.set(summary.next_due_at.timestamp() if summary.next_due_at else 0)
        self.sms_up.set(0 if summary.sms_problem else 1)
        counts = summary.counts()
        for outcome in TEXT_OUTCOMES:
            if counts.get(outcome):
                self.texts.labels(outcome).inc(counts[outcome])

    def record_failure(self) -> None:
        self.ticks.labels("error").inc()

    def render(self) -> bytes:
        return bytes(generate_latest(self.registry))


@dataclass
class HealthState:
    """What the daemon knows about its own progress (shared with the HTTP thread).

    Instants are UTC from the service clock.
    """

    backend_name: str
    last_ok_tick_at: datetime | None = None
    last_error: str | None = None
    database_ok: bool | None = None
    #: Why texts are not going out, as the last completed tick saw it (None: they are).
    sms_problem: str | None = None
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def tick_ok(self, at: datetime, *, sms_problem: str | None = None) -> None:
        with self.lock:
            self.last_ok_tick_at = at
            self.last_error = None
            self.database_ok = True
            self.sms_problem = sms_problem

    def tick_failed(self, error: str, *, database: bool) -> None:
        with self.lock:
            self.last_error = error
            if database:
                self.database_ok = False


def check_health(
    db: Database, state: HealthState, clock: Clock, metrics: ServiceMetrics | None = None
) -> tuple[int, dict[str, Any]]:
    """Run the checks; returns (HTTP status, JSON body). Never raises."""
    now = clock.now()
    checks: dict[str, Any] = {}
    healthy = True
    try:
        counts = db.read(lambda uow: outbox.outbox_counts(uow.session, now))
        checks["database"] = {"ok": True}
        checks["pending"] = counts.pending
        checks["problems_24h"] = counts.problems
        if metrics is not None:
            metrics.database_up.set(1)
            metrics.pending.set(counts.pending)
            metrics.problems.set(counts.problems)
    except Exception as exc:  # noqa: BLE001 - any failure to reach the database is "unhealthy"
        healthy = False
        checks["database"] = {"ok": False, "error": _one_line(exc)}
        if metrics is not None:
            metrics.database_up.set(0)
    with state.lock:
        last_ok, last_error, sms_problem, database_ok = (
            state.last_ok_tick_at,
            state.last_error,
            state.sms_problem,
            state.database_ok,
        )
    if database_ok is False and checks["database"]["ok"]:
        # Reads work but the last tick's writes did not (a full disk, a read-only file).
        checks["database"] = {"ok": False, "error": last_error}
    age = (now - last_ok).total_seconds() if last_ok is not None else None
    tick_ok = is_alive(last_ok, now)
    healthy = healthy and tick_ok
    checks["last_tick"] = {
        "ok": tick_ok,
        "at": last_ok.isoformat() if last_ok else None,
        "age_seconds": round(age, 1) if age is not None else None,
        "max_age_seconds": ALIVE_WITHIN.total_seconds(),
    }
    if last_error:
        # The newest tick failed: the service is not doing its job now, whatever the age of
        # the last good tick says.
        checks["last_error"] = last_error
        healthy = False
    checks["sms_backend"] = state.backend_name
    checks["sms"] = {"ok": sms_problem is None, "reason": sms_problem}
    healthy = healthy and sms_problem is None
    body = {"status": "ok" if healthy else "unhealthy", "checks": checks}
    return (200 if healthy else 503), body


def health_url(bind: tuple[str, int]) -> str:
    """Where a process on this host reaches the endpoint bound to ``bind`` (a wildcard bind
    answers on loopback)."""
    host, port = bind
    host = {"0.0.0.0": "127.0.0.1", "": "127.0.0.1", "::": "::1"}.get(host, host)
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def fetch_health(url: str, timeout: float = 3.0) -> tuple[int, dict[str, Any]] | None:
    """``GET {url}/healthz``: its status and JSON body; None when nothing answers there."""
    try:
        with urllib.request.urlopen(url + "/healthz", timeout=timeout) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        with error:
            try:
                return error.code, json.loads(error.read())
            except ValueError:
                return error.code, {}
    except (OSError, ValueError):
        return None


def unhealthy_reasons(body: dict[str, Any]) -> str:
    """Why a ``/healthz`` body (from :func:`check_health`) is unhealthy, in one line."""
    checks = body.get("checks") or {}
    reasons: list[str] = []
    database = checks.get("database") or {}
    if database.get("ok") is False and database.get("error") != checks.get("last_error"):
        reasons.append(f"database: {database.get('error')}")
    if checks.get("last_error"):
        reasons.append(f"the last tick failed: {checks['last_error']}")
    last_tick = checks.get("last_tick") or {}
    if last_tick.get("ok") is False and not checks.get("last_error"):
        age = last_tick.get("age_seconds")
        reasons.append("no tick yet" if age is None else f"no tick for {age:g} s")
    sms = checks.get("sms") or {}
    if sms.get("ok") is False:
        reasons.append(str(sms.get("reason")))
    return "; ".join(reasons) or "unhealthy"


def _one_line(exc: BaseException) -> str:
    """A short, masked description of a database error (no SQL, no parameters)."""
    orig = getattr(exc, "orig", None)
    return mask_phones(f"{type(orig or exc).__name__}: {first_line(exc)}"[:300])


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path == "/healthz":
            status, body = self.server.health()
            self._send(status, json.dumps(body).encode(), "application/json")
        elif path == "/metrics":
            self._send(200, self.server.metrics(), CONTENT_TYPE_LATEST)
        else:
            self._send(404, b'{"error": "not found; try /healthz or /metrics"}', "application/json")

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        _log.debug("http %s", format % args)


#: ``/healthz``'s answer: the HTTP status and the JSON body.
HealthCheck = Callable[[], tuple[int, dict[str, Any]]]
#: ``/metrics``'s answer: the Prometheus text.
MetricsText = Callable[[], bytes]


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, bind: tuple[str, int], health: HealthCheck, metrics: MetricsText) -> None:
        super().__init__(bind, _Handler)
        self.health = health
        self.metrics = metrics


class HealthServer:
    """Serves /healthz and /metrics from a daemon thread until :meth:`stop`."""

    def __init__(self, bind: tuple[str, int], health: HealthCheck, metrics: MetricsText) -> None:
        self._server = _Server(bind, health, metrics)
        self._thread: threading.Thread | None = None

    @property
    def address(self) -> tuple[str, int]:
        host, port = self._server.server_address[:2]
        return str(host), int(port)

    @property
    def url(self) -> str:
        host, port = self.address
        return f"http://{host}:{port}"

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.2},
            name="whoseonfirst-http",
            daemon=True,
        )
        self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join()
            self._thread = None
        self._server.server_close()
