"""The service half of the memory benchmark, run in its own process.

``python -m bench._service_child --database URL --start ISO --ticks N [--twilio URL] --out FILE``

Does what ``whoseonfirst-service run`` does up to the scheduler (the same imports, the schema
check, JSON logging, the /healthz endpoint), builds the daemon around an :class:`Engine` on a
:class:`FixedClock` and drives ``N`` ticks, moving the clock 30 s after each (N = 120 is an
hour of service). With ``--twilio`` it sends
through the fake Twilio server at that URL (``TWILIO_ACCOUNT_SID`` / ``TWILIO_AUTH_TOKEN`` from
the environment), else dry-run. Writes the resident memory after the first tick and after the
last, and the peak.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import time
from datetime import datetime, timedelta
from pathlib import Path

from whoseonfirst_service import cli  # noqa: F401 - what `whoseonfirst-service run` loads
from whoseonfirst_service.daemon import TICK_INTERVAL, Daemon
from whoseonfirst_service.engine import Engine
from whoseonfirst_service.logging_setup import setup_logging
from whoseonfirst_service.twilio_sms import DryRunBackend, SmsBackend, TwilioBackend

from bench.common import rss_mb
from whoseonfirst_core.clock import FixedClock
from whoseonfirst_core.db.session import Database, needs_upgrade


def peak_rss_mb() -> float:
    with open(f"/proc/{os.getpid()}/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--database", required=True)
    p.add_argument("--start", required=True)
    p.add_argument("--ticks", type=int, default=300)
    p.add_argument("--twilio")
    p.add_argument("--out", required=True)
    args = p.parse_args(argv)

    clock = FixedClock(datetime.fromisoformat(args.start))
    backend: SmsBackend
    if args.twilio:
        backend = TwilioBackend(
            os.environ["TWILIO_ACCOUNT_SID"],
            os.environ["TWILIO_AUTH_TOKEN"],
            from_number="+13125550100",
            api_url=args.twilio,
        )
    else:
        backend = DryRunBackend()
    db = Database(args.database)
    if needs_upgrade(db):
        raise SystemExit("the database needs `whoseonfirst-service db upgrade`")
    log = open(os.devnull, "w")  # noqa: SIM115 - open for the whole run
    setup_logging("json", stream=log)
    daemon = Daemon(
        Engine(db, backend, clock, instance_id="bench"), clock=clock, http_bind=("127.0.0.1", 0)
    )
    daemon.start_http()
    totals: dict[str, int] = {}
    after_first = 0.0
    t0 = time.perf_counter()
    for i in range(args.ticks):
        summary = daemon.run_tick()
        if summary is None:
            raise SystemExit(f"tick {i} failed: {daemon.engine.last_error}")
        for k, v in summary.counts().items():
            totals[k] = totals.get(k, 0) + v
        if i == 0:
            gc.collect()
            after_first = rss_mb()
        clock.advance(TICK_INTERVAL)
    seconds = time.perf_counter() - t0
    gc.collect()
    result = {
        "ticks": args.ticks,
        "simulated_hours": args.ticks * TICK_INTERVAL / timedelta(hours=1),
        "seconds": seconds,
        "rss_after_first_tick_mb": after_first,
        "rss_mb": rss_mb(),
        "peak_rss_mb": peak_rss_mb(),
        "totals": totals,
    }
    daemon.shutdown()
    close = getattr(backend, "close", None)
    if close is not None:
        close()
    db.dispose()
    Path(args.out).write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
