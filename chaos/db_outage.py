"""Database outage drill (issue 7, drill 3): PostgreSQL stops across a due instant.

A daemon (``whoseonfirst-service run``) runs against a private PostgreSQL server of this drill's
own. Cal's cover starts halfway through the outage. The drill stops the server (``pg_ctl stop
-m fast``) for 60 s (10 s quick), polling ``/healthz`` every half second, then starts it again
and measures how long the text takes to reach the fake Twilio server. Must hold: the daemon
never exits, ``/healthz`` answers 503 throughout the outage and 200 again afterwards, and each
of Cal's phones gets the text exactly once, within 30 s of the database's return.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from chaos.common import (
    ChaosRun,
    DrillResult,
    apply_tally,
    drill_twilio,
    import_covers,
    sleep_until,
    start_daemon,
    stop_daemon,
    tally,
    wait_until,
)
from chaos.health import HealthPoller, fetch, health
from chaos.timing import Timing
from tests.pg_server import free_port

MAX_CATCH_UP_S = 30.0


def run(run: ChaosRun) -> DrillResult:
    result = DrillResult("database outage (postgresql)")
    outage = 10.0 if run.quick else 60.0
    server = run.dedicated_pg_server()
    url = run.new_database("postgresql", "db-outage", server=server)
    now = datetime.now(UTC).replace(microsecond=0)
    # Time for the daemon to start and tick once: 8 s on an idle machine, more when the
    # measured start-up says so.
    timing = Timing.of(run)
    stop_at = now + timedelta(seconds=timing.lead(8.0))
    due = stop_at + timedelta(seconds=outage / 2)
    expected = list(import_covers(url, now, [("Cal Chen", due, due + timedelta(minutes=30))]))
    port = free_port()
    health_url = f"http://127.0.0.1:{port}/healthz"
    with drill_twilio(run) as fake:
        proc = start_daemon(run, url, fake, "chaos-outage", http=f"127.0.0.1:{port}")
        back_at: datetime | None = None
        try:
            healthy = wait_until(
                lambda: health(health_url) == 200, timeout=max(30.0, 4 * timing.planned), step=0.2
            )
            if not healthy:
                result.error("the daemon never reported healthy before the outage")
            with HealthPoller(health_url) as poller:
                sleep_until(stop_at)
                server.stop()
                stopped = time.monotonic()
                if datetime.now(UTC) >= due:
                    result.error(
                        "the database stopped only after the due instant; "
                        "the drill proves nothing (machine too slow?)"
                    )
                sleep_until(stop_at + timedelta(seconds=outage))
                if fake.created:
                    result.error("a text was sent while the database was down")
                restarting = time.monotonic()
                server.start()
                back_at = datetime.now(UTC)
                wait_until(
                    lambda: len(fake.created) >= len(expected) or proc.poll() is not None,
                    timeout=MAX_CATCH_UP_S + 30,
                    step=0.05,
                )
                healthy_again = wait_until(
                    lambda: bool(poller.samples) and poller.samples[-1][1] == 200,
                    timeout=45,
                    step=0.2,
                )
                during = poller.between(stopped + 1.0, restarting)
            if proc.poll() is not None:
                result.error(f"the daemon exited (status {proc.returncode}) during the outage")
            if not during or any(s != 503 for s in during):
                result.error(
                    f"/healthz during the outage answered {sorted(set(during))}, not 503 every time"
                )
            if not healthy_again:
                result.error("/healthz did not report 200 again after the database returned")
            for path in ("/healthz", "/metrics"):  # for the secrets drill's scan
                run.evidence.add_log(
                    f"db-outage GET {path}", fetch(health_url.replace("/healthz", path))
                )
        finally:
            _code, out, _err = stop_daemon(run, proc, "db-outage daemon", result, "the daemon")
        apply_tally(result, tally(expected, fake.received()))
        arrivals = [r.received_at for r in fake.create_requests]
    catch_up = (
        (max(arrivals) - back_at).total_seconds() if arrivals and back_at is not None else None
    )
    if catch_up is not None and catch_up > MAX_CATCH_UP_S:
        result.error(
            f"the texts reached Twilio {catch_up:.1f} s after the database returned "
            f"(limit {MAX_CATCH_UP_S:.0f} s)"
        )
    failures = sum('"tick_failed"' in line for line in out.splitlines())
    result.notes.append(
        f"database down {outage:.0f} s across the due instant; /healthz 503 in "
        f"{len(during)} of {len(during)} polls while down; {failures} failed ticks logged; "
        f"texts sent {catch_up:.1f} s after the database returned"
        if catch_up is not None
        else f"database down {outage:.0f} s; no text arrived"
    )
    return result
