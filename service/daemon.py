"""``whoseonfirst-service run``: the scheduler loop around the engine (SPEC §5).

- APScheduler 3 ``BackgroundScheduler`` with one worker thread: an interval job ticks every
  30 s, and a date job wakes the engine at the exact next due instant (re-planned after every
  tick). Both jobs: ``coalesce=True``, ``max_instances=1`` and an explicit
  ``misfire_grace_time``. No persistent job store: the database is the schedule.
- A tick that fails (database unreachable, a full disk or read-only file, a bug) is logged,
  /healthz turns 503 from that first failed tick until one succeeds, and the loop keeps going;
  the next tick catches up because due work is computed from the database. While the database
  is unreachable (or refuses writes) the daemon retries every ``DATABASE_RETRY`` (5 s).
- Changes made elsewhere (a test text queued in the app, an override that starts now) are
  noticed within about a second: the main loop reads the database revision every
  ``REVISION_WATCH`` and asks for a tick at once when it moved, so nobody waits for the next
  30 s tick. The tick itself still decides what is due, from the database.
- SIGTERM / SIGINT: the engine finishes the text it is sending, the tick ends early, the
  scheduler shuts down, and ``run`` returns 0. The signal handler takes no lock (it runs in the
  main thread, between any two of its instructions, so a lock that thread holds — the stop
  event's, logging's, the scheduler's — would never be released): it notes the signal and
  writes a byte to a wake-up socket; the main loop, waiting on that socket, logs the signal and
  does the shutdown. Once the shutdown has begun no tick adds a scheduler job (APScheduler's
  ``shutdown(wait=True)`` waits for the running tick while holding the lock ``add_job`` needs).
- Steps of the wall clock (:mod:`.clock_steps`): APScheduler dates its jobs on the wall clock,
  so after a step back the interval job would wait hours and after a step forward it would
  misfire. The main loop watches the wall clock against a monotonic one every second; on a step
  it re-dates the interval job from now, drops the wake-ups dated on the old clock and ticks at
  once. As a net under that, a loop that sees no tick start for ``STALLED_AFTER`` of monotonic
  time (whatever the reason) does the same.
- Under systemd (``NOTIFY_SOCKET``): ``READY=1`` once serving, ``WATCHDOG=1`` while the loop is
  alive (``WATCHDOG_USEC``), ``STOPPING=1`` on the way out.
"""

from __future__ import annotations

import logging
import os
import selectors
import signal
import socket
import threading
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from types import FrameType
from typing import TYPE_CHECKING, Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from whoseonfirst_core.clock import Clock, SystemClock
from whoseonfirst_core.db.errors import describe_database_error, first_line, permission_denied
from whoseonfirst_core.db.session import read_revision
from whoseonfirst_core.domain.masking import mask_phones

from .clock_steps import ClockStep, ClockWatch
from .delivery import TickSummary
from .engine import Engine
from .http import HealthServer, HealthState, ServiceMetrics, check_health

if TYPE_CHECKING:
    from .feeds_http import FeedServer, RateLimit

_log = logging.getLogger(__name__)

TICK_INTERVAL = timedelta(seconds=30)
#: A late interval run still happens within this many seconds (else the next one does it).
INTERVAL_MISFIRE_GRACE = 25
#: A late exact-instant wake-up still runs within this many seconds.
DUE_MISFIRE_GRACE = 300
#: Without WATCHDOG_USEC the main loop still wakes this often to check on itself.
DEFAULT_LOOP_WAKE = timedelta(seconds=10)
#: A tick running longer than this counts as hung: the watchdog pings stop, systemd restarts us.
HUNG_TICK_AFTER = timedelta(minutes=10)
#: After a tick failed because the database was unreachable, the next try comes this soon
#: rather than a whole interval later, so texts that fell due during an outage go out within
#: seconds of the database's return (not up to 30 s after it).
DATABASE_RETRY = timedelta(seconds=5)
#: Ticks in a row that ``run_tick`` makes while instants keep coming due during a tick.
CATCH_UP_TICKS = 3
#: How often the main loop checks the database revision for changes made elsewhere.
REVISION_WATCH = timedelta(seconds=1)
#: No tick started for this long (monotonic time): the loop re-plans its wake-ups.
STALLED_AFTER = 2 * TICK_INTERVAL + timedelta(seconds=INTERVAL_MISFIRE_GRACE)
#: Wake-ups dated on the wall clock before a step: dropped on a step (the tick that follows
#: plans them again); ``tick-due`` is an absolute instant and stays right.
_RELATIVE_JOBS = ("tick-retry", "tick-changed")


def _is_outage(exc: BaseException) -> bool:
    """Whether ``exc`` means "the database cannot be reached" (retry later) rather than a bug
    (an integrity or SQL error, which is logged with its traceback)."""
    if isinstance(exc, OperationalError | InterfaceError):
        return True
    return isinstance(exc, DBAPIError) and bool(exc.connection_invalidated)


#: SQLite's words for a database it can read but not write (a full disk, a read-only file, a
#: failing disk): the tick fails although ``SELECT 1`` still works.
_WRITES_REFUSED = ("disk is full", "readonly database", "disk i/o error")


def _outage_kind(exc: BaseException) -> str:
    """How a tick's database failure is reported: writes refused, or not reachable."""
    line = first_line(exc).lower()
    if any(words in line for words in _WRITES_REFUSED):
        return "database refuses writes"
    return "database unreachable"


class SystemdNotifier:
    """``sd_notify`` over the ``NOTIFY_SOCKET`` datagram socket; silent without one."""

    def __init__(self, address: str | None, watchdog: timedelta | None = None) -> None:
        self.address = address
        self.watchdog = watchdog

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> SystemdNotifier:
        env = os.environ if environ is None else environ
        watchdog: timedelta | None = None
        usec = env.get("WATCHDOG_USEC", "")
        pid = env.get("WATCHDOG_PID", "")
        if usec.isdigit() and int(usec) > 0 and (not pid or pid == str(os.getpid())):
            watchdog = timedelta(microseconds=int(usec))
        return cls(env.get("NOTIFY_SOCKET") or None, watchdog)

    def notify(self, *states: str) -> bool:
        """Send ``READY=1``-style lines; True when a socket took them."""
        if not self.address:
            return False
        address = "\0" + self.address[1:] if self.address.startswith("@") else self.address
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
                sock.connect(address)
                sock.sendall("\n".join(states).encode())
        except OSError as exc:
            _log.warning("could not notify systemd (%s)", exc.strerror or type(exc).__name__)
            return False
        return True


class Daemon:
    """The long-running service: scheduler, health endpoint, signals, systemd.

    ``run_tick`` is one guarded tick (what the scheduler jobs call); tests drive it directly.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        clock: Clock,
        http_bind: tuple[str, int] | None = None,
        feeds_bind: tuple[str, int] | None = None,
        feeds_limit: RateLimit | None = None,
        notifier: SystemdNotifier | None = None,
        metrics: ServiceMetrics | None = None,
        interval: timedelta = TICK_INTERVAL,
        wall: Clock | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.engine = engine
        self.clock = clock
        #: The clock the scheduler dates its jobs on (the system's; a drill's offset clock).
        self.wall = wall or SystemClock()
        self._monotonic = monotonic
        self._wall_watch = ClockWatch(self.wall, monotonic)
        self.interval = interval
        self.metrics = metrics or ServiceMetrics()
        self.state = HealthState(backend_name=engine.backend.name)
        self.notifier = notifier or SystemdNotifier(None)
        self._http_bind = http_bind
        self.http: HealthServer | None = None
        self._feeds_bind = feeds_bind
        self._feeds_limit = feeds_limit
        self.feeds: FeedServer | None = None  # imported when on: icalendar costs 3.5 MB
        self.scheduler: BackgroundScheduler | None = None
        self._stop = threading.Event()
        #: The signal the handler noted (set in the handler, read by the main loop).
        self._signalled: int | None = None
        #: Wakes the main loop's wait: written by the signal handler and by ``request_stop``.
        self._wake_send: socket.socket | None = None
        self._wake_lock = threading.Lock()  # request_stop from another thread vs closing
        #: Held while a job is added to the scheduler, and by ``shutdown`` while it sets the
        #: stop: APScheduler's ``shutdown(wait=True)`` holds the scheduler's job-store lock while
        #: it waits for the running tick, so a tick that planned its next wake-up then
        #: (``add_job`` needs that lock) would wait for the shutdown that waits for it.
        self._schedule_lock = threading.Lock()
        self._tick_lock = threading.Lock()
        self._tick_started: float | None = None  # time.monotonic() of the running tick
        self._last_tick_began: float | None = None  # monotonic, of the latest tick's start
        #: The database revision when the last tick started; None until known.
        self._seen_revision: int | None = None

    # -- one guarded tick --------------------------------------------------------------------

    def run_tick(self) -> TickSummary | None:
        """Tick, and tick again at once while an instant came due during the tick (at most
        ``CATCH_UP_TICKS`` in all); never raises. Records health and metrics, re-plans the exact
        wake-up. Returns the last tick's summary (None when it failed or another ran)."""
        summary = self._tick_once()
        for _ in range(CATCH_UP_TICKS - 1):
            if (
                summary is None
                or summary.stopped_early
                or summary.next_due_at is None
                or summary.next_due_at > self.clock.now()
                or self._stop.is_set()
            ):
                break
            _log.debug("an instant came due during the tick; ticking again at once")
            summary = self._tick_once()
        if summary is not None and not summary.stopped_early:
            self._plan_wakeup(_wake_at(summary))
        return summary

    def _tick_once(self) -> TickSummary | None:
        if not self._tick_lock.acquire(blocking=False):
            return None  # the other job is ticking right now; it does the same work
        self._tick_started = self._last_tick_began = self._monotonic()
        try:
            # Before the tick reads anything: a change committed from here on moves the revision
            # past this value, so the watch asks for another tick.
            self._seen_revision = self._read_revision()
            summary = self.engine.tick()
        except Exception as exc:  # noqa: BLE001 - keep the loop alive whatever happened
            self._tick_failed(exc, database=_is_outage(exc))
            return None
        finally:
            self._tick_started = None
            self._tick_lock.release()
        if not summary.stopped_early:
            self.engine.last_error = None
            self.state.tick_ok(summary.started_at, sms_problem=summary.sms_problem)
            self.metrics.record_tick(summary)
        return summary

    def _tick_failed(self, exc: BaseException, *, database: bool) -> None:
        self.metrics.record_failure()
        if database:
            message = f"{_outage_kind(exc)}: {first_line(exc)}"
            self.metrics.database_up.set(0)
            _log.error(
                "%s; will retry on the next tick",
                mask_phones(message),
                extra={"event": "tick_failed", "database": True},
            )
        elif permission_denied(exc) is not None:
            # The role lacks a grant: the operator's to fix, not a bug; no traceback.
            message = f"tick failed: {describe_database_error(exc)}"
            _log.error(
                "%s; will retry on the next tick",
                mask_phones(message),
                extra={"event": "tick_failed", "database": True},
            )
        else:
            message = f"tick failed: {type(exc).__name__}"
            _log.exception(
                "tick failed unexpectedly (this is a bug); will retry on the next tick",
                extra={"event": "tick_failed", "database": False},
            )
        self.state.tick_failed(message, database=database)
        self.engine.last_error = message
        if database:
            self._plan_retry()

    def _schedule_tick(self, job_id: str, name: str, run_date: datetime, grace: int) -> bool:
        """One tick at ``run_date`` (wall clock, UTC), replacing the job ``job_id`` planned
        earlier; False when no scheduler runs (tests, shutting down)."""
        with self._schedule_lock:
            scheduler = self.scheduler
            if scheduler is None or not scheduler.running or self._stop.is_set():
                return False
            scheduler.add_job(
                self.run_tick,
                DateTrigger(run_date=run_date),
                id=job_id,
                name=name,
                replace_existing=True,
                coalesce=True,
                max_instances=1,
                misfire_grace_time=grace,
            )
        return True

    def _plan_retry(self) -> None:
        """Tick again ``DATABASE_RETRY`` from now (wall clock, like the scheduler itself)."""
        self._schedule_tick(
            "tick-retry",
            "retry after a database outage",
            self.wall.now() + DATABASE_RETRY,
            INTERVAL_MISFIRE_GRACE,
        )

    def _read_revision(self) -> int:
        return self.engine.db.read(lambda uow: read_revision(uow.session))

    def watch_revision(self) -> bool:
        """Ask for a tick now if the database changed since the last tick started (called by
        the main loop every ``REVISION_WATCH``); True when a tick was asked for."""
        scheduler = self.scheduler
        if (
            scheduler is None
            or not scheduler.running
            or self._stop.is_set()
            or self._tick_lock.locked()
        ):
            return False  # a running tick re-reads the revision when it starts the next one
        try:
            revision = self._read_revision()
        except Exception:  # noqa: BLE001 - an outage is reported by the ticks themselves
            return False
        if self._seen_revision is None:
            self._seen_revision = revision
            return False
        if revision == self._seen_revision:
            return False
        self._seen_revision = revision
        return self._schedule_tick(
            "tick-changed",
            "tick after a change made elsewhere",
            self.wall.now(),
            DUE_MISFIRE_GRACE,
        )

    def _plan_wakeup(self, next_due: datetime | None) -> None:
        """(Re)schedule the exact-instant job for ``next_due`` (UTC), if a scheduler runs.

        An instant that already passed (it came due while the tick ran) means: tick again at
        once, not at the next interval tick, which could be up to 30 s late.
        """
        if next_due is None:
            return
        # The scheduler runs on the wall clock; the engine's clock may be a drill's.
        run_date = next_due.astimezone(UTC) if next_due > self.clock.now() else self.wall.now()
        if self._schedule_tick(
            "tick-due", "tick at the next due instant", run_date, DUE_MISFIRE_GRACE
        ):
            _log.debug("next wake-up at %s", next_due.isoformat())

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> None:
        """Start the HTTP endpoint and the scheduler."""
        self.start_http()
        self.start_scheduler()

    def start_http(self) -> None:
        """Serve /healthz and /metrics, and the calendar feeds (each when its bind address
        was given)."""
        if self._http_bind is not None and self.http is None:
            self.http = HealthServer(self._http_bind, self.health, self.metrics.render)
            self.http.start()
            _log.info("serving /healthz and /metrics on %s", self.http.url)
        if self._feeds_bind is not None and self.feeds is None:
            from .feeds_http import FeedServer

            self.feeds = FeedServer(
                self._feeds_bind, self.engine.db, self.clock, limit=self._feeds_limit
            )
            self.feeds.start()
            _log.info("serving the calendar feeds on %s", self.feeds.url)

    def start_scheduler(self, *, tick_now: bool = True) -> None:
        """Start ticking every ``interval`` (the first tick at once unless ``tick_now`` is
        False) and at exact due instants."""
        self.scheduler = BackgroundScheduler(
            timezone=UTC,
            executors={"default": ThreadPoolExecutor(max_workers=1)},
            job_defaults={"coalesce": True, "max_instances": 1},
        )
        # next_run_time=None would add the job paused; leave it out to start after one interval.
        first_run: dict[str, Any] = {"next_run_time": self.wall.now()} if tick_now else {}
        self.scheduler.add_job(
            self.run_tick,
            IntervalTrigger(seconds=self.interval.total_seconds(), timezone=UTC),
            id="tick-interval",
            name="tick every 30 s",
            coalesce=True,
            max_instances=1,
            misfire_grace_time=INTERVAL_MISFIRE_GRACE,
            **first_run,
        )
        self.scheduler.start()
        self._wall_watch.observe()  # the reference the main loop compares with
        self._last_tick_began = self._monotonic()

    def watch_clock(self) -> ClockStep | None:
        """Re-plan the scheduler's wake-ups and tick at once if the wall clock stepped since
        the last call, or if no tick started for ``STALLED_AFTER`` (called by the main loop
        every ``REVISION_WATCH``); returns the step seen, if any."""
        step = self._wall_watch.observe()
        began = self._last_tick_began
        stalled = (
            step is None
            and began is not None
            and not self._tick_lock.locked()
            and self._monotonic() - began > STALLED_AFTER.total_seconds()
        )
        if step is None and not stalled:
            return None
        reason = step.describe() if step is not None else "no tick started for too long"
        if self._replan(reason):
            self._last_tick_began = self._monotonic()  # one re-plan per stall, not one a second
            _log.warning(
                "%s: re-planned the scheduler's wake-ups, ticking now",
                reason,
                extra={"event": "replanned"},
            )
        return step

    def _replan(self, reason: str) -> bool:
        """Date the interval job from now, drop the wake-ups dated on the old wall clock and
        tick now; False when no scheduler runs."""
        with self._schedule_lock:
            scheduler = self.scheduler
            if scheduler is None or not scheduler.running or self._stop.is_set():
                return False
            for job_id in _RELATIVE_JOBS:
                try:
                    scheduler.remove_job(job_id)
                except JobLookupError:
                    pass
            scheduler.reschedule_job(
                "tick-interval",
                trigger=IntervalTrigger(
                    seconds=self.interval.total_seconds(),
                    start_date=self.wall.now() + self.interval,
                    timezone=UTC,
                ),
            )
        return self._schedule_tick(
            "tick-replanned", f"tick after {reason}", self.wall.now(), DUE_MISFIRE_GRACE
        )

    def health(self) -> tuple[int, dict[str, Any]]:
        return check_health(self.engine.db, self.state, self.clock, self.metrics)

    def request_stop(self) -> None:
        """Ask the loop to end: the current send finishes, then ``run`` returns. Not for a
        signal handler (it takes locks); the handler wakes the loop, which calls this."""
        self.engine.request_stop()
        self._stop.set()
        with self._wake_lock:
            _wake(self._wake_send)

    def run(self, *, install_signals: bool = True) -> int:
        """Serve until SIGTERM/SIGINT (or :meth:`request_stop`); returns the exit status 0."""
        wake_recv, self._wake_send = socket.socketpair()
        for sock in (wake_recv, self._wake_send):
            sock.setblocking(False)
        try:
            if install_signals:
                self._install_signal_handlers()
            return self._serve(wake_recv)
        finally:
            with self._wake_lock:
                # The handler stays installed (a second SIGTERM must not kill the process
                # while it exits); with no socket left it only notes the signal.
                wake_send, self._wake_send = self._wake_send, None
                wake_send.close()
            wake_recv.close()

    def _serve(self, wake_recv: socket.socket) -> int:
        self.start()
        status = "serving"
        if self.http is not None:
            status += f" /healthz on {self.http.url}"
        self.notifier.notify("READY=1", f"STATUS={status}")
        _log.info(
            "WhoseOnFirst service started (%s backend, instance %s)",
            self.engine.backend.name,
            self.engine.instance_id,
            extra={"event": "started"},
        )
        wake = self.notifier.watchdog / 2 if self.notifier.watchdog else DEFAULT_LOOP_WAKE
        step = min(wake, REVISION_WATCH).total_seconds()
        next_ping = time.monotonic() + wake.total_seconds()
        with selectors.DefaultSelector() as waiter:
            waiter.register(wake_recv, selectors.EVENT_READ)
            while not self._woken(waiter, wake_recv, step):
                if time.monotonic() >= next_ping:
                    next_ping = time.monotonic() + wake.total_seconds()
                    if self.notifier.watchdog and self._alive():
                        self.notifier.notify("WATCHDOG=1")
                self.watch_clock()
                self.watch_revision()
        self.notifier.notify("STOPPING=1")
        _log.info("stopping: finishing the text being sent", extra={"event": "stopping"})
        self.shutdown()
        try:
            self.engine.record_stop()
        except Exception:  # noqa: BLE001 - the database may be why it stops; it still stops
            _log.warning("could not record the stop in the database", exc_info=True)
        _log.info("stopped", extra={"event": "stopped"})
        return 0

    def _woken(self, waiter: selectors.BaseSelector, wake_recv: socket.socket, step: float) -> bool:
        """Wait up to ``step`` s for a signal or :meth:`request_stop`; True when the loop must
        end. A signal is logged and turned into :meth:`request_stop` here, outside the handler."""
        if not self._stop.is_set() and waiter.select(timeout=step):
            try:
                while wake_recv.recv(4096):
                    pass
            except BlockingIOError:
                pass
        signum = self._signalled
        if signum is not None and not self._stop.is_set():
            _log.info("received %s", signal.Signals(signum).name, extra={"event": "signal"})
            self.request_stop()
        return self._stop.is_set()

    def shutdown(self) -> None:
        """Stop the scheduler (waiting for a running tick) and the HTTP endpoint."""
        self.engine.request_stop()
        with self._schedule_lock:  # from here on no tick adds a job (see ``_schedule_lock``)
            self._stop.set()
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=True)
        if self.http is not None:
            self.http.stop()
            self.http = None
        if self.feeds is not None:
            self.feeds.stop()
            self.feeds = None

    def _alive(self) -> bool:
        """Whether to tell the watchdog we are fine: the scheduler runs and no tick hangs."""
        if self.scheduler is None or not self.scheduler.running:
            return False
        started = self._tick_started
        return started is None or time.monotonic() - started < HUNG_TICK_AFTER.total_seconds()

    def _install_signal_handlers(self) -> None:
        def handle(signum: int, _frame: FrameType | None) -> None:
            # No lock, no logging, no Event.set(): see the module docstring.
            self._signalled = signum
            _wake(self._wake_send)

        signal.signal(signal.SIGTERM, handle)
        signal.signal(signal.SIGINT, handle)


def _wake_at(summary: TickSummary) -> datetime | None:
    """The next tick's instant: the next due one, or sooner to poll for a reply OK."""
    found = [at for at in (summary.next_due_at, summary.next_poll_at) if at is not None]
    return min(found) if found else None


def _wake(sock: socket.socket | None) -> None:
    """One byte to the main loop's wake-up socket (none: it is gone, the loop has ended)."""
    if sock is None:
        return
    try:
        sock.send(b"\0")
    except OSError:
        pass  # full (the loop is already awake) or closed
