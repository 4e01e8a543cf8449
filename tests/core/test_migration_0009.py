"""Upgrading a database with data from 0007 to the planner's tables (0009), on SQLite and
PostgreSQL: every row is kept, the team has no time off and no holidays, and both can be
recorded after the upgrade."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from tests.core.old_schema import old_table, seed_at
from whoseonfirst_core.db.session import (
    Database,
    UnitOfWork,
    current_revision,
    head_revision,
    upgrade,
)
from whoseonfirst_core.roster import create_demo_team, dumps_roster, export_roster_data
from whoseonfirst_core.usecases import calendar, notices, planner, team

NOW = datetime(2026, 3, 2, 16, tzinfo=UTC)


def _team(uow: UnitOfWork) -> None:
    create_demo_team(uow, NOW, date(2026, 3, 2))
    members = team.list_members(uow)
    start = datetime(2026, 3, 5, 14, tzinfo=UTC)
    calendar.add_override(uow, NOW, calendar.Cover(members[2].id, start, start + timedelta(days=1)))
    notices.plan_notices(uow, NOW, actor="service")


def test_upgrade_from_0007_keeps_the_rows_and_adds_time_off_and_holidays(empty_url: str) -> None:
    db = Database(empty_url)
    try:
        _, roster_before = seed_at(db, "0007", _team)
        assert "time_off" not in old_table(db, "team_settings").metadata.tables
        assert "holiday_country" not in old_table(db, "team_settings").c

        assert upgrade(db)[0] == "0007"

        assert current_revision(db.engine) == head_revision()
        with db.reader() as uow:
            assert dumps_roster(export_roster_data(uow)) == roster_before
            settings = planner.holiday_settings(uow)
            assert (settings.country, settings.subdivision, dict(settings.extra)) == (
                None,
                None,
                {},
            )
            assert planner.list_time_off(uow, NOW, NOW + timedelta(weeks=12)) == []
            ann = team.list_members(uow)[0]
        with db.uow("admin") as uow:
            off = planner.add_time_off(uow, ann.id, NOW, NOW + timedelta(days=3), "vacation", NOW)
            planner.set_holiday_settings(uow, NOW, "US", "TX", {date(2026, 12, 24): "Closed"})
            uow.commit()
        with db.reader() as uow:
            assert planner.list_time_off(uow, NOW, NOW + timedelta(days=1)) == [off]
            assert planner.conflicts_in(uow, NOW, NOW + timedelta(days=3))
            assert planner.holiday_settings(uow).country == "US"
    finally:
        db.dispose()
