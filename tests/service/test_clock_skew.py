"""Reconciliation when the host's clock and Twilio's disagree by hours (issue: wall-clock
steps): the attempt's start is moved onto Twilio's clock by the skew its ``Date`` header shows,
so the attempt's own message is found (not sent twice) and an older copy still is not."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from whoseonfirst_service.engine import Engine
from whoseonfirst_service.twilio_sms import TwilioBackend

from tests.fakes.fake_twilio import FakeTwilio, Reply
from tests.service.conftest import MakeEngine, attempts, notifications, utc
from whoseonfirst_core.clock import FixedClock
from whoseonfirst_core.db.session import Database
from whoseonfirst_core.domain.notification import Status
from whoseonfirst_core.usecases.notifications import queue_text, resend

ANN = "+13125550101"
BODY = "WhoseOnFirst: Hi Ann, you are on call from Mon 08:00 CST until Tue 08:00 CST (24h)."
T0 = utc(2026, 3, 2, 13, 0, 0)


@pytest.fixture(params=[timedelta(hours=3), timedelta(hours=-3)], ids=["host-ahead", "host-behind"])
def skew(request: pytest.FixtureRequest) -> timedelta:
    """Our clock less Twilio's."""
    value: timedelta = request.param
    return value


@pytest.fixture
def fake(clock: FixedClock, skew: timedelta) -> Iterator[FakeTwilio]:
    """The fake Twilio on a clock ``skew`` away from the engine's (dates and Date headers)."""
    before = set(threading.enumerate())
    with FakeTwilio(clock=lambda: clock.now() - skew) as server:
        server.set_status_script(["delivered"])
        yield server
    assert not [t for t in threading.enumerate() if t not in before and t.is_alive()]


def _queue_at_t0(quiet: Database, clock: FixedClock) -> int:
    """A text to Ann queued at ``T0``; its id."""
    clock.set(T0)
    with quiet.uow("admin@host") as uow:
        text = queue_text(uow, clock.now(), to=ANN, body=BODY)
        uow.commit()
    return text.id


def _ambiguous_then_retry(
    quiet: Database,
    engine: Engine,
    clock: FixedClock,
    fake: FakeTwilio,
    text_id: int,
    *,
    created: bool = True,
) -> None:
    # The answer never comes in time: ambiguous (whether Twilio created the message or not).
    fake.script_create([Reply.slow(30, create=created)])
    engine.tick()
    [row] = [r for r in notifications(quiet) if r.id == text_id]
    assert row.status == Status.SENDING and row.next_attempt_at is not None
    clock.set(row.next_attempt_at)
    engine.tick()


def test_an_ambiguous_send_is_found_at_twilio_despite_hours_of_skew(
    quiet: Database,
    make_engine: MakeEngine,
    make_backend: Callable[..., TwilioBackend],
    clock: FixedClock,
    fake: FakeTwilio,
) -> None:
    engine: Engine = make_engine(sms=make_backend(timeout=0.3))
    text_id = _queue_at_t0(quiet, clock)

    _ambiguous_then_retry(quiet, engine, clock, fake, text_id)

    [message] = fake.created  # reached Twilio once
    [row] = [r for r in notifications(quiet) if r.id == text_id]
    assert row.twilio_sid == message.sid
    assert [a.outcome for a in attempts(quiet, text_id)] == ["ambiguous", "reconciled"]


def test_with_skew_an_older_copy_is_still_not_taken_for_the_attempt(
    quiet: Database,
    make_engine: MakeEngine,
    make_backend: Callable[..., TwilioBackend],
    clock: FixedClock,
    fake: FakeTwilio,
) -> None:
    engine: Engine = make_engine(sms=make_backend(timeout=0.3))
    original_id = _queue_at_t0(quiet, clock)
    engine.tick()
    [first] = fake.created
    clock.advance(timedelta(minutes=1))
    with quiet.uow("admin@host") as uow:
        copy = resend(uow, clock.now(), original_id)
        uow.commit()
    # Lost: Twilio created nothing.
    _ambiguous_then_retry(quiet, engine, clock, fake, copy.id, created=False)

    assert [a.outcome for a in attempts(quiet, copy.id)] == ["ambiguous", "sent"]
    assert len(fake.created) == 2
    [row] = [r for r in notifications(quiet) if r.id == copy.id]
    assert row.twilio_sid not in (None, first.sid)
