"""What a printed week or month says, as words (dates in the app's one format family,
:mod:`whoseonfirst_gui.format`): the header, the days with who is on
call and the footer. :mod:`.printing` draws it.

The sheet is made from the saved schedule (the core's ``schedule_view``), not from pending
edits: paper pinned on a wall should show what the service will text. Every fact is in words,
so it reads the same in black and white: an override says ``covers Cal Chen``, a gap says
``No one on call``, a change of daylight saving time names both abbreviations.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from whoseonfirst_core.db.session import UnitOfWork
from whoseonfirst_core.domain.timeutil import day_start, fmt_duration, fmt_local, to_utc, zone
from whoseonfirst_core.usecases.config import get_settings
from whoseonfirst_core.usecases.dto import ScheduleView, SpanDTO
from whoseonfirst_core.usecases.schedule import schedule_view
from whoseonfirst_gui import format as fmt
from whoseonfirst_gui.calendar.chip_text import gap_texts
from whoseonfirst_gui.calendar.days import (
    ChipSegment,
    DayCell,
    PlannedSpan,
    ViewMode,
    day_label,
    layout_days,
    range_title,
)

#: What the patterns on the sheet mean (printed in its footer).
LEGEND = (
    "Boxed twice and hatched, ⇄: an override (someone covering) · Cross-hatched: no one on call"
)


@dataclass(frozen=True, slots=True)
class SheetChip:
    """One person on call on one day: ``name`` first, then when (a week: ``08:00 CST →`` and
    ``Tue 08:00 CST`` on two lines; a month: the start, ``08:00``), then what kind of shift
    (``Monday``, ``48h, day 1 of 2``, or for an override ``covers Cal Chen``)."""

    name: str
    when: str
    note: str
    override: bool
    color: str


@dataclass(frozen=True, slots=True)
class SheetDay:
    label: str
    chips: tuple[SheetChip, ...]
    #: When no one is on call: ``00:00–08:00 CST`` or ``all day``, one per gap.
    gaps: tuple[str, ...]
    #: ``CST → CDT`` on the day the clocks change.
    dst_change: str | None
    #: False for the days of a month sheet that belong to the month before or after.
    in_focus: bool


@dataclass(frozen=True, slots=True)
class ScheduleSheet:
    """One printed page: ``weeks`` rows of seven days (one row for a week, 5 or 6 for a month)."""

    mode: ViewMode
    title: str
    range_text: str
    zone_text: str
    weekdays: tuple[str, ...]
    weeks: tuple[tuple[SheetDay, ...], ...]
    printed_text: str
    legend: str = LEGEND


def fetch_sheet(
    uow: UnitOfWork,
    now: datetime,
    first_day: date,
    days: int,
    focus_month: int | None,
) -> ScheduleSheet:
    """The sheet of ``days`` local days from ``first_day`` (a week, or a month's whole weeks
    with ``focus_month``), printed at ``now`` (UTC)."""
    tz = zone(get_settings(uow).timezone)
    view = schedule_view(
        uow, day_start(first_day, tz), day_start(first_day + timedelta(days=days), tz)
    )
    return build_sheet(view, get_settings(uow).team_name, now, first_day, days, focus_month)


def build_sheet(
    view: ScheduleView,
    team_name: str,
    now: datetime,
    first_day: date,
    days: int,
    focus_month: int | None,
) -> ScheduleSheet:
    tz = zone(view.timezone)
    mode: ViewMode = "month" if focus_month is not None else "week"
    cells = layout_days(
        (_planned(s) for s in view.spans), view.gaps, first_day, days, tz, now, focus_month
    )
    sheet_days = [_sheet_day(c, mode, tz) for c in cells]
    # In the order they occur: "CST, CDT" for a spring month.
    instants = [t for c in cells for t in (c.start, c.end - timedelta(microseconds=1))]
    abbreviations = dict.fromkeys(to_utc(t).astimezone(tz).tzname() or "" for t in instants)
    printed = to_utc(now).astimezone(tz)
    return ScheduleSheet(
        mode=mode,
        title=f"{team_name} — on call",
        range_text=range_title(first_day, days, focus_month),
        zone_text=f"Times in {view.timezone} ({', '.join(a for a in abbreviations if a)})",
        weekdays=("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
        weeks=tuple(tuple(sheet_days[i : i + 7]) for i in range(0, len(sheet_days), 7)),
        printed_text=(
            f"Printed {fmt.day_text(printed.date())} {fmt.clock(printed)} "
            f"{printed.tzname()} from WhoseOnFirst"
        ),
    )


def _planned(s: SpanDTO) -> PlannedSpan:
    return PlannedSpan(
        start=s.start,
        end=s.end,
        shift_name=s.shift_name,
        member_id=s.member_id,
        member_name=s.member_name,
        member_color=s.member_color,
        entry_id=s.entry_id,
        scheduled_member_id=s.scheduled_member_id,
        scheduled_member_name=s.scheduled_member_name,
        override_id=s.override_id,
        override_reason=s.override_reason,
        notify=s.notify,
        unsaved_override=False,
        pending=False,
    )


def _sheet_day(cell: DayCell, mode: ViewMode, tz: ZoneInfo) -> SheetDay:
    if mode == "week":
        label = day_label(cell.day)
    else:  # the weekday is the column's heading; a month's first day names the month
        label = fmt.day_named(cell.day) if cell.day.day == 1 else str(cell.day.day)
    return SheetDay(
        label=label,
        chips=tuple(_chip(seg, mode, tz) for seg in cell.chips),
        gaps=gap_texts(cell, tz),
        dst_change=cell.dst_change,
        in_focus=cell.in_focus,
    )


def _chip(seg: ChipSegment, mode: ViewMode, tz: ZoneInfo) -> SheetChip:
    span = seg.span
    if span.is_override:
        note = f"covers {span.scheduled_member_name}" if span.scheduled_member_name else "cover"
    elif seg.multi_day:
        note = f"{fmt_duration(span.start, span.end, tz)}, day {seg.index + 1} of {seg.count}"
    else:
        note = span.shift_name
    start = to_utc(seg.start).astimezone(tz)
    # A month's day has room for the start only (the next line starts where this one ends);
    # a week's day for the slice on two lines, each time with the abbreviation of its instant.
    when = (
        f"{start:%H:%M}"
        if mode == "month"
        else f"{start:%H:%M} {start.tzname()} →\n{fmt_local(seg.end, tz)}"
    )
    return SheetChip(span.member_name, when, note, span.is_override, span.member_color)
