"""The service half of the feeds benchmark, run in its own process.

``python -m bench._feeds_child --database URL --start ISO``

Does what ``whoseonfirst-service run`` does with ``WHOSEONFIRST_FEEDS`` set, up to the
scheduler (the same imports, JSON logging, /healthz and the feeds' own listener), on the
dry-run backend and a :class:`FixedClock`. Prints the feeds' URL on one line, then ticks
(moving the clock 30 s after each) until its standard input closes, and prints the number of
ticks and the slowest one (ms) on its way out.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from datetime import datetime

from whoseonfirst_service import cli  # noqa: F401 - what `whoseonfirst-service run` loads
from whoseonfirst_service.daemon import TICK_INTERVAL, Daemon
from whoseonfirst_service.engine import Engine
from whoseonfirst_service.feeds_http import RateLimit
from whoseonfirst_service.logging_setup import setup_logging
from whoseonfirst_service.twilio_sms import DryRunBackend

from whoseonfirst_core.clock import FixedClock
from whoseonfirst_core.db.session import Database


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--database", required=True)
    p.add_argument("--start", required=True)
    args = p.parse_args(argv)
    clock = FixedClock(datetime.fromisoformat(args.start))
    db = Database(args.database)
    setup_logging("json", stream=open(os.devnull, "w"))  # noqa: SIM115 - for the whole run
    daemon = Daemon(
        Engine(db, DryRunBackend(), clock, instance_id="bench"),
        clock=clock,
        http_bind=("127.0.0.1", 0),
        feeds_bind=("127.0.0.1", 0),
        # Every request of the benchmark comes from loopback: no per-address limit here.
        feeds_limit=RateLimit(burst=100_000),
    )
    daemon.start_http()
    assert daemon.feeds is not None
    daemon.run_tick()
    print(daemon.feeds.url, flush=True)
    closed = threading.Event()
    threading.Thread(target=lambda: (sys.stdin.read(), closed.set()), daemon=True).start()
    ticks, slowest = 0, 0.0
    while not closed.wait(0.05):
        clock.advance(TICK_INTERVAL)
        began = time.perf_counter()
        if daemon.run_tick() is None:
            raise SystemExit(f"tick {ticks} failed: {daemon.engine.last_error}")
        slowest = max(slowest, (time.perf_counter() - began) * 1000)
        ticks += 1
    daemon.shutdown()
    db.dispose()
    print(f"{ticks} {slowest:.1f}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
