"""Whether the service is alive, decided once for ``/healthz``, the app's status bar, the
Dashboard, ``check`` and the Test send page."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

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


def is_alive(last_tick_at: datetime | None, now: datetime) -> bool:
    """Whether a tick completed at ``last_tick_at`` (UTC) means the service is up at ``now``."""
    return (
        last_tick_at is not None
        and last_tick_at - now <= CLOCK_SKEW_ALLOWED
        and now - last_tick_at < ALIVE_WITHIN
    )


def service_state(last_tick_at: datetime | None, now: datetime) -> ServiceState:
    """The state of a service whose newest tick completed at ``last_tick_at`` (None: never)."""
    if last_tick_at is None:
        return ServiceState.NEVER_SEEN
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
