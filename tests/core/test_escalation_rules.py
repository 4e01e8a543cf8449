"""The escalation rules on their own (pure): when a span not confirmed is asked again and the
contacts are told, the keys that make each text go once, and what stops it."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from whoseonfirst_core.domain.escalation import (
    AskedSpan,
    SentAlert,
    escalation_instants,
    escalation_texts,
)
from whoseonfirst_core.domain.notification import Kind
from whoseonfirst_core.domain.texts import Recipient, TeamSnapshot

START = datetime(2026, 3, 3, 14, tzinfo=UTC)  # Tue 08:00 CST
ANN = Recipient(1, "Ann Archer", ("+13125550101", "+13125550177"))
LEAD = Recipient(7, "Lee Lead", ("+13125550199",))
TEAM = TeamSnapshot(
    team_name="Ops",
    tz=ZoneInfo("America/Chicago"),
    shift_start_template="{name} on call {start}",
    weekly_summary_enabled=False,
    weekly_summary_day=0,
    weekly_summary_time=time(8),
    reminder_minutes=None,
    members={1: ANN},
    summary_contacts=(),
    alert_contacts=(LEAD,),
)
SPAN = AskedSpan(
    member_id=1,
    member_name="Ann Archer",
    shift_name="Tuesday",
    span_start=START,
    span_end=START + timedelta(hours=24),
    confirmed_at=None,
    still_theirs=True,
    asked_at=START,
)


def _at(minutes: float) -> datetime:
    return START + timedelta(minutes=minutes)


def test_asked_again_at_n_and_the_contacts_told_at_2n_each_once_by_key() -> None:
    assert escalation_texts(SPAN, [], _at(14.9), TEAM) == []
    again = escalation_texts(SPAN, [], _at(15), TEAM)
    assert [(t.kind, t.recipient_phone, t.due_at) for t in again] == [
        (Kind.CONFIRM_REMINDER, "+13125550101", _at(15)),
        (Kind.CONFIRM_REMINDER, "+13125550177", _at(15)),
    ]
    assert again[0].key == "confirm_reminder:2026-03-03T14:00:00+00:00:m1:+13125550101:2026-03-03"
    both = escalation_texts(SPAN, [], _at(30), TEAM)
    [alert] = [t for t in both if t.kind == Kind.UNCONFIRMED_ALERT]
    assert [t.key for t in both if t.kind == Kind.CONFIRM_REMINDER] == [t.key for t in again]
    assert alert.key == "unconfirmed_alert:2026-03-03T14:00:00+00:00:m1:c7:+13125550199"
    assert alert.body == (
        "WhoseOnFirst: Ann Archer has not confirmed the Tuesday shift (Tue 08:00 CST)."
    )
    assert escalation_instants(SPAN, _at(1), timedelta(minutes=15)) == [_at(15), _at(30)]


def test_a_late_ok_tells_each_contact_the_alert_went_to_once() -> None:
    confirmed = replace(SPAN, confirmed_at=_at(41))
    assert escalation_texts(confirmed, [], _at(42), TEAM) == []  # no alert went: nothing to say
    sent = [
        SentAlert(
            "unconfirmed_alert:2026-03-03T14:00:00+00:00:m1:c7:+13125550199", "Lee", "+13125550199"
        )
    ]
    [notice] = escalation_texts(confirmed, sent, _at(42), TEAM)
    assert (notice.kind, notice.key, notice.body) == (
        Kind.CONFIRMED_NOTICE,
        "confirmed_notice:2026-03-03T14:00:00+00:00:m1:c7:+13125550199",
        "WhoseOnFirst: Ann Archer confirmed at 08:41 CST.",
    )


def test_an_ended_span_one_handed_over_and_the_settings_off_stop_it() -> None:
    assert escalation_texts(SPAN, [], _at(24 * 60), TEAM) == []
    handed = replace(SPAN, still_theirs=False)
    assert escalation_texts(handed, [], _at(30), TEAM) == []
    assert escalation_instants(handed, _at(1), timedelta(minutes=15)) == []
    for team in (replace(TEAM, confirm_within_minutes=0), replace(TEAM, confirm_requested=False)):
        assert escalation_texts(SPAN, [], _at(30), team) == []


def test_a_text_sent_late_gets_its_person_the_whole_time() -> None:
    late = replace(SPAN, asked_at=_at(40))  # the service was down until 08:40
    assert escalation_texts(late, [], _at(41), TEAM) == []
    assert {t.due_at for t in escalation_texts(late, [], _at(70), TEAM)} == {_at(55), _at(70)}
