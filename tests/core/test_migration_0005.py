"""Upgrading a database with data from 0004 to change notices (0005), on SQLite and PostgreSQL:
every row is kept, the team gets the default notice settings, nobody has a told state yet, and
the first tick after the upgrade records everyone silently; a change saved after it is told."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa

from tests.core.old_schema import old_table, seed_at
from whoseonfirst_core.db.models import TeamSettings, ToldState
from whoseonfirst_core.db.session import (
    Database,
    UnitOfWork,
    current_revision,
    head_revision,
    upgrade,
)
from whoseonfirst_core.roster import create_demo_team, dumps_roster, export_roster_data
from whoseonfirst_core.usecases import notices
from whoseonfirst_core.usecases.calendar import Cover, apply_calendar_plan
from whoseonfirst_core.usecases.notifications import queue_text
from whoseonfirst_core.usecases.schedule import member_names

NOW = datetime(2026, 3, 2, 16, tzinfo=UTC)  # Mon 10:00 CST
THU = datetime(2026, 3, 5, 14, tzinfo=UTC)


def _team_with_a_cover_and_a_text(uow: UnitOfWork) -> None:
    create_demo_team(uow, NOW, date(2026, 3, 2))
    ids = {name: i for i, name in member_names(uow).items()}
    apply_calendar_plan(uow, NOW, [Cover(ids["Fay Fisher"], THU, THU + timedelta(hours=6))])
    queue_text(uow, NOW, to="+13125550100", body="test text")


def test_upgrade_from_0004_keeps_the_rows_and_starts_telling_after_the_first_tick(
    empty_url: str,
) -> None:
    db = Database(empty_url)
    try:
        _, roster_before = seed_at(db, "0004", _team_with_a_cover_and_a_text)
        assert "notice_window_days" not in old_table(db, "team_settings").c
        with db.engine.connect() as conn:
            texts_before = conn.execute(
                sa.text("SELECT idempotency_key, body FROM notifications")
            ).all()

        assert upgrade(db) == ("0004", head_revision())

        assert current_revision(db.engine) == head_revision()
        with db.reader() as uow:
            assert dumps_roster(export_roster_data(uow)) == roster_before
            row = uow.session.get(TeamSettings, 1)
            assert row is not None
            assert (
                row.notice_window_days,
                row.notice_delay_minutes,
                row.quiet_hours,
                row.text_templates,
            ) == (14, 2, "21:00-07:00", {})
            assert uow.session.scalar(sa.select(sa.func.count()).select_from(ToldState)) == 0
        with db.engine.connect() as conn:
            assert conn.execute(
                sa.text("SELECT idempotency_key, body FROM notifications")
            ).all() == (texts_before)

        with db.uow("service") as uow:  # the first tick: everyone recorded, nobody texted
            first = notices.plan_notices(uow, NOW, actor="service")
            uow.commit()
        assert (first.queued, first.recorded_silently) == ((), 7)
        later = NOW + timedelta(minutes=5)
        with db.uow("admin") as uow:
            ids = {name: i for i, name in member_names(uow).items()}
            apply_calendar_plan(
                uow, later, [Cover(ids["Gus Grant"], THU, THU + timedelta(hours=2))]
            )
            uow.commit()
        for at in (later, later + timedelta(minutes=2)):
            with db.uow("service") as uow:
                outcome = notices.plan_notices(uow, at, actor="service")
                uow.commit()
        assert sorted(t.recipient_name for t in outcome.queued) == ["Fay Fisher", "Gus Grant"]
    finally:
        db.dispose()
