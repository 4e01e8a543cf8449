"""A text's validity follows its span (issue 19, failure 6): when an override cuts a span short,
or takes it over from its start, while the span's shift_start text is still queued (retrying),
the text is never delivered after the span ended. One tick at a time on a fixed clock, through
the real twilio SDK against the fake server, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update
from whoseonfirst_service.engine import Engine

from tests.fakes.fake_twilio import FakeTwilio, RecordedRequest, Reply
from tests.service.conftest import LEAD_PHONE, member, notifications, utc
from whoseonfirst_core.clock import FixedClock
from whoseonfirst_core.db.models import Notification, TeamSettings
from whoseonfirst_core.db.session import Database
from whoseonfirst_core.usecases.calendar import Cover, add_override
from whoseonfirst_core.usecases.due import SUPERSEDED

ANN, CAL = "+13125550101", "+13125550103"
MONDAY_0800_30 = utc(2026, 3, 2, 14, 0, 30)  # 08:00:30 CST, Ann's Monday shift
MONDAY_0830 = utc(2026, 3, 2, 14, 30)
MONDAY_0900 = utc(2026, 3, 2, 15)
TUESDAY_0800 = utc(2026, 3, 3, 14)


@pytest.fixture
def quiet(team: Database) -> Database:
    """The demo team without the weekly summary, and without escalation of unconfirmed shifts
    (these tests follow the shift-start texts; test_escalation.py follows the rest)."""
    with team.uow("admin") as uow:
        uow.session.execute(
            update(TeamSettings).values(weekly_summary_enabled=False, confirm_within_minutes=0)
        )
        uow.commit()
    return team


def _row(db: Database, phone: str) -> Notification:
    [row] = [r for r in notifications(db, "shift_start") if r.recipient_phone == phone]
    return row


#: How change notices begin: the person relieved of a running span is told they are off call
#: (tests/service/test_change_notices.py); these tests are about the shift-start texts.
NOTICES = ("WhoseOnFirst: you are off call", "WhoseOnFirst: your on-call changed")


def _shift_start_requests(fake: FakeTwilio) -> list[RecordedRequest]:
    return [r for r in fake.create_requests if not r.form.get("Body", "").startswith(NOTICES)]


def _requests_to(fake: FakeTwilio, phone: str) -> list[dict[str, str]]:
    return [dict(r.form) for r in _shift_start_requests(fake) if r.form.get("To") == phone]


def _notices_to(fake: FakeTwilio, phone: str) -> list[str]:
    return [
        r.form["Body"]
        for r in fake.create_requests
        if r.form.get("To") == phone and r.form.get("Body", "").startswith(NOTICES)
    ]


def _ann_retrying(engine: Engine, clock: FixedClock, fake: FakeTwilio, failures: int) -> None:
    """07:00 and 08:00:30 ticks; Twilio answers 503 to Ann's first ``failures`` tries."""
    fake.script_create([Reply.error(503)] * failures)
    engine.tick()
    clock.set(MONDAY_0800_30)
    engine.tick()


def _cover(db: Database, clock: FixedClock, name: str, start: object, end: object) -> None:
    coverer = member(db, name)
    with db.uow("admin") as uow:
        add_override(uow, clock.now(), Cover(coverer.id, start, end))  # type: ignore[arg-type]
        uow.commit()


def test_a_span_cut_short_while_its_text_retries_is_not_texted_after_it_ended(
    quiet: Database, engine: Engine, clock: FixedClock, fake: FakeTwilio
) -> None:
    _ann_retrying(engine, clock, fake, failures=2)  # 08:00:30 and 08:30; then Twilio accepts
    assert _row(quiet, ANN).status == "queued" and _row(quiet, ANN).expires_at == TUESDAY_0800
    clock.set(MONDAY_0830)  # Cal takes over from 09:00: Ann's span now ends at 09:00
    _cover(quiet, clock, "Cal", MONDAY_0900, TUESDAY_0800)
    engine.tick()
    row = _row(quiet, ANN)
    assert (row.expires_at, row.span_end) == (MONDAY_0900, MONDAY_0900)
    assert row.body == (
        "WhoseOnFirst: Hi Ann Archer, you are on call from Mon 08:00 CST until Mon 09:00 CST (1h)."
        " Reply OK to confirm."
    )

    clock.set(utc(2026, 3, 2, 16))  # 10:00 CST: Ann's span ended an hour ago
    engine.tick()
    clock.advance(timedelta(minutes=1))
    engine.tick()

    row = _row(quiet, ANN)
    assert row.status == "expired" and row.twilio_sid is None
    ann_sends = [
        r
        for r in _shift_start_requests(fake)
        if r.form.get("To") == ANN and r.received_at >= MONDAY_0900
    ]
    assert ann_sends == []
    assert [r["Body"] for r in _requests_to(fake, CAL)] == [
        "WhoseOnFirst: Hi Cal Chen, you are on call from Mon 09:00 CST until Tue 08:00 CST (23h)."
        " Reply OK to confirm."
    ]


def test_the_validity_period_sent_to_twilio_ends_with_the_cut_span(
    quiet: Database, engine: Engine, clock: FixedClock, fake: FakeTwilio
) -> None:
    _ann_retrying(engine, clock, fake, failures=1)
    clock.set(MONDAY_0830)
    _cover(quiet, clock, "Cal", MONDAY_0900, TUESDAY_0800)
    engine.tick()  # the retry is due (30 s backoff at most) and goes through

    [first, retry] = _requests_to(fake, ANN)
    assert first["Body"].endswith("until Tue 08:00 CST (24h). Reply OK to confirm.")
    assert retry["Body"] == (
        "WhoseOnFirst: Hi Ann Archer, you are on call from Mon 08:00 CST until Mon 09:00 CST (1h)."
        " Reply OK to confirm."
    )
    assert int(retry["ValidityPeriod"]) == int((MONDAY_0900 - MONDAY_0830).total_seconds())
    assert _row(quiet, ANN).status in {"sent", "delivered"}


def test_a_span_taken_over_from_its_start_expires_its_queued_text_without_an_alert(
    quiet: Database, engine: Engine, clock: FixedClock, fake: FakeTwilio
) -> None:
    _ann_retrying(engine, clock, fake, failures=1)  # Twilio would accept the 08:30 retry
    clock.set(MONDAY_0830)  # Cal covers the whole Monday shift, back-dated to 08:00
    _cover(quiet, clock, "Cal", utc(2026, 3, 2, 14), TUESDAY_0800)
    engine.tick()
    clock.advance(timedelta(minutes=20))
    engine.tick()

    row = _row(quiet, ANN)
    assert (row.status, row.error_message) == ("expired", SUPERSEDED)
    assert all(
        r.received_at < MONDAY_0830 for r in _shift_start_requests(fake) if r.form["To"] == ANN
    )
    # Ann is told once that she is off call (she may have had her 08:00 text).
    assert _notices_to(fake, ANN) == [
        "WhoseOnFirst: you are off call from 08:30 CST; Cal Chen is on call."
    ]
    assert [r["Body"] for r in _requests_to(fake, CAL)] == [
        "WhoseOnFirst: Hi Cal Chen, you are on call from Mon 08:00 CST until Tue 08:00 CST (24h)."
        " Reply OK to confirm."
    ]
    assert _requests_to(fake, LEAD_PHONE) == []  # nobody missed a span: no failure alert


def test_a_cut_entered_after_the_new_end_expires_the_retrying_text_at_once(
    quiet: Database, engine: Engine, clock: FixedClock, fake: FakeTwilio
) -> None:
    _ann_retrying(engine, clock, fake, failures=1)  # Twilio would accept the next try
    clock.set(utc(2026, 3, 2, 15, 30))  # 09:30: Cal is entered as on call since 09:00
    _cover(quiet, clock, "Cal", MONDAY_0900, TUESDAY_0800)
    engine.tick()

    row = _row(quiet, ANN)
    assert (row.status, row.expires_at) == ("expired", MONDAY_0900)
    assert len(_requests_to(fake, ANN)) == 1  # only the 08:00:30 try
    assert [r["Body"] for r in _requests_to(fake, CAL)] == [
        "WhoseOnFirst: Hi Cal Chen, you are on call from Mon 09:00 CST until Tue 08:00 CST (23h)."
        " Reply OK to confirm."
    ]


def _ann_ambiguous(engine: Engine, clock: FixedClock, fake: FakeTwilio) -> None:
    """07:00 and 08:00:30 ticks; Ann's create is dropped before Twilio created it (ambiguous:
    the row waits, ``sending``, to be reconciled), and the list that would reconcile it fails."""
    fake.script_create([Reply(drop_connection=True, create=False)])
    engine.tick()
    clock.set(MONDAY_0800_30)
    engine.tick()
    row = _row(engine.db, ANN)
    assert row.status == "sending" and row.next_attempt_at is not None


def test_a_span_cut_short_while_its_text_waits_to_be_reconciled_is_not_texted_after_it(
    quiet: Database, engine: Engine, clock: FixedClock, fake: FakeTwilio
) -> None:
    """An ambiguous attempt keeps the row ``sending`` (its body may be at Twilio, so it never
    changes): its validity follows the span all the same, so a reconciliation that finds
    nothing after the span ended expires the text instead of sending it."""
    _ann_ambiguous(engine, clock, fake)  # the retry waits at least 15 s (the backoff)
    clock.set(MONDAY_0800_30 + timedelta(seconds=10))
    cut = MONDAY_0800_30 + timedelta(seconds=12)  # Cal takes over before the retry
    _cover(quiet, clock, "Cal", cut, TUESDAY_0800)
    engine.tick()
    row = _row(quiet, ANN)
    assert (row.status, row.expires_at, row.span_end) == ("sending", cut, cut)
    assert row.body.endswith(
        "until Tue 08:00 CST (24h). Reply OK to confirm."
    )  # as it may have reached Twilio

    clock.set(utc(2026, 3, 2, 14, 2))  # the retry: Twilio has no copy, and the span is over
    for _ in range(3):
        engine.tick()
        clock.advance(timedelta(minutes=1))

    assert _row(quiet, ANN).status == "expired"
    assert len(_requests_to(fake, ANN)) == 1  # the dropped 08:00:30 try only


def test_a_span_taken_over_while_its_text_waits_to_be_reconciled_sends_no_copy_later(
    quiet: Database, engine: Engine, clock: FixedClock, fake: FakeTwilio
) -> None:
    _ann_ambiguous(engine, clock, fake)
    clock.set(MONDAY_0830)  # Cal covers the whole Monday shift, back-dated to 08:00
    _cover(quiet, clock, "Cal", utc(2026, 3, 2, 14), TUESDAY_0800)
    for _ in range(3):
        engine.tick()
        clock.advance(timedelta(minutes=1))

    assert _row(quiet, ANN).status == "expired"
    assert len(_requests_to(fake, ANN)) == 1
    assert _requests_to(fake, LEAD_PHONE) == []  # nobody missed a span: no failure alert
