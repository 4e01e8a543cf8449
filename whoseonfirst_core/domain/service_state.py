"""Whether the service is alive, decided once for ``/healthz``, the app's status bar, the
Dashboard and the Test send page."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

#: The service counts as up while its last completed tick is younger than this. It ticks at
#: least every 30 s, so this is four ticks in a row that did not happen (a long send batch or a
#: database blip is not yet "down").
ALIVE_WITHIN = timedelta(minutes=2)


class ServiceState(StrEnum):
    """What the heartbeats say about the service."""

    #: No service has ever ticked on this database.
    NEVER_SEEN = "never seen"
    UP = "up"
    #: It ran before, but its last tick is :data:`ALIVE_WITHIN` old or older.
    SILENT = "silent"


def is_alive(last_tick_at: datetime | None, now: datetime) -> bool:
    """Whether a tick completed at ``last_tick_at`` (UTC) means the service is up at ``now``."""
    return last_tick_at is not None and now - last_tick_at < ALIVE_WITHIN


def service_state(last_tick_at: datetime | None, now: datetime) -> ServiceState:
    """The state of a service whose newest tick completed at ``last_tick_at`` (None: never)."""
    if last_tick_at is None:
        return ServiceState.NEVER_SEEN
    return ServiceState.UP if is_alive(last_tick_at, now) else ServiceState.SILENT
