"""The queries of the tick, ``/healthz`` and the Dashboard read only their window of the
history, on SQLite (with and without ``ANALYZE``) and PostgreSQL.

A database with a long history (the benchmark's builder, smaller) is ticked idle and through a
shift start; every statement those run is captured and explained with its own parameters. No
plan may read a history table whole: SQLite's ``SCAN notifications`` (with or without an index
to walk) or PostgreSQL's ``Seq Scan`` on it fails the test and names the statement.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event

from bench.dataset import Size, build_large, next_shift_start
from service.engine import Engine
from service.twilio_sms import DryRunBackend
from whoseonfirst_core.clock import FixedClock
from whoseonfirst_core.db.session import Database
from whoseonfirst_core.usecases import outbox
from whoseonfirst_core.usecases.dashboard import load_dashboard
from whoseonfirst_core.usecases.heartbeat import sms_health_at

NOW = datetime.fromisoformat("2026-03-01T12:00:00+00:00")
HISTORY = ("notifications", "notification_attempts", "audit_log", "inbound_messages")
SIZE = Size(members=30, years=2, notifications=20_000)

Captured = list[tuple[str, Any]]


@contextmanager
def captured(db: Database) -> Iterator[Captured]:
    seen: Captured = []

    def note(_c: Any, _cur: Any, statement: str, params: Any, _ctx: Any, many: bool) -> None:
        if not many and statement.lstrip().upper().startswith(("SELECT", "UPDATE", "DELETE")):
            seen.append((statement, params))

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", note)


def _work(db: Database) -> Captured:
    """Statements of an idle tick, a tick at a shift start, /healthz and the Dashboard."""
    clock = FixedClock(NOW + timedelta(minutes=1))
    engine = Engine(db, DryRunBackend(), clock, instance_id="plans")
    engine.tick()
    start = next_shift_start(db, clock.now())
    with captured(db) as seen:
        clock.advance(timedelta(seconds=30))
        engine.tick()
        clock.set(start + timedelta(seconds=1))
        summary = engine.tick()
        db.read(lambda uow: outbox.outbox_counts(uow.session, clock.now()))
        db.read(lambda uow: sms_health_at(uow.session, clock.now()))
        db.read(lambda uow: load_dashboard(uow, clock.now()))
    assert summary.counts().get("sent", 0) + summary.counts().get("simulated", 0) >= 1, (
        summary.counts()
    )
    return seen


def _sqlite_scans(db: Database, seen: Captured) -> list[str]:
    bad = []
    pattern = re.compile(rf"^SCAN ({'|'.join(HISTORY)})\b")
    with db.engine.connect() as conn:
        raw = conn.connection.driver_connection
        assert raw is not None
        for statement, params in seen:
            plan = raw.execute("EXPLAIN QUERY PLAN " + statement, params).fetchall()
            scans = [row[3] for row in plan if pattern.match(row[3])]
            if scans:
                bad.append(f"{scans}: {statement}")
    return bad


def _pg_scans(db: Database, seen: Captured) -> list[str]:
    bad = []

    def walk(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
        yield node
        for child in node.get("Plans", ()):
            yield from walk(child)

    with db.engine.connect() as conn:
        raw = conn.connection.driver_connection
        assert raw is not None
        for statement, params in seen:
            with raw.cursor() as cur:
                cur.execute("EXPLAIN (FORMAT JSON) " + statement, params)
                (doc,) = cur.fetchone()
            scans = [
                n["Relation Name"]
                for n in walk(doc[0]["Plan"])
                if n["Node Type"] == "Seq Scan" and n.get("Relation Name") in HISTORY
            ]
            if scans:
                bad.append(f"{scans}: {statement}")
        raw.rollback()
    return bad


@pytest.fixture
def long_history(db: Database) -> Database:
    build_large(db, NOW, SIZE)
    return db


def _check(db: Database, analyse: Callable[[Database], None] | None = None) -> None:
    if analyse is not None:
        analyse(db)
    seen = _work(db)
    assert len(seen) > 20, "the capture saw the tick's statements"
    bad = _sqlite_scans(db, seen) if db.is_sqlite else _pg_scans(db, seen)
    assert not bad, "\n".join(bad)


def test_history_is_read_by_window(long_history: Database) -> None:
    """SQLite as a fresh database has it (no statistics); PostgreSQL after its ANALYZE."""
    _check(long_history)


def _analyze(db: Database) -> None:
    with db.engine.connect() as conn:
        conn.exec_driver_sql("ANALYZE")
        conn.commit()


def test_sqlite_plans_hold_after_analyze(long_history: Database) -> None:
    if not long_history.is_sqlite:
        pytest.skip("SQLite's statistics only: PostgreSQL analyses in the other test")
    _check(long_history, _analyze)
