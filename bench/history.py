"""History independence: the tick, ``/healthz`` and the Dashboard at 1 k and 1 M texts.

``python -m bench --only history`` (``--quick``: 1 k and 20 k). The large dataset
(``bench.dataset``: 200 members, 5 years of schedule) is built at both sizes, on SQLite and, if
a server can start here, on PostgreSQL. Figures:

- idle tick CPU (min over ticks 30 s apart, nothing due; process CPU, so another job on the
  machine does not count), on SQLite as built and after ``ANALYZE``, and on PostgreSQL;
- shift start → ``send()``: from the start of the tick at a shift's first second to the SMS
  backend's ``send`` call (min over the next three shift starts);
- ``/healthz`` read and Dashboard read (best of 5, wall).

Each figure is given at 1 k and at 1 M with the ratio, the goal being ≤ 1.5 ×.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from sqlalchemy import update
from whoseonfirst_service.engine import Engine
from whoseonfirst_service.sms import DryRunBackend, SendResult

from bench.common import BENCH_NOW, Figure, best_of, fresh_sqlite
from bench.dataset import Size, build_large, next_shift_start
from whoseonfirst_core.clock import FixedClock
from whoseonfirst_core.db.models import TeamSettings
from whoseonfirst_core.db.session import Database, upgrade
from whoseonfirst_core.usecases import outbox, retention
from whoseonfirst_core.usecases.dashboard import load_dashboard
from whoseonfirst_core.usecases.heartbeat import sms_health_at

GROUP = "history (200 members, 5 y)"
RATIO = 1.5


class _Timed(DryRunBackend):
    """The dry run, noting when ``send`` was first called."""

    def __init__(self) -> None:
        self.first_send: float | None = None

    def send(self, to: str, body: str, *, validity_seconds: int | None) -> SendResult:
        if self.first_send is None:
            self.first_send = time.perf_counter()
        return super().send(to, body, validity_seconds=validity_seconds)


def _idle_cpu_ms(engine: Engine, clock: FixedClock, ticks: int) -> float:
    best = float("inf")
    for _ in range(ticks):
        clock.advance(timedelta(seconds=30))
        t = time.process_time()
        engine.tick()
        best = min(best, (time.process_time() - t) * 1000)
    return best


def _start_to_send_ms(db: Database, engine: Engine, clock: FixedClock, timed: _Timed) -> float:
    best = float("inf")
    for _ in range(3):
        start = next_shift_start(db, clock.now())
        clock.set(start + timedelta(seconds=1))
        timed.first_send = None
        t = time.perf_counter()
        engine.tick()
        assert timed.first_send is not None, "the shift start was not sent"
        best = min(best, (timed.first_send - t) * 1000)
    return best


def measure(db: Database, size: Size, *, analyse: bool) -> dict[str, float]:
    """The figures of one database (built here, then ticked)."""
    info = build_large(db, BENCH_NOW, size)
    print(
        f"[history] {size.notifications:,} texts built in {info['seconds']:.1f} s",
        file=sys.stderr,
    )
    # Retention off: the history stays whole (the growth the figures are about).
    with db.uow("bench") as uow:
        uow.session.execute(update(TeamSettings).values(retention_days=0))
        uow.commit()
    clock = FixedClock(BENCH_NOW + timedelta(minutes=1))
    timed = _Timed()
    engine = Engine(db, timed, clock, instance_id="bench")
    engine.tick()  # the first tick: connects, runs the daily pass (nothing is old enough)
    out = {"idle": _idle_cpu_ms(engine, clock, 10)}
    if analyse:
        with db.engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE")
            conn.commit()
        out["idle_analyzed"] = _idle_cpu_ms(engine, clock, 10)
    now = clock.now()
    out["healthz"] = best_of(
        lambda: (
            db.read(lambda uow: outbox.outbox_counts(uow.session, now)),
            db.read(lambda uow: sms_health_at(uow.session, now)),
        )
    )
    out["dashboard"] = best_of(lambda: db.read(lambda uow: load_dashboard(uow, now)))
    out["send"] = _start_to_send_ms(db, engine, clock, timed)
    if size.notifications >= 10 * retention.BATCH:
        out["prune"] = _prune_batch_ms(db, clock.now())
    return out


def _prune_batch_ms(db: Database, now: datetime) -> float:
    """One retention batch with the default three years (the dataset holds five), rolled back
    (by leaving the unit of work uncommitted) so that every repeat deletes the same rows."""

    def one() -> None:
        with db.uow("bench") as uow:
            uow.session.execute(update(TeamSettings).values(retention_days=1095))
            pruned = retention.prune_batch(uow, now)
            assert pruned.deleted.get("texts") == retention.BATCH, pruned
            # leaving the block without commit rolls it back

    return best_of(one, 3)


@contextmanager
def _postgres(name: str) -> Iterator[Database]:
    from bench import pg

    pg.server()
    pg._admin(f"DROP DATABASE IF EXISTS {name}")
    pg._admin(f"CREATE DATABASE {name}")
    db = Database(pg.server().url(name))
    try:
        upgrade(db)
        yield db
    finally:
        db.dispose()
        pg._admin(f"DROP DATABASE IF EXISTS {name}")


def _figures(
    label: str, small: dict[str, float], large: dict[str, float], sizes: tuple[Size, Size]
) -> list[Figure]:
    names = {
        "idle": "idle tick CPU",
        "idle_analyzed": "idle tick CPU after ANALYZE",
        "send": "shift start → send()",
        "healthz": "/healthz read",
        "dashboard": "Dashboard read",
    }
    a, b = (f"{s.notifications // 1000:,} k" for s in sizes)
    figures = []
    for key, name in names.items():
        if key not in small:
            continue
        ratio = large[key] / small[key] if small[key] else float("nan")
        figures.append(
            Figure(
                GROUP,
                f"{label}: {name}, {a} / {b} texts: {small[key]:.1f} / {large[key]:.1f} ms; ratio",
                round(ratio, 2),
                "×",
                RATIO,
            )
        )
        if key == "send":
            figures.append(
                Figure(GROUP, f"{label}: shift start → send() at {b} texts", large[key], "ms", 50)
            )
    if "prune" in large:
        figures.append(
            Figure(
                GROUP,
                f"{label}: one retention batch ({retention.BATCH:,} texts, their attempts) at {b}",
                large["prune"],
                "ms",
                None,
                note="one batch per tick while a daily pass has rows left",
            )
        )
    return figures


def run(quick: bool = False) -> list[Figure]:
    sizes = (
        Size(members=200, years=5, notifications=1_000),
        Size(members=200, years=5, notifications=20_000 if quick else 1_000_000),
    )
    figures: list[Figure] = []
    results = []
    for size in sizes:
        with fresh_sqlite() as db:
            results.append(measure(db, size, analyse=True))
    figures += _figures("SQLite", results[0], results[1], sizes)
    try:
        results = []
        for i, size in enumerate(sizes):
            with _postgres(f"wof_bench_history_{i}") as db:
                results.append(measure(db, size, analyse=False))
        figures += _figures("PostgreSQL", results[0], results[1], sizes)
    except Exception as exc:  # no server here: the SQLite figures stand
        from bench import pg

        if not isinstance(exc, pg.Unavailable):
            raise
        figures.append(Figure(GROUP, "PostgreSQL", None, "", None, note=str(exc)))
    return figures
