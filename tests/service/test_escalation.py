"""Confirming the shift and escalating when nobody answers, end to end: the engine texts and
polls the fake Twilio through the real SDK, one tick at a time on a fixed clock, on SQLite and
PostgreSQL; the daemon's planning of its next tick is read from the wake-up it asks for.

The demo team from Mon 2026-03-02 07:00 CST without the weekly summary: Ann is on call Monday
from 08:00; the lead (the team's escalation contact) takes failure alerts. N = 15 minutes.
"""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import func, select, update
from whoseonfirst_service.daemon import Daemon
from whoseonfirst_service.engine import Engine

from tests.fakes.fake_twilio import FakeTwilio, Reply
from tests.service.conftest import (
    FROM_NUMBER,
    LEAD_PHONE,
    member,
    notifications,
    set_secondary_phone,
    utc,
)
from whoseonfirst_core.clock import FixedClock
from whoseonfirst_core.db.models import SpanConfirmation, TeamSettings
from whoseonfirst_core.db.session import Database
from whoseonfirst_core.usecases import escalation
from whoseonfirst_core.usecases.calendar import Cover, add_override
from whoseonfirst_core.usecases.config import SettingsChange, update_settings

ANN, ANN_2ND = "+13125550101", "+13125550111"
SHIFT_TEXT = (
    "WhoseOnFirst: Hi Ann Archer, you are on call from Mon 08:00 CST until Tue 08:00 CST (24h)."
    " Reply OK to confirm."
)
ASKED_AGAIN = "WhoseOnFirst: Please confirm your on-call shift: reply OK"
NOT_CONFIRMED = "WhoseOnFirst: Ann Archer has not confirmed the Monday shift (Mon 08:00 CST)."


def _at(hour: int, minute: int, second: int = 0) -> datetime:
    """Monday 2026-03-02 at ``hour:minute`` CST."""
    return utc(2026, 3, 2, hour + 6, minute, second)


def _bodies_to(fake: FakeTwilio, phone: str) -> list[str]:
    return [r.form["Body"] for r in fake.create_requests if r.form.get("To") == phone]


def _tick(engine: Engine, clock: FixedClock, at: datetime) -> None:
    clock.set(at)
    engine.tick()


def _ann_told_at_0800(quiet: Database, engine: Engine, clock: FixedClock) -> None:
    set_secondary_phone(quiet, "Ann", ANN_2ND)
    engine.tick()  # Mon 07:00
    _tick(engine, clock, _at(8, 0))


def test_an_ok_at_0803_confirms_and_nothing_more_is_sent(
    quiet: Database, engine: Engine, clock: FixedClock, fake: FakeTwilio
) -> None:
    _ann_told_at_0800(quiet, engine, clock)
    fake.receive(ANN_2ND, " ok! ", sent_at=_at(8, 3), to=FROM_NUMBER)
    for at in (_at(8, 3, 10), _at(8, 15), _at(8, 30), _at(9, 0), _at(12, 0)):
        _tick(engine, clock, at)

    assert _bodies_to(fake, ANN) == _bodies_to(fake, ANN_2ND) == [SHIFT_TEXT]
    assert _bodies_to(fake, LEAD_PHONE) == []
    with quiet.reader() as uow:
        [confirmed] = uow.session.scalars(select(SpanConfirmation)).all()
        assert (confirmed.span_start, confirmed.confirmed_at) == (_at(8, 0), _at(8, 3))


def test_no_reply_asks_again_at_0815_tells_the_lead_at_0830_and_a_late_ok_tells_them_once(
    quiet: Database, engine: Engine, clock: FixedClock, fake: FakeTwilio
) -> None:
    _ann_told_at_0800(quiet, engine, clock)
    _tick(engine, clock, _at(8, 14, 59))
    assert _bodies_to(fake, ANN) == [SHIFT_TEXT]

    _tick(engine, clock, _at(8, 15))
    assert _bodies_to(fake, ANN) == _bodies_to(fake, ANN_2ND) == [SHIFT_TEXT, ASKED_AGAIN]
    assert _bodies_to(fake, LEAD_PHONE) == []

    _tick(engine, clock, _at(8, 30))
    assert _bodies_to(fake, LEAD_PHONE) == [NOT_CONFIRMED]

    fake.receive(ANN, "Yes", sent_at=_at(8, 41), to=FROM_NUMBER)
    for at in (_at(8, 41, 10), _at(8, 45), _at(10, 0)):
        _tick(engine, clock, at)
    assert _bodies_to(fake, LEAD_PHONE) == [
        NOT_CONFIRMED,
        "WhoseOnFirst: Ann Archer confirmed at 08:41 CST.",
    ]
    assert _bodies_to(fake, ANN) == [SHIFT_TEXT, ASKED_AGAIN]  # asked again once, ever
    keys = sorted(r.idempotency_key for r in notifications(quiet) if r.kind != "shift_start")
    assert keys == [
        "confirm_reminder:2026-03-02T14:00:00+00:00:m1:+13125550101:2026-03-02",
        "confirm_reminder:2026-03-02T14:00:00+00:00:m1:+13125550111:2026-03-02",
        "confirmed_notice:2026-03-02T14:00:00+00:00:m1:c1:+13125550199",
        "unconfirmed_alert:2026-03-02T14:00:00+00:00:m1:c1:+13125550199",
    ]


def test_a_cover_that_hands_the_span_to_someone_else_stops_its_escalation(
    quiet: Database, engine: Engine, clock: FixedClock, fake: FakeTwilio
) -> None:
    _ann_told_at_0800(quiet, engine, clock)
    clock.set(_at(8, 10))
    with quiet.uow("admin") as uow:  # Cal takes the rest of Ann's shift from 08:10
        add_override(
            uow, clock.now(), Cover(member(quiet, "Cal").id, _at(8, 10), utc(2026, 3, 3, 14))
        )
        uow.commit()
    for at in (_at(8, 10), _at(8, 15), _at(8, 30), _at(8, 40)):
        _tick(engine, clock, at)

    assert ASKED_AGAIN not in _bodies_to(fake, ANN)
    assert NOT_CONFIRMED not in _bodies_to(fake, LEAD_PHONE)
    # Cal was asked at 08:10: his own minutes count from then.
    assert _bodies_to(fake, "+13125550103")[-1] == ASKED_AGAIN
    assert _bodies_to(fake, LEAD_PHONE) == [
        "WhoseOnFirst: Cal Chen has not confirmed the Monday shift (Mon 08:10 CST)."
    ]


def test_the_daemon_polls_every_10_s_while_a_shift_that_just_started_waits_for_its_ok(
    quiet: Database,
    engine: Engine,
    clock: FixedClock,
    fake: FakeTwilio,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    daemon = Daemon(engine, clock=clock, wall=clock)
    wakeups: list[datetime] = []
    monkeypatch.setattr(
        daemon, "_schedule_tick", lambda _id, _name, run_date, _grace: wakeups.append(run_date)
    )
    daemon.run_tick()  # Mon 07:00: nothing to wait for; next: Ann's shift start
    clock.set(_at(8, 0))
    daemon.run_tick()
    polls = len(fake.list_requests)
    clock.set(_at(8, 0, 10))
    daemon.run_tick()
    fake.receive(ANN, "OK", sent_at=_at(8, 0, 15), to=FROM_NUMBER)
    clock.set(_at(8, 0, 20))
    daemon.run_tick()  # the OK, 5 s after it was sent

    assert wakeups[:3] == [_at(8, 0), _at(8, 0, 10), _at(8, 0, 20)]
    assert wakeups[3] > _at(8, 30)  # confirmed: back to the next due instant
    assert len(fake.list_requests) == polls + 2
    with quiet.reader() as uow:
        assert uow.session.scalar(select(func.count()).select_from(SpanConfirmation)) == 1


def test_without_confirmation_requested_nothing_asks_or_escalates(
    quiet: Database, engine: Engine, clock: FixedClock, fake: FakeTwilio
) -> None:
    with quiet.uow("admin") as uow:
        uow.session.execute(update(TeamSettings).values(confirm_requested=False))
        uow.commit()
    engine.tick()
    for at in (_at(8, 0), _at(8, 15), _at(8, 30)):
        _tick(engine, clock, at)
    assert _bodies_to(fake, ANN) == [SHIFT_TEXT.removesuffix(" Reply OK to confirm.")]
    assert _bodies_to(fake, LEAD_PHONE) == []


def test_an_ok_before_the_queued_alert_went_out_expires_it_and_nobody_is_told(
    quiet: Database, engine: Engine, clock: FixedClock, fake: FakeTwilio
) -> None:
    _ann_told_at_0800(quiet, engine, clock)
    _tick(engine, clock, _at(8, 15))
    fake.script_create([Reply.error(503)] * 5)  # Twilio is down when the alert is due
    _tick(engine, clock, _at(8, 30))
    [alert] = notifications(quiet, "unconfirmed_alert")
    assert alert.status == "queued"

    fake.receive(ANN, "OK", sent_at=_at(8, 31), to=FROM_NUMBER)
    for at in (_at(8, 31, 10), _at(8, 45), _at(10, 0)):
        _tick(engine, clock, at)

    [alert] = notifications(quiet, "unconfirmed_alert")
    assert (alert.status, alert.error_message) == (
        "expired",
        "the shift was confirmed before it was sent",
    )
    assert notifications(quiet, "confirmed_notice") == []
    assert [m.body for m in fake.created if m.to == LEAD_PHONE] == []


def test_a_span_handed_to_someone_who_confirmed_stops_the_fast_polling(
    quiet: Database, engine: Engine, clock: FixedClock, fake: FakeTwilio
) -> None:
    _ann_told_at_0800(quiet, engine, clock)
    clock.set(_at(8, 10))
    with quiet.uow("admin") as uow:  # Cal takes the rest of Ann's shift from 08:10
        add_override(
            uow, clock.now(), Cover(member(quiet, "Cal").id, _at(8, 10), utc(2026, 3, 3, 14))
        )
        uow.commit()
    _tick(engine, clock, _at(8, 10))
    with quiet.reader() as uow:
        assert escalation.awaiting_confirmation(uow, _at(8, 10, 30))  # Cal has not answered
    fake.receive("+13125550103", "ok", sent_at=_at(8, 11), to=FROM_NUMBER)
    _tick(engine, clock, _at(8, 11, 10))

    # Ann's span is Cal's now and Cal confirmed: nothing is waiting for an OK.
    with quiet.reader() as uow:
        assert not escalation.awaiting_confirmation(uow, _at(8, 11, 20))


def test_the_teams_own_wording_asks_again_alerts_and_tells_of_the_late_ok(
    quiet: Database, engine: Engine, clock: FixedClock, fake: FakeTwilio
) -> None:
    templates = {
        "confirm_reminder": "{name}, your {shift} shift started {start}. Reply OK, please.",
        "unconfirmed_alert": "No OK from {name} for {shift} ({start}).",
        "confirmed_notice": "{name} said OK at {time}.",
    }
    with quiet.uow("admin") as uow:
        update_settings(
            uow, clock.now(), SettingsChange(text_templates=templates), expected_version=None
        )
        uow.commit()
    _ann_told_at_0800(quiet, engine, clock)
    for at in (_at(8, 15), _at(8, 30)):
        _tick(engine, clock, at)
    fake.receive(ANN, "OK", sent_at=_at(8, 41), to=FROM_NUMBER)
    _tick(engine, clock, _at(8, 41, 10))

    assert _bodies_to(fake, ANN)[1:] == [
        "Ann Archer, your Monday shift started Mon 08:00 CST. Reply OK, please."
    ]
    assert _bodies_to(fake, LEAD_PHONE) == [
        "No OK from Ann Archer for Monday (Mon 08:00 CST).",
        "Ann Archer said OK at 08:41 CST.",
    ]
