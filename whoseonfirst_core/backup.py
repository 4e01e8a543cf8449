"""Backing the database up while it is in use (``whoseonfirst-service backup FILE``).

SQLite: a consistent online copy through SQLite's backup API (others may write meanwhile),
checked with ``PRAGMA integrity_check``, readable by its owner only (0600). PostgreSQL is backed
up with its own tools: :func:`postgresql_commands` gives the ``pg_dump`` and matching
``pg_restore`` command lines for a URL, with the password left out.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url


class BackupError(Exception):
    """The backup could not be made; ``str()`` says why, in one line."""


class BackupExistsError(BackupError):
    """The destination exists and overwriting it was not asked for."""


@dataclass(frozen=True, slots=True)
class PostgresqlCommands:
    """How to back up and restore a PostgreSQL database; passwords are never in them."""

    dump: str
    restore: str


def is_postgresql(url: str) -> bool:
    return make_url(url).get_backend_name() == "postgresql"


def postgresql_commands(url: str, dest: Path) -> PostgresqlCommands:
    """``pg_dump`` of the database at ``url`` into ``dest`` (custom format), and the
    ``pg_restore`` of that file, all or nothing, into a new database ``<name>_restored``."""
    parsed = make_url(url)
    plain = parsed.set(drivername="postgresql")
    shown = plain.render_as_string(hide_password=True)
    target = plain.set(database=f"{parsed.database}_restored")
    return PostgresqlCommands(
        dump=f"pg_dump --format=custom --no-owner --file={dest} '{shown}'",
        restore=(
            "pg_restore --no-owner --exit-on-error --single-transaction "
            f"--dbname='{target.render_as_string(hide_password=True)}' {dest}"
        ),
    )


def sqlite_source(url: str) -> str:
    """The path of the SQLite file at ``url``; BackupError when there is no such file."""
    source = make_url(url).database or ""
    if not source or source == ":memory:" or not Path(source).exists():
        raise BackupError(f"there is no SQLite database file at {source or '(none)'}")
    return source


def backup_sqlite(url: str, dest: Path, *, overwrite: bool = False) -> int:
    """Copy the SQLite database at ``url`` to ``dest`` (mode 0600) while others may use it;
    returns the copy's size in bytes. Raises :class:`BackupError` (:class:`BackupExistsError`
    when ``dest`` exists and ``overwrite`` is False)."""
    source = sqlite_source(url)
    if dest.exists() and not overwrite:
        raise BackupExistsError(f"{dest} already exists")
    try:
        fd = os.open(dest, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
        os.close(fd)
        os.chmod(dest, 0o600)
        src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        try:
            dst = sqlite3.connect(dest)
            try:
                src.backup(dst)  # the online backup API: a consistent copy while others write
                check = dst.execute("PRAGMA integrity_check").fetchone()
            finally:
                dst.close()
        finally:
            src.close()
    except (OSError, sqlite3.Error) as exc:
        raise BackupError(f"backup to {dest} failed: {exc}") from None
    os.chmod(dest, 0o600)
    if not check or check[0] != "ok":
        raise BackupError(f"the copy at {dest} failed its integrity check: {check}")
    return dest.stat().st_size
