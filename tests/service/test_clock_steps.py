"""Steps of the wall clock (issue: wall-clock steps): a clock that jumps 3 h ahead and is then
corrected must not leave anyone's span ``missed``; the step is seen by comparing the wall clock
with a monotonic one (both injected here)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from whoseonfirst_service.clock_steps import ClockWatch
from whoseonfirst_service.twilio_sms import DryRunBackend

from tests.service.conftest import MakeEngine, member, notifications, utc
from whoseonfirst_core.clock import FixedClock
from whoseonfirst_core.db.models import Override
from whoseonfirst_core.db.session import Database
from whoseonfirst_core.domain.notification import Status
from whoseonfirst_core.usecases.calendar import Cover, add_override

CAL = "+13125550103"


class Monotonic:
    """A monotonic clock the test moves by hand (seconds)."""

    def __init__(self) -> None:
        self.value = 1000.0

    def __call__(self) -> float:
        return self.value

    def advance(self, seconds: float) -> None:
        self.value += seconds


def test_the_watch_sees_steps_either_way_and_not_running_time() -> None:
    clock, mono = FixedClock(utc(2026, 3, 2, 15)), Monotonic()
    watch = ClockWatch(clock, mono)
    assert watch.observe() is None  # nothing to compare with yet
    clock.advance(timedelta(seconds=30))
    mono.advance(29.5)
    assert watch.observe() is None  # within the tolerance
    clock.advance(timedelta(hours=3, seconds=1))
    mono.advance(1)
    step = watch.observe()
    assert step is not None and step.by == timedelta(hours=3)
    assert step.describe() == "the wall clock stepped 10800 s ahead"
    clock.advance(timedelta(hours=-3))
    mono.advance(0)
    back = watch.observe()
    assert back is not None and back.by == timedelta(hours=-3)
    clock.advance(timedelta(minutes=5))
    mono.advance(300)
    assert watch.observe() is None


def test_a_span_in_the_hours_jumped_over_gets_its_text_once_the_clock_is_corrected(
    quiet: Database, make_engine: MakeEngine, clock: FixedClock
) -> None:
    cal = member(quiet, "Cal")
    clock.set(utc(2026, 3, 2, 15))  # Mon 09:00 CST
    with quiet.uow("admin") as uow:  # Cal covers 10:00-11:00 CST, the hour after the correction
        add_override(uow, clock.now(), Cover(cal.id, utc(2026, 3, 2, 16), utc(2026, 3, 2, 17)))
        uow.commit()
    mono = Monotonic()
    engine = make_engine(sms=DryRunBackend(), clock_watch=ClockWatch(clock, mono))
    engine.tick()

    clock.advance(timedelta(hours=3, seconds=30))  # the host clock jumps 3 h ahead
    mono.advance(30)
    engine.tick()
    clock.advance(timedelta(seconds=30))  # and stays there a while
    mono.advance(30)
    engine.tick()
    assert cover_status(quiet) == "completed"  # so the clock ahead says
    clock.set(utc(2026, 3, 2, 15, 1, 30))  # NTP steps it back
    mono.advance(30)
    engine.tick()
    assert not [r for r in notifications(quiet) if r.recipient_phone == CAL]
    assert cover_status(quiet) == "active"  # the admin can edit or cancel it again

    clock.set(utc(2026, 3, 2, 16, 0, 30))  # Cal's span starts
    mono.advance(59 * 60)
    engine.tick()

    rows = notifications(quiet)
    assert not [r for r in rows if r.status == Status.MISSED]
    [cals] = [r for r in rows if r.recipient_phone == CAL]
    assert cals.status == Status.SIMULATED


def cover_status(db: Database) -> str:
    with db.reader() as uow:
        [status] = uow.session.scalars(select(Override.status)).all()
    return status


def test_without_a_step_a_span_that_ended_unseen_is_still_missed(
    quiet: Database, make_engine: MakeEngine, clock: FixedClock
) -> None:
    """The same wall-clock instants, lived through (the service was stopped for 3 h)."""
    cal = member(quiet, "Cal")
    clock.set(utc(2026, 3, 2, 15))
    with quiet.uow("admin") as uow:
        add_override(uow, clock.now(), Cover(cal.id, utc(2026, 3, 2, 16), utc(2026, 3, 2, 17)))
        uow.commit()
    mono = Monotonic()
    engine = make_engine(sms=DryRunBackend(), clock_watch=ClockWatch(clock, mono))
    engine.tick()
    clock.advance(timedelta(hours=3, seconds=30))
    mono.advance(3 * 3600 + 30)
    engine.tick()

    [cals] = [r for r in notifications(quiet) if r.recipient_phone == CAL]
    assert cals.status == Status.MISSED
