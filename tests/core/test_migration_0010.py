"""Upgrading a database with data from 0007 to the calendar feeds (0010), on SQLite and
PostgreSQL: every row is kept, no feed has a link yet, and links and feeds work after it."""

from __future__ import annotations

from datetime import UTC, date, datetime

from tests.core.old_schema import seed_at
from whoseonfirst_core.db.session import (
    Database,
    UnitOfWork,
    current_revision,
    head_revision,
    upgrade,
)
from whoseonfirst_core.roster import create_demo_team, dumps_roster, export_roster_data
from whoseonfirst_core.usecases import notices
from whoseonfirst_core.usecases.common import find_member
from whoseonfirst_core.usecases.feeds import calendar_ics, create_link, has_link, member_for_token

NOW = datetime(2026, 3, 2, 16, tzinfo=UTC)


def _team(uow: UnitOfWork) -> None:
    create_demo_team(uow, NOW, date(2026, 3, 2))
    notices.plan_notices(uow, NOW, actor="service")


def test_upgrade_from_0007_keeps_the_rows_and_makes_links(empty_url: str) -> None:
    db = Database(empty_url)
    try:
        _, roster_before = seed_at(db, "0007", _team)
        assert upgrade(db)[0] == "0007"
        assert current_revision(db.engine) == head_revision()
        with db.uow("admin") as uow:
            assert dumps_roster(export_roster_data(uow)) == roster_before
            assert not has_link(uow, None)
            ann = find_member(uow, "Ann")
            assert ann is not None
            token = create_link(uow, NOW, ann.id)
            uow.commit()
        assert token is not None
        with db.reader() as uow:
            owner = member_for_token(uow, token)
            assert owner is not None and owner.member_id == ann.id
            assert b"BEGIN:VEVENT" in calendar_ics(uow, NOW, ann.id)
    finally:
        db.dispose()
