"""SIGTERM ends the daemon, wherever its threads are (issue 11 item 12): two deadlocks.

1. A Python signal handler runs in the main thread between two of its instructions. The
   daemon's handler used to log and set a ``threading.Event``: when SIGTERM arrived while the
   main loop was inside ``Event.wait`` holding that event's own lock, the handler waited for it
   forever. Now the handler takes no lock; the main loop does the shutdown. ``sigterm_trials``
   raises SIGTERM at each line in turn that the serving daemon's main thread runs (its loop,
   and the ``threading``/``selectors`` code it waits in).
2. APScheduler's ``shutdown(wait=True)`` holds the scheduler's job-store lock while it waits for
   the running tick; a tick ending just then planned its next wake-up with ``add_job``, which
   needs that lock, so each waited for the other (on a loaded machine, about one SIGTERM in five
   sent just after a tick; systemd, and the drills, killed the daemon 30 s later). Now no job
   is added once the shutdown has begun. ``shutdown_trials`` shuts down the moment a tick ends.

Both run in a process of their own, so that a hang is a failed test, not a hung test run.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from whoseonfirst_service.daemon import Daemon

from tests.service.conftest import MakeEngine
from whoseonfirst_core.clock import FixedClock

ROOT = Path(__file__).resolve().parents[2]
#: Lines to try, from the moment the daemon is serving: more than two rounds of its loop.
TRIALS = 120


def test_sigterm_at_any_line_of_the_main_loop_ends_the_daemon(sqlite_url: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "tests.service.sigterm_trials", sqlite_url, str(TRIALS)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    lines = proc.stdout.splitlines()
    assert proc.returncode == 0, (lines[-1:] or [proc.stderr[-2000:]])[0]
    assert len(lines) == TRIALS, proc.stdout[-2000:]
    landed = {line.split()[1].split(":")[0] for line in lines}
    # The trials reached the loop itself and the code it waits in, not only the start-up.
    assert {"daemon.py", "selectors.py", "threading.py"} <= landed, landed


def test_shutdown_the_moment_a_tick_ends_does_not_wait_for_that_tick_forever(
    sqlite_url: str,
) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "tests.service.shutdown_trials", sqlite_url, "300"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-500:] + proc.stderr[-2000:]
    assert proc.stdout.strip() == "done 300"


def test_request_stop_from_another_thread_before_the_loop_waits(
    make_engine: MakeEngine, clock: FixedClock
) -> None:
    """A stop asked before ``run`` (nothing to wake yet) still ends it at once."""
    daemon = Daemon(make_engine(), clock=clock)
    daemon.request_stop()
    assert daemon.run(install_signals=False) == 0
