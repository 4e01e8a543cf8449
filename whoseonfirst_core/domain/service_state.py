"""Whether the service is alive, and whether its texts are going out (the SMS side), decided
once for ``/healthz``, ``/metrics``, ``check``, the app's status bar, the Dashboard and the Test
send page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from whoseonfirst_core.domain.masking import mask_phones

#: The service counts as up while its last completed tick is younger than this. It ticks at
#: least every 30 s, so this is four ticks in a row that did not happen (a long send batch or a
#: database blip is not yet "down").
ALIVE_WITHIN = timedelta(minutes=2)

#: The service's host and the app's may disagree a little about the time: a tick stamped up
#: to this far in the future still counts. Further ahead, it proves nothing about now.
CLOCK_SKEW_ALLOWED = timedelta(seconds=30)


class ServiceState(StrEnum):
    """What the heartbeats say about the service."""

    #: No service has ever ticked on this database.
    NEVER_SEEN = "never seen"
    UP = "up"
    #: It ran before, but its last tick is :data:`ALIVE_WITHIN` old or older.
    SILENT = "silent"
    #: Its last tick is stamped in the future (beyond :data:`CLOCK_SKEW_ALLOWED`): a clock is
    #: wrong, or a pretended-time tick wrote it. Not alive: nothing says it runs now.
    AHEAD = "ahead"
    #: It said it stopped (a clean shutdown) and has not ticked since.
    STOPPED = "stopped"


def is_alive(last_tick_at: datetime | None, now: datetime) -> bool:
    """Whether a tick completed at ``last_tick_at`` (UTC) means the service is up at ``now``."""
    return (
        last_tick_at is not None
        and last_tick_at - now <= CLOCK_SKEW_ALLOWED
        and now - last_tick_at < ALIVE_WITHIN
    )


def service_state(
    last_tick_at: datetime | None, now: datetime, stopped_at: datetime | None = None
) -> ServiceState:
    """The state of a service whose newest tick completed at ``last_tick_at`` (None: never),
    and which said at ``stopped_at`` that it stopped cleanly (None: it never did)."""
    if last_tick_at is None:
        return ServiceState.NEVER_SEEN
    if stopped_at is not None and stopped_at >= last_tick_at:
        return ServiceState.STOPPED
    if last_tick_at - now > CLOCK_SKEW_ALLOWED:
        return ServiceState.AHEAD
    return ServiceState.UP if is_alive(last_tick_at, now) else ServiceState.SILENT


def tick_age(last_tick_at: datetime, now: datetime) -> str:
    """How long ago that tick was, in words: ``ticked 12 s ago``; a tick in the future says so
    (``ticked 34 days in the future (a clock is wrong, or a tick --now wrote it)``)."""
    age = now - last_tick_at
    if -age > CLOCK_SKEW_ALLOWED:
        ahead = -age
        amount = f"{ahead.days} days" if ahead.days >= 2 else f"{ahead.total_seconds():.0f} s"
        return f"ticked {amount} in the future (a clock is wrong, or a tick --now wrote it)"
    return f"ticked {max(0.0, age.total_seconds()):.0f} s ago"


# --- the SMS side -----------------------------------------------------------------------------

#: This many of the newest decided sends (handed to Twilio, or refused for good) all refused
#: for good means the SMS side is broken, not one bad number: a member's two phones (both
#: invalid, or opted out) fail together and still leave the service healthy; five in a row
#: across texts does not happen by bad luck.
FAILED_IN_A_ROW = 5
#: A text still waiting to go out this long after it was due, while nothing at all was handed
#: to Twilio for as long, means texts are not going out (Twilio unreachable or refusing every
#: request). Longer than the first backoff rounds of a blip (30 s, 1 min, 2 min).
OVERDUE_AFTER = timedelta(minutes=5)
#: Attempt outcomes that mean the text reached Twilio (or the dry-run backend took it).
HANDED_OVER_OUTCOMES = frozenset({"sent", "simulated", "reconciled"})
#: Attempt outcomes that decide a send: handed over, or refused for good.
DECIDED_OUTCOMES = HANDED_OVER_OUTCOMES | {"permanent"}


class SmsCause(StrEnum):
    """Why texts are not going out."""

    CREDENTIALS = "credentials"
    FAILING = "failing"
    STALLED = "stalled"


@dataclass(frozen=True, slots=True)
class SendAttemptFact:
    """One finished send attempt, as the SMS health rule sees it (``finished_at`` UTC)."""

    outcome: str
    error_code: int | None
    error_message: str | None
    finished_at: datetime


@dataclass(frozen=True, slots=True)
class SmsFacts:
    """What the outbox says about sending, read at the end of a tick. Instants UTC.

    ``decided``: the newest attempts with an outcome in :data:`DECIDED_OUTCOMES`, newest first
    (at most :data:`FAILED_IN_A_ROW`). ``credentials_refused``: the newest attempt whose error
    code is in ``sms_errors.CREDENTIAL_CODES`` (None: none since the last text that got
    through). ``last_handed_over_at``: the newest attempt that reached Twilio. ``overdue``
    texts are waiting to go out (queued, or sending after an ambiguous attempt) though due
    since ``oldest_overdue_due_at`` or longer.
    """

    decided: tuple[SendAttemptFact, ...] = ()
    credentials_refused: SendAttemptFact | None = None
    last_handed_over_at: datetime | None = None
    overdue: int = 0
    oldest_overdue_due_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class SmsHealth:
    """Whether texts are going out; ``reason`` says why not in plain English (None: fine)."""

    cause: SmsCause | None = None
    reason: str | None = None

    @property
    def ok(self) -> bool:
        return self.cause is None


SMS_OK = SmsHealth()


def sms_health(facts: SmsFacts, now: datetime) -> SmsHealth:
    """The one rule for the SMS side's health, shared by ``/healthz``, ``/metrics``, ``check``
    and the app's status bar (through the heartbeat). First match wins:

    1. credentials refused: the newest attempt Twilio refused the credentials on is newer than
       the newest text that reached Twilio;
    2. failing: the newest :data:`FAILED_IN_A_ROW` decided sends were all refused for good;
    3. stalled: a text has been overdue for :data:`OVERDUE_AFTER` and nothing was handed to
       Twilio for as long.

    It recovers as soon as the facts change: a text reaches Twilio, the queue drains.
    """
    handed = facts.last_handed_over_at
    refused = facts.credentials_refused
    if refused is not None and (handed is None or refused.finished_at > handed):
        return _problem(
            SmsCause.CREDENTIALS,
            f"texts cannot be sent: {refused.error_message or 'Twilio refused the credentials'}",
        )
    decided = facts.decided[:FAILED_IN_A_ROW]
    if len(decided) == FAILED_IN_A_ROW and all(a.outcome == "permanent" for a in decided):
        newest = decided[0].error_message or "no reason given"
        return _problem(
            SmsCause.FAILING,
            f"the last {FAILED_IN_A_ROW} texts all failed permanently (the newest: {newest})",
        )
    oldest = facts.oldest_overdue_due_at
    if (
        facts.overdue
        and oldest is not None
        and now - oldest >= OVERDUE_AFTER
        and (handed is None or now - handed >= OVERDUE_AFTER)
    ):
        minutes = int((now - oldest).total_seconds() // 60)
        texts = "1 text is" if facts.overdue == 1 else f"{facts.overdue} texts are"
        return _problem(
            SmsCause.STALLED,
            f"nothing was handed to Twilio while {texts} overdue (the oldest by {minutes} min)",
        )
    return SMS_OK


def _problem(cause: SmsCause, reason: str) -> SmsHealth:
    # Phones masked: Twilio's own wording of an error may quote the number.
    return SmsHealth(cause, mask_phones(reason))
