"""The real-clock drills must expect exactly what a fresh database sends, whatever day they run
on: their covers' texts, and nothing else (CI runs them at any hour of any weekday)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from whoseonfirst_service.engine import Engine
from whoseonfirst_service.twilio_sms import DryRunBackend

from chaos.common import import_covers
from whoseonfirst_core.clock import FixedClock
from whoseonfirst_core.db.models import Notification
from whoseonfirst_core.db.session import Database, upgrade


@pytest.mark.parametrize(
    "now",
    [
        datetime(2026, 11, 30, 14, 0, 5, tzinfo=UTC),  # Monday 08:00:05 CST: the summary hour
        datetime(2026, 11, 30, 19, 30, tzinfo=UTC),  # Monday afternoon, the summary still valid
        datetime(2026, 11, 26, 18, tzinfo=UTC),  # a Thursday
    ],
    ids=["monday-0800", "monday-afternoon", "thursday"],
)
def test_a_drill_database_sends_only_its_covers(tmp_path: Path, now: datetime) -> None:
    url = f"sqlite:///{tmp_path / 'drill.db'}"
    db = Database(url)
    try:
        upgrade(db)
        start = now + timedelta(seconds=30)
        expected = import_covers(url, now, [("Cal Chen", start, start + timedelta(seconds=20))])
        clock = FixedClock(now)
        engine = Engine(db, DryRunBackend(), clock, instance_id="drill")
        engine.tick()  # the daemon's first tick, before any cover
        clock.set(start)
        engine.tick()
        with db.reader() as uow:
            sent = set(
                uow.session.execute(
                    select(Notification.recipient_phone, Notification.body)
                ).tuples()
            )
    finally:
        db.dispose()
    assert sent == set(expected)
