"""The Dashboard's read model: who is on call now and next, the week at a glance, what needs
attention (and how badly), the change notices still waiting, and the service — decided here,
rendered by the page.

Instants are UTC; the texts of attention items are in the team's zone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum

from whoseonfirst_core.db.session import UnitOfWork
from whoseonfirst_core.domain.notices import fmt_clock
from whoseonfirst_core.domain.notification import Kind, kind_label
from whoseonfirst_core.domain.plurals import plural
from whoseonfirst_core.domain.service_state import ServiceState
from whoseonfirst_core.domain.sms_errors import error_text
from whoseonfirst_core.domain.templates import summary_days
from whoseonfirst_core.domain.timeutil import (
    day_start,
    fmt_local_compact,
    fmt_local_long,
    local_date,
    zone,
)
from whoseonfirst_core.usecases.config import get_settings
from whoseonfirst_core.usecases.dto import NotificationDTO, SpanDTO
from whoseonfirst_core.usecases.heartbeat import ServiceStatus, service_status
from whoseonfirst_core.usecases.inbound import confirmations
from whoseonfirst_core.usecases.notices import decide
from whoseonfirst_core.usecases.notifications import (
    HistoryFilter,
    history_page,
    problem_notifications,
)
from whoseonfirst_core.usecases.schedule import EXTEND_WHEN_WEEKS_LEFT, horizon_end, schedule_view

#: How far ahead the dashboard looks for coverage gaps.
GAP_LOOKAHEAD = timedelta(days=14)
#: How far back problem texts are listed, and how many at most.
PROBLEMS_LOOKBACK = timedelta(days=7)
PROBLEMS_SHOWN = 5
GAPS_SHOWN = 3


class Severity(StrEnum):
    """``error``: texts are not reaching people. ``warning``: they will, but look at it."""

    WARNING = "warning"
    ERROR = "error"


class Where(StrEnum):
    """Where the details of an attention item are."""

    TEXTS = "texts"
    CALENDAR = "calendar"


@dataclass(frozen=True, slots=True)
class AttentionItem:
    text: str
    severity: Severity
    where: Where | None = None


@dataclass(frozen=True, slots=True)
class DayChip:
    """One person on a day of the week at a glance; ``suffix`` is `` (48h)``, `` (continues)``
    or empty."""

    member_name: str
    member_color: str
    suffix: str
    is_override: bool


@dataclass(frozen=True, slots=True)
class DayCell:
    """A local day; no chips means nobody is on call (NO COVERAGE)."""

    day: date
    chips: tuple[DayChip, ...]


#: Why a change notice waits (``Decision.due_reason``), as the Dashboard says it.
WAITING_REASONS = {"delay": "bundling delay", "quiet_hours": "quiet hours"}


@dataclass(frozen=True, slots=True)
class WaitingNotice:
    """A change or off-call notice saved but not sent yet: to whom, when (UTC) and why it waits
    (``delay``: edits saved within the bundling delay make one notice; ``quiet_hours``).
    ``text``: "Change notice to Cal Chen at 07:00 CST (quiet hours)", in the team's zone."""

    member_name: str
    kind: Kind
    due_at: datetime
    reason: str
    text: str


@dataclass(frozen=True, slots=True)
class DashboardView:
    team_name: str
    tz_name: str
    now: datetime
    member_count: int
    current: SpanDTO | None
    current_phone: str | None
    #: The newest shift-start text of the current span (None: none recorded yet).
    current_text: NotificationDTO | None
    upcoming: tuple[SpanDTO, ...]
    week: tuple[DayCell, ...]
    attention: tuple[AttentionItem, ...]
    service: ServiceStatus
    #: By due instant; one per person and kind (not per phone).
    waiting: tuple[WaitingNotice, ...] = ()
    #: When the person on call confirmed the current or an upcoming span by text (UTC), by
    #: ``(member_id, span start)``; a span not confirmed is not in it.
    confirmed: Mapping[tuple[int, datetime], datetime] = field(default_factory=dict)

    def confirmed_at(self, span: SpanDTO) -> datetime | None:
        """When ``span``'s person confirmed it by text (None: not confirmed)."""
        return self.confirmed.get((span.member_id, span.start))


def load_dashboard(uow: UnitOfWork, now: datetime) -> DashboardView:
    """Everything the dashboard shows, in one read."""
    settings = get_settings(uow)
    tz = zone(settings.timezone)
    today = local_date(now, tz)
    monday = today - timedelta(days=today.weekday())
    view = schedule_view(uow, day_start(monday, tz), day_start(monday + timedelta(days=21), tz))
    spans = sorted(view.spans, key=lambda s: s.start)
    current = next((s for s in spans if s.start <= now < s.end), None)
    upcoming = tuple(s for s in spans if s.start >= now)[:3]
    phones = {m.id: m.phone for m in view.members}

    current_text: NotificationDTO | None = None
    if current is not None:
        texts, _ = history_page(
            uow,
            HistoryFilter(
                kinds=(Kind.SHIFT_START,), member_id=current.member_id, since=current.start
            ),
            limit=1,
            count=False,
        )
        current_text = texts[0] if texts else None

    week = tuple(
        DayCell(
            d.day,
            tuple(_chip(s, suffix) for s, suffix in d.starting)
            or tuple(_chip(s, " (continues)") for s in d.running[:1]),
        )
        for d in summary_days(monday, spans, tz)
    )

    service = service_status(uow, now)
    attention: list[AttentionItem] = []
    if service.state is ServiceState.NEVER_SEEN:
        attention.append(
            AttentionItem(
                "The service has never run on this database: no texts are being sent.",
                Severity.ERROR,
            )
        )
    elif service.state is ServiceState.AHEAD and service.heartbeat is not None:
        attention.append(
            AttentionItem(
                f"The service's last tick is stamped "
                f"{fmt_local_long(service.heartbeat.last_tick_at, tz)}, in the future "
                "(a clock is wrong, or a tick --now wrote it): whether it runs now is unknown.",
                Severity.ERROR,
            )
        )
    elif service.state is ServiceState.SILENT and service.heartbeat is not None:
        attention.append(
            AttentionItem(
                f"The service has been silent since "
                f"{fmt_local_long(service.heartbeat.last_tick_at, tz)}: "
                "texts wait in the queue until it runs again.",
                Severity.ERROR,
            )
        )
    elif service.state is ServiceState.STOPPED and service.heartbeat is not None:
        stopped = service.heartbeat.stopped_at or service.heartbeat.last_tick_at
        attention.append(
            AttentionItem(
                f"The service was stopped on {fmt_local_long(stopped, tz)}: "
                "texts wait in the queue until it runs again.",
                Severity.ERROR,
            )
        )
    if service.alive and service.heartbeat is not None and service.heartbeat.sms_problem:
        attention.append(
            AttentionItem(
                f"Texts are not going out: {service.heartbeat.sms_problem}.",
                Severity.ERROR,
                Where.TEXTS,
            )
        )
    for n in problem_notifications(uow, now - PROBLEMS_LOOKBACK)[:PROBLEMS_SHOWN]:
        error = error_text(n.error_code, n.error_message)
        reason = f" ({error})" if error else ""
        attention.append(
            AttentionItem(
                f"{n.recipient_name}'s {kind_label(n.kind).lower()} text "
                f"{fmt_local_compact(n.due_at, tz)} {n.status}{reason}",
                Severity.ERROR,
                Where.TEXTS,
            )
        )
    gaps = [g for g in view.gaps if g[1] > now and g[0] < now + GAP_LOOKAHEAD]
    for start, end in gaps[:GAPS_SHOWN]:
        attention.append(
            AttentionItem(
                f"Nobody is on call {fmt_local_compact(start, tz)} → {fmt_local_compact(end, tz)}",
                Severity.WARNING,
                Where.CALENDAR,
            )
        )
    horizon = horizon_end(uow)
    if view.members and (
        horizon is None or horizon - now < timedelta(weeks=EXTEND_WHEN_WEEKS_LEFT)
    ):
        weeks_left = 0 if horizon is None else max(0, (horizon - now).days // 7)
        attention.append(
            AttentionItem(
                f"The schedule ends in {plural(weeks_left, 'week')} — the service extends it "
                "automatically when it runs.",
                Severity.WARNING,
            )
        )
    active = [m for m in view.members if m.active and not m.archived]
    shown = ([current] if current is not None else []) + list(upcoming)
    confirmed = (
        confirmations(
            uow.session, sorted({s.member_id for s in shown}), min(s.start for s in shown)
        )
        if shown
        else {}
    )
    return DashboardView(
        team_name=settings.team_name,
        tz_name=settings.timezone,
        now=now,
        member_count=len(active),
        current=current,
        current_phone=phones.get(current.member_id) if current else None,
        current_text=current_text,
        upcoming=upcoming,
        week=week,
        attention=tuple(attention),
        service=service,
        waiting=waiting_notices(uow, now),
        confirmed=confirmed,
    )


def waiting_notices(uow: UnitOfWork, now: datetime) -> tuple[WaitingNotice, ...]:
    """The notices of saved changes that the ticks have not sent yet because they wait (the
    bundling delay, quiet hours); the ones due now go at the next tick and are not listed."""
    tz = zone(get_settings(uow).timezone)
    today = local_date(now, tz)
    out: dict[tuple[int, Kind], WaitingNotice] = {}
    for d in decide(uow, now):
        if d.tell or d.due_at is None:
            continue
        reason = WAITING_REASONS.get(d.due_reason or "", d.due_reason or "")
        when = (
            fmt_clock(d.due_at, tz)
            if local_date(d.due_at, tz) == today
            else fmt_local_compact(d.due_at, tz)
        )
        for t in d.texts:
            out.setdefault(
                (d.member.id, t.kind),
                WaitingNotice(
                    d.member.name,
                    t.kind,
                    d.due_at,
                    reason,
                    f"{t.kind.label} to {d.member.name} at {when}"
                    + (f" ({reason})" if reason else ""),
                ),
            )
    return tuple(sorted(out.values(), key=lambda w: (w.due_at, w.member_name, w.kind)))


def _chip(span: SpanDTO, suffix: str) -> DayChip:
    return DayChip(span.member_name, span.member_color, suffix, span.is_override)
