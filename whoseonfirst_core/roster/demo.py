"""The demo team: the roster file shipped as package data (``resources/demo-roster.json``), so
the app finds it installed from a wheel and inside the desktop bundle alike."""

from __future__ import annotations

import json
from datetime import date, datetime
from importlib import resources
from typing import Any

from whoseonfirst_core.db.session import UnitOfWork
from whoseonfirst_core.roster.importer import import_roster_data

DEMO_ROSTER = "demo-roster.json"


def demo_roster() -> dict[str, Any]:
    """The demo team's roster file, parsed: seven people on the default pattern from Monday
    2026-03-02, one escalation contact."""
    data = resources.files("whoseonfirst_core").joinpath("resources", DEMO_ROSTER).read_bytes()
    roster: dict[str, Any] = json.loads(data)
    return roster


def create_demo_team(uow: UnitOfWork, now: datetime, anchor_date: date) -> None:
    """Import the demo team into an empty database, its rotation starting on ``anchor_date``
    (the caller commits)."""
    roster = demo_roster()
    roster["rotation"] = {"anchor_date": anchor_date.isoformat()}
    import_roster_data(uow, now, roster)
