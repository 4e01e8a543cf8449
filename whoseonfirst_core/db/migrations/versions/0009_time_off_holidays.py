"""The planner: time off and the team's holidays

Adds the ``time_off`` table (a member away during ``[start_at, end_at)``, with its reason;
cancelled time off keeps its row with ``cancelled_at`` set) and four ``team_settings``
columns: ``holiday_country`` and ``holiday_subdivision`` (the ``holidays`` library's codes,
e.g. US / TX; NULL = no public holidays), ``extra_holidays`` (the team's own dates, ISO date
→ name) and ``holiday_calendar`` (the library's days, stored when the country is saved).
Existing teams get no time off and no holidays.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import whoseonfirst_core.db.types

revision = "0009"
down_revision = "0007"


def _instant(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, whoseonfirst_core.db.types.UTCDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    with op.batch_alter_table("team_settings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("holiday_country", sa.String(8), nullable=True))
        batch_op.add_column(sa.Column("holiday_subdivision", sa.String(16), nullable=True))
        batch_op.add_column(
            sa.Column("extra_holidays", sa.JSON(), nullable=False, server_default=sa.text("'{}'"))
        )
        batch_op.add_column(
            sa.Column(
                "holiday_calendar", sa.JSON(), nullable=False, server_default=sa.text("'{}'")
            )
        )
    op.create_table(
        "time_off",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        _instant("start_at"),
        _instant("end_at"),
        sa.Column("reason", sa.String(200), nullable=False),
        _instant("created_at"),
        sa.Column("created_by", sa.String(200), nullable=False),
        _instant("cancelled_at", nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint("end_at > start_at", name=op.f("ck_time_off_span")),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_time_off_member_id_members")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_time_off")),
    )
    with op.batch_alter_table("time_off", schema=None) as batch_op:
        batch_op.create_index("ix_time_off_member_id", ["member_id"], unique=False)
        batch_op.create_index("ix_time_off_span", ["end_at", "start_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("time_off", schema=None) as batch_op:
        batch_op.drop_index("ix_time_off_span")
        batch_op.drop_index("ix_time_off_member_id")
    op.drop_table("time_off")
    with op.batch_alter_table("team_settings", schema=None) as batch_op:
        batch_op.drop_column("holiday_calendar")
        batch_op.drop_column("extra_holidays")
        batch_op.drop_column("holiday_subdivision")
        batch_op.drop_column("holiday_country")
