"""The page reads ask few questions and give the same answers as the plain way (performance
fixes from the benchmarks: every query is a round trip to a distant shared database)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import event, select

from tests.core.helpers import load, roster
from whoseonfirst_core.db.models import Member, Notification, Override
from whoseonfirst_core.db.session import Database
from whoseonfirst_core.domain.resolution import OverrideSpan, ScheduledEntry, resolve_on_call
from whoseonfirst_core.usecases import schedule
from whoseonfirst_core.usecases.common import settings_row, team_zone
from whoseonfirst_core.usecases.config import get_settings
from whoseonfirst_core.usecases.notifications import (
    HistoryFilter,
    history_counts,
    history_page,
    problem_notifications,
)

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)


@contextmanager
def counting(db: Database) -> Iterator[list[str]]:
    seen: list[str] = []

    def hook(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not statement.lstrip().upper().startswith(("BEGIN", "ROLLBACK", "COMMIT")):
            seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", hook)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", hook)


def add_overrides(db: Database, spans: list[tuple[int, datetime, datetime, str]]) -> None:
    with db.uow("t") as uow:
        ids = list(uow.session.scalars(select(Member.id).order_by(Member.position)))
        for who, start, end, status in spans:
            uow.session.add(
                Override(
                    member_id=ids[who],
                    start_at=start,
                    end_at=end,
                    status=status,
                    created_at=NOW,
                    created_by="t",
                )
            )
        uow.commit()


def reference_resolve(uow: Any, start: datetime, end: datetime) -> list[Any]:
    """The straightforward resolution: rows overlapping the window, then the hull, re-read."""
    entries = schedule.scheduled_entries(uow, start, end)
    ovs = schedule.effective_overrides(uow, start, end)
    lo = min([start] + [e.start_at for e in entries] + [o.start_at for o in ovs])
    hi = max([end] + [e.end_at for e in entries] + [o.end_at for o in ovs])
    if lo < start or hi > end:
        entries = schedule.scheduled_entries(uow, lo, hi)
        ovs = schedule.effective_overrides(uow, lo, hi)
    spans = resolve_on_call(
        [ScheduledEntry(e.id, e.shift_name, e.start_at, e.end_at, e.member_id) for e in entries],
        [OverrideSpan(o.id, o.member_id, o.start_at, o.end_at) for o in ovs],
    )
    return [s for s in spans if s.end > start and s.start < end]


def test_resolution_reads_twice_and_matches_the_reference(db: Database) -> None:
    load(db, roster(5), NOW)
    day = timedelta(days=1)
    add_overrides(
        db,
        [
            (1, NOW + timedelta(hours=30), NOW + timedelta(hours=40), "active"),
            (2, NOW + 3 * day, NOW + 3 * day + timedelta(hours=2), "cancelled"),
            (3, NOW + 9 * day, NOW + 40 * day, "active"),  # longer than the read margin
            (4, NOW - 20 * day, NOW - 19 * day, "completed"),
            (0, NOW + 10 * day, NOW + 10 * day + timedelta(minutes=5), "active"),
        ],
    )
    windows = [
        (NOW + k * timedelta(hours=7), NOW + k * timedelta(hours=7) + length)
        for k, length in itertools.product(
            range(-6, 80, 5),
            (timedelta(microseconds=1), timedelta(hours=5), timedelta(days=2), timedelta(days=35)),
        )
    ]
    with db.reader() as uow:
        for start, end in windows:
            expected = reference_resolve(uow, start, end)
            assert schedule.resolve_window(uow, start, end, clip=False) == expected
            view = schedule.schedule_view(uow, start, end)
            assert [(s.start, s.end, s.member_id, s.override_id, s.notify) for s in view.spans] == [
                (s.start, s.end, s.member_id, s.override_id, s.notify) for s in expected
            ]
            assert [e.id for e in view.entries] == [
                e.id for e in schedule.scheduled_entries(uow, start, end)
            ]
            assert [o.id for o in view.overrides] == [
                o.id for o in schedule.effective_overrides(uow, start, end)
            ]
            at = start
            running = next(
                (
                    s
                    for s in reference_resolve(uow, at, at + timedelta(seconds=1))
                    if s.start <= at < s.end
                ),
                None,
            )
            found = schedule.span_at(uow, at)
            assert (
                (found.start, found.end, found.member_id, found.override_id)
                == (running.start, running.end, running.member_id, running.override_id)
                if running is not None
                else found is None
            )
    with db.reader() as uow, counting(db) as seen:
        schedule.resolve_window(uow, NOW, NOW + timedelta(days=35), clip=False)
    assert len(seen) == 2  # entries and overrides, once each


def test_a_page_read_asks_for_the_team_settings_once(db: Database) -> None:
    load(db, roster(3), NOW)
    with db.reader() as uow, counting(db) as seen:
        get_settings(uow)
        team_zone(uow)
        settings_row(uow)
        schedule.schedule_view(uow, NOW, NOW + timedelta(days=7))
    assert sum("team_settings" in s for s in seen) == 1
    assert len(seen) == 4  # settings, members, entries, overrides


def test_history_counts_in_one_query(db: Database) -> None:
    load(db, roster(2), NOW)
    with db.uow("t") as uow:
        for i in range(80):
            uow.session.add(
                Notification(
                    idempotency_key=f"k{i}",
                    kind="test" if i % 3 else "shift_start",
                    status=("failed", "delivered", "missed", "undelivered")[i % 4],
                    recipient_name="x",
                    recipient_phone="+13125550101",
                    body="b",
                    due_at=NOW - timedelta(hours=i * 4),
                    created_at=NOW,
                    triggered_by="t",
                )
            )
        uow.commit()
    since = NOW - timedelta(days=7)
    with db.reader() as uow:
        for f in (
            HistoryFilter(),
            HistoryFilter(kinds=("test",)),
            HistoryFilter(statuses=("failed",), since=NOW - timedelta(days=2)),
        ):
            rows, total = history_page(uow, f)
            assert history_counts(uow, f, since) == (total, len(problem_notifications(uow, since)))
            assert history_page(uow, f, count=False) == (rows, -1)
        with counting(db) as seen:
            history_counts(uow, HistoryFilter(), since)
        assert len(seen) == 1
        assert history_counts(uow, HistoryFilter(), NOW - timedelta(days=30))[1] == 50  # capped
