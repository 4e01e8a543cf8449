"""Which texts the schedule calls for, to whom, with what body and validity (pure functions).

Nothing here touches the database or a clock: the engine loads a :class:`TeamSnapshot` and the
resolved spans, and these functions turn them into :class:`PlannedText` values. ``simulate`` and
the app's previews use the same functions, so what they show is what the service would send.

All instants are timezone-aware UTC; wall-clock values (the summary day and time, the text's
``Tue 08:00 CST``) are in the team's zone ``TeamSnapshot.tz``.

Idempotency keys (SPEC §4 delivery contract point 1) — unique in the outbox, so a restart, a
rerun or a second instance can never create a second copy:

- ``shift_start:<span start UTC ISO>:m<member id>:<phone>:<local date of the span start>``
- ``reminder:<span start UTC ISO>:m<member id>:<phone>:<local date>``
- ``weekly_summary:<first local day of the week>:c<contact id>:<phone>``
- ``failure_alert:<span start UTC ISO>:m<member id>:c<contact id>:<phone>``

The escalation of unconfirmed shifts (``confirm_reminder``, ``unconfirmed_alert``,
``confirmed_notice``) keys its texts the same way; see :mod:`whoseonfirst_core.domain.escalation`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from whoseonfirst_core.domain.masking import mask_phone
from whoseonfirst_core.domain.notices import NoticeSettings
from whoseonfirst_core.domain.notification import (
    IN_FLIGHT_STATUSES,
    PROBLEM_STATUSES,
    Kind,
    Status,
)
from whoseonfirst_core.domain.resolution import ResolvedSpan
from whoseonfirst_core.domain.templates import (
    DEFAULT_SHIFT_START_TEMPLATE,
    SummaryMarks,
    SummaryPerson,
    TemplateError,
    render,
    shift_start_values,
    summary_header_values,
    summary_week_start,
    weekly_summary_text,
    with_confirm_request,
)
from whoseonfirst_core.domain.timeutil import fmt_local, local_date, local_instant
from whoseonfirst_core.domain.wording import render_wording

_log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Recipient:
    """A member or an escalation contact: id, name and the phones to text (E.164; without
    those that opted out). ``number``: the primary phone, the one the team calls, shown in the
    weekly summary and in answers to WHO whether or not it takes texts."""

    id: int
    name: str
    phones: tuple[str, ...]
    number: str = ""

    @property
    def call(self) -> str:
        return self.number or (self.phones[0] if self.phones else "")


@dataclass(frozen=True, slots=True)
class TeamSnapshot:
    """The settings and people the planner needs, read once per tick."""

    team_name: str
    tz: ZoneInfo
    shift_start_template: str
    weekly_summary_enabled: bool
    weekly_summary_day: int  # 0 = Monday, local
    weekly_summary_time: time  # local wall clock
    reminder_minutes: int | None
    members: Mapping[int, Recipient]
    summary_contacts: tuple[Recipient, ...]
    alert_contacts: tuple[Recipient, ...]
    notices: NoticeSettings = field(default_factory=NoticeSettings)
    #: The wording of the other kinds (kind → template; see ``domain.wording``).
    templates: Mapping[str, str] = field(default_factory=dict)
    #: The shift-start text ends with "Reply OK to confirm." (``with_confirm_request``).
    confirm_requested: bool = True
    #: An unconfirmed span is asked again this long after its start, and the alert contacts
    #: are told at twice that (0: no escalation; see ``domain.escalation``).
    confirm_within_minutes: int = 15


@dataclass(frozen=True, slots=True)
class PlannedText:
    """One text the schedule calls for. ``due_at``/``expires_at``/``span_*`` are UTC.

    ``expires_at`` is the validity: the text is never handed to Twilio at or after it (for a
    shift_start, the end of the span).
    """

    key: str
    kind: Kind
    due_at: datetime
    expires_at: datetime
    member_id: int | None
    recipient_name: str
    recipient_phone: str
    body: str
    span_start: datetime | None = None
    span_end: datetime | None = None
    shift_name: str | None = None


def _utc_iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="seconds")


def span_text_key(
    kind: Kind, span_start: datetime, member_id: int, phone: str, tz: ZoneInfo
) -> str:
    """The idempotency key of the ``kind`` text (shift_start or reminder) to ``phone`` about the
    span starting at ``span_start`` (UTC): one text per span, member and phone, ever."""
    return (
        f"{kind}:{_utc_iso(span_start)}:m{member_id}:{phone}:"
        f"{local_date(span_start, tz).isoformat()}"
    )


def shift_start_body(span: ResolvedSpan, member_name: str, team: TeamSnapshot) -> str:
    """The team's template filled in for ``span`` (``{start}`` like ``Tue 08:00 CST``).

    A template that no longer validates (edited outside the app) falls back to the default
    text rather than leaving the on-call person without one. When the team asks people to
    confirm, the text ends with "Reply OK to confirm." (see ``with_confirm_request``).
    """
    values = shift_start_values(
        name=member_name,
        start=span.start,
        end=span.end,
        shift=span.shift_name,
        team=team.team_name,
        tz=team.tz,
    )
    try:
        body = render(team.shift_start_template, values)
    except TemplateError as exc:
        _log.error("the shift-start template is invalid (%s); using the default text", exc)
        body = render(DEFAULT_SHIFT_START_TEMPLATE, values)
    return with_confirm_request(body) if team.confirm_requested else body


def _per_phone(
    kind: Kind,
    span: ResolvedSpan,
    member: Recipient,
    body: str,
    tz: ZoneInfo,
    *,
    due_at: datetime,
    expires_at: datetime,
) -> list[PlannedText]:
    """One ``kind`` text about ``span`` to each of ``member``'s phones."""
    return [
        PlannedText(
            key=span_text_key(kind, span.start, member.id, phone, tz),
            kind=kind,
            due_at=due_at,
            expires_at=expires_at,
            member_id=member.id,
            recipient_name=member.name,
            recipient_phone=phone,
            body=body,
            span_start=span.start,
            span_end=span.end,
            shift_name=span.shift_name,
        )
        for phone in member.phones
    ]


def shift_start_texts(spans: Iterable[ResolvedSpan], team: TeamSnapshot) -> list[PlannedText]:
    """One shift_start text per phone for every span that starts a shift or an override
    (``notify``), due at the span's start and valid until its end."""
    out: list[PlannedText] = []
    for span in spans:
        member = team.members.get(span.member_id)
        if not span.notify or member is None:
            continue
        out += _per_phone(
            Kind.SHIFT_START,
            span,
            member,
            shift_start_body(span, member.name, team),
            team.tz,
            due_at=span.start,
            expires_at=span.end,
        )
    return out


def reminder_texts(spans: Iterable[ResolvedSpan], team: TeamSnapshot) -> list[PlannedText]:
    """Optional reminders ``reminder_minutes`` before each notified span; valid until it starts.

    Empty when reminders are off (the default).
    """
    if not team.reminder_minutes:
        return []
    lead = timedelta(minutes=team.reminder_minutes)
    out: list[PlannedText] = []
    for span in spans:
        member = team.members.get(span.member_id)
        if not span.notify or member is None:
            continue
        values = shift_start_values(
            name=member.name,
            start=span.start,
            end=span.end,
            shift=span.shift_name,
            team=team.team_name,
            tz=team.tz,
        )
        body = render_wording(team.templates, Kind.REMINDER, values)
        out += _per_phone(
            Kind.REMINDER,
            span,
            member,
            body,
            team.tz,
            due_at=span.start - lead,
            expires_at=span.start,
        )
    return out


def weekly_instants(
    weekday: int, at: time, tz: ZoneInfo, start: datetime, end: datetime
) -> list[datetime]:
    """The instants (UTC) in ``[start, end)`` that fall on local ``weekday`` (0 = Monday) at
    local wall-clock ``at``, DST-aware (a time in a spring-forward gap moves forward)."""
    if end <= start:
        return []
    first = local_date(start, tz) - timedelta(days=1)
    last = local_date(end, tz) + timedelta(days=1)
    out: list[datetime] = []
    day = first
    while day <= last:
        if day.weekday() == weekday:
            due = local_instant(day, at, tz)
            if start <= due < end:
                out.append(due)
        day += timedelta(days=1)
    return out


def weekly_summary_due_instants(
    team: TeamSnapshot, start: datetime, end: datetime
) -> list[datetime]:
    """The instants (UTC) in ``[start, end)`` at which the weekly summary is due: the configured
    local weekday and wall-clock time, DST-aware. Empty when the summary is disabled."""
    if not team.weekly_summary_enabled:
        return []
    return weekly_instants(team.weekly_summary_day, team.weekly_summary_time, team.tz, start, end)


def next_weekly_summary_at(now: datetime, team: TeamSnapshot) -> datetime:
    """The next instant (UTC, ``now`` included) the weekly summary goes out at its configured
    day and time — whether or not it is enabled (the Settings page previews it either way)."""
    found = weekly_instants(
        team.weekly_summary_day, team.weekly_summary_time, team.tz, now, now + timedelta(days=8)
    )
    return found[0]


def summary_week(due_at: datetime, team: TeamSnapshot) -> tuple[date, datetime, datetime]:
    """The week a summary sent at ``due_at`` covers: its first local day, and that week's
    ``[start, end)`` in UTC (local midnights). At exactly 08:00 Monday it is the current week."""
    first_day = summary_week_start(due_at, team.tz)
    start = local_instant(first_day, time(0, 0), team.tz)
    end = local_instant(first_day + timedelta(days=7), time(0, 0), team.tz)
    return first_day, start, end


def weekly_summary_body(
    due_at: datetime,
    week_spans: Sequence[ResolvedSpan],
    team: TeamSnapshot,
    marks: SummaryMarks | None = None,
) -> str:
    """The text of the summary sent at ``due_at`` (the same for every contact).

    ``week_spans`` are the resolved spans overlapping the week (unclipped, so a 48 h shift keeps
    its real length); each member is listed with their primary phone.
    """
    first_day, _, _ = summary_week(due_at, team)
    people = {m.id: SummaryPerson(m.name, m.call) for m in team.members.values()}
    header = render_wording(
        team.templates, Kind.WEEKLY_SUMMARY, summary_header_values(first_day, team.team_name)
    )
    return weekly_summary_text(first_day, week_spans, people, team.tz, header, marks)


def weekly_summary_texts(
    due_at: datetime,
    validity: timedelta,
    week_spans: Sequence[ResolvedSpan],
    team: TeamSnapshot,
    marks: SummaryMarks | None = None,
) -> list[PlannedText]:
    """The summary due at ``due_at`` to each opted-in contact (one text per contact and week);
    ``marks``: the week's conflicts and holidays."""
    first_day, _, _ = summary_week(due_at, team)
    return _to_contacts(
        team.summary_contacts,
        Kind.WEEKLY_SUMMARY,
        lambda contact_id, phone: f"{first_day.isoformat()}:c{contact_id}:{phone}",
        weekly_summary_body(due_at, week_spans, team, marks),
        due_at=due_at,
        expires_at=due_at + validity,
    )


def _to_contacts(
    contacts: Sequence[Recipient],
    kind: Kind,
    key: Callable[[int, str], str],
    body: str,
    *,
    due_at: datetime,
    expires_at: datetime,
    span: ShiftStartRow | None = None,
) -> list[PlannedText]:
    """One ``kind`` text to each contact's phone, keyed ``<kind>:<key(contact id, phone)>``."""
    return [
        PlannedText(
            key=f"{kind}:{key(contact.id, phone)}",
            kind=kind,
            due_at=due_at,
            expires_at=expires_at,
            member_id=None,
            recipient_name=contact.name,
            recipient_phone=phone,
            body=body,
            span_start=span.span_start if span else None,
            span_end=span.span_end if span else None,
            shift_name=span.shift_name if span else None,
        )
        for contact in contacts
        for phone in contact.phones[:1]
    ]


@dataclass(frozen=True, slots=True)
class FailedPhone:
    """Why the shift_start text to one phone did not get through (reason is plain English).

    ``which`` is ``primary`` or ``secondary`` (the member's phone it went to), or None when the
    member no longer has that number: masked numbers look alike, so the alert names the phone.
    """

    phone: str
    reason: str
    which: str | None = None

    def describe_phone(self) -> str:
        """``primary phone +1312555XXXX`` (masked), or just the masked number."""
        masked = mask_phone(self.phone)
        return f"{self.which} phone {masked}" if self.which else masked


def phone_role(member: Recipient | None, phone: str) -> str | None:
    """``primary`` or ``secondary``: which of ``member``'s phones ``phone`` is (None: neither)."""
    if member is None or phone not in member.phones:
        return None
    return ("primary", "secondary")[member.phones.index(phone)]


def failure_alert_body(
    member_name: str,
    shift_name: str,
    span_start: datetime,
    failures: Sequence[FailedPhone],
    team: TeamSnapshot,
) -> str:
    """``WhoseOnFirst ALERT: could not reach Ann Archer for the Monday shift starting Mon 08:00
    CST. primary phone +1312555XXXX: <reason>.`` (the default wording) — phones masked
    (contacts need the reason, not the number) and named, since two masked numbers look alike."""
    reasons = "; ".join(f"{f.describe_phone()}: {f.reason.rstrip('.')}" for f in failures)
    values = {
        "name": member_name,
        "shift": shift_name,
        "start": fmt_local(span_start, team.tz),
        "reasons": reasons,
        "team": team.team_name,
    }
    return render_wording(team.templates, Kind.FAILURE_ALERT, values)


@dataclass(frozen=True, slots=True)
class FailureAlert:
    """The alert about one span whose shift_start reached none of the member's phones:
    why, per phone, and one text per opted-in escalation contact (none when nobody opted in).
    """

    member_id: int
    member_name: str
    shift_name: str
    span_start: datetime
    failures: tuple[FailedPhone, ...]
    texts: tuple[PlannedText, ...]


def failure_alert(
    rows: Sequence[ShiftStartRow],
    *,
    now: datetime,
    deadline: timedelta,
    validity: timedelta,
    team: TeamSnapshot,
) -> FailureAlert | None:
    """The alert about the span whose shift_start texts (one per phone) are ``rows``, or None
    while any of them may still get through (see :func:`did_not_get_through`)."""
    if not rows or not all(did_not_get_through(r, now, deadline) for r in rows):
        return None
    first = rows[0]
    member = team.members.get(first.member_id)
    failures = tuple(
        FailedPhone(r.phone, failure_reason(r, now, deadline), phone_role(member, r.phone))
        for r in rows
    )
    body = failure_alert_body(
        first.recipient_name, first.shift_name, first.span_start, failures, team
    )
    span_key = f"{_utc_iso(first.span_start)}:m{first.member_id}"
    texts = _to_contacts(
        team.alert_contacts,
        Kind.FAILURE_ALERT,
        lambda contact_id, phone: f"{span_key}:c{contact_id}:{phone}",
        body,
        due_at=now,
        expires_at=now + validity,
        span=first,
    )
    return FailureAlert(
        first.member_id,
        first.recipient_name,
        first.shift_name,
        first.span_start,
        failures,
        tuple(texts),
    )


@dataclass(frozen=True, slots=True)
class ShiftStartRow:
    """A shift_start text to one phone, as the failure-alert rules see it. Instants UTC."""

    id: int
    status: str
    phone: str
    member_id: int
    recipient_name: str
    span_start: datetime
    span_end: datetime | None
    shift_name: str
    created_at: datetime
    error_code: int | None
    error_message: str | None


def did_not_get_through(row: ShiftStartRow, now: datetime, deadline: timedelta) -> bool:
    """Whether this phone's shift_start definitely did not get through (yet): a problem
    status, or still in flight ``deadline`` after it was planned."""
    if row.status in PROBLEM_STATUSES:
        return True
    return row.status in IN_FLIGHT_STATUSES and now - row.created_at >= deadline


def failure_reason(row: ShiftStartRow, now: datetime, deadline: timedelta) -> str:
    """Plain English for an alert: why this phone's text did not get through."""
    detail = row.error_message or ""
    if row.status == Status.MISSED:
        return "no text was sent: " + (detail or "the service was not running")
    if row.status == Status.EXPIRED:
        return "it could not be sent before the shift ended" + (
            f" (last error: {detail})" if detail else ""
        )
    if row.status in (Status.FAILED, Status.UNDELIVERED):
        return detail or f"Twilio reported it {row.status}"
    minutes = int(deadline.total_seconds() // 60)
    return f"not delivered within {minutes} minutes (status {row.status}" + (
        f", last error: {detail})" if detail else ")"
    )
