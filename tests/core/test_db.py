"""Persistence guarantees: aware UTC instants, SQLite settings, optimistic versions, revision."""

from __future__ import annotations

import os
import stat
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.orm.exc import StaleDataError

from tests.core.helpers import load, roster
from whoseonfirst_core.db.models import Member, Notification
from whoseonfirst_core.db.session import Database, read_revision, upgrade
from whoseonfirst_core.usecases import team


def test_instants_come_back_aware_utc(db: Database) -> None:
    load(db, roster(2))
    at = datetime(2026, 3, 8, 8, 0, tzinfo=timezone(timedelta(hours=-5)))
    with db.uow("t") as uow:
        uow.session.add(
            Notification(
                idempotency_key="k",
                kind="test",
                status="queued",
                recipient_name="x",
                recipient_phone="+13125550101",
                body="b",
                due_at=at,
                created_at=at,
                triggered_by="t",
            )
        )
        uow.commit()
    with db.reader() as uow:
        n = uow.session.query(Notification).one()
        assert n.due_at == at
        assert n.due_at.tzinfo is not None and n.due_at.utcoffset() == timedelta(0)


def test_naive_datetimes_are_refused(db: Database) -> None:
    load(db, roster(2))
    with db.uow("t") as uow, pytest.raises(Exception, match="naive datetime"):
        uow.session.add(
            Notification(
                idempotency_key="k",
                kind="test",
                status="queued",
                recipient_name="x",
                recipient_phone="+1",
                body="b",
                due_at=datetime(2026, 1, 1),
                created_at=datetime.now(UTC),
                triggered_by="t",
            )
        )
        uow.session.flush()


def test_idempotency_key_is_unique(db: Database) -> None:
    load(db, roster(2))
    now = datetime(2026, 3, 2, tzinfo=UTC)
    from sqlalchemy.exc import IntegrityError

    with db.uow("t") as uow, pytest.raises(IntegrityError):
        for _ in range(2):
            uow.session.add(
                Notification(
                    idempotency_key="same",
                    kind="test",
                    status="queued",
                    recipient_name="x",
                    recipient_phone="+1",
                    body="b",
                    due_at=now,
                    created_at=now,
                    triggered_by="t",
                )
            )
            uow.session.flush()


def test_sqlite_pragmas(sqlite_db: Database) -> None:
    with sqlite_db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 10_000


def test_foreign_keys_are_enforced(db: Database) -> None:
    load(db, roster(2))
    from sqlalchemy.exc import IntegrityError

    with db.uow("t") as uow, pytest.raises(IntegrityError):
        uow.session.execute(text("UPDATE schedule_entries SET member_id = 9999"))


def test_new_sqlite_file_is_private(tmp_path: Path) -> None:
    path = tmp_path / "new.db"  # the folder must exist (only the user data directory is made)
    db = Database(f"sqlite:///{path}")
    upgrade(db)
    db.dispose()
    mode = stat.S_IMODE(os.stat(path).st_mode)
    assert mode & (stat.S_IRWXG | stat.S_IRWXO) == 0, oct(mode)


def test_optimistic_version_refuses_a_stale_write(db: Database) -> None:
    load(db, roster(2))
    now = datetime(2026, 3, 1, 12, tzinfo=UTC)
    with db.reader() as uow:
        ann = next(m for m in team.list_members(uow) if m.name == "Ann")
    with db.uow("a") as uow:
        team.edit_member(
            uow,
            now,
            ann.id,
            expected_version=ann.version,
            name="Ann A",
            phone=ann.phone,
            secondary_phone=None,
        )
        uow.commit()
    from whoseonfirst_core.usecases.errors import ConflictError

    with db.uow("b") as uow, pytest.raises(ConflictError, match="changed by someone else"):
        team.edit_member(
            uow,
            now,
            ann.id,
            expected_version=ann.version,
            name="Ann B",
            phone=ann.phone,
            secondary_phone=None,
        )
    # And at the ORM level, two sessions racing on the same row: the second flush fails.
    s1, s2 = db.new_session(write=False), db.new_session(write=False)
    try:
        m1, m2 = s1.get(Member, ann.id), s2.get(Member, ann.id)
        assert m1 is not None and m2 is not None
        s2.commit()  # end s2's read; m2 keeps the version it read
        m1.notes = "one"
        s1.commit()
        m2.notes = "two"
        with pytest.raises(StaleDataError):
            s2.commit()
    finally:
        s1.close()
        s2.close()


def test_every_write_bumps_the_revision(db: Database) -> None:
    with db.reader() as uow:
        start = read_revision(uow.session)
    load(db, roster(2))
    with db.reader() as uow:
        after = read_revision(uow.session)
    assert after == start + 1
