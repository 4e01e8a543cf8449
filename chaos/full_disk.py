"""Full disk drill (issue 19, item 3): the SQLite database's filesystem fills up across a due
instant.

The real daemon (``whoseonfirst-service run``, real clock) on a SQLite database in a small
tmpfs of its own (mounted by the drill: it needs root, as CI has; skipped otherwise). The drill
fills the filesystem with a file until ``ENOSPC``, keeps it full for ``FULL_S`` seconds (75 s;
20 s quick) with Cal's cover starting halfway, then deletes the file. Polling ``/healthz``
twice a second meanwhile. Must hold:

- the daemon stays up; once a tick fails for want of space, ``/healthz`` answers 503 and says
  why ("database or disk is full") until a tick succeeds again;
- Cal's two texts go out exactly once, within ``CATCH_UP_S`` of the space returning.

The drill fails as proving nothing if no tick failed while the disk was full. The read-only
database (the other half of the item) is the deterministic test
``tests/service/test_daemon_writes_refused.py``: as root, ``chmod`` refuses nothing, and a
filesystem in use cannot be remounted read-only.
"""

from __future__ import annotations

import errno
import json
import os
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from chaos.common import (
    MEMBERS,
    ChaosRun,
    DrillResult,
    DrillSkipped,
    apply_tally,
    drill_twilio,
    import_covers,
    log_has_event,
    sleep_until,
    start_daemon,
    stop_daemon,
    tally,
    wait_until,
)
from chaos.health import HealthPoller
from tests.pg_server import free_port
from whoseonfirst_core.db.session import Database, upgrade

SIZE = "16m"
CATCH_UP_S = 30.0


def run(run: ChaosRun) -> DrillResult:
    if os.geteuid() != 0:
        raise DrillSkipped("needs root to mount a small tmpfs for the database")
    full_s = 20.0 if run.quick else 75.0
    result = DrillResult("full disk (sqlite)")
    mount_point = run.folder("full-disk") / "fs"
    mount_point.mkdir(exist_ok=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={SIZE},mode=0700", "tmpfs", str(mount_point)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        raise DrillSkipped(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        _drill(run, result, mount_point, full_s)
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], capture_output=True, check=False)
    return result


def _drill(run: ChaosRun, result: DrillResult, fs: Path, full_s: float) -> None:
    url = f"sqlite:///{fs / 'whoseonfirst.db'}"
    db = Database(url)
    try:
        upgrade(db)
    finally:
        db.dispose()
    run.evidence.sqlite_files.append(fs / "whoseonfirst.db")
    cal = MEMBERS[2]
    port = free_port()
    health_url = f"http://127.0.0.1:{port}/healthz"
    log_path = run.folder("full-disk") / "daemon.log"  # outside the full filesystem
    with drill_twilio(run) as fake, log_path.open("w", encoding="utf-8") as log:
        proc = start_daemon(run, url, fake, "full-disk", http=f"127.0.0.1:{port}", log=log)
        try:
            if not wait_until(lambda: log_has_event(log_path, "tick"), 120, step=0.1):
                result.error("the daemon never ticked")
                return
            fill_at = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=4)
            due = fill_at + timedelta(seconds=round(full_s / 2))  # whole seconds, as planned
            expected = import_covers(
                url, datetime.now(UTC), [(cal[0], due, due + timedelta(minutes=30))]
            )
            with HealthPoller(health_url) as poller:
                sleep_until(fill_at)
                filler = fs / "filler"
                _fill(filler)
                filled, filled_at = time.monotonic(), datetime.now(UTC)
                sleep_until(fill_at + timedelta(seconds=full_s))
                sent_while_full = len(fake.created)
                filler.unlink()
                freed = time.monotonic()
                freed_at = datetime.now(UTC)
                wait_until(lambda: len(fake.created) >= len(expected), CATCH_UP_S + 30, step=0.05)
                wait_until(lambda: poller.samples[-1][1] == 200, 45, step=0.2)
            alive = proc.poll() is None
        finally:
            stop_daemon(run, proc, "full-disk daemon", result, "the daemon")
        apply_tally(result, tally(list(expected), fake.received()), "full disk")
        arrivals = [r.received_at for r in fake.create_requests]
    if not expected:
        result.error("the planner expected no text: the drill proved nothing")
    if not alive:
        result.error("the daemon exited while the disk was full")
    failed = _failed_ticks(log_path, "full")
    if not failed:
        result.error("no tick failed while the disk was full: the drill proved nothing")
    # From the first failed tick (before it nothing had tried to write) until the space returned.
    since = filled + (failed[0][0] - filled_at).total_seconds() + 1.0 if failed else freed
    statuses = poller.between(since, freed)
    if any(s != 503 for s in statuses):
        result.error(f"/healthz while the disk was full answered {sorted(set(statuses))}")
    catch_up = (max(arrivals) - freed_at).total_seconds() if arrivals else None
    if sent_while_full:
        result.error(f"{sent_while_full} text(s) went out while the disk was full")
    if catch_up is None or catch_up > CATCH_UP_S:
        result.error(f"the texts reached Twilio {catch_up} s after the space returned")
    result.notes.append(
        f"filesystem full for {full_s:.0f} s across the due instant: {len(failed)} ticks failed "
        f"({failed[0][1] if failed else '-'}); /healthz 503 in {statuses.count(503)} of "
        f"{len(statuses)} polls while full; texts out "
        f"{catch_up:.1f} s after the space returned; the daemon stayed up"
        if catch_up is not None
        else f"filesystem full for {full_s:.0f} s; no text arrived"
    )


def _fill(path: Path) -> None:
    """Write ``path`` until the filesystem has no byte left."""
    block = b"\0" * 65536
    with path.open("wb", buffering=0) as f:
        try:
            while True:
                f.write(block)  # a partial write fills the last bytes; the next one fails
        except OSError as exc:
            if exc.errno != errno.ENOSPC:
                raise


def _failed_ticks(log_path: Path, word: str) -> list[tuple[datetime, str]]:
    """When each failed tick whose reason contains ``word`` was logged, and its message."""
    failed: list[tuple[datetime, str]] = []
    for line in log_path.read_text(encoding="utf-8").splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict) and record.get("event") == "tick_failed":
            msg = str(record.get("msg", ""))
            if word in msg:
                failed.append((datetime.fromisoformat(str(record["ts"])), msg[:120]))
    return failed
