"""Reconciliation after an ambiguous send (SPEC §4 point 4): the search window starts at the
attempt, a SID already recorded on another row never reconciles this one, and when nothing is
found the text is sent again, once. The fake lists messages as Twilio does (newest first by
send date, paged through ``next_page_uri``) on the same clock as the engine."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import update
from whoseonfirst_service.delivery import EngineSettings
from whoseonfirst_service.engine import Engine
from whoseonfirst_service.twilio_sms import SendResult, TwilioBackend

from tests.fakes.fake_twilio import FakeTwilio, Reply
from tests.service.conftest import MakeEngine, attempts, notifications, utc
from whoseonfirst_core.clock import FixedClock
from whoseonfirst_core.db.models import Notification
from whoseonfirst_core.db.session import Database
from whoseonfirst_core.domain.notification import Status
from whoseonfirst_core.usecases import outbox
from whoseonfirst_core.usecases.notifications import queue_text, resend

ANN = "+13125550101"
BODY = "WhoseOnFirst: Hi Ann, you are on call from Mon 08:00 CST until Tue 08:00 CST (24h)."
T0 = utc(2026, 3, 2, 13, 0, 0)  # 07:00 CST, before the first shift starts
MARGIN = EngineSettings().reconcile_margin


# -- the adapter: window, exclusions, paging ----------------------------------------------------


def test_a_copy_created_before_the_window_is_not_found_though_it_was_sent_later(
    fake: FakeTwilio, backend: TwilioBackend, clock: FixedClock
) -> None:
    clock.set(T0)
    earlier = backend.send(ANN, BODY, validity_seconds=None)
    clock.set(T0 + timedelta(minutes=1))
    fake.advance_status(earlier.sid, "sent")  # still being delivered: date_sent is now

    assert backend.find_recent(ANN, BODY, clock.now() - MARGIN) is None
    assert backend.find_recent(ANN, BODY, T0) == SendResult(earlier.sid, "sent")


def test_created_within_the_same_second_counts_twilio_stamps_whole_seconds(
    backend: TwilioBackend, clock: FixedClock
) -> None:
    clock.set(T0 + timedelta(milliseconds=900))
    sent = backend.send(ANN, BODY, validity_seconds=None)  # date_created reads 15:00:00

    assert backend.find_recent(ANN, BODY, T0 + timedelta(milliseconds=500)) is not None
    assert sent.sid


def test_a_sid_recorded_elsewhere_is_skipped(
    fake: FakeTwilio, backend: TwilioBackend, clock: FixedClock
) -> None:
    clock.set(T0)
    first = backend.send(ANN, BODY, validity_seconds=None)
    clock.advance(timedelta(seconds=2))
    second = backend.send(ANN, BODY, validity_seconds=None)

    assert backend.find_recent(ANN, BODY, T0, exclude=frozenset({second.sid})) == SendResult(
        first.sid, "queued"
    )
    assert backend.find_recent(ANN, BODY, T0, exclude=frozenset({first.sid, second.sid})) is None


def test_the_list_is_read_page_by_page_through_next_page_uri(
    fake: FakeTwilio, backend: TwilioBackend, clock: FixedClock
) -> None:
    clock.set(T0)
    wanted = backend.send(ANN, BODY, validity_seconds=None)
    for n in range(60):  # newer texts to the same number push it onto the second page
        clock.advance(timedelta(seconds=1))
        backend.send(ANN, f"other text {n}", validity_seconds=None)

    assert backend.find_recent(ANN, BODY, T0) == SendResult(wanted.sid, "queued")

    first, second = [r for r in fake.requests if r.method == "GET"]
    assert (first.query["To"], first.query["PageSize"]) == (ANN, "50")
    assert "From" not in first.query  # another instance may have sent it from another number
    assert second.query["PageToken"] and second.query["Page"] == "1"
    assert second.query["To"] == ANN


def test_listing_stops_at_messages_sent_before_the_window(
    fake: FakeTwilio, backend: TwilioBackend, clock: FixedClock
) -> None:
    clock.set(T0 - timedelta(hours=1))
    for n in range(60):
        clock.advance(timedelta(seconds=1))
        old = backend.send(ANN, f"old text {n}", validity_seconds=None)
        fake.advance_status(old.sid, "delivered")
    clock.set(T0)

    assert backend.find_recent(ANN, BODY, T0) is None
    assert len([r for r in fake.requests if r.method == "GET"]) == 1  # the rest is older


def test_the_fake_pages_like_twilio(fake: FakeTwilio, backend: TwilioBackend) -> None:
    """Newest first by send date (not yet sent first), PageSize, next_page_uri to the end."""
    import json
    import urllib.request
    from base64 import b64encode

    sids = [backend.send(ANN, f"text {n}", validity_seconds=None).sid for n in range(5)]
    fake.advance_status(sids[0], "sent")
    auth = b64encode(f"{fake.account_sid}:{fake.auth_token}".encode()).decode()
    uri: str | None = f"/2010-04-01/Accounts/{fake.account_sid}/Messages.json?PageSize=2"
    seen: list[str] = []
    while uri is not None:
        request = urllib.request.Request(
            fake.base_url + uri, headers={"Authorization": "Basic " + auth}
        )
        with urllib.request.urlopen(request) as answer:
            page = json.load(answer)
        assert len(page["messages"]) <= 2
        seen += [m["sid"] for m in page["messages"]]
        uri = page["next_page_uri"]
    assert seen == [sids[4], sids[3], sids[2], sids[1], sids[0]]


# -- the engine: a resend after an ambiguous attempt -------------------------------------------


@pytest.mark.parametrize(
    "gap", [timedelta(minutes=1), timedelta(seconds=3)], ids=["a-minute-later", "seconds-later"]
)
def test_a_lost_resend_is_not_reconciled_to_the_original_and_is_sent_again_once(
    quiet: Database,
    make_engine: MakeEngine,
    make_backend: Callable[..., TwilioBackend],
    clock: FixedClock,
    fake: FakeTwilio,
    gap: timedelta,
) -> None:
    engine: Engine = make_engine(sms=make_backend(timeout=0.3))
    clock.set(T0)
    with quiet.uow("admin@host") as uow:
        original = queue_text(uow, clock.now(), to=ANN, body=BODY)
        uow.commit()
    engine.tick()
    [message] = fake.created
    clock.advance(gap)
    with quiet.uow("admin@host") as uow:
        copy = resend(uow, clock.now(), original.id)
        uow.commit()
    # The copy's request times out and Twilio created nothing: the text is lost so far.
    fake.script_create([Reply.slow(30, create=False)])
    engine.tick()
    [row] = [r for r in notifications(quiet) if r.id == copy.id]
    assert row.status == Status.SENDING and row.next_attempt_at is not None

    clock.set(row.next_attempt_at)
    engine.tick()

    rows = {r.id: r for r in notifications(quiet)}
    assert rows[original.id].twilio_sid == message.sid
    assert rows[copy.id].twilio_sid not in (None, message.sid)
    assert rows[copy.id].status in (Status.SENT, Status.DELIVERED)
    assert [a.outcome for a in attempts(quiet, copy.id)] == ["ambiguous", "sent"]
    assert len(fake.create_requests) == 3  # the original, the lost attempt, one more send
    assert [m.sid for m in fake.created] == [message.sid, rows[copy.id].twilio_sid]
    sids = [r.twilio_sid for r in rows.values() if r.twilio_sid]
    assert len(sids) == len(set(sids))


def test_a_row_never_takes_a_sid_another_row_holds(
    quiet: Database, backend: TwilioBackend, clock: FixedClock, fake: FakeTwilio
) -> None:
    clock.set(T0)
    with quiet.uow("admin@host") as uow:
        first = queue_text(uow, clock.now(), to=ANN, body=BODY)
        second = queue_text(uow, clock.now(), to=ANN, body=BODY)
        uow.session.execute(
            update(Notification)
            .where(Notification.id == first.id)
            .values(status=Status.SENT, twilio_sid="SM" + "a" * 32)
        )
        uow.commit()
    with quiet.uow("service") as uow:
        claimed = outbox.claim(
            uow.session, second.id, now=clock.now(), token="t", stale_before=clock.now()
        )
        assert claimed is not None
        uow.commit()
    with quiet.uow("service") as uow:
        taken = outbox.sids_of_others(uow.session, ANN, second.id)
        assert taken == {"SM" + "a" * 32}
        recorded = outbox.finish(
            uow.session,
            claimed,
            token="t",
            now=clock.now(),
            status=Status.SENT,
            outcome="reconciled",
            twilio_sid="SM" + "a" * 32,
        )
        uow.commit()
    assert recorded is False
    [row] = [r for r in notifications(quiet) if r.id == second.id]
    assert row.status == Status.SENDING and row.twilio_sid is None
