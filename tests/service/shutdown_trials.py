"""``python -m tests.service.shutdown_trials SQLITE_URL TRIALS``: shut the daemon down the moment
a tick ends; used by ``test_daemon_shutdown.py`` (in its own process: a hang is a failed test, not
a hung test run).

Each trial starts the scheduler (its first tick at once) and calls :meth:`Daemon.shutdown` as
soon as the tick has done its work — what ``run`` does when SIGTERM arrives then, and what the
drills do: they send SIGTERM once the daemon has logged its first tick. The tick still plans its
next wake-up (``add_job``) while the shutdown begins. Every shutdown must end within
``EXIT_WITHIN`` seconds, or the process prints the trial and exits 3. Prints ``done N``.
"""

from __future__ import annotations

import os
import sys
import threading
from datetime import timedelta

from whoseonfirst_service.daemon import Daemon
from whoseonfirst_service.engine import Engine, TickSummary
from whoseonfirst_service.sms import DryRunBackend

from whoseonfirst_core.clock import SystemClock
from whoseonfirst_core.db.session import Database

EXIT_WITHIN = 10.0


class _QuickEngine(Engine):
    """A tick that does nothing but report a next due instant an hour ahead (so the daemon
    plans a wake-up), and says when it has done so."""

    def __init__(self, db: Database) -> None:
        super().__init__(db, DryRunBackend(), SystemClock(), instance_id="shutdown-trials")
        self.ticked = threading.Event()

    def tick(self) -> TickSummary:
        now = self.clock.now()
        self.ticked.set()
        return TickSummary(started_at=now, next_due_at=now + timedelta(hours=1))


def main(argv: list[str]) -> int:
    url, trials = argv[0], int(argv[1])
    # Thread switches as often as possible: the tick's end and the shutdown interleave finely.
    sys.setswitchinterval(1e-6)
    db = Database(url)
    for k in range(trials):
        engine = _QuickEngine(db)
        daemon = Daemon(engine, clock=SystemClock())
        daemon.start_scheduler()
        if not engine.ticked.wait(EXIT_WITHIN):
            print(f"trial {k}: the first tick never ran", flush=True)
            os._exit(4)
        watchdog = threading.Timer(EXIT_WITHIN, _hung, args=(k,))
        watchdog.daemon = True
        watchdog.start()
        daemon.shutdown()
        watchdog.cancel()
    db.dispose()
    print(f"done {trials}", flush=True)
    return 0


def _hung(k: int) -> None:
    print(f"trial {k}: shutdown did not end within {EXIT_WITHIN:.0f} s", flush=True)
    os._exit(3)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
