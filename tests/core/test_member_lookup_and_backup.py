"""Finding a member by name (``send-test --to NAME``) and backing up SQLite, in the core."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from tests.core.helpers import load, roster
from whoseonfirst_core.backup import (
    BackupError,
    BackupExistsError,
    backup_sqlite,
    postgresql_commands,
)
from whoseonfirst_core.db.session import Database
from whoseonfirst_core.usecases.common import find_member
from whoseonfirst_core.usecases.errors import AmbiguousNameError


def test_a_member_is_found_by_name_or_by_a_unique_prefix(sqlite_db: Database) -> None:
    data = roster(3)
    data["members"].append({"name": "Ann  Marie", "phone": "+13125550177"})
    load(sqlite_db, data)
    with sqlite_db.reader() as uow:
        found = find_member(uow, " ann ")
        assert found is not None and found.name == "Ann"  # exact beats prefix
        cal = find_member(uow, "CA")
        assert cal is not None and cal.name == "Cal"
        marie = find_member(uow, "ann marie")
        assert marie is not None and marie.name == "Ann Marie"
        assert find_member(uow, "Zed") is None
        data_b = find_member(uow, "B")
        assert data_b is not None and data_b.name == "Ben"
        with pytest.raises(AmbiguousNameError) as several:
            find_member(uow, "an")
    assert several.value.matches == ["Ann", "Ann Marie"]
    assert str(several.value) == "'an' matches several members (Ann, Ann Marie); be more specific"


def test_sqlite_backup_is_private_checked_and_refuses_to_overwrite(
    sqlite_db: Database, sqlite_url: str, tmp_path: Path
) -> None:
    load(sqlite_db, roster(2))
    dest = tmp_path / "copy.db"
    size = backup_sqlite(sqlite_url, dest)
    assert size == dest.stat().st_size and dest.stat().st_mode & 0o777 == 0o600
    with closing(sqlite3.connect(dest)) as conn:
        assert conn.execute("SELECT count(*) FROM members").fetchone() == (2,)
    with pytest.raises(BackupExistsError, match="already exists"):
        backup_sqlite(sqlite_url, dest)
    assert backup_sqlite(sqlite_url, dest, overwrite=True) == size
    with pytest.raises(BackupError, match="there is no SQLite database file at"):
        backup_sqlite(f"sqlite:///{tmp_path / 'missing.db'}", tmp_path / "other.db")


def test_postgresql_backup_commands_leave_the_password_out() -> None:
    commands = postgresql_commands(
        "postgresql+psycopg://wof:secret@db01:5432/whoseonfirst", Path("/b/wof.dump")
    )
    assert commands.dump == (
        "pg_dump --format=custom --no-owner --file=/b/wof.dump "
        "'postgresql://wof:***@db01:5432/whoseonfirst'"
    )
    assert "--dbname='postgresql://wof:***@db01:5432/whoseonfirst_restored' /b/wof.dump" in (
        commands.restore
    )
    assert "secret" not in commands.dump + commands.restore
