"""The audit log append-only in the database

Triggers refuse every UPDATE and DELETE on ``audit_log`` (and, on PostgreSQL, TRUNCATE), for
every role including the owner, with the message ``audit_log is append-only``. Rows already
there are kept as they are. The product never changes or removes an audit entry: it only adds
them; ``db copy`` inserts into a fresh target and a restore recreates the table.

A later migration that rebuilds ``audit_log`` on SQLite (``batch_alter_table`` copies the table
and drops the old one, its triggers with it) must create these triggers again.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 17:40:00
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_SQLITE_TRIGGERS = ("audit_log_no_update", "audit_log_no_delete")

_PG_FUNCTION = """
CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only' USING ERRCODE = 'raise_exception';
END;
$$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_FUNCTION)
        op.execute(
            "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
            "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()"
        )
        op.execute(
            "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()"
        )
        return
    for name, event in zip(_SQLITE_TRIGGERS, ("UPDATE", "DELETE"), strict=True):
        op.execute(
            f"CREATE TRIGGER {name} BEFORE {event} ON audit_log "
            "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log")
        op.execute("DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log")
        op.execute("DROP FUNCTION IF EXISTS audit_log_append_only()")
        return
    for name in _SQLITE_TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
