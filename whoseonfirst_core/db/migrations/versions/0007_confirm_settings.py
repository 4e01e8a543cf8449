"""Confirming the shift: the two settings

Adds two ``team_settings`` columns: ``confirm_requested`` (true: the shift-start text ends with
"Reply OK to confirm.") and ``confirm_within_minutes`` (15: a shift not confirmed this long
after its start is asked again, and twice as long after it the escalation contacts are told;
0 = no escalation). Existing teams get the defaults, so their next shift-start text asks.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 02:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("team_settings", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "confirm_requested", sa.Boolean(), nullable=False, server_default=sa.true()
            )
        )
        batch_op.add_column(
            sa.Column("confirm_within_minutes", sa.Integer(), nullable=False, server_default="15")
        )


def downgrade() -> None:
    with op.batch_alter_table("team_settings", schema=None) as batch_op:
        batch_op.drop_column("confirm_within_minutes")
        batch_op.drop_column("confirm_requested")
