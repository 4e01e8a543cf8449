"""The small facts with one home each in the core: the notification vocabulary, phone masking
in free text, Twilio's error wording, compact times and the shift margin."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from whoseonfirst_core.domain.masking import mask_phones
from whoseonfirst_core.domain.notification import (
    FINAL_STATUSES,
    HANDED_OVER_STATUSES,
    IN_FLIGHT_STATUSES,
    OUTBOX_STATUSES,
    PROBLEM_STATUSES,
    Kind,
    Phase,
    Status,
    kind_label,
)
from whoseonfirst_core.domain.rotation import MAX_SHIFT_HOURS, SHIFT_MARGIN
from whoseonfirst_core.domain.sms_errors import (
    DELIVERY_REASONS,
    PERMANENT_REASONS,
    delivery_outcome,
    error_text,
)
from whoseonfirst_core.domain.timeutil import fmt_local_compact

CHI = ZoneInfo("America/Chicago")

# --- the vocabulary ------------------------------------------------------------------------


def test_the_stored_values_and_labels() -> None:
    assert [k.value for k in Kind] == [
        "shift_start",
        "weekly_summary",
        "failure_alert",
        "test",
        "manual",
        "reminder",
        "change_notice",
        "off_call",
        "reply",
        "opt_out_alert",
        "confirm_reminder",
        "unconfirmed_alert",
        "confirmed_notice",
    ]
    assert [k.label for k in Kind] == [
        "Shift start",
        "Weekly summary",
        "Failure alert",
        "Test",
        "Manual",
        "Reminder",
        "Change notice",
        "Off call",
        "Reply",
        "Opt out alert",
        "Confirm reminder",
        "Unconfirmed alert",
        "Confirmed notice",
    ]
    assert kind_label("shift_start") == "Shift start" and kind_label("later_kind") == "later_kind"
    assert [s.value for s in Status] == [
        "queued",
        "sending",
        "sent",
        "delivered",
        "undelivered",
        "failed",
        "missed",
        "simulated",
        "expired",
    ]
    assert Status("failed") is Status.FAILED and "failed" in PROBLEM_STATUSES
    assert f"{Kind.SHIFT_START}:x" == "shift_start:x"  # idempotency keys keep their shape


def test_the_named_sets_follow_the_phases() -> None:
    assert {"failed", "undelivered", "missed", "expired"} == PROBLEM_STATUSES
    assert {"queued", "sending"} == OUTBOX_STATUSES
    assert {"queued", "sending", "sent"} == IN_FLIGHT_STATUSES
    assert {"sent", "delivered", "simulated"} == HANDED_OVER_STATUSES
    assert {
        "delivered",
        "undelivered",
        "failed",
        "missed",
        "simulated",
        "expired",
    } == FINAL_STATUSES
    assert not FINAL_STATUSES & IN_FLIGHT_STATUSES
    assert set(Status) == FINAL_STATUSES | IN_FLIGHT_STATUSES
    assert {s.phase for s in Status} == set(Phase)


# --- masking phone numbers in free text ----------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("to +13125550101.", "to +1312555XXXX."),
        ("?To=%2B13125550101&Page=0", "?To=%2B1312555XXXX&Page=0"),
        ("To=13125550101", "To=1312555XXXX"),
        ("(312) 555-0101", "(312) 555-XXXX"),
        ("+1 312-555-0101", "+1 312-555-XXXX"),
        ("sid SM0123456789abcdef0123456789abcd", "sid SM0123456789abcdef0123456789abcd"),
        (
            "#12 at 2026-03-02T14:00:00+00:00 port 8787",
            "#12 at 2026-03-02T14:00:00+00:00 port 8787",
        ),
    ],
)
def test_mask_phones(raw: str, masked: str) -> None:
    assert mask_phones(raw) == masked


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        # Twilio's own error messages, as the adapter used to mask them on their own
        (
            "The 'To' number +15005550001 is not valid.",
            "The 'To' number +1500555XXXX is not valid.",
        ),
        ("to +1234567", "to +XXXXXXX"),
    ],
)
def test_mask_phones_in_twilio_messages(raw: str, masked: str) -> None:
    assert mask_phones(raw) == masked


# --- Twilio's error wording ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "message", "shown"),
    [
        (30003, "Unreachable destination handset", "30003 Unreachable destination handset"),
        (
            21614,
            "the number is not a mobile number (21614)",
            "the number is not a mobile number (21614)",
        ),
        (None, "no answer from Twilio within 10 s", "no answer from Twilio within 10 s"),
        (429, None, "429"),
        (None, None, ""),
    ],
)
def test_error_text_names_the_code_once(code: int | None, message: str | None, shown: str) -> None:
    assert error_text(code, message) == shown


def test_delivery_failures_name_their_code_once() -> None:
    status, reason = delivery_outcome("undelivered", 30003, "Unreachable destination handset")
    assert status is Status.UNDELIVERED
    assert reason == (
        "Twilio could not deliver it: the phone is unreachable (switched off or out of "
        "coverage) (30003)"
    )
    assert error_text(30003, reason).count("30003") == 1
    assert delivery_outcome("canceled", None, None)[0] is Status.EXPIRED
    assert delivery_outcome("delivered", None, None) == (Status.DELIVERED, None)
    assert delivery_outcome("sending", None, None) == (None, None)
    assert not PERMANENT_REASONS.keys() & DELIVERY_REASONS.keys()


# --- compact times and the shift margin ----------------------------------------------------


def test_compact_times_carry_that_instants_zone() -> None:
    assert fmt_local_compact(datetime(2026, 3, 3, 14, tzinfo=UTC), CHI) == "Tue 3/3 08:00 CST"
    assert fmt_local_compact(datetime(2026, 3, 10, 13, tzinfo=UTC), CHI) == "Tue 3/10 08:00 CDT"


def test_one_shift_margin() -> None:
    from whoseonfirst_core.usecases import due, schedule

    assert SHIFT_MARGIN == timedelta(days=8) > timedelta(hours=MAX_SHIFT_HOURS)
    assert schedule.READ_MARGIN is SHIFT_MARGIN
    assert due.RESOLUTION_LOOKBACK is SHIFT_MARGIN and due.LOOKAHEAD is SHIFT_MARGIN
