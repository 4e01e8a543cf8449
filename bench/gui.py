"""Desktop app: start-up to the first painted window, and page opens on a large database.

1. ``whoseonfirst --database <demo>`` is started as a new process with
   ``WHOSEONFIRST_EXIT_AFTER_FIRST_PAINT=1`` (see :mod:`whoseonfirst_gui.first_paint`): seconds
   from just before the process is spawned to the first paint of the main window. The median
   of several starts (the first one also pays for a cold disk cache).
2. On a large SQLite database (200 members, 5 years of schedule, 100,000 texts), the Calendar
   month view, the Team page and the Notifications page are opened in a separate app process
   (:mod:`bench._gui_child`): milliseconds from the click to the painted page, and the SQL
   statements each open issues.

Qt runs offscreen unless a display is configured (``QT_QPA_PLATFORM`` is respected).
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.common import BENCH_NOW, Figure
from bench.dataset import LARGE, QUICK, Size, build_large
from whoseonfirst_core.db.session import Database, upgrade
from whoseonfirst_core.domain.timeutil import local_date, zone
from whoseonfirst_core.roster import create_demo_team
from whoseonfirst_core.usecases.setup import DEFAULT_TIMEZONE

GROUP = "desktop app"
ROOT = Path(__file__).resolve().parents[1]
PAGE_TITLES = {
    "calendar": "Calendar month view",
    "team": "Team page",
    "notifications": "Notifications page",
}


def child_env(tmp: Path) -> dict[str, str]:
    """The environment for an app process: offscreen unless a display is set, settings and
    data folders of its own (never the user's), the repository importable."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WHOSEONFIRST_")}
    if not (env.get("DISPLAY") or env.get("WAYLAND_DISPLAY")):
        env.setdefault("QT_QPA_PLATFORM", "offscreen")
    env["XDG_CONFIG_HOME"] = str(tmp / "config")
    env["XDG_DATA_HOME"] = str(tmp / "data")
    env["XDG_CACHE_HOME"] = str(tmp / "cache")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    return env


# --- the large database, built once per run ------------------------------------------------

_large: dict[Size, tuple[str, dict[str, float]]] = {}


def large_sqlite(size: Size) -> tuple[str, dict[str, float]]:
    """A SQLite file holding the large dataset (built on first use, removed at exit).
    Callers that write must work on a copy."""
    if size not in _large:
        folder = Path(tempfile.mkdtemp(prefix="wof-bench-large-"))
        atexit.register(shutil.rmtree, folder, True)
        url = f"sqlite:///{folder / 'large.db'}"
        db = Database(url)
        try:
            upgrade(db)
            info = build_large(db, BENCH_NOW, size)
        finally:
            db.dispose()
        print(
            f"[gui] large database: {size.describe()} built in {info['seconds']:.1f} s",
            file=sys.stderr,
        )
        _large[size] = (url, info)
    return _large[size]


# --- page opens (also used by bench.remote and bench.memory) -------------------------------

_page_results: dict[tuple[str, int], dict[str, Any]] = {}


def run_pages(url: str, repeat: int) -> dict[str, Any]:
    """Run :mod:`bench._gui_child` on ``url``; its JSON result (cached per run)."""
    key = (url, repeat)
    if key in _page_results:
        return _page_results[key]
    with tempfile.TemporaryDirectory(prefix="wof-bench-gui-") as tmp:
        out = Path(tmp) / "pages.json"
        cmd = [
            sys.executable,
            "-m",
            "bench._gui_child",
            "--database",
            url,
            "--now",
            BENCH_NOW.isoformat(),
            "--repeat",
            str(repeat),
            "--out",
            str(out),
        ]
        proc = subprocess.run(
            cmd, env=child_env(Path(tmp)), cwd=ROOT, capture_output=True, text=True, timeout=900
        )
        if proc.returncode != 0:
            raise RuntimeError(f"the page benchmark failed:\n{proc.stderr[-3000:]}")
        result: dict[str, Any] = json.loads(out.read_text())
    _page_results[key] = result
    return result


def page_figures(result: dict[str, Any], group: str, target_ms: float, note: str) -> list[Figure]:
    figures = []
    for slug, title in PAGE_TITLES.items():
        page = result["pages"][slug]
        figures.append(
            Figure(
                group,
                f"{title}: open",
                page["median_ms"],
                "ms",
                target_ms,
                note=f"median of {page['runs']}, best {page['best_ms']:.0f} ms; " + note,
            )
        )
        figures.append(
            Figure(
                group,
                f"{title}: SQL statements",
                page["statements"],
                "statements",
                10,
                note=f"in {page['transactions']} transaction(s)",
            )
        )
    return figures


# --- start-up --------------------------------------------------------------------------------


def app_command() -> list[str]:
    """The installed console script next to this interpreter, else ``-m``."""
    script = Path(sys.executable).with_name("whoseonfirst")
    if script.is_file() and os.access(script, os.X_OK):
        return [str(script)]
    return [sys.executable, "-m", "whoseonfirst_gui.app"]


def start_seconds(runs: int) -> list[tuple[float, float]]:
    """Seconds from process start to the first painted window, and to the first page painted
    with its data, for each of ``runs`` starts of the app on the demo team."""
    samples = []
    with tempfile.TemporaryDirectory(prefix="wof-bench-start-") as tmp:
        folder = Path(tmp)
        url = f"sqlite:///{folder / 'demo.db'}"
        db = Database(url)
        try:
            upgrade(db)
            now = datetime.now(UTC)
            today = local_date(now, zone(DEFAULT_TIMEZONE))
            with db.uow("bench") as uow:  # what "load the demo team" does
                create_demo_team(uow, now, today - timedelta(days=today.weekday()))
                uow.commit()
        finally:
            db.dispose()
        env = child_env(folder)
        env["WHOSEONFIRST_EXIT_AFTER_FIRST_PAINT"] = "1"
        for _ in range(runs):
            t0 = time.time()
            proc = subprocess.run(
                [*app_command(), "--database", url],
                env=env,
                cwd=folder,
                capture_output=True,
                text=True,
                timeout=120,
            )
            stamps = dict(ln.split() for ln in proc.stdout.splitlines() if ln.count(" ") == 1)
            if proc.returncode != 0 or not {"first-paint", "data-shown"} <= stamps.keys():
                raise RuntimeError(
                    f"the app did not report its first paint (exit {proc.returncode}):\n"
                    f"{proc.stderr[-2000:]}"
                )
            samples.append((float(stamps["first-paint"]) - t0, float(stamps["data-shown"]) - t0))
    return samples


def page_repeat(quick: bool) -> int:
    return 2 if quick else 7


def run(quick: bool = False) -> list[Figure]:
    runs = 1 if quick else 5
    starts = start_seconds(runs)
    window, data = [s[0] for s in starts], [s[1] for s in starts]
    figures = [
        Figure(
            GROUP,
            "start → first painted window (demo database)",
            statistics.median(window),
            "s",
            0.5,
            note=f"median of {runs} starts, best {min(window):.2f} s",
        ),
        Figure(
            GROUP,
            "start → first page painted with its data",
            statistics.median(data),
            "s",
            1.0,
            note=f"median of {runs} starts, best {min(data):.2f} s",
        ),
    ]
    size = QUICK if quick else LARGE
    url, _info = large_sqlite(size)
    result = run_pages(url, page_repeat(quick))
    figures += page_figures(result, GROUP, 200, f"SQLite, {size.describe()}")
    figures.append(
        Figure(
            GROUP,
            "all pages loaded after opening (large database)",
            result["all_pages_loaded_ms"],
            "ms",
            None,
            note="every page's first load, in the background after start",
        )
    )
    return figures
