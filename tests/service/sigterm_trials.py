"""``python -m tests.service.sigterm_trials SQLITE_URL TRIALS``: SIGTERM at every line of the
daemon's main loop; used by ``test_daemon_shutdown.py`` (in its own process, so that a daemon
that hangs is a failed test, not a hung test run).

Trial ``k`` runs :meth:`Daemon.run` with the real signal handlers and raises SIGTERM from a trace
function at the ``k``-th line the main thread runs once the daemon is serving, in the daemon's
own code and in the standard library's ``threading`` and ``selectors`` (where its loop waits):
the handler then runs exactly there, with whatever locks the main thread holds at that line.
Every trial must return 0 within ``EXIT_WITHIN`` seconds, or the process prints where the
signal landed and exits 3. Prints one line per trial: ``k file:line``.
"""

from __future__ import annotations

import io
import os
import signal
import sys
import threading
from datetime import timedelta
from pathlib import Path
from types import FrameType
from typing import Any

from whoseonfirst_service.daemon import Daemon, SystemdNotifier
from whoseonfirst_service.engine import Engine
from whoseonfirst_service.logging_setup import setup_logging
from whoseonfirst_service.sms import DryRunBackend

from whoseonfirst_core.clock import SystemClock
from whoseonfirst_core.db.session import Database

EXIT_WITHIN = 10.0
#: Files whose lines count: the daemon's loop and the primitives it waits and locks with.
TRACED = ("daemon.py", "threading.py", "selectors.py")


class _ReadyNotifier(SystemdNotifier):
    """No socket, a short watchdog (so the loop wakes every 10 ms); arms the trace on READY."""

    def __init__(self, on_ready: threading.Event) -> None:
        super().__init__(None, watchdog=timedelta(milliseconds=20))
        self.on_ready = on_ready

    def notify(self, *states: str) -> bool:
        if "READY=1" in states:
            self.on_ready.set()
        return False


def trial(db: Database, k: int) -> str:
    """One daemon run, SIGTERM at the ``k``-th traced line once serving; where it landed."""
    ready = threading.Event()
    daemon = Daemon(
        Engine(db, DryRunBackend(), SystemClock(), instance_id=f"trial-{k}"),
        clock=SystemClock(),
        notifier=_ReadyNotifier(ready),
    )
    seen = 0
    landed = ""

    def local(frame: FrameType, event: str, _arg: Any) -> Any:
        nonlocal seen, landed
        if event == "line" and ready.is_set() and not landed:
            if seen == k:
                landed = f"{Path(frame.f_code.co_filename).name}:{frame.f_lineno}"
                # The handler runs inside raise_signal, on this thread, at this very line.
                signal.raise_signal(signal.SIGTERM)
            seen += 1
        return local

    def calls(frame: FrameType, _event: str, _arg: Any) -> Any:
        return local if frame.f_code.co_filename.endswith(TRACED) else None

    def hung() -> None:
        print(f"{k} {landed}: SIGTERM there, no exit within {EXIT_WITHIN:.0f} s", flush=True)
        os._exit(3)

    watchdog = threading.Timer(EXIT_WITHIN, hung)
    watchdog.daemon = True
    watchdog.start()
    sys.settrace(calls)
    try:
        status = daemon.run(install_signals=True)
    finally:
        sys.settrace(None)
        watchdog.cancel()
    if status != 0 or not landed:
        print(f"{k} {landed or 'never'}: run returned {status}", flush=True)
        os._exit(4)
    return landed


def main(argv: list[str]) -> int:
    url, trials = argv[0], int(argv[1])
    setup_logging("json", stream=io.StringIO())  # logging on, as in the service; kept here
    db = Database(url)
    try:
        for k in range(trials):
            print(f"{k} {trial(db, k)}", flush=True)
    finally:
        db.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
