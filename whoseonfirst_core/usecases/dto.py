"""Frozen views of the data for the app, the service and exports. No ORM object leaves core."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time

from whoseonfirst_core.domain.resolution import OverrideMark


@dataclass(frozen=True, slots=True)
class MemberDTO:
    id: int
    name: str
    phone: str
    secondary_phone: str | None
    active: bool
    position: int
    color: str
    notes: str
    archived: bool
    version: int

    @property
    def phones(self) -> tuple[str, ...]:
        return (self.phone,) + ((self.secondary_phone,) if self.secondary_phone else ())


@dataclass(frozen=True, slots=True)
class SettingsDTO:
    team_name: str
    timezone: str
    anchor_date: date
    shift_start_template: str
    weekly_summary_enabled: bool
    weekly_summary_day: int
    weekly_summary_time: time
    horizon_weeks: int
    reminder_minutes: int | None
    #: Change notices: the window in days (0: none), the bundling delay in minutes, and the
    #: quiet hours (``"21:00-07:00"`` team time, None: off).
    notice_window_days: int
    notice_delay_minutes: int
    quiet_hours: str | None
    #: The team's wording of the other kinds (kind → template); a kind left out uses its default.
    text_templates: Mapping[str, str]
    #: The shift-start text asks for a reply OK; unconfirmed shifts escalate after this many
    #: minutes (0: never).
    confirm_requested: bool
    confirm_within_minutes: int
    #: History older than this many days is deleted by the service (0: kept forever).
    retention_days: int
    version: int


@dataclass(frozen=True, slots=True)
class ContactDTO:
    id: int
    name: str
    phone: str
    weekly_summary: bool
    failure_alerts: bool
    version: int


@dataclass(frozen=True, slots=True)
class OverrideDTO:
    id: int
    member_id: int
    member_name: str
    start: datetime
    end: datetime
    reason: str
    status: str
    created_by: str
    created_at: datetime
    version: int


@dataclass(frozen=True, slots=True)
class SpanDTO(OverrideMark):
    """A resolved on-call span with names, for calendars, previews and exports."""

    start: datetime
    end: datetime
    shift_name: str
    member_id: int
    member_name: str
    member_color: str
    entry_id: int | None
    scheduled_member_id: int | None
    scheduled_member_name: str | None
    override_id: int | None
    override_reason: str | None
    notify: bool


@dataclass(frozen=True, slots=True)
class EntryDTO:
    """A generated schedule entry (before overrides)."""

    id: int
    shift_name: str
    start: datetime
    end: datetime
    member_id: int
    member_name: str


@dataclass(frozen=True, slots=True)
class ScheduleView:
    """Everything a calendar or preview needs for ``[start, end)`` in one read."""

    start: datetime
    end: datetime
    timezone: str
    spans: tuple[SpanDTO, ...]
    entries: tuple[EntryDTO, ...]
    overrides: tuple[OverrideDTO, ...]
    gaps: tuple[tuple[datetime, datetime], ...]
    members: tuple[MemberDTO, ...]


@dataclass(frozen=True, slots=True)
class NotificationDTO:
    id: int
    kind: str
    status: str
    member_id: int | None
    recipient_name: str
    recipient_phone: str
    body: str
    due_at: datetime
    expires_at: datetime | None
    #: Start of the on-call span a shift-start text or reminder is about (None for others).
    span_start: datetime | None
    shift_name: str | None
    attempts: int
    created_at: datetime
    sent_at: datetime | None
    delivered_at: datetime | None
    failed_at: datetime | None
    twilio_sid: str | None
    error_code: int | None
    error_message: str | None
    triggered_by: str


@dataclass(frozen=True, slots=True)
class InboundDTO:
    """A text someone sent to the team's number, and what it did (``outcome``).

    ``sender`` is the E.164 number of a member or escalation contact (``sender_name``), and
    the masked number (``+1312555XXXX``) of anyone else: an unknown number is not shown whole.
    """

    id: int
    sender: str
    sender_name: str
    member_id: int | None
    body: str
    sent_at: datetime
    received_at: datetime
    #: What it asked for (``domain.replies.Asks``).
    asks: str
    outcome: str
    twilio_sid: str


@dataclass(frozen=True, slots=True)
class OptOutDTO:
    """A phone nothing is texted to since ``opted_out_at``: it replied STOP (``source``
    ``stop``), or Twilio refused to text it with error 21610 (``21610``)."""

    phone: str
    opted_out_at: datetime
    source: str


#: One row of the Texts page: a text the team sent, or one sent to it.
TextRow = NotificationDTO | InboundDTO


@dataclass(frozen=True, slots=True)
class AttemptDTO:
    number: int
    started_at: datetime
    finished_at: datetime | None
    outcome: str
    error_code: int | None
    error_message: str | None


@dataclass(frozen=True, slots=True)
class AuditDTO:
    id: int
    at: datetime
    actor: str
    action: str
    entity: str
    entity_id: str | None
    summary: str
    before: dict[str, object] | None
    after: dict[str, object] | None


@dataclass(frozen=True, slots=True)
class HeartbeatDTO:
    instance_id: str
    host: str
    version: str
    sms_backend: str
    started_at: datetime
    last_tick_at: datetime
    next_due_at: datetime | None
    last_error: str | None
    #: Why texts are not going out, as this instance's last tick saw it (None: they are).
    sms_problem: str | None = None
    #: When this instance last stopped cleanly (None: never; a tick after it means it runs).
    stopped_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class PersonDiff:
    """How a proposed team change alters one person's future shifts."""

    member_id: int
    member_name: str
    gained: tuple[tuple[datetime, str], ...] = field(default_factory=tuple)
    lost: tuple[tuple[datetime, str], ...] = field(default_factory=tuple)

    @property
    def net(self) -> int:
        return len(self.gained) - len(self.lost)
