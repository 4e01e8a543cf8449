"""Small helpers shared by the GUI tests."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from whoseonfirst_core.db.session import Database


def member_id(db: Database, name: str) -> int:
    from whoseonfirst_core.usecases.team import list_members

    with db.reader() as uow:
        return next(m.id for m in list_members(uow) if m.name == name)


def at_local(day: date, hour: int = 8) -> datetime:
    """``hour``:00 America/Chicago on ``day`` as UTC (tests use winter dates: CST = UTC-6)."""
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC) + timedelta(hours=6)
