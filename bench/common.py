"""Shared pieces of the benchmarks: the figure record, timers, databases, statement counting."""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import event

from whoseonfirst_core.db.session import Database, upgrade


@dataclass(frozen=True)
class Figure:
    group: str
    name: str
    value: float | None
    unit: str
    target: float | None = None
    #: "max": value must be at most target; "min": at least.
    sense: str = "max"
    note: str = ""

    @property
    def status(self) -> str:
        if self.value is None:
            return "n/a"
        if self.target is None:
            return "info"
        ok = self.value <= self.target if self.sense == "max" else self.value >= self.target
        return "pass" if ok else "FAIL"

    def as_dict(self) -> dict[str, Any]:
        return {
            "group": self.group,
            "name": self.name,
            "value": self.value,
            "unit": self.unit,
            "target": self.target,
            "sense": self.sense,
            "status": self.status,
            "note": self.note,
        }


def best_of(fn: Callable[[], Any], repeat: int = 5) -> float:
    """Best wall time in milliseconds over ``repeat`` runs (the least disturbed one)."""
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return min(times)


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) if samples else float("nan")


def percentile(samples: list[float], p: float) -> float:
    if not samples:
        return float("nan")
    ordered = sorted(samples)
    k = max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


@contextmanager
def fresh_sqlite(prefix: str = "wof-bench-") -> Iterator[Database]:
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        db = Database(f"sqlite:///{Path(tmp) / 'bench.db'}")
        upgrade(db)
        try:
            yield db
        finally:
            db.dispose()


class StatementCounter:
    """Counts the SQL statements an engine executes (a SQLAlchemy event hook).

    ``count``: the statements the application sends (queries and writes). Transaction control
    (``BEGIN``, ``COMMIT``, ``ROLLBACK``, savepoints) is not counted there: SQLite's ``BEGIN``
    goes through the hook while PostgreSQL's is sent by the driver out of its sight, and a
    figure must mean the same on both. ``transactions`` counts the transactions begun (the
    engine's ``begin`` event, on both backends). With ``keep=True`` the statements are kept in
    ``statements``, to see what a page asks.
    """

    _CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")

    def __init__(self, db: Database, *, keep: bool = False) -> None:
        self.count = 0
        self.transactions = 0
        self.keep = keep
        self.statements: list[str] = []
        self._engine = db.engine
        event.listen(self._engine, "before_cursor_execute", self._hook)
        event.listen(self._engine, "begin", self._begin)

    def reset(self) -> None:
        self.count = 0
        self.transactions = 0
        self.statements = []

    def _hook(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip()[:9].upper().startswith(self._CONTROL):
            return
        self.count += 1
        if self.keep:
            self.statements.append(" ".join(statement.split()))

    def _begin(self, conn: Any) -> None:
        self.transactions += 1

    def close(self) -> None:
        event.remove(self._engine, "before_cursor_execute", self._hook)
        event.remove(self._engine, "begin", self._begin)


def big_roster(members: int, anchor: str = "2026-03-02") -> dict[str, Any]:
    return {
        "format": "whoseonfirst-roster",
        "version": 1,
        "team": {"name": "Bench", "timezone": "America/Chicago"},
        "members": [
            {"name": f"Member {i:03d}", "phone": f"+1312555{i:04d}", "active": True, "position": i}
            for i in range(members)
        ],
        "rotation": {"anchor_date": anchor},
        "escalation_contacts": [{"name": "Lead", "phone": "+13125559999"}],
    }


BENCH_NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)


def rss_mb(pid: int | None = None) -> float:
    """Resident set size in MB from /proc (Linux)."""
    path = f"/proc/{pid or os.getpid()}/status"
    with open(path) as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")
