"""Calendar feeds: the response time of ``GET /calendar/<token>.ics`` for a 200-member team
with a year of schedule planned (horizon 53 weeks, a cover every 5 days), and the service's
resident set with the feeds on.

The feeds are served by a process that starts like ``whoseonfirst-service run`` with
``WHOSEONFIRST_FEEDS`` set and ticks on a fixed clock all along (:mod:`bench._feeds_child`).
Measured from here over loopback: the team's feed and a member's, one request at a time, then
50 at once; a 304 for an unchanged ETag; the service's RSS after all of them, and its slowest
tick meanwhile.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update

from bench.common import BENCH_NOW, Figure, big_roster, fresh_sqlite, median_ms, percentile, rss_mb
from bench.gui import ROOT
from whoseonfirst_core.db.models import Member, TeamSettings
from whoseonfirst_core.db.session import Database
from whoseonfirst_core.roster import import_roster_data
from whoseonfirst_core.usecases.calendar import Cover, add_override
from whoseonfirst_core.usecases.feeds import create_link
from whoseonfirst_core.usecases.schedule import extend_horizon

GROUP = "feeds"


def _team(db: Database, members: int) -> tuple[str, str]:
    """The team, a year planned, covers; returns the team's token and a member's."""
    with db.uow("bench") as uow:
        import_roster_data(uow, BENCH_NOW - timedelta(days=100), big_roster(members, "2025-11-24"))
        uow.session.execute(update(TeamSettings).values(horizon_weeks=53))
        extend_horizon(uow, BENCH_NOW, force=True)
        ids = list(uow.session.scalars(select(Member.id).order_by(Member.id)))
        for k in range(70):
            start = BENCH_NOW + timedelta(days=5 * k, hours=3)
            add_override(
                uow, BENCH_NOW, Cover(ids[k % len(ids)], start, start + timedelta(hours=6))
            )
        team = create_link(uow, BENCH_NOW, None)
        member = create_link(uow, BENCH_NOW, ids[0])
        uow.commit()
    assert team is not None and member is not None
    return team, member


def _get(url: str, headers: dict[str, str] | None = None) -> tuple[float, int, dict[str, str], int]:
    began = time.perf_counter()
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            body = response.read()
            status, got = response.status, dict(response.headers)
    except urllib.error.HTTPError as error:
        with error:
            body, status, got = error.read(), error.code, dict(error.headers)
    return (time.perf_counter() - began) * 1000, status, got, len(body)


def run(quick: bool = False) -> list[Figure]:
    members = 20 if quick else 200
    repeat = 5 if quick else 40
    figures: list[Figure] = []
    with fresh_sqlite("wof-bench-feeds-") as db:
        team_token, member_token = _team(db, members)
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(
                p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p
            ),
        }
        child = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bench._feeds_child",
                "--database",
                db.url,
                "--start",
                BENCH_NOW.isoformat(),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
            env=env,
        )
        assert child.stdin is not None and child.stdout is not None
        try:
            base = child.stdout.readline().strip()
            team_url = f"{base}/calendar/{team_token}.ics"
            member_url = f"{base}/calendar/{member_token}.ics"
            made = _get(team_url)  # the first request makes the feed; the rest reuse it
            team = [_get(team_url) for _ in range(repeat)]
            mine = [_get(member_url) for _ in range(repeat)]
            etag = team[0][2]["ETag"]
            unchanged = [_get(team_url, {"If-None-Match": etag}) for _ in range(repeat)]
            with ThreadPoolExecutor(50) as pool:
                burst: list[Any] = list(
                    pool.map(lambda i: _get((team_url, member_url)[i % 2]), range(50))
                )
            rss = rss_mb(child.pid)
        finally:
            out, _ = child.communicate("", timeout=120)
        ticks, slowest = out.split()[-2:]
    assert all(r[1] == 200 for r in team + mine + burst), "a feed request failed"
    assert all(r[1] == 304 for r in unchanged)
    note = f"{members} members, {team[0][3] // 1024} KB team feed"
    figures.append(
        Figure(
            GROUP,
            "team feed made anew (after a change)",
            made[0],
            "ms",
            None,
            note=f"{note}; one feed is made at a time, then kept until the database changes",
        )
    )
    figures.append(
        Figure(
            GROUP,
            "team feed response, median",
            median_ms([r[0] for r in team]),
            "ms",
            50,
            note=note,
        )
    )
    figures.append(
        Figure(
            GROUP,
            "team feed response, p95",
            percentile([r[0] for r in team], 95),
            "ms",
            None,
            note=note,
        )
    )
    figures.append(
        Figure(
            GROUP,
            "member feed response, median",
            median_ms([r[0] for r in mine]),
            "ms",
            50,
            note=note,
        )
    )
    figures.append(
        Figure(
            GROUP,
            "304 for an unchanged ETag, median",
            median_ms([r[0] for r in unchanged]),
            "ms",
            None,
            note="the feed is still made, to compare its ETag",
        )
    )
    figures.append(
        Figure(
            GROUP, "50 requests at once, slowest", max(r[0] for r in burst), "ms", None, note=note
        )
    )
    figures.append(
        Figure(
            GROUP,
            "service RSS with feeds on",
            rss,
            "MB",
            80,
            note=f"after {len(team) + len(mine) + len(unchanged) + 51} feed requests",
        )
    )
    figures.append(
        Figure(
            GROUP,
            "slowest tick while serving feeds",
            float(slowest),
            "ms",
            None,
            note=f"{ticks} ticks",
        )
    )
    return figures
