"""SMS health with the heartbeat

Adds ``service_heartbeats.sms_problem`` (why texts are not going out, as the instance's last
tick saw it; NULL while they are), so the app, which reads the database rather than the
service's HTTP endpoint, shows it too; and an index on ``notification_attempts.finished_at``
for the newest attempts each tick reads to decide it.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 16:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("service_heartbeats", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sms_problem", sa.Text(), nullable=True))
    with op.batch_alter_table("notification_attempts", schema=None) as batch_op:
        batch_op.create_index("ix_notification_attempts_finished_at", ["finished_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("notification_attempts", schema=None) as batch_op:
        batch_op.drop_index("ix_notification_attempts_finished_at")
    with op.batch_alter_table("service_heartbeats", schema=None) as batch_op:
        batch_op.drop_column("sms_problem")
