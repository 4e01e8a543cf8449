"""The desktop-app half of the page benchmarks, run in its own process (offscreen Qt).

``python -m bench._gui_child --database URL --now ISO --repeat N --out FILE``

Opens the real main window on the database (as ``whoseonfirst --database URL`` would, with a
fixed clock and throwaway settings), lets every page load once, then opens the Calendar month
view, the Team page and the Notifications page ``N`` times each. One "open" is the user's click
to a painted page: the page's read on the worker pool, the models and views filled on the GUI
thread, and one synchronous repaint. For each page it writes the median and best milliseconds
and the SQL statements the open issued (a SQLAlchemy event hook), and at the end the process's
resident memory (the GUI RSS figure). A separate process keeps Qt and the page caches out of the
runner's own memory and timings.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QCoreApplication, QModelIndex, QSettings
from PySide6.QtWidgets import QApplication, QWidget

from bench.common import StatementCounter, rss_mb
from whoseonfirst_core.clock import FixedClock
from whoseonfirst_core.db.session import Database
from whoseonfirst_core.domain.timeutil import local_date
from whoseonfirst_core.usecases.common import team_zone
from whoseonfirst_gui.context import make_context
from whoseonfirst_gui.main_window import MainWindow

PAGES = ("calendar", "team", "notifications")


def peak_rss_mb() -> float:
    with open(f"/proc/{os.getpid()}/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def settle(page: QWidget) -> None:
    """Deliver posted events (layouts, updates), then paint the page synchronously."""
    QCoreApplication.processEvents()
    page.repaint()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--database", required=True)
    p.add_argument("--now", required=True)
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--out", required=True)
    args = p.parse_args(argv)

    app = QApplication([sys.argv[0]])
    app.setOrganizationName("WhoseOnFirstBench")
    app.setApplicationName("WhoseOnFirstBench")
    now = datetime.fromisoformat(args.now)
    db = Database(args.database)
    ctx = make_context(db, FixedClock(now), "bench@host", interactive=False)
    result: dict[str, Any] = {"pages": {}}
    with tempfile.TemporaryDirectory(prefix="wof-bench-gui-") as tmp:
        settings = QSettings(str(Path(tmp) / "bench.ini"), QSettings.Format.IniFormat)
        t = time.perf_counter()
        window = MainWindow(ctx, settings=settings, poll=False)
        window.resize(1280, 800)
        window.show()
        window.refresh_all()
        if not ctx.runner.wait_idle(300_000):
            raise SystemExit("the pages did not load within 5 minutes")
        settle(window)
        result["all_pages_loaded_ms"] = (time.perf_counter() - t) * 1000
        counter = StatementCounter(db, keep=True)
        try:
            for slug in PAGES:
                page = window.page(slug)
                window.show_page(slug)
                settle(window)
                action = _opener(slug, page, now, db)
                times, statements, transactions = [], [], []
                for _ in range(max(1, args.repeat)):
                    _prepare(slug, page)
                    ctx.runner.wait_idle(60_000)
                    settle(page)
                    counter.reset()
                    t0 = time.perf_counter()
                    action()
                    if not ctx.runner.wait_idle(120_000):
                        raise SystemExit(f"the {slug} page did not load within 2 minutes")
                    settle(page)
                    times.append((time.perf_counter() - t0) * 1000)
                    statements.append(counter.count)
                    transactions.append(counter.transactions)
                result["pages"][slug] = {
                    "median_ms": statistics.median(times),
                    "best_ms": min(times),
                    "statements": max(statements),
                    "transactions": max(transactions),
                    "runs": len(times),
                    "sql": counter.statements,
                }
                problems = [m.title + ": " + m.text for m in ctx.messages.sink]
                if problems:
                    raise SystemExit(f"the {slug} page reported: {problems}")
        finally:
            counter.close()
        result["rss_mb"] = rss_mb()
        result["peak_rss_mb"] = peak_rss_mb()
        window.shutdown()
        window.deleteLater()
    db.dispose()
    Path(args.out).write_text(json.dumps(result, indent=2))
    return 0


def _opener(slug: str, page: Any, now: datetime, db: Database) -> Callable[[], None]:
    if slug == "calendar":
        with db.reader() as uow:
            today = local_date(now, team_zone(uow))
        return lambda: page.go_to(today, "month")
    return page.refresh  # type: ignore[no-any-return]


def _prepare(slug: str, page: Any) -> None:
    """Make each open start like the first: the Texts page shows the newest text's details on
    open, which happens only when nothing is selected yet."""
    if slug == "notifications":
        page.view.setCurrentIndex(QModelIndex())
        page.view.clearSelection()


if __name__ == "__main__":
    raise SystemExit(main())
