"""Upgrading a database with data from 0005 to inbound texts (0006), on SQLite and PostgreSQL:
every row is kept (the told state too), nobody has opted out or confirmed anything, and texts
people send are recorded once after the upgrade."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa

from tests.core.old_schema import seed_at
from whoseonfirst_core.db.models import InboundMessage, PhoneOptOut, SpanConfirmation, ToldState
from whoseonfirst_core.db.session import (
    Database,
    UnitOfWork,
    current_revision,
    head_revision,
    upgrade,
)
from whoseonfirst_core.domain.replies import InboundText
from whoseonfirst_core.roster import create_demo_team, dumps_roster, export_roster_data
from whoseonfirst_core.usecases import inbound, notices
from whoseonfirst_core.usecases.notifications import queue_text

NOW = datetime(2026, 3, 2, 16, tzinfo=UTC)


def _team_told_and_a_text(uow: UnitOfWork) -> None:
    create_demo_team(uow, NOW, date(2026, 3, 2))
    notices.plan_notices(uow, NOW, actor="service")  # the first tick's silent record
    queue_text(uow, NOW, to="+13125550100", body="test text")


def _count(db: Database, model: type[object]) -> int:
    with db.reader() as uow:
        return int(uow.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0)


def test_upgrade_from_0005_keeps_the_rows_and_records_texts_after_it(empty_url: str) -> None:
    db = Database(empty_url)
    try:
        _, roster_before = seed_at(db, "0005", _team_told_and_a_text)
        assert "inbound_messages" not in sa.inspect(db.engine).get_table_names()

        assert upgrade(db) == ("0005", head_revision())

        assert current_revision(db.engine) == head_revision()
        with db.reader() as uow:
            assert dumps_roster(export_roster_data(uow)) == roster_before
        assert _count(db, ToldState) == 7
        assert (_count(db, PhoneOptOut), _count(db, SpanConfirmation)) == (0, 0)
        text = InboundText("SM" + "0" * 32, "+13125550101", "+13125550100", "STOP", NOW)
        for _ in range(2):
            with db.uow("service") as uow:
                inbound.record_inbound(uow, NOW + timedelta(seconds=30), [text])
                uow.commit()
        assert (_count(db, InboundMessage), _count(db, PhoneOptOut)) == (1, 1)
    finally:
        db.dispose()
