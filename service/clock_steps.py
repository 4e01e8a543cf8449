"""Steps of the wall clock: the one place that decides when the wall clock has *stepped*
(jumped, as when NTP corrects a clock hours off or an operator sets it) rather than run.

The rule. Between two observations the wall clock (the engine's :class:`Clock`) and a
monotonic clock (``CLOCK_BOOTTIME`` where the system has it, so a suspended host is not taken
for a step; else ``time.monotonic``) should move alike. When they differ by more than
:data:`STEP_TOLERANCE`, the wall clock stepped, forward or back, by the difference. Then:

- the daemon re-plans its wake-ups at once (its scheduler's jobs are dated on the wall clock:
  a step back would leave them hours away, a step forward would make them misfire);
- the engine's tick that first sees the step judges nothing overdue: it marks no text
  ``missed`` and expires none, because the time it would judge them by was jumped over, not
  lived through. It still plans and sends what is due, and records its own instant as the last
  tick, so the jumped-over interval is never judged later either. Overdue judgments resume on
  the next tick, against the wall clock as it then is.

So a clock that jumps 3 h ahead and is corrected does not leave anybody's span ``missed``:
spans in the jumped-over hours are planned when the corrected clock reaches them.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from whoseonfirst_core.clock import Clock

#: Wall and monotonic time may drift apart this much between observations before it counts
#: as a step (NTP slews a clock by at most 0.5 ms a second; a step is seconds to hours).
STEP_TOLERANCE = timedelta(seconds=2)


def system_monotonic() -> float:
    """Seconds on the system's monotonic clock, counting time suspended where it can."""
    boottime = getattr(time, "CLOCK_BOOTTIME", None)
    if boottime is not None:
        try:
            return time.clock_gettime(boottime)
        except OSError:
            pass
    return time.monotonic()


@dataclass(frozen=True, slots=True)
class ClockStep:
    """The wall clock moved ``by`` more (or, negative, less) than monotonic time did."""

    by: timedelta
    wall_before: datetime
    wall_after: datetime

    def describe(self) -> str:
        seconds = round(self.by.total_seconds())
        direction = "ahead" if seconds > 0 else "back"
        return f"the wall clock stepped {abs(seconds)} s {direction}"


class ClockWatch:
    """Compares the wall clock with a monotonic one between calls to :meth:`observe`."""

    def __init__(
        self,
        clock: Clock,
        monotonic: Callable[[], float] = system_monotonic,
        *,
        tolerance: timedelta = STEP_TOLERANCE,
    ) -> None:
        self.clock = clock
        self.monotonic = monotonic
        self.tolerance = tolerance
        self._last: tuple[datetime, float] | None = None

    def observe(self) -> ClockStep | None:
        """The step since the previous call, if the wall clock stepped (None the first time)."""
        wall, mono = self.clock.now(), self.monotonic()
        last, self._last = self._last, (wall, mono)
        if last is None:
            return None
        drift = (wall - last[0]) - timedelta(seconds=mono - last[1])
        if abs(drift) <= self.tolerance:
            return None
        return ClockStep(drift, last[0], wall)
