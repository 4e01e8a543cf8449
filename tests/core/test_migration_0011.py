"""Upgrading a database with data from 0010 to the history indexes and retention (0011), on
SQLite and PostgreSQL: every row is kept, the indexes are there, the team keeps three years,
and the audit log refuses to lose a young entry while an old one can go."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from tests.core.old_schema import old_table, seed_at
from whoseonfirst_core.db.models import AuditEntry, TeamSettings
from whoseonfirst_core.db.session import (
    Database,
    UnitOfWork,
    current_revision,
    head_revision,
    upgrade,
)
from whoseonfirst_core.roster import create_demo_team, dumps_roster, export_roster_data
from whoseonfirst_core.usecases import retention

NOW = datetime(2026, 3, 2, 16, tzinfo=UTC)
OLD = datetime(2020, 1, 6, 9, tzinfo=UTC)


def _team(uow: UnitOfWork) -> None:
    create_demo_team(uow, NOW, date(2026, 3, 2))


def test_upgrade_from_0010_keeps_rows_and_guards_the_audit_log(empty_url: str) -> None:
    db = Database(empty_url)
    try:
        _, roster_before = seed_at(db, "0010", _team)
        audit = old_table(db, "audit_log")
        with db.engine.begin() as conn:
            conn.execute(
                audit.insert().values(
                    at=OLD.replace(tzinfo=None) if db.is_sqlite else OLD,
                    actor="admin@old",
                    action="member.add",
                    entity="member",
                    summary="an entry from long ago",
                )
            )
            entries_before = conn.scalar(sa.select(sa.func.count()).select_from(audit))
        assert upgrade(db)[0] == "0010"
        assert current_revision(db.engine) == head_revision()
        names = {ix["name"] for ix in sa.inspect(db.engine).get_indexes("notifications")}
        assert {
            "ix_notifications_kind_span",
            "ix_notifications_kind_created",
            "ix_notifications_status_due",
            "ix_notifications_related_id",
        } <= names
        with db.uow("admin") as uow:
            assert dumps_roster(export_roster_data(uow)) == roster_before
            settings = uow.session.get(TeamSettings, 1)
            assert settings is not None and settings.retention_days == 1095
            count = uow.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry))
            assert count == entries_before
        with pytest.raises(DBAPIError, match="append-only"), db.uow("admin") as uow:
            uow.session.execute(sa.delete(AuditEntry).where(AuditEntry.at > OLD))
            uow.commit()
        with db.uow("service") as uow:
            pruned = retention.prune_batch(uow, NOW)
            uow.commit()
        assert pruned.deleted == {"audit": 1} and not pruned.audit_kept
        with db.reader() as uow:
            left = uow.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry))
        assert left == entries_before - 1
    finally:
        db.dispose()
