"""Costs that do not grow with history, and a retention for it.

Indexes that serve every time-bounded query of the tick and the pages:

- ``ix_notifications_kind_span`` on ``(kind, span_start, member_id)``, partial (rows about a
  span only): the shift-start planning, escalation and alert queries find a span's texts
  without reading the rest of the history;
- ``ix_notifications_kind_created`` on ``(kind, created_at)``: the failure-alert pass reads only
  the texts created within its look-back;
- ``ix_notifications_status_due`` on ``(status, due_at)``: the problem and overdue counts of
  ``/healthz``, the Dashboard and the alerts read only their window of each status;
- indexes on the foreign keys that had none (``notifications.related_id``,
  ``schedule_entries.member_id``, ``overrides.member_id``, ``inbound_messages.member_id``,
  ``span_confirmations.inbound_id``), so deleting or archiving the parent needs no scan.

``team_settings.retention_days`` (default 1095, three years; 0 keeps everything): texts,
their attempts, inbound texts and audit entries older than that are deleted by the service
(``usecases.retention``). The audit log stays append-only for everything younger than the
retention, by the database's own clock: its DELETE trigger now lets through only rows older
than ``retention_days`` (never when it is 0); UPDATE and TRUNCATE are refused as before.

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_FK_INDEXES = (
    ("ix_notifications_related_id", "notifications", "related_id"),
    ("ix_schedule_entries_member_id", "schedule_entries", "member_id"),
    ("ix_overrides_member_id", "overrides", "member_id"),
    ("ix_inbound_messages_member_id", "inbound_messages", "member_id"),
    ("ix_span_confirmations_inbound_id", "span_confirmations", "inbound_id"),
)

_PG_FUNCTION = """
CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    keep integer;
BEGIN
    IF TG_OP = 'DELETE' THEN
        SELECT retention_days INTO keep FROM team_settings WHERE id = 1;
        IF keep IS NOT NULL AND keep > 0 AND OLD.at < now() - make_interval(days => keep) THEN
            RETURN OLD;
        END IF;
    END IF;
    RAISE EXCEPTION 'audit_log is append-only' USING ERRCODE = 'raise_exception';
END;
$$
"""

_PG_FUNCTION_0004 = """
CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only' USING ERRCODE = 'raise_exception';
END;
$$
"""

# SQLite keeps instants as naive UTC text ("2026-12-04 17:46:35.000000"), which sorts like
# ``datetime('now', …)``'s text.
_SQLITE_NO_DELETE = """
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
WHEN COALESCE((SELECT retention_days FROM team_settings WHERE id = 1), 0) <= 0
  OR OLD.at >= datetime(
       'now', '-' || (SELECT retention_days FROM team_settings WHERE id = 1) || ' days')
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END
"""

_SQLITE_NO_DELETE_0004 = """
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END
"""


def upgrade() -> None:
    span_rows = sa.text("span_start IS NOT NULL")
    op.create_index(
        "ix_notifications_kind_span",
        "notifications",
        ["kind", "span_start", "member_id"],
        sqlite_where=span_rows,
        postgresql_where=span_rows,
    )
    op.create_index("ix_notifications_kind_created", "notifications", ["kind", "created_at"])
    op.create_index("ix_notifications_status_due", "notifications", ["status", "due_at"])
    for name, table, column in _FK_INDEXES:
        op.create_index(name, table, [column])
    with op.batch_alter_table("team_settings") as batch:
        batch.add_column(
            sa.Column("retention_days", sa.Integer(), nullable=False, server_default="1095")
        )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_FUNCTION)
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_delete")
        op.execute(_SQLITE_NO_DELETE)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_FUNCTION_0004)
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_delete")
        op.execute(_SQLITE_NO_DELETE_0004)
    with op.batch_alter_table("team_settings") as batch:
        batch.drop_column("retention_days")
    for name, table, _column in reversed(_FK_INDEXES):
        op.drop_index(name, table_name=table)
    op.drop_index("ix_notifications_status_due", table_name="notifications")
    op.drop_index("ix_notifications_kind_created", table_name="notifications")
    op.drop_index("ix_notifications_kind_span", table_name="notifications")
