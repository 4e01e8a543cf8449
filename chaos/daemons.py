"""Two daemons drill (issue 7, drill 2): two ``whoseonfirst-service run`` processes, one
PostgreSQL database, real time.

The roster's rotation starts the day after tomorrow, so the only texts are covers the drill
adds for the next minute: a different member every few seconds (4 covers 4 s apart in the quick
run, 12 covers 5 s apart in the full one). Both daemons wake at each exact start and race for
the same rows. Every text must reach the fake Twilio server exactly once, soon after its due
instant. While both run, the drill also saves covers further ahead (2 in the quick run, 4 in
the full one): each change notice must reach the fake exactly once too. Then both daemons get
SIGTERM and must exit 0.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from chaos.common import (
    ChaosRun,
    DrillResult,
    apply_tally,
    cover_members,
    drill_twilio,
    import_covers,
    start_daemon,
    stop_daemon,
    tally,
    wait_until,
)
from chaos.notices_kill import cover_and_notices, no_delay
from chaos.timing import Timing
from whoseonfirst_core.db.models import Notification, ToldState
from whoseonfirst_core.db.session import Database

#: The latest a text may reach Twilio after its due instant (the daemons wake at it exactly).
MAX_LATENCY_S = 5.0


def _told(db: Database) -> bool:
    with db.reader() as uow:
        return bool(uow.session.scalar(select(func.count()).select_from(ToldState)))


def run(run: ChaosRun) -> DrillResult:
    result = DrillResult("two daemons (postgresql)")
    covers, gap = (4, 4) if run.quick else (12, 5)
    url = run.new_database("postgresql", "two-daemons")
    now = datetime.now(UTC).replace(microsecond=0)
    # Time for both daemons to start and tick once: 8 s on an idle machine, more when the
    # measured start-up says so.
    first = now + timedelta(seconds=Timing.of(run).lead(8.0))
    starts = [first + timedelta(seconds=gap * i) for i in range(covers)]
    members = cover_members(run, covers)
    due = import_covers(
        url,
        now,
        [(members[i][0], s, s + timedelta(seconds=gap)) for i, s in enumerate(starts)],
        members=members,
    )
    expected = list(due)
    db = Database(url)
    no_delay(db)
    notice_covers = 2 if run.quick else 4
    with drill_twilio(run) as fake:
        procs = [start_daemon(run, url, fake, f"chaos-daemon-{i}") for i in (1, 2)]
        try:
            # Once a daemon has recorded what everyone is on call for, covers saved now are
            # changes: both daemons race to tell them.
            wait_until(lambda: _told(db) or any(p.poll() is not None for p in procs), timeout=60)
            later = datetime.combine(
                now.date() + timedelta(days=3), datetime.min.time(), tzinfo=UTC
            ) + timedelta(hours=16)
            expected += cover_and_notices(
                db,
                datetime.now(UTC),
                [later + timedelta(hours=2 * i) for i in range(notice_covers)],
            )
            deadline = (starts[-1] - datetime.now(UTC)).total_seconds() + 20
            wait_until(
                lambda: (
                    len(fake.created) >= len(expected) or any(p.poll() is not None for p in procs)
                ),
                timeout=max(deadline, 1),
                step=0.05,
            )
            time.sleep(2)  # a late duplicate would arrive now
            for i, p in enumerate(procs, 1):
                if p.poll() is not None:
                    result.error(f"daemon {i} exited early with status {p.returncode}")
        finally:
            for p in procs:
                if p.poll() is None:
                    p.terminate()  # both at once: each finishes its current send
            for i, p in enumerate(procs, 1):
                stop_daemon(
                    run, p, f"two-daemons daemon {i}", result, f"daemon {i}", terminate=False
                )
        apply_tally(result, tally(expected, fake.received()))
        latencies = []
        for r in fake.create_requests:
            key = (r.form.get("To", ""), r.form.get("Body", ""))
            if key in due:
                latencies.append((r.received_at - due[key]).total_seconds())
    if latencies and max(latencies) > MAX_LATENCY_S:
        result.error(
            f"a text reached Twilio {max(latencies):.1f} s after its due instant "
            f"(limit {MAX_LATENCY_S:.0f} s)"
        )
    try:
        with db.reader() as uow:
            claimers = [c for (c,) in uow.session.query(Notification.claimed_by)]
    finally:
        db.dispose()
    split = {
        f"daemon-{i}": sum(1 for c in claimers if c and c.startswith(f"chaos-daemon-{i}/"))
        for i in (1, 2)
    }
    result.notes.append(
        f"{covers} shift starts {gap} s apart, the first {(first - now).total_seconds():.0f} s "
        f"after the daemons' start, and {notice_covers} covers saved while both ran "
        f"({len(expected) - len(due)} notices); "
        f"texts sent by daemon 1: {split['daemon-1']}, "
        f"daemon 2: {split['daemon-2']}; due → Twilio latency "
        + (f"min {min(latencies):.2f} s, max {max(latencies):.2f} s" if latencies else "n/a")
    )
    return result
