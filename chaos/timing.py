"""How long a ``whoseonfirst-service run`` daemon takes to start on this machine, right now.

The drills on the real clock (kill daemon, two daemons, database outage) plan due instants
seconds ahead and restart daemons between them. How many seconds that needs depends on the
machine and on what else runs on it: on a loaded two-core machine a daemon's start (the
interpreter, its imports, the first tick) takes several times as long as on an idle one. So the
runner measures it once before the drills — as many daemons started at once as drills will run
side by side — and the drills size their spans and waits from that figure
(:class:`Timing`), never from a hard-coded guess. What they assert stays the same: every text
exactly once, none missed or expired.
"""

from __future__ import annotations

import math
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from chaos.common import (
    ChaosRun,
    DrillTwilio,
    drill_twilio,
    finish,
    has_traceback,
    import_roster,
    log_has_event,
    roster,
    start_daemon,
    wait_until,
)

#: Never plan with less than this start-up (seconds): the drills' figures on an idle machine.
FLOOR_S = 1.5
#: A measurement that gives up: the daemon did not tick within this many seconds.
GIVE_UP_S = 120.0


@dataclass(frozen=True)
class Timing:
    """Seconds derived from the measured start-up (``startup``: spawn → first tick logged)."""

    startup: float

    @classmethod
    def of(cls, run: ChaosRun) -> Timing:
        """The run's measured start-up (:data:`FLOOR_S` when it was not measured)."""
        return cls(run.startup_s if run.startup_s is not None else FLOOR_S / 2)

    @property
    def planned(self) -> float:
        """The start-up the drills plan with: three times the measured one (the load varies
        while the drills run: with other test suites starting beside two CPU-bound processes,
        a restart was seen to take more than twice the figure measured at the start), at least
        :data:`FLOOR_S`."""
        return max(FLOOR_S, 3.0 * self.startup)

    def lead(self, minimum: float) -> float:
        """Seconds from now to a first due instant that ``minimum`` allowed on an idle
        machine, given that daemons must start (and tick once) before it. Whole seconds: the
        drills plan due instants on whole seconds, as the service's planner reports them."""
        return whole_seconds(max(minimum, self.planned + 3.0))


def whole_seconds(seconds: float) -> float:
    """``seconds`` rounded up to a whole number (a span between due instants, or a lead)."""
    return float(math.ceil(seconds))


def measure_startup(run: ChaosRun, daemons: int) -> float:
    """Start ``daemons`` daemons at once (each on its own SQLite database with a team whose
    rotation starts the day after tomorrow: a first tick that plans the horizon and sends
    nothing) and return the slowest one's seconds from spawn to its first tick; then SIGTERM
    them. RuntimeError when one does not tick, or does not exit 0 on SIGTERM."""
    now = datetime.now(UTC)
    today = now.date()
    folder = run.folder("startup")
    urls = []
    for i in range(daemons):
        url = run.new_database("sqlite", f"startup-{i}")
        import_roster(url, roster(anchor=today + timedelta(days=2), weekly_summary=False), now)
        urls.append(url)
    with drill_twilio(run) as fake, ThreadPoolExecutor(max_workers=daemons) as pool:
        results = list(
            pool.map(
                lambda i: _one(run, urls[i], fake, folder / f"daemon-{i}.log", i), range(daemons)
            )
        )
    if fake.created:
        raise RuntimeError(f"the start-up measurement's daemons sent {len(fake.created)} texts")
    return max(results)


def _one(run: ChaosRun, url: str, fake: DrillTwilio, log_path: Path, i: int) -> float:
    with log_path.open("w", encoding="utf-8") as log:
        started = time.monotonic()
        proc = start_daemon(run, url, fake, f"chaos-startup-{i}", log=log)
        ticked = wait_until(
            lambda: log_has_event(log_path, "tick") or proc.poll() is not None,
            timeout=GIVE_UP_S,
            step=0.02,
        )
        seconds = time.monotonic() - started
        alive = proc.poll() is None
        proc.terminate()
        code, _out, _err = finish(run, proc, f"start-up daemon {i}", timeout=30)
    text = log_path.read_text(encoding="utf-8")
    run.evidence.add_log(f"start-up daemon {i}", text)
    if not ticked or not alive:
        raise RuntimeError(f"a daemon did not tick within {GIVE_UP_S:.0f} s of its start")
    if code != 0 or has_traceback(text):
        raise RuntimeError(f"a daemon exited {code} on SIGTERM: {text.strip().splitlines()[-1:]}")
    return seconds
