"""The delivery contract (SPEC §4 points 2, 4-7): claim, retries with backoff, permanent errors,
ambiguous sends, crashed processes, expiry, status polling, failure alerts, test texts.

The weekly summary is switched off here so the only texts are the ones each test is about (the
fake's scripted replies answer whichever create request comes next).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta

import pytest
from whoseonfirst_service.engine import Engine
from whoseonfirst_service.twilio_sms import DryRunBackend, TwilioBackend

from tests.fakes.fake_twilio import FakeTwilio, Reply
from tests.service.conftest import (
    LEAD_PHONE,
    MakeEngine,
    attempts,
    member,
    no_escalation,
    notifications,
    sent_to,
    set_secondary_phone,
    utc,
)
from whoseonfirst_core.clock import FixedClock
from whoseonfirst_core.db.models import Notification
from whoseonfirst_core.db.session import Database
from whoseonfirst_core.domain.sms_errors import error_text
from whoseonfirst_core.usecases.calendar import Cover, add_override
from whoseonfirst_core.usecases.notifications import queue_text

ANN, ANN_2ND, CAL = "+13125550101", "+13125550111", "+13125550103"
MONDAY_0800_30 = utc(2026, 3, 2, 14, 0, 30)


@pytest.fixture(autouse=True)
def _no_escalation(request: pytest.FixtureRequest) -> None:
    """These tests follow other texts past shift starts while nobody replies OK."""
    if "team" in request.fixturenames:
        no_escalation(request.getfixturevalue("team"))


def _row(db: Database, phone: str, kind: str = "shift_start") -> Notification:
    [row] = [r for r in notifications(db, kind) if r.recipient_phone == phone]
    return row


def _alerts(fake: FakeTwilio) -> list[str]:
    return [r.form["Body"] for r in fake.create_requests if r.form["To"] == LEAD_PHONE]


def _at_monday_0800(engine: Engine, clock: FixedClock) -> None:
    engine.tick()  # 07:00: the service is running before the shift starts
    clock.set(MONDAY_0800_30)
    engine.tick()


def test_503_three_times_then_success_backs_off_and_delivers_once(
    quiet: Database, engine: Engine, clock: FixedClock, fake: FakeTwilio
) -> None:
    fake.script_create([Reply.error(503)] * 3)
    _at_monday_0800(engine, clock)
    waits: list[timedelta] = []
    for _ in range(3):
        row = _row(quiet, ANN)
        assert row.status == "queued" and row.next_attempt_at is not None
        waits.append(row.next_attempt_at - clock.now())
        requests = len(fake.create_requests)
        engine.tick()  # the backoff is respected: nothing is sent before next_attempt_at
        clock.set(row.next_attempt_at - timedelta(seconds=1))
        engine.tick()
        assert len(fake.create_requests) == requests
        clock.set(row.next_attempt_at)
        engine.tick()
    row = _row(quiet, ANN)
    assert sent_to(fake) == [ANN] * 4
    assert len(fake.created) == 1
    assert [a.outcome for a in attempts(quiet, row.id)] == [
        "transient",
        "transient",
        "transient",
        "sent",
    ]
    assert row.attempts == 4 and row.twilio_sid == fake.created[0].sid
    # Exponential backoff with equal jitter: attempt n waits 30 s·2^(n-1) · [0.5, 1].
    for n, wait in enumerate(waits, start=1):
        base = 30 * 2 ** (n - 1)
        assert base / 2 <= wait.total_seconds() <= base
    clock.advance(timedelta(seconds=31))
    engine.tick()  # status polling
    assert _row(quiet, ANN).status == "delivered"
    assert _alerts(fake) == []


def test_21211_fails_after_one_request_and_alerts_once(
    quiet: Database, engine: Engine, clock: FixedClock, fake: FakeTwilio
) -> None:
    fake.script_create([Reply.error(400, 21211)])
    _at_monday_0800(engine, clock)
    for minutes in (1, 20, 60):
        clock.set(MONDAY_0800_30 + timedelta(minutes=minutes))
        engine.tick()
    row = _row(quiet, ANN)
    assert row.status == "failed" and row.error_code == 21211
    assert row.error_message == "Twilio rejected the number as invalid (21211)"
    assert sent_to(fake) == [ANN, LEAD_PHONE]  # one try, no retry; one alert
    assert _alerts(fake) == [
        "WhoseOnFirst ALERT: could not reach Ann Archer for the Monday shift starting "
        "Mon 08:00 CST. primary phone +1312555XXXX: Twilio rejected the number as invalid "
        "(21211)."
    ]
    alert = _row(quiet, LEAD_PHONE, "failure_alert")
    assert alert.related_id == row.id and alert.shift_name == "Monday"


def test_429_waits_at_least_retry_after(
    quiet: Database, engine: Engine, clock: FixedClock, fake: FakeTwilio
) -> None:
    fake.script_create([Reply.rate_limited(retry_after=300)])
    _at_monday_0800(engine, clock)
    row = _row(quiet, ANN)
    assert row.status == "queued" and row.error_code == 20429
    assert row.next_attempt_at is not None
    assert row.next_attempt_at - clock.now() >= timedelta(seconds=300)


@pytest.mark.parametrize("created", [True, False], ids=["twilio-created-it", "it-was-lost"])
def test_a_reply_slower_than_the_timeout_is_reconciled_before_any_retry(
    quiet: Database,
    make_engine: MakeEngine,
    make_backend: Callable[..., TwilioBackend],
    clock: FixedClock,
    fake: FakeTwilio,
    created: bool,
) -> None:
    engine = make_engine(sms=make_backend(timeout=1.0))
    fake.script_create([Reply.slow(30, create=created)])
    _at_monday_0800(engine, clock)
    row = _row(quiet, ANN)
    assert row.status == "sending"  # maybe sent: never marked unsent, never retried blindly
    assert [a.outcome for a in attempts(quiet, row.id)] == ["ambiguous"]
    engine.tick()
    assert len(fake.create_requests) == 1
    assert row.next_attempt_at is not None
    clock.set(row.next_attempt_at)
    engine.tick()
    row = _row(quiet, ANN)
    assert len(fake.created) == 1  # exactly one text either way
    assert row.twilio_sid == fake.created[0].sid
    if created:
        assert len(fake.create_requests) == 1  # found by listing; not sent again
        assert [a.outcome for a in attempts(quiet, row.id)] == ["ambiguous", "reconciled"]
    else:
        assert len(fake.create_requests) == 2  # listing found nothing: sent once
        assert [a.outcome for a in attempts(quiet, row.id)] == ["ambiguous", "sent"]
    list_requests = [r for r in fake.requests if r.method == "GET" and r.query.get("To") == ANN]
    assert list_requests, "reconciliation lists recent messages to that number"


def test_a_trickling_reply_holds_the_other_texts_up_no_longer_than_the_deadline(
    team: Database,
    make_engine: MakeEngine,
    make_backend: Callable[..., TwilioBackend],
    clock: FixedClock,
    fake: FakeTwilio,
) -> None:
    """Twilio dribbles a header line every 0.2 s for 60 s in answer to the first create (each
    read quick, the whole answer slow): the tick cuts it at the 1 s deadline, sends the other
    text, and the cut one is reconciled later (it had been created), never resent."""
    engine = make_engine(sms=make_backend(timeout=5.0, deadline=1.0))
    engine.tick()  # 07:00
    fake.script_create([Reply.trickle(every=0.2, lasting=60, create=True)])
    clock.set(MONDAY_0800_30)
    started = time.monotonic()
    engine.tick()
    assert time.monotonic() - started < 4  # bounded by the deadline, not by the trickle
    rows = {row.recipient_phone: row for row in notifications(team) if row.due_at <= clock.now()}
    assert sorted(row.status for row in rows.values()) == ["delivered", "sending"]
    [cut] = [row for row in rows.values() if row.status == "sending"]
    assert [a.outcome for a in attempts(team, cut.id)] == ["ambiguous"]
    assert cut.next_attempt_at is not None
    clock.set(cut.next_attempt_at)
    engine.tick()
    assert len(fake.create_requests) == 2 and len(fake.created) == 2  # nothing sent twice
    assert [a.outcome for a in attempts(team, cut.id)] == ["ambiguous", "reconciled"]


class Crash(BaseException):
    """Stands for the process being killed (not an Exception: nothing may catch it)."""


def _crash(_notification_id: int) -> None:
    raise Crash


@pytest.mark.parametrize("point", ["after_claim", "after_send"])
def test_a_process_killed_mid_send_leaves_a_row_the_next_tick_handles(
    quiet: Database, make_engine: MakeEngine, clock: FixedClock, fake: FakeTwilio, point: str
) -> None:
    doomed = make_engine(**{point: _crash})
    doomed.tick()
    clock.set(MONDAY_0800_30)
    with pytest.raises(Crash):
        doomed.tick()
    row = _row(quiet, ANN)
    assert row.status == "sending"
    assert [a.outcome for a in attempts(quiet, row.id)] == ["sending"]  # written before sending

    survivor = make_engine(instance_id="other-instance")
    survivor.tick()  # the claim is fresh: it may still be in flight, so hands off
    assert len(fake.create_requests) == (1 if point == "after_send" else 0)
    clock.advance(timedelta(minutes=2, seconds=1))
    survivor.tick()
    row = _row(quiet, ANN)
    assert row.status in ("sent", "delivered")
    assert len(fake.created) == 1 and row.twilio_sid == fake.created[0].sid
    assert len(fake.create_requests) == 1
    outcomes = [a.outcome for a in attempts(quiet, row.id)]
    assert outcomes == ["interrupted", "reconciled" if point == "after_send" else "sent"]


def test_transient_errors_until_the_span_ends_expire_the_text_and_alert(
    quiet: Database, engine: Engine, clock: FixedClock, fake: FakeTwilio
) -> None:
    cal = member(quiet, "Cal")
    with quiet.uow("admin") as uow:  # a 10-minute cover from 08:00
        add_override(uow, clock.now(), Cover(cal.id, utc(2026, 3, 2, 14), utc(2026, 3, 2, 14, 10)))
        uow.commit()
    engine.tick()
    clock.set(utc(2026, 3, 2, 14))
    fake.script_create([Reply.error(503)])
    engine.tick()
    while clock.now() < utc(2026, 3, 2, 14, 10):
        row = _row(quiet, CAL)
        if row.status != "queued":
            break
        assert row.next_attempt_at is not None
        clock.set(min(row.next_attempt_at, utc(2026, 3, 2, 14, 10)))
        if clock.now() < utc(2026, 3, 2, 14, 10):
            fake.script_create([Reply.error(503)])
        engine.tick()
    row = _row(quiet, CAL)
    assert row.status == "expired"
    assert fake.created == [m for m in fake.created if m.to != CAL]  # never got through
    [alert] = [a for a in _alerts(fake) if "Cal Chen" in a]
    assert "could not be sent before the shift ended" in alert
    assert "Twilio had a server error (HTTP 503)" in alert


def test_status_polling_undelivered_alerts(
    quiet: Database, engine: Engine, clock: FixedClock, fake: FakeTwilio
) -> None:
    fake.set_status_script([])  # the fake keeps it queued until told otherwise
    _at_monday_0800(engine, clock)
    row = _row(quiet, ANN)
    assert row.status == "sent"
    clock.advance(timedelta(seconds=31))
    engine.tick()
    assert _row(quiet, ANN).status == "sent"  # still on its way
    fake.advance_status(fake.created[0].sid, "undelivered", error_code=30003)
    clock.advance(timedelta(seconds=31))
    engine.tick()
    row = _row(quiet, ANN)
    assert row.status == "undelivered" and row.error_code == 30003
    # The reason names its code once, the way the Twilio adapter words its own errors, so the
    # app shows it once too.
    assert error_text(row.error_code, row.error_message) == (
        "Twilio could not deliver it: the phone is unreachable (switched off or out of "
        "coverage) (30003)"
    )
    assert _alerts(fake) == [
        "WhoseOnFirst ALERT: could not reach Ann Archer for the Monday shift starting "
        "Mon 08:00 CST. primary phone +1312555XXXX: Twilio could not deliver it: the phone is "
        "unreachable (switched off or out of coverage) (30003)."
    ]


def test_not_delivered_within_15_minutes_alerts_once(
    quiet: Database, engine: Engine, clock: FixedClock, fake: FakeTwilio
) -> None:
    fake.set_status_script([])
    _at_monday_0800(engine, clock)
    clock.set(MONDAY_0800_30 + timedelta(minutes=14, seconds=59))
    engine.tick()
    assert _alerts(fake) == []
    for minutes in (15, 16, 40):
        clock.set(MONDAY_0800_30 + timedelta(minutes=minutes))
        engine.tick()
    [alert] = _alerts(fake)
    assert "not delivered within 15 minutes (status sent)" in alert


def test_one_phone_failing_while_the_other_is_delivered_raises_no_alert(
    quiet: Database, engine: Engine, clock: FixedClock, fake: FakeTwilio
) -> None:
    set_secondary_phone(quiet, "Ann", ANN_2ND)
    fake.script_create([Reply.error(400, 21610)])  # the primary replied STOP
    _at_monday_0800(engine, clock)
    clock.advance(timedelta(minutes=30))
    engine.tick()
    statuses = {r.recipient_phone: r.status for r in notifications(quiet, "shift_start")}
    assert statuses == {ANN: "failed", ANN_2ND: "delivered"}
    # Ann was reached on her other phone: no failure alert; the lead learns once that her
    # primary phone opted out (tests/service/test_inbound_texts.py).
    assert _alerts(fake) == [
        "WhoseOnFirst: Ann Archer cannot be texted on +1 312-555-0101: Twilio refused a text to "
        "it: the phone has opted out (error 21610). Nothing more is sent to that phone until it "
        "replies START."
    ]


def test_test_and_manual_texts_go_through_the_same_path(
    quiet: Database, engine: Engine, clock: FixedClock, fake: FakeTwilio
) -> None:
    with quiet.uow("ann@desk") as uow:
        test = queue_text(uow, clock.now(), to="(312) 555-0188")
        manual = queue_text(uow, clock.now(), to=member(quiet, "Ben").id, body="hi", kind="manual")
        uow.commit()
    engine.tick()
    assert sorted(sent_to(fake)) == ["+13125550102", "+13125550188"]
    clock.advance(timedelta(seconds=31))
    engine.tick()
    rows = {r.id: r for r in notifications(quiet)}
    assert rows[test.id].status == rows[manual.id].status == "delivered"
    assert rows[manual.id].triggered_by == "ann@desk"
    assert rows[test.id].body.startswith("WhoseOnFirst test text")


def test_a_test_text_that_cannot_be_sent_within_its_validity_expires_without_alert(
    quiet: Database, engine: Engine, clock: FixedClock, fake: FakeTwilio
) -> None:
    with quiet.uow("admin") as uow:
        queued = queue_text(uow, clock.now(), to="+13125550188")
        uow.commit()
    while True:
        fake.script_create([Reply.error(503)])
        engine.tick()
        row = next(r for r in notifications(quiet) if r.id == queued.id)
        if row.status != "queued":
            break
        assert row.next_attempt_at is not None
        clock.set(row.next_attempt_at)
    assert row.status == "expired" and row.attempts >= 3
    assert _alerts(fake) == []


def test_the_dry_run_backend_records_simulated(
    quiet: Database, make_engine: MakeEngine, clock: FixedClock, fake: FakeTwilio
) -> None:
    engine = make_engine(sms=DryRunBackend())
    _at_monday_0800(engine, clock)
    assert _row(quiet, ANN).status == "simulated"
    assert fake.requests == []
    clock.advance(timedelta(minutes=20))
    engine.tick()
    assert _alerts(fake) == [] and _row(quiet, ANN).status == "simulated"


def test_two_engines_ticking_in_turn_send_each_text_once(
    team: Database, make_engine: MakeEngine, clock: FixedClock, fake: FakeTwilio
) -> None:
    a, b = make_engine(instance_id="a"), make_engine(instance_id="b")
    a.tick()
    clock.set(MONDAY_0800_30)
    for engine in (a, b, a, b):
        engine.tick()
    assert sorted(sent_to(fake)) == sorted([ANN, LEAD_PHONE])


def test_sigterm_finishes_the_current_send_and_ends_the_tick(
    quiet: Database, make_engine: MakeEngine, clock: FixedClock, fake: FakeTwilio
) -> None:
    with quiet.uow("admin") as uow:
        for n in range(3):
            queue_text(uow, clock.now(), to=f"+1312555018{n}")
        uow.commit()
    engine: Engine

    def stop_after_first(_notification_id: int) -> None:
        engine.request_stop()  # SIGTERM arrives while the first text is being sent

    engine = make_engine(after_send=stop_after_first)
    summary = engine.tick()
    assert summary.stopped_early
    assert len(fake.create_requests) == 1
    statuses = sorted(r.status for r in notifications(quiet))
    assert statuses == ["queued", "queued", "sent"]  # the one in flight was recorded
