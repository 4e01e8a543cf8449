"""Dispatch latency: the real daemon (``whoseonfirst-service run``, real clock) against the fake
Twilio server.

The roster's rotation starts tomorrow, and ``n`` overrides start a few seconds after the daemon
is launched, ``spacing`` seconds apart (each newer override takes over from the previous one, so
every start is a shift_start text to a different member, due at that instant and valid until the
next start). The figures are the seconds from each due instant to the fake Twilio server
receiving the create-message request: p50, p95 and max, and how many never arrived.

Then a test text is queued the way the app's Test send page does it, and the seconds from the
queue to the fake receiving it are reported (the app shows its status "within seconds").
"""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.common import Figure, big_roster, percentile, rss_mb
from tests.fakes.fake_twilio import FakeTwilio
from whoseonfirst_core.db.models import Member
from whoseonfirst_core.db.session import Database, upgrade
from whoseonfirst_core.domain.timeutil import local_date, zone
from whoseonfirst_core.roster import import_roster_data
from whoseonfirst_core.usecases.calendar import Cover, add_override
from whoseonfirst_core.usecases.notifications import queue_text

GROUP = "dispatch (daemon → fake Twilio)"
ROOT = Path(__file__).resolve().parents[1]
TZ = "America/Chicago"


def _daemon_env(url: str, fake: FakeTwilio) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("WHOSEONFIRST_", "TWILIO_", "NOTIFY_", "WATCHDOG_"))
    }
    env.update(
        {
            "WHOSEONFIRST_DATABASE_URL": url,
            "TWILIO_ACCOUNT_SID": fake.account_sid,
            "TWILIO_AUTH_TOKEN": fake.auth_token,
            "TWILIO_FROM_NUMBER": "+13125550100",
            "WHOSEONFIRST_TWILIO_API_URL": fake.base_url,
            "WHOSEONFIRST_HTTP": "127.0.0.1:0",
            "PYTHONPATH": os.pathsep.join(
                p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p
            ),
        }
    )
    return env


def _rss_of(pid: int) -> float | None:
    try:
        return rss_mb(pid)
    except OSError:
        return None


def _first_tick_seen(log: Path) -> bool:
    try:
        text = log.read_text()
    except OSError:
        return False
    for line in text.splitlines():
        try:
            if json.loads(line).get("event") == "tick":
                return True
        except ValueError:
            continue
    return False


def run(quick: bool = False) -> list[Figure]:
    n = 5 if quick else 22
    spacing = 2.0 if quick else 3.0
    lead = 6.0  # the daemon starts (imports, first tick) well within this
    with tempfile.TemporaryDirectory(prefix="wof-bench-dispatch-") as tmp:
        folder = Path(tmp)
        url = f"sqlite:///{folder / 'whoseonfirst.db'}"
        db = Database(url)
        upgrade(db)
        now = datetime.now(UTC)
        first = datetime.fromtimestamp(math.ceil(now.timestamp() + lead), UTC)
        due = [first + timedelta(seconds=spacing * i) for i in range(n)]
        end = due[-1] + timedelta(seconds=spacing)
        tomorrow = local_date(now, zone(TZ)) + timedelta(days=1)
        phone_due: dict[str, datetime] = {}
        with db.uow("bench") as uow:
            import_roster_data(uow, now, big_roster(n, tomorrow.isoformat()))
            members = list(uow.session.query(Member).order_by(Member.position))
            for m, at in zip(members, due, strict=True):
                add_override(uow, now, Cover(m.id, at, end, "dispatch bench"))
                phone_due[m.phone] = at
            test_member = members[0].id
            uow.commit()

        stdout = folder / "daemon.out"
        stderr = folder / "daemon.err"
        with FakeTwilio() as fake, open(stdout, "w") as out, open(stderr, "w") as err:
            fake.set_status_script(["delivered"])
            started = time.monotonic()
            proc = subprocess.Popen(
                [sys.executable, "-m", "whoseonfirst_service", "run"],
                env=_daemon_env(url, fake),
                stdout=out,
                stderr=err,
                cwd=folder,
            )
            first_tick_s: float | None = None
            daemon_rss: float | None = None
            try:
                deadline = end + timedelta(seconds=10)
                while datetime.now(UTC) < deadline:
                    if proc.poll() is not None:
                        raise RuntimeError(
                            f"the daemon exited with {proc.returncode}:\n"
                            f"{stderr.read_text()[-2000:]}{stdout.read_text()[-2000:]}"
                        )
                    if first_tick_s is None and _first_tick_seen(stdout):
                        first_tick_s = time.monotonic() - started
                    got = {r.form.get("To") for r in fake.create_requests}
                    if set(phone_due) <= got:
                        break
                    time.sleep(0.05)
                delays = []
                for r in fake.create_requests:
                    at = phone_due.get(r.form.get("To", ""))
                    if at is not None:
                        delays.append((r.received_at - at).total_seconds())
                missing = n - len(delays)

                # A test text, queued as the Test send page does it.
                time.sleep(1.3)  # somewhere between two of the daemon's ticks
                with db.uow("bench") as uow:
                    queued_at = datetime.now(UTC)
                    queue_text(uow, queued_at, to=test_member, kind="test")
                    uow.commit()
                test_delay: float | None = None
                while test_delay is None and datetime.now(UTC) < queued_at + timedelta(seconds=45):
                    for r in fake.create_requests:
                        if r.received_at >= queued_at and "test text" in r.form.get("Body", ""):
                            test_delay = (r.received_at - queued_at).total_seconds()
                    time.sleep(0.05)
                daemon_rss = _rss_of(proc.pid)
            finally:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        db.dispose()

    note = f"{n} shift_start texts {spacing:g} s apart, SQLite, real clock"
    figures = [
        Figure(
            GROUP,
            "due → received, p50",
            percentile(delays, 50) if delays else None,
            "s",
            None,
            note=note,
        ),
        Figure(
            GROUP,
            "due → received, p95",
            percentile(delays, 95) if delays else None,
            "s",
            2.0,
            note=note,
        ),
        Figure(GROUP, "due → received, max", max(delays) if delays else None, "s", None, note=note),
        Figure(
            GROUP,
            "texts not received",
            missing,
            "texts",
            0,
            note="expired or still unsent when the next one was due",
        ),
        Figure(
            GROUP,
            "test text queued → received",
            test_delay,
            "s",
            5.0,
            note="the Test send page's path; n/a if it did not arrive within 45 s",
        ),
        Figure(GROUP, "daemon start → first tick done", first_tick_s, "s", None),
        Figure(
            GROUP,
            "daemon RSS at the end",
            daemon_rss,
            "MB",
            None,
            note="the real process; bench.memory drives hundreds of ticks",
        ),
    ]
    return figures
