"""The audit log is append-only in the database (migration 0004), on SQLite and PostgreSQL:
an UPDATE, a DELETE (and on PostgreSQL a TRUNCATE) of ``audit_log`` is refused whoever asks,
the refusal reads as one clear line, nothing changes; upgrading from 0003 keeps every audit
row; ``db copy`` still copies them into a fresh target, where they are append-only too."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from tests.core.old_schema import seed_at
from whoseonfirst_core.db.errors import describe_database_error
from whoseonfirst_core.db.models import AuditEntry
from whoseonfirst_core.db.session import (
    Database,
    current_revision,
    head_revision,
    upgrade,
)
from whoseonfirst_core.dbcopy import copy_database
from whoseonfirst_core.roster import create_demo_team

NOW = datetime(2026, 11, 30, 14, 0, tzinfo=UTC)
REFUSED = (
    "the audit log is append-only: its entries cannot be changed or removed "
    "(the database refused it, nothing was changed)"
)


def _audit_rows(db: Database) -> list[tuple[object, ...]]:
    table = AuditEntry.__table__  # the same columns at 0003 and 0004
    with db.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.select(table).order_by(table.c.id))]


def _with_a_team(db: Database) -> None:
    with db.uow("admin") as uow:
        create_demo_team(uow, NOW, date(2026, 11, 30))
        uow.commit()


def _refused(db: Database, statement: str) -> str:
    with pytest.raises(DBAPIError) as caught, db.engine.begin() as conn:
        conn.execute(sa.text(statement))
    message = describe_database_error(caught.value, db.url)
    assert message is not None
    return message


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_log SET summary = 'rewritten'",
        "DELETE FROM audit_log",
        "DELETE FROM audit_log WHERE id = (SELECT MIN(id) FROM audit_log)",
    ],
)
def test_changing_or_removing_an_audit_entry_is_refused(db: Database, statement: str) -> None:
    _with_a_team(db)
    before = _audit_rows(db)
    assert before

    assert _refused(db, statement) == REFUSED

    assert _audit_rows(db) == before


def test_the_orm_cannot_edit_an_entry_either(db: Database) -> None:
    _with_a_team(db)
    before = _audit_rows(db)
    with pytest.raises(DBAPIError) as caught, db.uow("admin") as uow:
        entry = uow.session.scalars(sa.select(AuditEntry).limit(1)).one()
        entry.summary = "rewritten"
        uow.commit()
    assert describe_database_error(caught.value) == REFUSED
    assert _audit_rows(db) == before


def test_adding_entries_still_works(db: Database) -> None:
    _with_a_team(db)
    n = len(_audit_rows(db))
    with db.engine.begin() as conn:
        conn.execute(
            sa.insert(AuditEntry).values(
                at=NOW, actor="admin", action="test", entity="test", summary="one more"
            )
        )
    assert len(_audit_rows(db)) == n + 1


def test_truncate_is_refused_on_postgresql(pg_url: str) -> None:
    db = Database(pg_url)
    try:
        _with_a_team(db)
        before = _audit_rows(db)
        assert _refused(db, "TRUNCATE audit_log") == REFUSED
        assert _audit_rows(db) == before
    finally:
        db.dispose()


def test_upgrade_from_0003_keeps_every_audit_row(empty_url: str) -> None:
    db = Database(empty_url)
    try:
        seed_at(db, "0003", lambda uow: create_demo_team(uow, NOW, date(2026, 11, 30)))
        with db.engine.begin() as conn:  # still editable before the upgrade
            conn.execute(sa.text("UPDATE audit_log SET actor = 'admin@vm1'"))
        before = _audit_rows(db)
        assert len(before) > 1

        assert upgrade(db) == ("0003", head_revision())

        assert current_revision(db.engine) == head_revision()
        assert _audit_rows(db) == before
        assert _refused(db, "DELETE FROM audit_log") == REFUSED
        assert _audit_rows(db) == before
    finally:
        db.dispose()


def test_db_copy_copies_the_audit_rows_and_keeps_them_append_only(
    db_url: str, tmp_path: Path
) -> None:
    source = Database(f"sqlite:///{tmp_path / 'source.db'}")
    target = Database(db_url)
    try:
        upgrade(source)
        _with_a_team(source)
        rows = _audit_rows(source)
        counts = {c.table: (c.source, c.target) for c in copy_database(source, target)}
        assert counts["audit_log"] == (len(rows), len(rows))
        assert _audit_rows(target) == rows
        assert _refused(target, "DELETE FROM audit_log") == REFUSED
    finally:
        source.dispose()
        target.dispose()
