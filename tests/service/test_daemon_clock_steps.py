"""The daemon's scheduler across steps of the wall clock (issue: wall-clock steps). APScheduler
dates its jobs on the wall clock; here the scheduler's and the daemon's wall clock is the
system's plus an offset the test steps (the host's own clock is not touched), while monotonic
time runs on. After a step back of 3 h the interval job alone would wait 3 h: the daemon must
go on ticking. Real threads and real time (the scheduler is under test); waits end as soon as
what they wait for happened."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

import apscheduler.executors.base
import apscheduler.schedulers.base
import apscheduler.triggers.interval
import pytest
from whoseonfirst_service.daemon import STALLED_AFTER, Daemon
from whoseonfirst_service.engine import Engine
from whoseonfirst_service.twilio_sms import DryRunBackend

from whoseonfirst_core.clock import FixedClock
from whoseonfirst_core.db.session import Database

WAIT_S = 15.0  # generous on a busy machine; a passing run waits about a second


class SteppedWall:
    """The system's wall clock plus ``offset``: what the daemon and its scheduler read."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset


@pytest.fixture
def wall(monkeypatch: pytest.MonkeyPatch) -> SteppedWall:
    wall = SteppedWall()

    class SteppedDatetime(datetime):
        @classmethod
        def now(cls, tz: tzinfo | None = None) -> SteppedDatetime:
            return datetime.now(tz) + wall.offset  # type: ignore[return-value]

    for module in (
        apscheduler.schedulers.base,
        apscheduler.executors.base,
        apscheduler.triggers.interval,
    ):
        monkeypatch.setattr(module, "datetime", SteppedDatetime)
    return wall


class CountedTicks:
    """Counts the engine's ticks; ``wait_for(n)`` returns once ``n`` ticks happened in all."""

    def __init__(self, engine: Engine) -> None:
        self.count = 0
        self._changed = threading.Condition()
        real_tick = engine.tick

        def tick() -> Any:
            summary = real_tick()
            with self._changed:
                self.count += 1
                self._changed.notify_all()
            return summary

        engine.tick = tick  # type: ignore[method-assign]

    def wait_for(self, n: int, timeout: float = WAIT_S) -> bool:
        with self._changed:
            return self._changed.wait_for(lambda: self.count >= n, timeout)


@pytest.fixture
def running(db: Database, clock: FixedClock, wall: SteppedWall) -> Iterator[tuple[Daemon, Any]]:
    """A daemon serving in a thread (interval 60 s, so only a re-plan ticks within the waits)."""
    daemon = Daemon(
        Engine(db, DryRunBackend(), clock, instance_id="steps"),
        clock=clock,
        wall=wall,
        interval=timedelta(seconds=60),
    )
    ticks = CountedTicks(daemon.engine)
    thread = threading.Thread(target=daemon.run, kwargs={"install_signals": False})
    thread.start()
    try:
        assert ticks.wait_for(1), "the first tick did not come"
        yield daemon, ticks
    finally:
        daemon.request_stop()
        thread.join(timeout=30)
    assert not thread.is_alive()


def interval_job_in(daemon: Daemon, wall: SteppedWall) -> timedelta:
    assert daemon.scheduler is not None
    job = daemon.scheduler.get_job("tick-interval")
    return job.next_run_time - wall.now()


@pytest.mark.parametrize("by", [timedelta(hours=-3), timedelta(hours=3)], ids=["back", "ahead"])
def test_after_a_step_the_daemon_ticks_at_once_and_keeps_its_interval(
    running: tuple[Daemon, CountedTicks], wall: SteppedWall, by: timedelta
) -> None:
    daemon, ticks = running
    wall.offset = by
    assert ticks.wait_for(2), f"no tick after the wall clock stepped {by}"
    # The interval job is dated from the stepped clock: due within one interval, not 3 h away.
    assert timedelta(0) < interval_job_in(daemon, wall) <= timedelta(seconds=60)


def test_no_tick_for_too_long_re_plans_whatever_the_cause(
    db: Database, clock: FixedClock, wall: SteppedWall
) -> None:
    """Wall and monotonic time move alike (no step), but the scheduler's thread sleeps on: the
    loop sees no tick start for ``STALLED_AFTER`` and re-plans."""
    mono = [1000.0]
    daemon = Daemon(
        Engine(db, DryRunBackend(), clock, instance_id="stall"),
        clock=clock,
        wall=wall,
        interval=timedelta(hours=1),
        monotonic=lambda: mono[0],
    )
    ticks = CountedTicks(daemon.engine)
    daemon.start_scheduler(tick_now=False)
    try:
        assert daemon.watch_clock() is None
        mono[0] += STALLED_AFTER.total_seconds() - 1
        wall.offset += STALLED_AFTER - timedelta(seconds=1)
        assert daemon.watch_clock() is None and ticks.count == 0  # not yet
        mono[0] += 2
        wall.offset += timedelta(seconds=2)
        assert daemon.watch_clock() is None  # a stall, not a step
        assert ticks.wait_for(1), "a stalled scheduler was not re-planned"
    finally:
        daemon.shutdown()
