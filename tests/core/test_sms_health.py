"""The one rule for the SMS side's health (:func:`sms_health`), from facts: each cause, the
edges of its threshold, and recovery."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from whoseonfirst_core.domain.service_state import (
    FAILED_IN_A_ROW,
    OVERDUE_AFTER,
    SendAttemptFact,
    SmsCause,
    SmsFacts,
    sms_health,
)

NOW = datetime(2026, 3, 2, 14, 30, tzinfo=UTC)
AUTH = "Twilio refused the account SID and auth token (check TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN) (20003)"


def attempt(
    outcome: str, minutes_ago: float, code: int | None = None, message: str = ""
) -> SendAttemptFact:
    return SendAttemptFact(outcome, code, message or None, NOW - timedelta(minutes=minutes_ago))


def test_no_facts_is_healthy() -> None:
    assert sms_health(SmsFacts(), NOW).ok


def test_credentials_refused_from_the_first_refusal_until_a_text_gets_through() -> None:
    refused = attempt("permanent", 1, 20003, AUTH)
    health = sms_health(SmsFacts(decided=(refused,), credentials_refused=refused), NOW)
    assert health.cause is SmsCause.CREDENTIALS
    assert health.reason == f"texts cannot be sent: {AUTH}"
    # An older success does not hide it; a newer one is the recovery.
    older = SmsFacts(credentials_refused=refused, last_handed_over_at=NOW - timedelta(minutes=2))
    assert sms_health(older, NOW).cause is SmsCause.CREDENTIALS
    newer = SmsFacts(credentials_refused=refused, last_handed_over_at=NOW)
    assert sms_health(newer, NOW).ok


def test_the_last_n_sends_all_failing_for_good_is_unhealthy_one_fewer_is_not() -> None:
    failing = tuple(
        attempt("permanent", i, 21211, "Twilio rejected the number as invalid (21211)")
        for i in range(FAILED_IN_A_ROW)
    )
    health = sms_health(SmsFacts(decided=failing), NOW)
    assert health.cause is SmsCause.FAILING
    assert health.reason == (
        f"the last {FAILED_IN_A_ROW} texts all failed permanently "
        "(the newest: Twilio rejected the number as invalid (21211))"
    )
    assert sms_health(SmsFacts(decided=failing[:-1]), NOW).ok  # a member's two bad phones
    recovered = (attempt("sent", 0), *failing[:-1])
    assert sms_health(SmsFacts(decided=recovered), NOW).ok


def test_a_phone_number_in_twilios_wording_is_masked() -> None:
    failing = tuple(
        attempt("permanent", i, 21999, "The 'To' number +13125550101 is not valid")
        for i in range(FAILED_IN_A_ROW)
    )
    reason = sms_health(SmsFacts(decided=failing), NOW).reason or ""
    assert "+13125550101" not in reason and "+1312555XXXX" in reason


@pytest.mark.parametrize(
    ("overdue_for", "last_sent_ago", "stalled"),
    [
        (OVERDUE_AFTER, None, True),
        (OVERDUE_AFTER - timedelta(seconds=1), None, False),  # a blip's backoff, not yet
        (OVERDUE_AFTER * 3, OVERDUE_AFTER, True),
        (OVERDUE_AFTER * 3, OVERDUE_AFTER - timedelta(seconds=1), False),  # texts go out
    ],
)
def test_nothing_sent_while_texts_are_overdue(
    overdue_for: timedelta, last_sent_ago: timedelta | None, stalled: bool
) -> None:
    facts = SmsFacts(
        last_handed_over_at=NOW - last_sent_ago if last_sent_ago is not None else None,
        overdue=2,
        oldest_overdue_due_at=NOW - overdue_for,
    )
    health = sms_health(facts, NOW)
    assert (health.cause is SmsCause.STALLED) is stalled
    if stalled:
        minutes = int(overdue_for.total_seconds() // 60)
        assert health.reason == (
            f"nothing was handed to Twilio while 2 texts are overdue (the oldest by {minutes} min)"
        )
    assert sms_health(SmsFacts(last_handed_over_at=facts.last_handed_over_at), NOW).ok
