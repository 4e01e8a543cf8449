"""dated rotation changes

Adds ``rotation_changes`` (the rotation's source of truth: dated join / leave / order /
pattern / snapshot changes) and ``rotation_epochs.seq_offset``, and turns the existing epochs
into changes: the first into a snapshot of the whole state, each later one into the deltas
from the epoch before it (who left, who joined, a new order, a new pattern), so that a change
entered later, dated before a planned epoch, composes with it instead of being undone by it.
Every epoch's date pins the epoch's own start index (while its members are the epoch's), so
the derived epochs, and so the schedule, are exactly what they were before the upgrade.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import whoseonfirst_core.db.types

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rotation_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column(
            "created_at", whoseonfirst_core.db.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column(
            "cancelled_at", whoseonfirst_core.db.types.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("cancelled_by", sa.String(length=200), nullable=True),
        sa.CheckConstraint(
            "kind IN ('join', 'leave', 'order', 'pattern', 'snapshot')",
            name=op.f("ck_rotation_changes_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_rotation_changes_member_id_members")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rotation_changes")),
    )
    with op.batch_alter_table("rotation_changes", schema=None) as batch_op:
        batch_op.create_index(
            "ix_rotation_changes_effective_from", ["effective_from"], unique=False
        )
    with op.batch_alter_table("rotation_epochs", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("seq_offset", sa.Integer(), server_default="0", nullable=False)
        )
    _epochs_to_changes()


def _epochs_to_changes() -> None:
    bind = op.get_bind()
    epochs = sa.table(
        "rotation_epochs",
        sa.column("id", sa.Integer()),
        sa.column("effective_from", sa.Date()),
        sa.column("member_ids", sa.JSON()),
        sa.column("pattern", sa.JSON()),
        sa.column("start_index", sa.Integer()),
        sa.column("created_at", whoseonfirst_core.db.types.UTCDateTime(timezone=True)),
        sa.column("created_by", sa.String()),
    )
    members = sa.table(
        "members",
        sa.column("id", sa.Integer()),
        sa.column("position", sa.Integer()),
    )
    changes = sa.table(
        "rotation_changes",
        sa.column("effective_from", sa.Date()),
        sa.column("kind", sa.String()),
        sa.column("member_id", sa.Integer()),
        sa.column("payload", sa.JSON()),
        sa.column("created_at", whoseonfirst_core.db.types.UTCDateTime(timezone=True)),
        sa.column("created_by", sa.String()),
    )
    everyone = [
        int(r[0])
        for r in bind.execute(
            sa.select(members.c.id).order_by(members.c.position, members.c.id)
        ).all()
    ]
    rows = bind.execute(
        sa.select(epochs).order_by(epochs.c.effective_from, epochs.c.id)
    ).mappings().all()
    order: list[int] = []
    inside: list[int] = []
    pattern: object = None
    for i, row in enumerate(rows):
        cur = [int(m) for m in row["member_ids"]]
        pin = {
            "start_index": int(row["start_index"]),
            "seq_offset": 0,
            "pin_members": cur,
        }
        made: list[tuple[str, int | None, dict[str, object]]] = []
        if i == 0:
            # Everyone in their rotation order, the epoch's members in the epoch's order.
            order = _merge(everyone, cur)
            made.append(
                ("snapshot", None, {"order": order, "members": cur, "pattern": row["pattern"]})
            )
        else:
            for m in inside:
                if m not in cur:
                    made.append(("leave", m, {}))
            for m in cur:
                if m not in inside:
                    made.append(("join", m, {}))
                    if m not in order:
                        order.append(m)
            # The last epoch takes the members' current positions, the others keep everyone
            # else where they were; either way the epoch's members come in the epoch's order.
            wanted = _merge(everyone if i + 1 == len(rows) else order, cur)
            if wanted != order:
                order = wanted
                made.append(("order", None, {"order": order}))
            if row["pattern"] != pattern:
                made.append(("pattern", None, {"pattern": row["pattern"]}))
            if not made:  # same team and pattern, another start (a time-zone change)
                made.append(("order", None, {"order": order}))
        kind, member_id, payload = made[-1]
        made[-1] = (kind, member_id, {**payload, **pin})
        for kind, member_id, payload in made:
            bind.execute(
                sa.insert(changes).values(
                    effective_from=row["effective_from"],
                    kind=kind,
                    member_id=member_id,
                    payload=payload,
                    created_at=row["created_at"],
                    created_by=row["created_by"],
                )
            )
        inside, pattern = cur, row["pattern"]


def _merge(order: list[int], cur: list[int]) -> list[int]:
    """``order`` with the members of ``cur`` rearranged, in their places, into ``cur``'s order
    (those it lacks at the end)."""
    known = [m for m in cur if m in order]
    queue = iter(known)
    chosen = set(known)
    return [next(queue) if m in chosen else m for m in order] + [m for m in cur if m not in order]


def downgrade() -> None:
    with op.batch_alter_table("rotation_epochs", schema=None) as batch_op:
        batch_op.drop_column("seq_offset")
    with op.batch_alter_table("rotation_changes", schema=None) as batch_op:
        batch_op.drop_index("ix_rotation_changes_effective_from")
    op.drop_table("rotation_changes")
