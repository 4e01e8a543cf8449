"""Statements whose spelling differs between SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session


def dialect_insert(session: Session) -> Any:
    """The dialect's ``insert`` (both have ``on_conflict_do_nothing/do_update``).

    Used on tables (``Model.__table__``), not ORM entities. Whether a row was inserted is
    read from ``RETURNING``: psycopg reports no ``rowcount`` for these statements.
    """
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert


def rowcount(result: Any) -> int:
    """How many rows an UPDATE or DELETE changed (0 when the driver does not say)."""
    return int(getattr(result, "rowcount", 0) or 0)
