"""The Settings page's read model: the settings, the escalation contacts, the next real shift
(for the template preview), the schedule horizon, and the next weekly summary exactly as the
service would send it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from whoseonfirst_core.db.session import UnitOfWork
from whoseonfirst_core.domain.texts import next_weekly_summary_at, summary_week, weekly_summary_body
from whoseonfirst_core.usecases.config import get_settings, list_contacts
from whoseonfirst_core.usecases.dto import ContactDTO, SettingsDTO, SpanDTO
from whoseonfirst_core.usecases.outbox import load_team
from whoseonfirst_core.usecases.schedule import horizon_end, resolve_window, schedule_view

#: How far ahead the next real shift is looked for (the template preview).
NEXT_SHIFT_LOOKAHEAD = timedelta(days=14)


@dataclass(frozen=True, slots=True)
class SettingsView:
    settings: SettingsDTO
    contacts: tuple[ContactDTO, ...]
    #: The next shift starting within ``NEXT_SHIFT_LOOKAHEAD`` (None: a sample is previewed).
    next_span: SpanDTO | None
    horizon_end: datetime | None
    #: The next weekly summary's text (at its configured day and time, even when disabled).
    summary_preview: str


def load_settings_view(uow: UnitOfWork, now: datetime) -> SettingsView:
    settings = get_settings(uow)
    view = schedule_view(uow, now, now + NEXT_SHIFT_LOOKAHEAD)
    next_span = next((x for x in sorted(view.spans, key=lambda x: x.start) if x.start >= now), None)
    team = load_team(uow.session)
    due = next_weekly_summary_at(now, team)
    _, week_start, week_end = summary_week(due, team)
    # Unclipped, like the real summary: a shift that began before the week is "continues".
    spans = resolve_window(uow, week_start, week_end, clip=False)
    return SettingsView(
        settings,
        tuple(list_contacts(uow)),
        next_span,
        horizon_end(uow),
        weekly_summary_body(due, spans, team),
    )
