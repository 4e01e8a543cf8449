"""The Settings page's read model: the settings, the escalation contacts, the next real shift
(for the template previews), the schedule horizon, and the next weekly summary exactly as the
service would send it; and the previews of every editable text, rendered by the code that
renders the real ones."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from whoseonfirst_core.db.session import UnitOfWork
from whoseonfirst_core.domain import notices as rules
from whoseonfirst_core.domain.notification import Kind
from whoseonfirst_core.domain.templates import (
    PLACEHOLDERS,
    render,
    shift_start_values,
    summary_header_values,
    template_problems,
    with_confirm_request,
)
from whoseonfirst_core.domain.texts import next_weekly_summary_at, summary_week, weekly_summary_body
from whoseonfirst_core.domain.wording import WORDINGS
from whoseonfirst_core.usecases.config import get_settings, list_contacts
from whoseonfirst_core.usecases.dto import ContactDTO, SettingsDTO, SpanDTO
from whoseonfirst_core.usecases.outbox import load_team
from whoseonfirst_core.usecases.schedule import horizon_end, resolve_window, schedule_view

#: How far ahead the next real shift is looked for (the template preview).
NEXT_SHIFT_LOOKAHEAD = timedelta(days=14)
#: The length of the sample shift previewed when no real shift is coming up.
SAMPLE_SPAN_HOURS = 24
#: The names the previews use where a real one is not at hand.
SAMPLE_NAME, SAMPLE_SHIFT, SAMPLE_OTHER = "Ann", "Monday", "Cal Chen"
SAMPLE_REASONS = "primary phone +1312555XXXX: Twilio rejected the number as invalid"
SAMPLE_PHONE, SAMPLE_OPT_OUT_REASON = "+1 312-555-0101", "it replied STOP"


@dataclass(frozen=True, slots=True)
class SettingsView:
    settings: SettingsDTO
    contacts: tuple[ContactDTO, ...]
    #: The next shift starting within ``NEXT_SHIFT_LOOKAHEAD`` (None: a sample is previewed).
    next_span: SpanDTO | None
    horizon_end: datetime | None
    #: The next weekly summary's text (at its configured day and time, even when disabled).
    summary_preview: str
    #: The first local day that summary covers, and its lines after the first (the days).
    summary_first_day: date
    summary_days: str


def load_settings_view(uow: UnitOfWork, now: datetime) -> SettingsView:
    settings = get_settings(uow)
    view = schedule_view(uow, now, now + NEXT_SHIFT_LOOKAHEAD)
    next_span = next((x for x in sorted(view.spans, key=lambda x: x.start) if x.start >= now), None)
    team = load_team(uow.session)
    due = next_weekly_summary_at(now, team)
    first_day, week_start, week_end = summary_week(due, team)
    # Unclipped, like the real summary: a shift that began before the week is "continues".
    spans = resolve_window(uow, week_start, week_end, clip=False)
    # The default first line is one line: what follows it is the days, whatever the wording.
    days = weekly_summary_body(due, spans, replace(team, templates={})).split("\n", 1)[1]
    return SettingsView(
        settings,
        tuple(list_contacts(uow)),
        next_span,
        horizon_end(uow),
        weekly_summary_body(due, spans, team),
        first_day,
        days,
    )


def placeholders_of(kind: Kind) -> Sequence[str]:
    """The placeholders ``kind``'s template may use (the shift-start text's, or its wording's)."""
    return PLACEHOLDERS if kind is Kind.SHIFT_START else WORDINGS[kind].placeholders


def preview_problems(kind: Kind, template: str) -> list[str]:
    """What is wrong with ``template`` as the text of ``kind``."""
    return template_problems(template, placeholders_of(kind))


def preview_text(
    view: SettingsView,
    kind: Kind,
    template: str,
    now: datetime,
    *,
    team_name: str,
    tz: ZoneInfo,
    confirm: bool = False,
) -> str:
    """The text ``template`` makes for ``kind``: about the next real shift when there is one,
    else a sample, in zone ``tz`` for team ``team_name`` (the form's, maybe unsaved). The weekly
    summary's is the whole summary; the shift-start text asks for a reply OK when ``confirm``
    (as the service sends it). Raises ``TemplateError`` for a template with problems."""
    span = view.next_span
    if span is not None:
        start, end, name, shift = span.start, span.end, span.member_name, span.shift_name
    else:
        start, end = now, now + timedelta(hours=SAMPLE_SPAN_HOURS)
        name, shift = SAMPLE_NAME, SAMPLE_SHIFT
    if kind is Kind.WEEKLY_SUMMARY:
        header = render(
            template,
            summary_header_values(view.summary_first_day, team_name),
            placeholders_of(kind),
        )
        return f"{header}\n{view.summary_days}"
    # Every kind's placeholders take their values from one sample: a kind uses those it names.
    values = shift_start_values(name=name, start=start, end=end, shift=shift, team=team_name, tz=tz)
    values |= {
        "changes": rules.changes_text(
            rules.Difference(((start, end),)), now, rules.NoticeWords(0, tz, (), {})
        ),
        "time": rules.fmt_clock(now, tz),
        "on_call": SAMPLE_OTHER,
        "reasons": SAMPLE_REASONS,
        "phone": SAMPLE_PHONE,
        "reason": SAMPLE_OPT_OUT_REASON,
    }
    text = render(template, values, placeholders_of(kind))
    return with_confirm_request(text) if confirm and kind is Kind.SHIFT_START else text
