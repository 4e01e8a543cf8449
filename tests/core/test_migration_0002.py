"""Upgrading a database with data from 0001 to dated rotation changes (0002), on SQLite and
PostgreSQL: the schedule is byte-identical after the upgrade, extending it gives what the old
code gave, and new changes compose with the migrated ones.

``data/rotation_0001.json`` holds the rows the 0001-era code wrote for a team rotating from
Mon 2026-11-02 (eight members, one never active) after three planned changes entered in date
order at 2026-11-01: Eve out from 11-16, Monday 20 h from 11-23, a new order from 11-30; and
the entries that code generated when the horizon was then extended 30 weeks.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from whoseonfirst_core.db.models import Base
from whoseonfirst_core.db.session import (
    Database,
    alembic_config,
    current_revision,
    head_revision,
    upgrade,
)
from whoseonfirst_core.db.types import UTCDateTime
from whoseonfirst_core.usecases import rotation, schedule, team

DATA = json.loads((Path(__file__).parent / "data" / "rotation_0001.json").read_text())
TABLES = (
    "team_settings",
    "members",
    "shift_definitions",
    "rotation_epochs",
    "schedule_entries",
    "overrides",
)


def _value(column: sa.Column[Any], raw: object) -> object:
    if raw is None:
        return None
    if isinstance(column.type, UTCDateTime):
        return datetime.fromisoformat(str(raw))
    if isinstance(column.type, sa.Date):
        return date.fromisoformat(str(raw))
    return raw


def _load_0001(db: Database) -> None:
    from alembic import command

    db.create_if_missing()
    with db.engine.begin() as conn:
        cfg = alembic_config(db.url)
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001")
    with db.engine.begin() as conn:
        for name in TABLES:
            rows = DATA["rows"][name]
            model = Base.metadata.tables[name]
            cols = [model.c[c] for c in rows[0]]
            table = sa.Table(name, sa.MetaData(), *(sa.Column(c.name, c.type) for c in cols))
            conn.execute(
                sa.insert(table), [{c.name: _value(c, r[c.name]) for c in cols} for r in rows]
            )
        if db.engine.dialect.name == "postgresql":
            for name in TABLES:
                if name != "team_settings":
                    conn.execute(
                        sa.text(
                            f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                            f"(SELECT MAX(id) FROM {name}))"
                        )
                    )


def _rows(db: Database, name: str, columns: list[str]) -> list[dict[str, object]]:
    table = Base.metadata.tables[name]
    with db.engine.connect() as conn:
        result = conn.execute(sa.select(*(table.c[c] for c in columns)).order_by(table.c.id))
        out = []
        for r in result.mappings():
            row: dict[str, object] = {}
            for c in columns:
                v = r[c]
                row[c] = v.isoformat() if isinstance(v, date | datetime) else v
            out.append(row)
        return out


def test_upgrade_from_0001_keeps_the_schedule_and_its_future(empty_url: str) -> None:
    db = Database(empty_url)
    try:
        _load_0001(db)
        assert current_revision(db.engine) == "0001"
        upgrade(db)
        assert current_revision(db.engine) == head_revision()

        old_entries = DATA["rows"]["schedule_entries"]
        assert _rows(db, "schedule_entries", list(old_entries[0])) == old_entries
        old_epochs = DATA["rows"]["rotation_epochs"]
        assert _rows(db, "rotation_epochs", list(old_epochs[0])) == old_epochs
        with db.reader() as uow:
            changes = rotation.load_changes(uow)
            names = {m.id: m.name for m in team.list_members(uow)}
        assert [
            (c.effective_from.isoformat(), rotation.describe_change(c, names), c.start_index)
            for c in changes
        ] == [
            ("2026-11-02", "the whole rotation set: 7 people, 6 shifts a week", 0),
            ("2026-11-16", "Eve Evans leaves the rotation", 4),
            ("2026-11-23", "new shift pattern: 6 shifts, 164 h a week", 5),
            (
                "2026-11-30",
                "new rotation order: Cal Chen, Ann Archer, Ben Brooks, Dee Diaz and 4 more",
                1,
            ),
        ]
        hal = next(i for i, n in names.items() if n == "Hal Hughes")
        assert hal in changes[0].order and hal not in changes[0].members

        now = datetime.fromisoformat(DATA["now"])
        with db.uow("test") as uow:
            rotation.materialise(uow, now)  # the fold reproduces the stored epochs: a no-op
            uow.commit()
        assert _rows(db, "schedule_entries", list(old_entries[0])) == old_entries
        with db.reader() as uow:
            members = {m.id: (m.active, m.position) for m in team.list_members(uow)}
        assert members == {m["id"]: (m["active"], m["position"]) for m in DATA["rows"]["members"]}

        with db.uow("test") as uow:
            schedule.extend_horizon(uow, datetime.fromisoformat(DATA["extend_to"]), force=True)
            uow.commit()
        later = DATA["entries_after_extension"]
        assert _rows(db, "schedule_entries", list(later[0])) == later
    finally:
        db.dispose()


def test_changes_entered_after_the_upgrade_compose_with_the_migrated_ones(
    empty_url: str,
) -> None:
    db = Database(empty_url)
    try:
        _load_0001(db)
        upgrade(db)
        now = datetime.fromisoformat(DATA["now"])
        with db.reader() as uow:
            by_name = {m.name: m.id for m in team.list_members(uow)}
        with db.uow("test") as uow:
            team.set_member_active(uow, now, by_name["Hal Hughes"], True, date(2026, 11, 9))
            uow.commit()
        with db.reader() as uow:
            epochs = [
                (e.effective_from.isoformat(), list(e.member_ids)) for e in schedule.epochs(uow)
            ]
        # Hal joins from 11-09 and stays through the planned epochs, which were migrated as
        # deltas (Eve leaves, Monday 20 h, a new order), not as whole states that drop him.
        assert [day for day, _m in epochs] == [
            "2026-11-02",
            "2026-11-09",
            "2026-11-16",
            "2026-11-23",
            "2026-11-30",
        ]
        hal, eve = by_name["Hal Hughes"], by_name["Eve Evans"]
        assert all(hal in m for _d, m in epochs[1:])
        assert eve in epochs[1][1] and all(eve not in m for _d, m in epochs[2:])
        assert epochs[-1][1][:2] == [by_name["Cal Chen"], by_name["Ann Archer"]]
        with db.reader() as uow:
            assert "Mon 2026-11-09: Hal Hughes joins the rotation" in [
                p.text() for p in rotation.planned_changes(uow, now)
            ]
    finally:
        db.dispose()


def test_the_migrations_match_the_models(db_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    db = Database(db_url)
    try:
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        assert diff == []
    finally:
        db.dispose()
