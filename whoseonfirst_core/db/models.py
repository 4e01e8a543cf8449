"""SQLAlchemy 2 models: the one database the app and the service share (SPEC §2-§5).

Rows that admins edit carry a ``version`` column (optimistic locking: a save over a newer
version fails instead of overwriting). Members referenced by history are archived, never
deleted. Every instant is timezone-aware UTC (:class:`UTCDateTime`).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from whoseonfirst_core.db.types import UTCDateTime

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    #: Every ``Mapped[datetime]`` column is an aware-UTC instant.
    type_annotation_map = {datetime: UTCDateTime}  # noqa: RUF012


class TeamSettings(Base):
    """The team and its settings: exactly one row, id 1."""

    __tablename__ = "team_settings"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    timezone: Mapped[str] = mapped_column(String(64))
    anchor_date: Mapped[date] = mapped_column(Date)
    shift_start_template: Mapped[str] = mapped_column(Text)
    weekly_summary_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    weekly_summary_day: Mapped[int] = mapped_column(Integer, default=0)
    weekly_summary_time: Mapped[str] = mapped_column(String(5), default="08:00")
    horizon_weeks: Mapped[int] = mapped_column(Integer, default=12)
    reminder_minutes: Mapped[int | None] = mapped_column(Integer, nullable=True)
    #: Change notices tell of shifts starting within this many days (0: no notices).
    notice_window_days: Mapped[int] = mapped_column(Integer, default=14, server_default="14")
    #: Edits saved within this many minutes of each other make one notice.
    notice_delay_minutes: Mapped[int] = mapped_column(Integer, default=2, server_default="2")
    #: ``"HH:MM-HH:MM"`` team time, or None: no quiet hours.
    quiet_hours: Mapped[str | None] = mapped_column(
        String(11), nullable=True, default="21:00-07:00", server_default="21:00-07:00"
    )
    #: The wording of the kinds other than the shift-start text; a kind left out uses its default.
    text_templates: Mapped[dict[str, str]] = mapped_column(
        JSON, default=dict, server_default=text("'{}'")
    )
    #: The shift-start text asks for a reply OK (see ``domain.escalation``).
    confirm_requested: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    #: A shift not confirmed this many minutes after its start is asked again, and the
    #: escalation contacts are told at twice that (0: no escalation).
    confirm_within_minutes: Mapped[int] = mapped_column(Integer, default=15, server_default="15")
    #: The public holidays the team keeps (``holidays`` library codes: "US", "TX"; None: none).
    holiday_country: Mapped[str | None] = mapped_column(String(8), nullable=True)
    holiday_subdivision: Mapped[str | None] = mapped_column(String(16), nullable=True)
    #: The team's own holidays: ISO date → name.
    extra_holidays: Mapped[dict[str, str]] = mapped_column(
        JSON, default=dict, server_default=text("'{}'")
    )
    #: The library's days for the country and subdivision, stored when they are saved so that
    #: reading holidays needs no library: ``first_year``, ``last_year``, ``days`` (ISO → name).
    holiday_calendar: Mapped[dict[str, object]] = mapped_column(
        JSON, default=dict, server_default=text("'{}'")
    )
    #: Texts, attempts, inbound texts and audit entries older than this many days are deleted
    #: by the service (``usecases.retention``); 0 keeps them forever.
    retention_days: Mapped[int] = mapped_column(Integer, default=1095, server_default="1095")
    version: Mapped[int] = mapped_column(Integer, default=1)
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)


class Member(Base):
    __tablename__ = "members"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str] = mapped_column(String(20))
    secondary_phone: Mapped[str | None] = mapped_column(String(20), nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    position: Mapped[int] = mapped_column(Integer)
    color: Mapped[str] = mapped_column(String(7))
    notes: Mapped[str] = mapped_column(Text, default="")
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    version: Mapped[int] = mapped_column(Integer, default=1)
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012
    __table_args__ = (Index("ix_members_position", "position"),)


class ShiftDefinition(Base):
    """One shift of the current weekly pattern (what the Shifts page edits)."""

    __tablename__ = "shift_definitions"
    id: Mapped[int] = mapped_column(primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(60))
    start_day: Mapped[int] = mapped_column(Integer)
    start_time: Mapped[str] = mapped_column(String(5))
    duration_hours: Mapped[int] = mapped_column(Integer)
    __table_args__ = (
        CheckConstraint("start_day BETWEEN 0 AND 6", name="start_day"),
        CheckConstraint("duration_hours BETWEEN 1 AND 168", name="duration"),
    )


class RotationChange(Base):
    """A dated change to the rotation (SPEC §3), the rotation's source of truth.

    ``kind`` is one of ``join``, ``leave`` (``member_id``), ``order`` (``payload["order"]``:
    member ids), ``pattern`` (``payload["pattern"]``: shifts as in :class:`RotationEpoch`) or
    ``snapshot`` (``payload``: ``order``, ``members``, ``pattern`` and optionally the pinned
    ``start_index`` / ``seq_offset``). Changes are folded by (``effective_from``, ``id``); see
    :mod:`whoseonfirst_core.domain.rotation`. A planned change is cancelled, never deleted,
    so the history of what was planned stays readable.
    """

    __tablename__ = "rotation_changes"
    id: Mapped[int] = mapped_column(primary_key=True)
    effective_from: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(12))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"), nullable=True)
    payload: Mapped[dict[str, object]] = mapped_column(JSON)
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(200))
    cancelled_at: Mapped[datetime | None]
    cancelled_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    __table_args__ = (
        CheckConstraint("kind IN ('join', 'leave', 'order', 'pattern', 'snapshot')", name="kind"),
        Index("ix_rotation_changes_effective_from", "effective_from"),
    )


class RotationEpoch(Base):
    """A stretch of rotation with one team order and pattern, from ``effective_from`` (local).

    Derived from :class:`RotationChange` (one row per date where the folded rotation changes)
    and kept so that generation is a pure function of the epochs: the schedule can always be
    explained and re-derived, and extending it only appends.
    """

    __tablename__ = "rotation_epochs"
    id: Mapped[int] = mapped_column(primary_key=True)
    effective_from: Mapped[date] = mapped_column(Date, unique=True)
    member_ids: Mapped[list[int]] = mapped_column(JSON)
    pattern: Mapped[list[dict[str, object]]] = mapped_column(JSON)
    start_index: Mapped[int] = mapped_column(Integer, default=0)
    seq_offset: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(200))


class ScheduleEntry(Base):
    """A generated shift with its scheduled member; never rewritten once it has started."""

    __tablename__ = "schedule_entries"
    id: Mapped[int] = mapped_column(primary_key=True)
    epoch_id: Mapped[int] = mapped_column(ForeignKey("rotation_epochs.id"))
    seq: Mapped[int] = mapped_column(Integer)
    shift_name: Mapped[str] = mapped_column(String(60))
    start_at: Mapped[datetime] = mapped_column(unique=True)
    end_at: Mapped[datetime]
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    member: Mapped[Member] = relationship(lazy="raise")
    __table_args__ = (
        Index("ix_schedule_entries_end_at", "end_at"),
        Index("ix_schedule_entries_member_id", "member_id"),
        UniqueConstraint("epoch_id", "seq", name="uq_schedule_entries_epoch_seq"),
    )


class Override(Base):
    """``member`` covers ``[start_at, end_at)`` instead of whoever is scheduled."""

    __tablename__ = "overrides"
    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    start_at: Mapped[datetime]
    end_at: Mapped[datetime]
    reason: Mapped[str] = mapped_column(String(500), default="")
    status: Mapped[str] = mapped_column(String(12), default="active")
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(200))
    cancelled_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(Integer, default=1)
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012
    __table_args__ = (
        CheckConstraint("end_at > start_at", name="span"),
        CheckConstraint("status IN ('active', 'completed', 'cancelled')", name="status"),
        Index("ix_overrides_span", "end_at", "start_at"),
        Index("ix_overrides_member_id", "member_id"),
    )


class TimeOff(Base):
    """``member`` is away during ``[start_at, end_at)``. Cancelled time off keeps its row
    (``cancelled_at`` set), so the audit log's entries keep pointing at something."""

    __tablename__ = "time_off"
    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    start_at: Mapped[datetime]
    end_at: Mapped[datetime]
    reason: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(200))
    cancelled_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(Integer, default=1)
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012
    __table_args__ = (
        CheckConstraint("end_at > start_at", name="span"),
        Index("ix_time_off_span", "end_at", "start_at"),
    )


class EscalationContact(Base):
    __tablename__ = "escalation_contacts"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str] = mapped_column(String(20))
    weekly_summary: Mapped[bool] = mapped_column(Boolean, default=True)
    failure_alerts: Mapped[bool] = mapped_column(Boolean, default=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class Notification(Base):
    """The outbox (SPEC §4): one row per text, unique by idempotency key. ``kind`` and
    ``status`` hold the values of :mod:`whoseonfirst_core.domain.notification` (no CHECK
    constraint, so a new kind or status needs no migration)."""

    __tablename__ = "notifications"
    id: Mapped[int] = mapped_column(primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(12))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"), nullable=True)
    recipient_name: Mapped[str] = mapped_column(String(100))
    recipient_phone: Mapped[str] = mapped_column(String(20))
    body: Mapped[str] = mapped_column(Text)
    due_at: Mapped[datetime]
    expires_at: Mapped[datetime | None]
    span_start: Mapped[datetime | None]
    span_end: Mapped[datetime | None]
    shift_name: Mapped[str | None] = mapped_column(String(60), nullable=True)
    related_id: Mapped[int | None] = mapped_column(ForeignKey("notifications.id"), nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None]
    claimed_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    claimed_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    sending_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    failed_at: Mapped[datetime | None]
    last_polled_at: Mapped[datetime | None]
    twilio_sid: Mapped[str | None] = mapped_column(String(64), nullable=True)
    error_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    error_message: Mapped[str | None] = mapped_column(Text, nullable=True)
    triggered_by: Mapped[str] = mapped_column(String(200))
    alerted: Mapped[bool] = mapped_column(Boolean, default=False)
    __table_args__ = (
        Index("ix_notifications_status_next", "status", "next_attempt_at"),
        Index("ix_notifications_due_at", "due_at"),
        Index("ix_notifications_member", "member_id", "due_at"),
        # Rows about a span (shift starts, second asks, alerts): planning, escalation, alerts.
        Index(
            "ix_notifications_kind_span",
            "kind",
            "span_start",
            "member_id",
            sqlite_where=text("span_start IS NOT NULL"),
            postgresql_where=text("span_start IS NOT NULL"),
        ),
        Index("ix_notifications_kind_created", "kind", "created_at"),
        Index("ix_notifications_status_due", "status", "due_at"),
        Index("ix_notifications_related_id", "related_id"),
    )


class NotificationAttempt(Base):
    """One try at sending a notification, with its outcome (shown in the history details)."""

    __tablename__ = "notification_attempts"
    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[int] = mapped_column(ForeignKey("notifications.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    outcome: Mapped[str] = mapped_column(String(20))
    error_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    error_message: Mapped[str | None] = mapped_column(Text, nullable=True)
    instance_id: Mapped[str] = mapped_column(String(100))
    __table_args__ = (Index("ix_notification_attempts_finished_at", "finished_at"),)


class AuditEntry(Base):
    """Append-only change history: who changed what, before and after."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(60))
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    summary: Mapped[str] = mapped_column(Text, default="")
    before: Mapped[dict[str, object] | None] = mapped_column(JSON, nullable=True)
    after: Mapped[dict[str, object] | None] = mapped_column(JSON, nullable=True)


class ServiceHeartbeat(Base):
    """What each running service instance last said about itself (shown by the app)."""

    __tablename__ = "service_heartbeats"
    instance_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    host: Mapped[str] = mapped_column(String(200))
    version: Mapped[str] = mapped_column(String(40))
    sms_backend: Mapped[str] = mapped_column(String(40))
    started_at: Mapped[datetime]
    last_tick_at: Mapped[datetime]
    next_due_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    #: Why texts are not going out, as this instance's last tick saw it (None: they are).
    sms_problem: Mapped[str | None] = mapped_column(Text, nullable=True)


class ToldState(Base):
    """What one member was last told about their on-call (change notices, SPEC §4).

    ``intervals``: their on-call stretches ``[[start, end], …]`` (UTC ISO) as last told, cut to
    ``[written_at, told_until)``. ``version`` grows by one with every notice, written by
    compare-and-set, so two services never tell the same difference twice. ``pending_*`` and
    ``due_at`` describe a difference seen but not told yet (bundling delay, quiet hours). No
    foreign key: the row outlives nothing it needs.
    """

    __tablename__ = "told_state"
    member_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(Integer)
    intervals: Mapped[list[list[str]]] = mapped_column(JSON)
    told_until: Mapped[datetime]
    written_at: Mapped[datetime]
    pending_digest: Mapped[str | None] = mapped_column(String(64), nullable=True)
    pending_since: Mapped[datetime | None]
    due_at: Mapped[datetime | None] = mapped_column(index=True)
    due_reason: Mapped[str | None] = mapped_column(String(20), nullable=True)


class InboundMessage(Base):
    """A text someone sent to the team's number, polled from Twilio once (``twilio_sid``)."""

    __tablename__ = "inbound_messages"
    id: Mapped[int] = mapped_column(primary_key=True)
    twilio_sid: Mapped[str] = mapped_column(String(64), unique=True)
    sender: Mapped[str] = mapped_column(String(20))
    recipient: Mapped[str] = mapped_column(String(20))
    body: Mapped[str] = mapped_column(Text)
    sent_at: Mapped[datetime] = mapped_column(index=True)
    received_at: Mapped[datetime]
    member_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id"), nullable=True, index=True
    )
    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("escalation_contacts.id"), nullable=True
    )
    #: What it asked for (``domain.replies.Asks``) and what it did, for people to read.
    asks: Mapped[str] = mapped_column(String(12))
    outcome: Mapped[str] = mapped_column(Text)


class PhoneOptOut(Base):
    """A phone that replied STOP (``source`` ``stop``) or that Twilio refused with error 21610
    (``21610``): nothing is texted to it until it replies START."""

    __tablename__ = "phone_opt_outs"
    phone: Mapped[str] = mapped_column(String(20), primary_key=True)
    opted_out_at: Mapped[datetime]
    source: Mapped[str] = mapped_column(String(20))


class SpanConfirmation(Base):
    """``member_id`` confirmed, by text, the shift they are on call for from ``span_start``."""

    __tablename__ = "span_confirmations"
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), primary_key=True)
    span_start: Mapped[datetime] = mapped_column(primary_key=True)
    confirmed_at: Mapped[datetime]
    phone: Mapped[str] = mapped_column(String(20))
    inbound_id: Mapped[int | None] = mapped_column(
        ForeignKey("inbound_messages.id"), nullable=True, index=True
    )


class Meta(Base):
    """Small key/value facts: ``revision`` (bumped by every write, polled by the app),
    ``service_first_tick_at``, ``service_last_tick_at``, ``service_ticks_pretended`` (only
    ``tick --now`` ticked here so far: see ``usecases.rehearsal``)."""

    __tablename__ = "meta"
    key: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class FeedToken(Base):
    """A calendar feed's link: ``member_id`` None is the team's feed. Only the SHA-256 of the
    link's secret is stored (``usecases.feeds``), so a link is shown once, when it is made."""

    __tablename__ = "feed_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id"), nullable=True, index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
