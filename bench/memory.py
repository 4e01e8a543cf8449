"""Memory: the service's resident set after a few hundred ticks, and the desktop app's with the
large database open.

- Service: a process that starts like ``whoseonfirst-service run`` and drives the daemon's
  tick (:mod:`bench._service_child`) on a fixed clock moving 30 s per tick, on a copy of the
  large database with an override every 10 minutes, texting through the fake Twilio server (so
  sending, status polling and the metrics all run). 300 ticks = 2.5 hours of service. On
  SQLite, and on PostgreSQL (the shared deployment) when a server can run here.
- App: the resident set of the page benchmark's app process (:mod:`bench._gui_child`) after
  it opened every page and then the Calendar month view, Team and Notifications pages
  repeatedly, on the large database.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bench import pg
from bench.common import BENCH_NOW, Figure
from bench.dataset import LARGE, QUICK
from bench.gui import ROOT, large_sqlite, page_repeat, run_pages
from tests.fakes.fake_twilio import FakeTwilio
from whoseonfirst_core.db.models import Member
from whoseonfirst_core.db.session import Database
from whoseonfirst_core.usecases.calendar import Cover, add_override

GROUP = "memory"


def service_rss(ticks: int, url: str) -> dict[str, Any]:
    """Drive the service child on ``url`` (a database it may write) after adding a cover every
    10 minutes of the ticked stretch, so it has texts to send and poll."""
    db = Database(url)
    try:
        with db.uow("bench") as uow:
            members = list(uow.session.scalars(select(Member).limit(50)))
            for k in range(ticks // 20 + 1):
                start = BENCH_NOW + timedelta(minutes=10 * k + 1)
                add_override(
                    uow,
                    BENCH_NOW,
                    Cover(
                        members[k % len(members)].id, start, start + timedelta(minutes=5), "bench"
                    ),
                )
            uow.commit()
    finally:
        db.dispose()
    with tempfile.TemporaryDirectory(prefix="wof-bench-mem-") as tmp:
        out = Path(tmp) / "service.json"
        with FakeTwilio() as fake:
            fake.set_status_script(["sent", "delivered"])
            env = {
                **os.environ,
                "TWILIO_ACCOUNT_SID": fake.account_sid,
                "TWILIO_AUTH_TOKEN": fake.auth_token,
                "PYTHONPATH": os.pathsep.join(
                    p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p
                ),
            }
            proc = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "bench._service_child",
                    "--database",
                    url,
                    "--start",
                    BENCH_NOW.isoformat(),
                    "--ticks",
                    str(ticks),
                    "--twilio",
                    fake.base_url,
                    "--out",
                    str(out),
                ],
                env=env,
                cwd=ROOT,
                capture_output=True,
                text=True,
                timeout=900,
            )
        if proc.returncode != 0:
            raise RuntimeError(f"the service memory run failed:\n{proc.stderr[-3000:]}")
        result: dict[str, Any] = json.loads(out.read_text())
        return result


def _service_figures(label: str, ticks: int, svc: dict[str, Any], note: str) -> list[Figure]:
    totals = svc["totals"]
    hours = svc["simulated_hours"]
    return [
        Figure(
            GROUP,
            f"service RSS after {ticks} ticks ({hours:.1f} h), {label}",
            svc["rss_mb"],
            "MB",
            80,
            note=f"{totals.get('sent', 0)} texts sent, {totals.get('polled', 0)} status "
            f"polls; peak {svc['peak_rss_mb']:.0f} MB; {note}",
        ),
        Figure(
            GROUP,
            f"service RSS growth over the ticks, {label}",
            svc["rss_mb"] - svc["rss_after_first_tick_mb"],
            "MB",
            None,
            note="from the first tick to the last: a leak would show here",
        ),
        Figure(
            GROUP,
            f"service tick, mean, {label}",
            svc["seconds"] / ticks * 1000,
            "ms",
            None,
            note=note,
        ),
    ]


def run(quick: bool = False) -> list[Figure]:
    size = QUICK if quick else LARGE
    ticks = 40 if quick else 300
    large_url, _info = large_sqlite(size)
    figures: list[Figure] = []
    with tempfile.TemporaryDirectory(prefix="wof-bench-mem-") as tmp:
        copy = Path(tmp) / "service.db"
        shutil.copyfile(Path(large_url.removeprefix("sqlite:///")), copy)
        svc = service_rss(ticks, f"sqlite:///{copy}")
    figures += _service_figures("SQLite", ticks, svc, size.describe())
    try:
        url = pg.clone(pg.large_database(size), "wof_bench_service")
    except pg.Unavailable as exc:
        figures.append(
            Figure(
                GROUP, f"service RSS after {ticks} ticks, PostgreSQL", None, "MB", 80, note=str(exc)
            )
        )
    else:
        svc = service_rss(ticks, url)
        figures += _service_figures("PostgreSQL", ticks, svc, size.describe())
    pages = run_pages(large_url, page_repeat(quick))
    figures.append(
        Figure(
            GROUP,
            "app RSS with the large database",
            pages["rss_mb"],
            "MB",
            250,
            note=f"every page loaded, then the page benchmark; peak "
            f"{pages['peak_rss_mb']:.0f} MB; SQLite, {size.describe()}",
        )
    )
    return figures
