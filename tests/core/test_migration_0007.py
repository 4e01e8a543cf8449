"""Upgrading a database with data from 0006 to the confirmation settings (0007), on SQLite and
PostgreSQL: every row is kept, the team gets the defaults (the shift-start text asks for OK,
escalation after 15 minutes), and the settings can be changed after the upgrade."""

from __future__ import annotations

from datetime import UTC, date, datetime

from tests.core.old_schema import old_table, seed_at
from whoseonfirst_core.db.session import (
    Database,
    UnitOfWork,
    current_revision,
    head_revision,
    upgrade,
)
from whoseonfirst_core.roster import create_demo_team, dumps_roster, export_roster_data
from whoseonfirst_core.usecases import notices
from whoseonfirst_core.usecases.config import SettingsChange, get_settings, update_settings

NOW = datetime(2026, 3, 2, 16, tzinfo=UTC)


def _team(uow: UnitOfWork) -> None:
    create_demo_team(uow, NOW, date(2026, 3, 2))
    notices.plan_notices(uow, NOW, actor="service")


def test_upgrade_from_0006_keeps_the_rows_and_asks_for_confirmation(empty_url: str) -> None:
    db = Database(empty_url)
    try:
        _, roster_before = seed_at(db, "0006", _team)
        assert "confirm_requested" not in old_table(db, "team_settings").c

        assert upgrade(db) == ("0006", head_revision())

        assert current_revision(db.engine) == head_revision()
        with db.reader() as uow:
            assert dumps_roster(export_roster_data(uow)) == roster_before
            settings = get_settings(uow)
        assert (settings.confirm_requested, settings.confirm_within_minutes) == (True, 15)
        with db.uow("admin") as uow:
            changed = update_settings(
                uow,
                NOW,
                SettingsChange(confirm_requested=False, confirm_within_minutes=0),
                expected_version=None,
            )
            uow.commit()
        assert (changed.confirm_requested, changed.confirm_within_minutes) == (False, 0)
    finally:
        db.dispose()
