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
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from whoseonfirst_service.daemon import Daemon

from tests.fakes.fake_twilio import FakeTwilio, Reply
from tests.service.conftest import MakeEngine, utc
from whoseonfirst_core.clock import FixedClock
from whoseonfirst_core.db.session import Database

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


class _Signalling:
    """The backend, noting when a send begins (so the test stops the daemon mid-request)."""

    def __init__(self, backend: Any) -> None:
        self._backend = backend
        self.sending = threading.Event()

    def send(self, to: str, body: str, *, validity_seconds: int | None) -> Any:
        self.sending.set()
        return self._backend.send(to, body, validity_seconds=validity_seconds)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._backend, name)


def test_a_stop_during_a_trickling_reply_ends_the_daemon_within_the_request_deadline(
    team: Database,
    make_engine: MakeEngine,
    make_backend: Callable[..., Any],
    clock: FixedClock,
    fake: FakeTwilio,
) -> None:
    """Twilio dribbles its answer for 60 s; the stop (what SIGTERM asks for) waits for the text
    being sent only up to the 1 s deadline, far within systemd's TimeoutStopSec=30."""
    backend = _Signalling(make_backend(timeout=5.0, deadline=1.0))
    engine = make_engine(sms=backend)
    engine.tick()  # 07:00
    clock.set(utc(2026, 3, 2, 14, 0, 30))  # the 08:00 texts are due
    fake.script_create([Reply.trickle(every=0.2, lasting=60, create=True)] * 2)
    daemon = Daemon(engine, clock=clock)
    runner = threading.Thread(target=daemon.run, kwargs={"install_signals": False})
    runner.start()
    try:
        assert backend.sending.wait(10)
        stop_asked = time.monotonic()
        daemon.request_stop()
        runner.join(10)
        assert not runner.is_alive()
        assert time.monotonic() - stop_asked < 3
    finally:
        daemon.request_stop()
        runner.join()
    assert len(fake.create_requests) == 1  # the tick ended after the text being sent
