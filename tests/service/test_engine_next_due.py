"""The next-due instant the daemon wakes at (``Engine.next_due_at``): besides the schedule's
instants it includes every outbox row's next chance, so nothing waits for the 30 s tick."""

from __future__ import annotations

from datetime import timedelta

import pytest
from whoseonfirst_service.engine import Engine

from tests.fakes.fake_twilio import FakeTwilio, Reply
from tests.service.conftest import MakeEngine, notifications, utc
from whoseonfirst_core.clock import FixedClock
from whoseonfirst_core.db.session import Database

ANN = "+13125550101"
MONDAY_0800_30 = utc(2026, 3, 2, 14, 0, 30)


def test_a_text_waiting_for_reconciliation_is_the_next_due(
    quiet: Database, engine: Engine, clock: FixedClock, fake: FakeTwilio
) -> None:
    engine.tick()
    clock.set(MONDAY_0800_30)
    fake.script_create([Reply.drop(create=False)])  # ambiguous: Twilio may have it
    summary = engine.tick()
    [row] = [r for r in notifications(quiet, "shift_start") if r.recipient_phone == ANN]
    assert row.status == "sending" and row.next_attempt_at is not None
    assert row.next_attempt_at < MONDAY_0800_30 + timedelta(seconds=30)
    assert summary.next_due_at == row.next_attempt_at


def test_a_claim_left_by_a_stopped_process_is_due_when_it_turns_stale(
    quiet: Database, make_engine: MakeEngine, clock: FixedClock, fake: FakeTwilio
) -> None:
    class Crash(BaseException):
        pass

    def crash(_notification_id: int) -> None:
        raise Crash

    doomed = make_engine(after_claim=crash)
    doomed.tick()
    clock.set(MONDAY_0800_30)
    with pytest.raises(Crash):
        doomed.tick()
    survivor = make_engine(instance_id="other-instance")
    summary = survivor.tick()
    [row] = [r for r in notifications(quiet, "shift_start") if r.status == "sending"]
    assert row.claimed_at is not None
    stale_at = row.claimed_at + survivor.settings.stale_claim_after
    assert summary.next_due_at == stale_at
