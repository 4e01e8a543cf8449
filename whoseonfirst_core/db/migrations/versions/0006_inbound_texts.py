"""Texts people send to the team's number: inbound messages, opted-out phones, confirmations

Adds ``inbound_messages`` (every message polled from Twilio, once: ``twilio_sid`` is unique;
who sent it, what it asked for and what it did), ``phone_opt_outs`` (phones that replied STOP,
or that Twilio refused with error 21610: the service texts them nothing until START) and
``span_confirmations`` (a member confirmed the shift starting at ``span_start``). Existing
databases get empty tables: nobody has opted out or confirmed anything yet.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 02:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import whoseonfirst_core.db.types

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def _instant(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, whoseonfirst_core.db.types.UTCDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "inbound_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("twilio_sid", sa.String(64), nullable=False),
        sa.Column("sender", sa.String(20), nullable=False),
        sa.Column("recipient", sa.String(20), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        _instant("sent_at"),
        _instant("received_at"),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column("asks", sa.String(12), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_inbound_messages_member_id_members")
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["escalation_contacts.id"],
            name=op.f("fk_inbound_messages_contact_id_escalation_contacts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbound_messages")),
        sa.UniqueConstraint("twilio_sid", name=op.f("uq_inbound_messages_twilio_sid")),
    )
    with op.batch_alter_table("inbound_messages", schema=None) as batch_op:
        batch_op.create_index("ix_inbound_messages_sent_at", ["sent_at"], unique=False)
    op.create_table(
        "phone_opt_outs",
        sa.Column("phone", sa.String(20), nullable=False),
        _instant("opted_out_at"),
        sa.Column("source", sa.String(20), nullable=False),
        sa.PrimaryKeyConstraint("phone", name=op.f("pk_phone_opt_outs")),
    )
    op.create_table(
        "span_confirmations",
        sa.Column("member_id", sa.Integer(), nullable=False),
        _instant("span_start"),
        _instant("confirmed_at"),
        sa.Column("phone", sa.String(20), nullable=False),
        sa.Column("inbound_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_span_confirmations_member_id_members")
        ),
        sa.ForeignKeyConstraint(
            ["inbound_id"],
            ["inbound_messages.id"],
            name=op.f("fk_span_confirmations_inbound_id_inbound_messages"),
        ),
        sa.PrimaryKeyConstraint("member_id", "span_start", name=op.f("pk_span_confirmations")),
    )


def downgrade() -> None:
    op.drop_table("span_confirmations")
    op.drop_table("phone_opt_outs")
    with op.batch_alter_table("inbound_messages", schema=None) as batch_op:
        batch_op.drop_index("ix_inbound_messages_sent_at")
    op.drop_table("inbound_messages")
