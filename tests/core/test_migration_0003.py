"""Upgrading a database with data from 0002 to the SMS health on the heartbeat (0003), on SQLite
and PostgreSQL: every row is kept, the running service's heartbeat reads as before with no SMS
problem, and the attempts written before the upgrade decide the SMS health after it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa

from tests.core.old_schema import old_table, seed_at
from whoseonfirst_core.db.session import (
    Database,
    UnitOfWork,
    current_revision,
    head_revision,
    upgrade,
)
from whoseonfirst_core.domain.service_state import ServiceState, SmsCause
from whoseonfirst_core.roster import create_demo_team, dumps_roster, export_roster_data
from whoseonfirst_core.usecases import heartbeat
from whoseonfirst_core.usecases.notifications import queue_text

NOW = datetime(2026, 11, 30, 14, 0, tzinfo=UTC)


def _team_and_a_text(uow: UnitOfWork) -> int:
    create_demo_team(uow, NOW, date(2026, 11, 30))
    return queue_text(uow, NOW, to="+13125550100", body="test text").id


def test_upgrade_from_0002_keeps_the_rows_and_reads_the_sms_health(empty_url: str) -> None:
    db = Database(empty_url)
    try:
        text_id, roster_before = seed_at(db, "0002", _team_and_a_text)
        beats = old_table(db, "service_heartbeats")
        assert "sms_problem" not in beats.c
        with db.engine.begin() as conn:
            conn.execute(
                sa.insert(beats).values(
                    instance_id="vm1:4242",
                    host="vm1",
                    version="1.0",
                    sms_backend="twilio",
                    started_at=NOW - timedelta(hours=1),
                    last_tick_at=NOW - timedelta(seconds=20),
                    next_due_at=NOW + timedelta(minutes=5),
                    last_error=None,
                )
            )
            conn.execute(
                sa.insert(old_table(db, "notification_attempts")).values(
                    notification_id=text_id,
                    number=1,
                    started_at=NOW - timedelta(seconds=30),
                    finished_at=NOW - timedelta(seconds=29),
                    outcome="permanent",
                    error_code=20003,
                    error_message="Authenticate",
                    instance_id="vm1:4242",
                )
            )

        assert upgrade(db) == ("0002", head_revision())

        assert current_revision(db.engine) == head_revision()
        indexes = {i["name"] for i in sa.inspect(db.engine).get_indexes("notification_attempts")}
        assert "ix_notification_attempts_finished_at" in indexes
        with db.reader() as uow:
            assert dumps_roster(export_roster_data(uow)) == roster_before
            [beat] = heartbeat.heartbeats(uow)
            assert (beat.instance_id, beat.sms_problem) == ("vm1:4242", None)
            assert heartbeat.status_of(beat, NOW).state is ServiceState.UP
            # The refusal recorded before the upgrade is what the next tick's health sees.
            health = heartbeat.sms_health_at(uow.session, NOW)
            assert health.cause is SmsCause.CREDENTIALS, health
    finally:
        db.dispose()
