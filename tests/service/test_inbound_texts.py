"""Texts people send to the team's number, end to end: the engine polls the fake Twilio through
the real SDK, one tick at a time on a fixed clock, on SQLite and PostgreSQL.

The demo team from Mon 2026-03-02 07:00 CST: Ann is on call Monday, Ben Tuesday–Wednesday.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from whoseonfirst_service.engine import Engine

from tests.fakes.fake_twilio import FakeTwilio, Reply
from tests.service.conftest import (
    FROM_NUMBER,
    LEAD_PHONE,
    MakeEngine,
    notifications,
    set_secondary_phone,
    utc,
)
from whoseonfirst_core.clock import FixedClock
from whoseonfirst_core.db.models import InboundMessage, PhoneOptOut
from whoseonfirst_core.db.session import Database

ANN, ANN_2ND, BEN = "+13125550101", "+13125550111", "+13125550102"


def _bodies_to(fake: FakeTwilio, phone: str, since: int = 0) -> list[str]:
    return [r.form["Body"] for r in fake.create_requests[since:] if r.form.get("To") == phone]


def _opted_out(db: Database) -> set[str]:
    with db.reader() as uow:
        return set(uow.session.scalars(select(PhoneOptOut.phone)))


def test_stop_keeps_the_next_shift_text_off_that_phone_and_start_brings_it_back(
    quiet: Database, engine: Engine, clock: FixedClock, fake: FakeTwilio
) -> None:
    set_secondary_phone(quiet, "Ann", ANN_2ND)
    engine.tick()  # Mon 07:00 CST
    clock.advance(timedelta(minutes=10))
    fake.receive(ANN_2ND, "STOP", to=FROM_NUMBER)
    engine.tick()
    assert _opted_out(quiet) == {ANN_2ND}
    assert _bodies_to(fake, LEAD_PHONE) == [
        "WhoseOnFirst: Ann Archer cannot be texted on +1 312-555-0111: it replied STOP. "
        "Nothing more is sent to that phone until it replies START."
    ]
    clock.set(utc(2026, 3, 2, 14, 0, 30))  # Mon 08:00:30: Ann's shift starts
    engine.tick()
    assert [r.recipient_phone for r in notifications(quiet, "shift_start")] == [ANN]
    clock.set(utc(2026, 3, 3, 13))  # Tue 07:00
    fake.receive(ANN_2ND, "start", to=FROM_NUMBER)
    engine.tick()
    assert _opted_out(quiet) == set()
    clock.set(utc(2026, 3, 9, 13))  # the next Monday 07:00 (Gus), then Tue 08:00:30 (Ann)
    engine.tick()
    clock.set(utc(2026, 3, 10, 13, 0, 30))  # CDT since Sunday
    engine.tick()
    second_week = [
        r for r in notifications(quiet, "shift_start") if r.span_start == utc(2026, 3, 10, 13)
    ]
    assert sorted(r.recipient_phone for r in second_week) == sorted([ANN, ANN_2ND])


def test_who_is_answered_and_each_text_is_handled_once_across_polls_and_engines(
    quiet: Database, make_engine: MakeEngine, clock: FixedClock, fake: FakeTwilio
) -> None:
    a, b = make_engine(instance_id="a"), make_engine(instance_id="b")
    a.tick()
    clock.advance(timedelta(minutes=1))
    fake.receive(BEN, "who?", to=FROM_NUMBER)
    for engine in (a, b, a, b):  # every poll lists the text again (the overlap)
        clock.advance(timedelta(seconds=30))
        engine.tick()
    # Before the rotation's first shift (Mon 08:00) nobody is on call yet.
    assert _bodies_to(fake, BEN) == ["Nobody is on call now. Next: Ann Archer from Mon 08:00 CST."]
    with quiet.reader() as uow:
        [row] = uow.session.scalars(select(InboundMessage)).all()
        assert (row.sender, row.asks) == (BEN, "who")
    assert len(fake.list_requests) >= 4  # one poll a tick


def test_a_failed_poll_is_tried_again_and_skips_nothing(
    quiet: Database, engine: Engine, clock: FixedClock, fake: FakeTwilio
) -> None:
    engine.tick()
    fake.receive(BEN, "help", to=FROM_NUMBER)
    fake.script_list([Reply.error(503)])
    clock.advance(timedelta(minutes=1))
    engine.tick()
    assert _bodies_to(fake, BEN) == []
    clock.advance(timedelta(minutes=30))  # long after the text was sent
    engine.tick()
    [answer] = _bodies_to(fake, BEN)
    assert answer.startswith("WhoseOnFirst on-call texts for Support (demo).")


def test_twilio_error_21610_opts_the_phone_out_and_tells_the_lead(
    quiet: Database, engine: Engine, clock: FixedClock, fake: FakeTwilio
) -> None:
    set_secondary_phone(quiet, "Ann", ANN_2ND)
    engine.tick()
    fake.script_create([Reply(), Reply.error(400, 21610)])  # Ann's phones, in that order
    clock.set(utc(2026, 3, 2, 14, 0, 30))
    engine.tick()
    assert [(r.recipient_phone, r.status) for r in notifications(quiet, "shift_start")] == [
        (ANN, "delivered"),
        (ANN_2ND, "failed"),
    ]
    assert _opted_out(quiet) == {ANN_2ND}
    assert [b for b in _bodies_to(fake, LEAD_PHONE) if "cannot be texted" in b] == [
        "WhoseOnFirst: Ann Archer cannot be texted on +1 312-555-0111: Twilio refused a text to "
        "it: the phone has opted out (error 21610). Nothing more is sent to that phone until it "
        "replies START."
    ]
    # Ann's other phone was texted, so no failure alert: she was reached.
    assert not [b for b in _bodies_to(fake, LEAD_PHONE) if "could not be reached" in b]
