"""Two daemons drill (issue 7, drill 2): two ``whoseonfirst-service run`` processes, one
PostgreSQL database, real time.

The roster's rotation starts the day after tomorrow, so the only texts are covers the drill
adds for the next minute: a different member every few seconds (4 covers 4 s apart in the quick
run, 12 covers 5 s apart in the full one). Both daemons wake at each exact start and race for
the same rows. Every text must reach the fake Twilio server exactly once, soon after its due
instant; then both daemons get SIGTERM and must exit 0.
"""

from __future__ import annotations

import subprocess
import time
from datetime import UTC, datetime, timedelta

from chaos.common import (
    MEMBERS,
    ChaosRun,
    DrillResult,
    TextKey,
    apply_tally,
    drill_twilio,
    finish,
    has_traceback,
    import_roster,
    parse_local,
    roster,
    service_env,
    simulated_texts,
    start_service,
    tally,
    wait_until,
)
from whoseonfirst_core.db.models import Notification
from whoseonfirst_core.db.session import Database

TZ = "America/Chicago"
#: The latest a text may reach Twilio after its due instant (the daemons wake at it exactly).
MAX_LATENCY_S = 5.0


def run(run: ChaosRun) -> DrillResult:
    from zoneinfo import ZoneInfo

    result = DrillResult("two daemons (postgresql)")
    covers, gap = (4, 4) if run.quick else (12, 5)
    url = run.new_database("postgresql", "two-daemons")
    tz = ZoneInfo(TZ)
    now = datetime.now(UTC).replace(microsecond=0)
    first = now + timedelta(seconds=8)  # time for both daemons to start
    starts = [first + timedelta(seconds=gap * i) for i in range(covers)]
    # One member per cover: texts are told apart by recipient and body, and two covers of one
    # person within a minute would read the same ("from Wed 05:20 until Wed 05:20").
    members = [*MEMBERS, *((f"Member {i:02d}", f"+1312555{120 + i:04d}", None)
                           for i in range(max(0, covers - len(MEMBERS))))]
    run.evidence.phones.update(p for _, p, _ in members)
    overrides = [
        {"member": members[i][0], "start": s.astimezone(tz).isoformat(),
         "end": (s + timedelta(seconds=gap)).astimezone(tz).isoformat(), "reason": "drill"}
        for i, s in enumerate(starts)
    ]
    today = now.astimezone(tz).date()
    import_roster(url, roster(anchor=today + timedelta(days=2), overrides=overrides,
                              members=members), now)
    planned = [m for m in simulated_texts(url, now, today, 2)
               if starts[0] <= parse_local(m["send_at"]) <= starts[-1]]
    expected: list[TextKey] = [(m["to"], m["body"]) for m in planned]
    due = {(m["to"], m["body"]): parse_local(m["send_at"]) for m in planned}
    if len(due) != len(expected):
        result.error("two expected texts read the same: the drill could not tell them apart")
    with drill_twilio(run) as fake:
        procs: list[subprocess.Popen[str]] = [
            start_service(["run"], service_env(
                run, url, fake, WHOSEONFIRST_HTTP="127.0.0.1:0",
                WHOSEONFIRST_INSTANCE_ID=f"chaos-daemon-{i}"))
            for i in (1, 2)
        ]
        try:
            deadline = (starts[-1] - datetime.now(UTC)).total_seconds() + 20
            wait_until(lambda: len(fake.created) >= len(expected) or any(
                p.poll() is not None for p in procs), timeout=max(deadline, 1), step=0.05)
            time.sleep(2)  # a late duplicate would arrive now
            for i, p in enumerate(procs, 1):
                if p.poll() is not None:
                    result.error(f"daemon {i} exited early with status {p.returncode}")
        finally:
            for p in procs:
                if p.poll() is None:
                    p.terminate()  # SIGTERM: finish the current send, exit 0
            outputs = [finish(run, p, f"two-daemons daemon {i}", timeout=30)
                       for i, p in enumerate(procs, 1)]
        for i, (code, out, err) in enumerate(outputs, 1):
            if code != 0 or has_traceback(out + err):
                result.error(f"daemon {i} exited {code} after SIGTERM or logged a traceback: "
                             f"{(err or out).strip().splitlines()[-1:]}")
        apply_tally(result, tally(expected, fake.received()))
        latencies = []
        for r in fake.create_requests:
            key = (r.form.get("To", ""), r.form.get("Body", ""))
            if key in due:
                latencies.append((r.received_at - due[key]).total_seconds())
    if latencies and max(latencies) > MAX_LATENCY_S:
        result.error(f"a text reached Twilio {max(latencies):.1f} s after its due instant "
                     f"(limit {MAX_LATENCY_S:.0f} s)")
    db = Database(url)
    try:
        with db.reader() as uow:
            claimers = [c for (c,) in uow.session.query(Notification.claimed_by)]
    finally:
        db.dispose()
    split = {f"daemon-{i}": sum(1 for c in claimers if c and c.startswith(f"chaos-daemon-{i}/"))
             for i in (1, 2)}
    result.notes.append(
        f"{covers} shift starts {gap} s apart; texts sent by daemon 1: {split['daemon-1']}, "
        f"daemon 2: {split['daemon-2']}; due → Twilio latency "
        + (f"min {min(latencies):.2f} s, max {max(latencies):.2f} s" if latencies else "n/a")
    )
    return result
