"""Copy every row from one database into another (SQLite → PostgreSQL), verified.

A failure says which side it came from (``source database: …`` or ``target database: …``)
and commits nothing to the target.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import Connection, Table, func, insert, select, text
from sqlalchemy.exc import SQLAlchemyError

from whoseonfirst_core.db.errors import DatabaseSetupError, describe_database_error
from whoseonfirst_core.db.models import Base
from whoseonfirst_core.db.session import Database, upgrade
from whoseonfirst_core.usecases.errors import UseCaseError

BATCH = 2000


@dataclass(frozen=True, slots=True)
class TableCount:
    table: str
    source: int
    target: int


@contextmanager
def _blamed_on(side: str, db: Database) -> Iterator[None]:
    """Database errors inside the block become a :class:`UseCaseError` naming ``side``."""
    try:
        yield
    except (SQLAlchemyError, DatabaseSetupError) as exc:
        raise UseCaseError(f"{side} database: {describe_database_error(exc, db.url)}") from exc


def copy_database(source: Database, target: Database) -> list[TableCount]:
    """Migrate ``target``, refuse unless it is empty, copy all tables in one transaction and
    verify the row count of each. Raises :class:`UseCaseError` when anything differs, or
    when either database fails (the message names which)."""
    with _blamed_on("target", target):
        upgrade(target)
    tables = Base.metadata.sorted_tables
    with _blamed_on("target", target), target.engine.connect() as tconn:
        for t in tables:
            n = tconn.scalar(select(func.count()).select_from(t)) or 0
            if n:
                raise UseCaseError(
                    f"the target database is not empty (table {t.name} has {n} rows): "
                    "copy into a freshly created database"
                )
    # The inner blame wins: a source error inside the target's block is already a UseCaseError.
    with (
        _blamed_on("source", source),
        source.engine.connect() as sconn,
        _blamed_on("target", target),
        target.engine.begin() as tconn,
    ):
        return _copy_rows(tables, sconn, tconn, source, target)


def _copy_rows(
    tables: list[Table], sconn: Connection, tconn: Connection, source: Database, target: Database
) -> list[TableCount]:
    counts: list[TableCount] = []
    for t in tables:
        order = list(t.primary_key.columns)
        with _blamed_on("source", source):
            result = sconn.execution_options(stream_results=True).execute(
                select(t).order_by(*order)
            )
        while True:
            with _blamed_on("source", source):
                rows = result.fetchmany(BATCH)
            if not rows:
                break
            tconn.execute(insert(t), [dict(r._mapping) for r in rows])
    if target.engine.dialect.name == "postgresql":
        for t in tables:
            pk = list(t.primary_key.columns)
            if len(pk) == 1 and pk[0].autoincrement and pk[0].type.python_type is int:
                tconn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{t.name}', '{pk[0].name}'), "
                        f"COALESCE((SELECT MAX({pk[0].name}) FROM {t.name}), 0) + 1, false)"
                    )
                )
    for t in tables:
        with _blamed_on("source", source):
            src = sconn.scalar(select(func.count()).select_from(t)) or 0
        dst = tconn.scalar(select(func.count()).select_from(t)) or 0
        counts.append(TableCount(t.name, int(src), int(dst)))
    bad = [c for c in counts if c.source != c.target]
    if bad:
        raise UseCaseError(
            "row counts differ after the copy; nothing was committed: "
            + ", ".join(f"{c.table} {c.source}→{c.target}" for c in bad)
        )
    return counts
