"""Change notices: what each person was last told, and the notice settings

Adds the ``told_state`` table (one row per member: the on-call intervals they were last told
about, up to ``told_until``, with a ``version`` that every notice advances by compare-and-set,
and the difference still waiting for its bundling delay or the end of quiet hours) and four
``team_settings`` columns: ``notice_window_days`` (14; 0 = no notices), ``notice_delay_minutes``
(2), ``quiet_hours`` (``"21:00-07:00"``; NULL = off) and ``text_templates`` (the wording of the
kinds other than the shift-start text; a kind left out uses its default).

Existing teams get the defaults. ``told_state`` starts empty: the first tick of a service on
the upgraded database records what everyone is on call for without texting anybody.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04 01:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import whoseonfirst_core.db.types

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def _instant(name: str, *, nullable: bool) -> sa.Column[object]:
    return sa.Column(name, whoseonfirst_core.db.types.UTCDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    with op.batch_alter_table("team_settings", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("notice_window_days", sa.Integer(), nullable=False, server_default="14")
        )
        batch_op.add_column(
            sa.Column("notice_delay_minutes", sa.Integer(), nullable=False, server_default="2")
        )
        batch_op.add_column(
            sa.Column("quiet_hours", sa.String(11), nullable=True, server_default="21:00-07:00")
        )
        batch_op.add_column(
            sa.Column("text_templates", sa.JSON(), nullable=False, server_default=sa.text("'{}'"))
        )
    op.create_table(
        "told_state",
        sa.Column("member_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("intervals", sa.JSON(), nullable=False),
        _instant("told_until", nullable=False),
        _instant("written_at", nullable=False),
        sa.Column("pending_digest", sa.String(64), nullable=True),
        _instant("pending_since", nullable=True),
        _instant("due_at", nullable=True),
        sa.Column("due_reason", sa.String(20), nullable=True),
        sa.PrimaryKeyConstraint("member_id", name=op.f("pk_told_state")),
    )
    with op.batch_alter_table("told_state", schema=None) as batch_op:
        batch_op.create_index("ix_told_state_due_at", ["due_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("told_state", schema=None) as batch_op:
        batch_op.drop_index("ix_told_state_due_at")
    op.drop_table("told_state")
    with op.batch_alter_table("team_settings", schema=None) as batch_op:
        batch_op.drop_column("text_templates")
        batch_op.drop_column("quiet_hours")
        batch_op.drop_column("notice_delay_minutes")
        batch_op.drop_column("notice_window_days")
