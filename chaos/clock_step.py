"""Wall-clock step drill (issue 19, item 1): the host clock jumps 3 h ahead and is corrected.

The real daemon (``whoseonfirst-service run``) runs on SQLite against the fake Twilio server,
under ``libfaketime``: its wall clock (``CLOCK_REALTIME``) is the real one plus an offset the
drill writes to a file, while its monotonic clocks run untouched — what an NTP step or an
operator's ``date -s`` does to a process (the host's own clock is left alone: other jobs share
it). The fake Twilio server keeps the real time, so after the step the two clocks disagree by
3 h, as they did in the failure reported.

Timeline (``T``: seconds after the daemon's first tick):

- ``T``: the clock steps 3 h ahead. Dee's cover starts 8 s later *on the stepped clock*: the
  daemon texts her then (it cannot know its clock is wrong), and the fake drops the connection
  after creating the message — an ambiguous send, reconciled by listing at Twilio although the
  daemon's clock is 3 h ahead of Twilio's: found, not sent again.
- ``T + AHEAD``: the clock is corrected (3 h back). Cal's cover (two phones) starts 15 s later,
  in the jumped-over hours: Cal must get both texts at that instant, once, and the row must not
  be ``missed`` (it was, when the ticks that saw the clock ahead judged it).
- After the correction the daemon must go on ticking every 30 s (it stopped: its scheduler had
  dated the next tick 3 h away): at least two ticks within 36 s of it.

Measured: the texts (expected, received, duplicates, missed), how late Cal's texts came, the
ticks after the correction, and what ``/healthz`` answered meanwhile. Skipped where libfaketime
is not installed (Debian: ``apt-get install faketime``; CI installs it).
"""

from __future__ import annotations

import glob
import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from chaos.common import (
    MEMBERS,
    ChaosRun,
    DrillResult,
    DrillSkipped,
    all_delivered,
    apply_tally,
    check_rows,
    drill_twilio,
    import_covers,
    log_has_event,
    service_env,
    sleep_until,
    start_service,
    stop_daemon,
    tally,
    wait_until,
)
from chaos.health import HealthPoller
from tests.fakes.fake_twilio import Reply
from tests.pg_server import free_port

STEP = timedelta(hours=3)
AHEAD = timedelta(seconds=40)  # longer than one tick interval: an ahead tick judges too
DEE_AFTER = timedelta(seconds=8)  # on the stepped clock
CAL_AFTER = timedelta(seconds=15)  # after the correction
COVER = timedelta(hours=2)  # Cal's cover ends before the stepped clock's "now": jumped over
#: Ticks wanted within this long after the correction (the step's tick and an interval tick).
TICKS_WITHIN = timedelta(seconds=36)
#: Cal's texts may come this late after their instant on a busy machine (figure reported).
LATE_S = 10.0
#: /healthz may say unhealthy this long around a step (until the tick that sees the step).
HEALTH_GAP_S = 5.0
LIBFAKETIME = (
    "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1",
    "/usr/lib/*/faketime/libfaketime.so.1",
    "/usr/lib64/faketime/libfaketime.so.1",
)


def libfaketime() -> str:
    for pattern in LIBFAKETIME:
        found = sorted(glob.glob(pattern))
        if found:
            return found[0]
    raise DrillSkipped("libfaketime is not installed (Debian: apt-get install faketime)")


def run(run: ChaosRun) -> DrillResult:
    lib = libfaketime()
    result = DrillResult("clock step (3 h ahead, corrected)")
    folder = run.folder("clock-step")
    offset_file = folder / "offset"
    offset_file.write_text("+0\n", encoding="utf-8")
    url = run.new_database("sqlite", "clock-step")
    log_path = folder / "daemon.log"
    dee, cal = MEMBERS[3], MEMBERS[2]
    port = free_port()
    health_url = f"http://127.0.0.1:{port}/healthz"
    with drill_twilio(run) as fake, log_path.open("w", encoding="utf-8") as log:
        env = service_env(
            run,
            url,
            fake,
            WHOSEONFIRST_HTTP=f"127.0.0.1:{port}",
            WHOSEONFIRST_INSTANCE_ID="clock-step",
            LD_PRELOAD=lib,
            FAKETIME_TIMESTAMP_FILE=str(offset_file),
            FAKETIME_NO_CACHE="1",
            FAKETIME_DONT_FAKE_MONOTONIC="1",
        )
        proc = start_service(["run"], env, log)
        try:
            if not wait_until(lambda: log_has_event(log_path, "tick"), 120, step=0.1):
                result.error("the daemon under libfaketime never ticked")
                return result
            t = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=3)
            cal_at = t + AHEAD + CAL_AFTER
            dee_at = t + STEP + DEE_AFTER
            expected = import_covers(
                url,
                datetime.now(UTC),
                [(cal[0], cal_at, cal_at + COVER), (dee[0], dee_at, dee_at + COVER)],
            )
            dropped = fake.answer_first_create_to(
                [dee[1]], Reply(drop_connection=True, create=True)
            )
            cal_phones = {p for p in cal[1:] if p}
            with HealthPoller(health_url) as health:
                sleep_until(t)
                offset_file.write_text(f"+{int(STEP.total_seconds())}\n", encoding="utf-8")
                sleep_until(t + AHEAD)
                offset_file.write_text("+0\n", encoding="utf-8")
                back_at = time.monotonic()
                wait_until(
                    lambda: cal_phones <= {m.to for m in fake.created},
                    (CAL_AFTER + TICKS_WITHIN).total_seconds() + 30,
                    step=0.05,
                )
                wait_until(
                    lambda: time.monotonic() - back_at >= TICKS_WITHIN.total_seconds(), 60, step=0.2
                )
                wait_until(lambda: all_delivered(url), 60, step=0.5)
        finally:
            stop_daemon(run, proc, "clock-step daemon", result, "the daemon under libfaketime")
        received = fake.received()
    apply_tally(result, tally(list(expected), received), "clock step")
    check_rows(url, result)
    if not dropped:
        result.error("Dee's text never reached the fake: the ambiguous send was not exercised")
    arrivals = [r.received_at for r in fake.create_requests if r.form.get("To") in cal_phones]
    late = (max(arrivals) - cal_at).total_seconds() if arrivals else None
    if late is None or late > LATE_S:
        result.error(f"Cal's texts came {late} s after the instant (allowed {LATE_S:.0f} s)")
    ticks = _ticks_after_correction(log_path)
    if ticks < 2:
        result.error(f"{ticks} tick(s) in the {TICKS_WITHIN.seconds} s after the correction")
    if health.longest_unhealthy() > HEALTH_GAP_S:
        result.error(
            f"/healthz said unhealthy for {health.longest_unhealthy():.1f} s around a step "
            f"(allowed {HEALTH_GAP_S:.0f} s)"
        )
    result.notes.append(
        f"3 h ahead for {AHEAD.seconds} s, then corrected: Cal's texts "
        f"{_seconds(late)} after their instant; {ticks} ticks in the {TICKS_WITHIN.seconds} s "
        f"after the correction; /healthz {health.describe()}; Dee's ambiguous send reconciled "
        "across the 3 h skew"
    )
    return result


def _seconds(value: float | None) -> str:
    return "never" if value is None else f"{value:.1f} s"


def _events(log_path: Path) -> list[dict[str, object]]:
    events: list[dict[str, object]] = []
    for line in log_path.read_text(encoding="utf-8").splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict):
            events.append(record)
    return events


def _ticks_after_correction(log_path: Path) -> int:
    """Ticks logged within :data:`TICKS_WITHIN` of the re-plan that saw the step back (their
    log times are the corrected clock's)."""
    events = _events(log_path)
    back = [e for e in events if e.get("event") == "replanned" and "back" in str(e.get("msg", ""))]
    if not back:
        return 0
    start = datetime.fromisoformat(str(back[-1]["ts"]))
    return sum(
        1
        for e in events
        if e.get("event") == "tick"
        and start <= datetime.fromisoformat(str(e["ts"])) <= start + TICKS_WITHIN
    )
