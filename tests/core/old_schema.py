"""Databases at an earlier schema revision, filled with rows today's code writes.

An upgrade test needs rows at the old revision, but today's models (and so the use cases that
write rows) carry the columns of today's head. :func:`seed_at` runs the writing on a scratch
SQLite database at head, then copies every row into the columns the old revision has, so the
test sees the rows an older release would have held.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import TypeVar

import sqlalchemy as sa
from alembic import command

from whoseonfirst_core.db.models import Base
from whoseonfirst_core.db.session import Database, UnitOfWork, alembic_config, upgrade
from whoseonfirst_core.roster import dumps_roster, export_roster_data

T = TypeVar("T")


def migrate_to(db: Database, revision: str) -> None:
    """Create ``db`` at schema ``revision`` (empty)."""
    db.create_if_missing()
    with db.engine.begin() as conn:
        cfg = alembic_config(db.url)
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def old_table(db: Database, name: str) -> sa.Table:
    """``name`` as ``db``'s schema has it (reflected, not today's model)."""
    return sa.Table(name, sa.MetaData(), autoload_with=db.engine)


def seed_at(db: Database, revision: str, build: Callable[[UnitOfWork], T]) -> tuple[T, str]:
    """Bring ``db`` to ``revision`` holding what ``build`` writes (committed by this function).

    Returns what ``build`` returned and the roster file of the data as written, for comparing
    with the roster after the upgrade.
    """
    migrate_to(db, revision)
    with TemporaryDirectory() as scratch_dir:
        scratch = Database(f"sqlite:///{Path(scratch_dir) / 'scratch.db'}")
        try:
            scratch.create_if_missing()
            upgrade(scratch)
            with scratch.uow("admin") as uow:
                result = build(uow)
                uow.commit()
            with scratch.reader() as uow:
                roster = dumps_roster(export_roster_data(uow))
            _copy_rows(scratch, db)
        finally:
            scratch.dispose()
    return result, roster


def _copy_rows(source: Database, target: Database) -> None:
    present = set(sa.inspect(target.engine).get_table_names())
    with source.engine.connect() as src, target.engine.begin() as dst:
        for model in Base.metadata.sorted_tables:
            if model.name not in present or model.name == "alembic_version":
                continue
            columns = [c.name for c in old_table(target, model.name).c if c.name in model.c]
            # Today's column types, so instants and JSON are written as the models write them.
            table = sa.Table(
                model.name, sa.MetaData(), *(sa.Column(c, model.c[c].type) for c in columns)
            )
            select = sa.select(*(model.c[c] for c in columns))
            rows = [dict(r) for r in src.execute(select).mappings()]
            if rows:
                dst.execute(sa.insert(table), rows)
            if (
                dst.dialect.name == "postgresql"
                and "id" in columns
                and model.name != "team_settings"
            ):
                dst.execute(
                    sa.text(
                        f"SELECT setval(pg_get_serial_sequence('{model.name}', 'id'), "
                        f"COALESCE((SELECT MAX(id) FROM {model.name}), 1))"
                    )
                )
