"""The idempotency keys of planned texts are a stored contract: the outbox holds one row per key,
so a key that changed shape after an upgrade would send every pending text a second time."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

from whoseonfirst_core.domain.resolution import ResolvedSpan
from whoseonfirst_core.domain.texts import (
    Recipient,
    TeamSnapshot,
    reminder_texts,
    shift_start_texts,
)

CHI = ZoneInfo("America/Chicago")
ANN = Recipient(1, "Ann Archer", ("+13125550101", "+13125550177"))


def _team(reminder_minutes: int | None) -> TeamSnapshot:
    return TeamSnapshot(
        team_name="Ops",
        tz=CHI,
        shift_start_template="{name} on call {start}-{end}",
        weekly_summary_enabled=False,
        weekly_summary_day=0,
        weekly_summary_time=time(8),
        reminder_minutes=reminder_minutes,
        members={1: ANN},
        summary_contacts=(),
        alert_contacts=(),
    )


def _span(notify: bool = True) -> ResolvedSpan:
    # Sat 2026-03-07 08:00 CST → Sun 08:00 CDT (the spring-forward weekend).
    return ResolvedSpan(
        datetime(2026, 3, 7, 14, tzinfo=UTC),
        datetime(2026, 3, 8, 13, tzinfo=UTC),
        1,
        "Saturday",
        6,
        1,
        None,
        notify,
    )


def test_shift_start_keys_one_per_phone_in_the_stored_shape() -> None:
    texts = shift_start_texts([_span()], _team(None))

    assert [t.key for t in texts] == [
        "shift_start:2026-03-07T14:00:00+00:00:m1:+13125550101:2026-03-07",
        "shift_start:2026-03-07T14:00:00+00:00:m1:+13125550177:2026-03-07",
    ]
    assert {(t.due_at, t.expires_at) for t in texts} == {(_span().start, _span().end)}
    assert [t.body for t in texts] == [
        "Ann Archer on call Sat 08:00 CST-Sun 08:00 CDT Reply OK to confirm."
    ] * 2
    assert shift_start_texts([_span(notify=False)], _team(None)) == []


def test_the_confirm_request_is_added_once_and_only_when_asked_for() -> None:
    team = _team(None)
    own_words = replace(team, shift_start_template="{name} on call {start}. Reply  ok if you can")
    not_asked = replace(team, confirm_requested=False)

    assert shift_start_texts([_span()], own_words)[0].body == (
        "Ann Archer on call Sat 08:00 CST. Reply  ok if you can"
    )
    assert shift_start_texts([_span()], not_asked)[0].body == (
        "Ann Archer on call Sat 08:00 CST-Sun 08:00 CDT"
    )


def test_reminder_keys_and_times() -> None:
    texts = reminder_texts([_span()], _team(30))

    assert [t.key for t in texts] == [
        "reminder:2026-03-07T14:00:00+00:00:m1:+13125550101:2026-03-07",
        "reminder:2026-03-07T14:00:00+00:00:m1:+13125550177:2026-03-07",
    ]
    assert {(t.due_at, t.expires_at) for t in texts} == {
        (datetime(2026, 3, 7, 13, 30, tzinfo=UTC), _span().start)
    }
    assert reminder_texts([_span()], _team(None)) == []
