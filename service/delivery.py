"""The delivery contract's tunables (:class:`EngineSettings`) and what a tick counts
(:class:`Tally` while it runs, :class:`TickSummary` when it is done): shared by the engine
and its sending half, :mod:`whoseonfirst_service.sending`."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta
from typing import Any


@dataclass(frozen=True, slots=True)
class EngineSettings:
    """Tunables of the delivery contract. Durations are wall time.

    ``stale_claim_after`` must be far longer than one Twilio request (the adapter's timeout,
    10 s by default): a row in ``sending`` older than that belongs to a process that died.
    """

    send_batch: int = 100
    backoff_base: timedelta = timedelta(seconds=30)
    backoff_cap: timedelta = timedelta(minutes=10)
    stale_claim_after: timedelta = timedelta(minutes=2)
    #: Reconciliation looks for messages Twilio created at or after the ambiguous attempt's
    #: start less this: our clock and Twilio's may disagree a little (NTP keeps both well
    #: within a second). A copy sent earlier than that — a resend of a text sent a minute
    #: before — is never taken for this attempt's message.
    reconcile_margin: timedelta = timedelta(seconds=10)
    poll_interval: timedelta = timedelta(seconds=30)
    poll_for: timedelta = timedelta(hours=48)
    delivery_deadline: timedelta = timedelta(minutes=15)
    summary_validity: timedelta = timedelta(hours=12)
    alert_validity: timedelta = timedelta(hours=12)
    alert_lookback: timedelta = timedelta(days=2)
    missed_lookback: timedelta = timedelta(days=7)
    heartbeat_retention: timedelta = timedelta(days=7)
    #: Rows of each kind the retention pass deletes per tick (``usecases.retention``).
    retention_batch: int = 2000


@dataclass(frozen=True, slots=True)
class TickSummary:
    """What one tick did (for logs, metrics and ``tick``'s output). Instants UTC."""

    started_at: datetime
    horizon_added: int = 0
    overrides_completed: int = 0
    queued: int = 0
    missed: int = 0
    expired: int = 0
    sent: int = 0
    simulated: int = 0
    reconciled: int = 0
    retried: int = 0
    failed: int = 0
    polled: int = 0
    delivered: int = 0
    undelivered: int = 0
    alerts: int = 0
    #: Change notices queued.
    notices: int = 0
    #: Texts people sent to the team's number, recorded this tick.
    inbound: int = 0
    #: Second asks, unconfirmed alerts and confirmed notices queued.
    escalations: int = 0
    next_due_at: datetime | None = None
    #: When to poll for replies again if sooner than ``next_due_at`` (a shift awaits its OK).
    next_poll_at: datetime | None = None
    stopped_early: bool = False
    #: Why texts are not going out, as this tick saw it (None: they are).
    sms_problem: str | None = None

    def counts(self) -> dict[str, int]:
        """The integer counters by name."""
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        return {k: v for k, v in values.items() if type(v) is int}

    def describe(self) -> str:
        """``sent 2, queued 2`` — the non-zero counters, or ``nothing to do``."""
        parts = [f"{k.replace('_', ' ')} {v}" for k, v in self.counts().items() if v]
        return ", ".join(parts) or "nothing to do"


@dataclass
class Tally:
    """The counters of one tick as it runs; :meth:`summary` makes its :class:`TickSummary`."""

    values: dict[str, int] = field(default_factory=dict)

    def add(self, name: str, n: int = 1) -> None:
        self.values[name] = self.values.get(name, 0) + n

    def summary(self, **extra: Any) -> TickSummary:
        values: dict[str, Any] = {**extra, **self.values}
        return TickSummary(**values)
