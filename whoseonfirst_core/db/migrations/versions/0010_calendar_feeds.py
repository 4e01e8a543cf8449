"""Calendar feeds: ``feed_tokens`` (one row per feed link: ``member_id`` NULL is the team's
feed; ``token_hash`` the SHA-256 of the link's secret, which is never stored). Existing
databases get an empty table: no feed has a link until someone asks for one. SEQUENCE and
LAST-MODIFIED of the events are derived from the overrides' own rows, so no other state."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import whoseonfirst_core.db.types

revision = "0010"
down_revision = "0009"


def upgrade() -> None:
    op.create_table(
        "feed_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column(
            "created_at", whoseonfirst_core.db.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_feed_tokens_member_id_members")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feed_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_feed_tokens_token_hash")),
    )
    op.create_index(op.f("ix_feed_tokens_member_id"), "feed_tokens", ["member_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_feed_tokens_member_id"), table_name="feed_tokens")
    op.drop_table("feed_tokens")
