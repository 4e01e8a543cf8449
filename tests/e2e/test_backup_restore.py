"""Backup → wipe → restore with ``whoseonfirst-service backup FILE`` (SPEC §7, issue 5).

The documented restore (docs/deployment.md, "Backup and restore") is: stop the service (and
close the desktop apps), delete the database file with its ``-wal`` and ``-shm`` companions,
copy the backup file to the database path with mode 0600, start the service. These tests do
exactly that on a real SQLite file, with notification rows written by the service's own tick
and test-send paths, and compare the roster export and every table before and after.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import sqlite3
import stat
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from whoseonfirst_service.cli import main

from tests.core.helpers import roster
from whoseonfirst_core.clock import FixedClock

NOW = FixedClock(datetime(2026, 3, 1, 12, tzinfo=UTC))  # Sunday before the anchor Monday
FIRST_SHIFT_START = "2026-03-02T08:00:30-06:00"  # just after the first shift starts
SECOND_SHIFT_START = "2026-03-03T08:00:30-06:00"

pytestmark = pytest.mark.skipif(
    sys.platform == "win32", reason="file modes (0600) are a POSIX notion"
)


def cli(monkeypatch: pytest.MonkeyPatch, url: str, *argv: str) -> tuple[int, str, str]:
    """One ``whoseonfirst-service`` command, as an operator would run it."""
    monkeypatch.setenv("WHOSEONFIRST_DATABASE_URL", url)
    monkeypatch.setenv("WHOSEONFIRST_SMS_BACKEND", "dry-run")  # never text anyone
    monkeypatch.setenv("WHOSEONFIRST_LOG_FORMAT", "text")
    for name in (
        "TWILIO_ACCOUNT_SID",
        "TWILIO_AUTH_TOKEN",
        "TWILIO_AUTH_TOKEN_FILE",
        "TWILIO_FROM_NUMBER",
        "TWILIO_MESSAGING_SERVICE_SID",
        "WHOSEONFIRST_TWILIO_API_URL",
        "WHOSEONFIRST_DATABASE_URL_FILE",
    ):
        monkeypatch.delenv(name, raising=False)
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), clock=NOW, out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def ok(result: tuple[int, str, str]) -> str:
    code, out, err = result
    assert code == 0, f"exit {code}\nstdout: {out}\nstderr: {err}"
    return out


def team_roster() -> dict[str, Any]:
    return roster(
        5,
        contacts=[
            {"name": "Hal", "phone": "+13125550199", "weekly_summary": True, "failure_alerts": True}
        ],
        overrides=[
            {
                "member": "Cal",
                "start": "2026-03-04T08:00:00-06:00",
                "end": "2026-03-05T08:00:00-06:00",
                "reason": "dentist",
            }
        ],
    )


def table_dump(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, sorted, read with a plain sqlite3 connection."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
                "ORDER BY name"
            )
        ]
        return {
            t: sorted(conn.execute(f'SELECT * FROM "{t}"').fetchall(), key=repr) for t in tables
        }
    finally:
        conn.close()


def wipe(db_path: Path) -> None:
    """The database and its WAL companions, as after a lost disk. A stale -wal left next to a
    restored file could be replayed onto it, so restore always removes all three."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)


def restore(backup: Path, db_path: Path) -> None:
    """The documented restore, with the service stopped: remove, copy, 0600."""
    wipe(db_path)
    shutil.copyfile(backup, db_path)
    os.chmod(db_path, 0o600)


@pytest.fixture
def populated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> tuple[str, Path]:
    """A SQLite database with a team, overrides, contacts and notification rows written by
    the service (a dry-run tick at two shift starts and a test send)."""
    db_path = tmp_path / "data" / "whoseonfirst.db"
    db_path.parent.mkdir()  # `db upgrade` creates no folder but the user data directory
    url = f"sqlite:///{db_path}"
    roster_file = tmp_path / "team.json"
    roster_file.write_text(json.dumps(team_roster()), encoding="utf-8")
    ok(cli(monkeypatch, url, "db", "upgrade"))
    ok(cli(monkeypatch, url, "import", str(roster_file)))
    ok(cli(monkeypatch, url, "tick", "--now", FIRST_SHIFT_START))
    ok(cli(monkeypatch, url, "tick", "--now", SECOND_SHIFT_START))
    code, out, err = cli(monkeypatch, url, "send-test", "--to", "+13125550142")
    assert code == 0, f"send-test failed: {out}{err}"
    return url, db_path


def test_backup_wipe_restore_gives_identical_export_and_tables(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, populated: tuple[str, Path]
) -> None:
    url, db_path = populated
    before_tables = table_dump(db_path)
    assert before_tables["notifications"], "the ticks and the test send wrote no notifications"
    assert len(before_tables["notifications"]) >= 3, before_tables["notifications"]
    before_export = ok(cli(monkeypatch, url, "export"))
    assert json.loads(before_export)["overrides"], "the roster lost its override"

    backup = tmp_path / "backups" / "whoseonfirst-backup.db"
    backup.parent.mkdir()
    out = ok(cli(monkeypatch, url, "backup", str(backup)))
    assert str(backup) in out
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    with sqlite3.connect(backup) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)

    wipe(db_path)
    assert not db_path.exists()
    # Nothing to export from a wiped database, and no empty file is left behind.
    assert cli(monkeypatch, url, "export")[0] != 0
    assert not db_path.exists()
    wipe(db_path)

    restore(backup, db_path)
    after_export = ok(cli(monkeypatch, url, "export"))
    assert after_export == before_export
    assert table_dump(db_path) == before_tables
    # The restored database is fully usable: the service can carry on from it.
    ok(cli(monkeypatch, url, "tick", "--now", SECOND_SHIFT_START))
    ok(cli(monkeypatch, url, "db", "upgrade"))


def test_backup_is_a_consistent_online_copy(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, populated: tuple[str, Path]
) -> None:
    """Committed work still in the WAL is in the copy; a transaction in flight is not; the
    writer is not blocked or disturbed (the service or the app may be running)."""
    url, db_path = populated
    wal = Path(f"{db_path}-wal")
    committed = table_dump(db_path)

    writer = sqlite3.connect(db_path, isolation_level=None)
    try:
        writer.execute("PRAGMA journal_mode=WAL")
        # Committed after the last checkpoint: lives only in the WAL until the next one.
        writer.execute("INSERT INTO meta (key, value) VALUES ('backup-test-committed', 'yes')")
        assert wal.exists() and wal.stat().st_size > 0
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("INSERT INTO meta (key, value) VALUES ('backup-test-in-flight', 'no')")

        backup = tmp_path / "online.db"
        ok(cli(monkeypatch, url, "backup", str(backup)))

        writer.execute("COMMIT")  # the writer finishes normally after the backup
    finally:
        writer.close()

    copied = table_dump(backup)
    keys = {row[0] for row in copied["meta"]}
    assert "backup-test-committed" in keys
    assert "backup-test-in-flight" not in keys
    committed["meta"] = sorted(
        [*committed["meta"], *[r for r in copied["meta"] if r[0] == "backup-test-committed"]],
        key=repr,
    )
    assert copied == committed
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600


def test_backup_file_is_private_whatever_the_umask(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, populated: tuple[str, Path]
) -> None:
    url, _ = populated
    backup = tmp_path / "lax-umask.db"
    old = os.umask(0)
    try:
        ok(cli(monkeypatch, url, "backup", str(backup)))
    finally:
        os.umask(old)
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600


def test_backup_refuses_to_overwrite_without_force(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, populated: tuple[str, Path]
) -> None:
    url, _ = populated
    backup = tmp_path / "exists.db"
    backup.write_bytes(b"an older backup")
    code, _out, err = cli(monkeypatch, url, "backup", str(backup))
    assert code != 0
    assert "exists" in err and "--force" in err
    assert backup.read_bytes() == b"an older backup"
    ok(cli(monkeypatch, url, "backup", "--force", str(backup)))
    with sqlite3.connect(backup) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600


def test_backup_of_a_missing_sqlite_file_fails_clearly(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    missing = tmp_path / "nothing-here.db"
    code, _out, err = cli(monkeypatch, f"sqlite:///{missing}", "backup", str(tmp_path / "b.db"))
    assert code != 0
    assert err.startswith("error:") and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "b.db").exists()


def test_backup_on_postgresql_explains_pg_dump(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """No server is contacted: the command prints the pg_dump way and exits 0, and never
    shows the password."""
    url = "postgresql+psycopg://wof_owner:s3cret-pw@db01.example.com:5432/whoseonfirst"
    target = tmp_path / "wof.dump"
    code, out, err = cli(monkeypatch, url, "backup", str(target))
    assert code == 0, err
    assert "pg_dump" in out and "pg_restore" in out
    assert "db01.example.com" in out and "whoseonfirst" in out
    assert "s3cret-pw" not in out + err
    assert "postgresql+psycopg" not in out  # pg_dump does not understand SQLAlchemy URLs
    assert not target.exists()
