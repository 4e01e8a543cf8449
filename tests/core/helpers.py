"""Small builders shared by the core tests."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from whoseonfirst_core.db.session import Database
from whoseonfirst_core.roster import import_roster_data

DEMO_NAMES = ["Ann", "Ben", "Cal", "Dee", "Eve", "Fay", "Gus", "Hal", "Ivy", "Jon"]


def roster(
    n: int = 7,
    *,
    anchor: str = "2026-03-02",
    shifts: list[dict[str, Any]] | None = None,
    contacts: list[dict[str, Any]] | None = None,
    overrides: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "format": "whoseonfirst-roster",
        "version": 1,
        "team": {"name": "Support", "timezone": "America/Chicago"},
        "members": [
            {
                "name": DEMO_NAMES[i],
                "phone": f"+1312555{101 + i:04d}",
                "active": True,
                "position": i,
            }
            for i in range(n)
        ],
        "rotation": {"anchor_date": anchor},
    }
    if shifts is not None:
        data["shifts"] = shifts
    if contacts is not None:
        data["escalation_contacts"] = contacts
    if overrides is not None:
        data["overrides"] = overrides
    return data


def load(db: Database, data: dict[str, Any], now: datetime | None = None) -> None:
    with db.uow("test") as uow:
        import_roster_data(uow, now or datetime(2026, 3, 1, 12, tzinfo=UTC), data)
        uow.commit()


def d(text: str) -> date:
    return date.fromisoformat(text)
