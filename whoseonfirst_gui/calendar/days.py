"""What the calendar shows: on-call spans with the pending edits applied, cut into days.

No Qt here. A span is drawn on the local day it starts on, and a span longer than 24 wall-clock
hours is cut into 24-hour slices, one per day (``Tue 08:00 → Wed 08:00`` on Tuesday,
``Wed 08:00 → Thu 08:00`` on Wednesday). Dropping a member on one slice of a multi-day shift covers
that slice only; that is what "cover one day of the 48 h shift" means.

All instants are timezone-aware UTC; local dates and wall-clock times are in the team's zone.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from whoseonfirst_core.domain.timeutil import add_wall_hours, day_start, local_date
from whoseonfirst_core.usecases.dto import SpanDTO
from whoseonfirst_gui import format as fmt

ViewMode = Literal["week", "month"]


@dataclass(frozen=True, slots=True)
class PlannedSpan(SpanDTO):
    """One person on call for ``[start, end)`` (UTC), with the pending edits applied.

    ``override_id`` is the stored override that puts ``member_id`` here: None for none, and
    for an unsaved one (``unsaved_override``).
    """

    #: Covered by an override that is not saved yet.
    unsaved_override: bool
    #: Differs from the database because of a pending edit (drawn with a dashed outline).
    pending: bool

    @property
    def is_override(self) -> bool:
        """Covered by an override, stored or pending."""
        return self.override_id is not None or self.unsaved_override


@dataclass(frozen=True, slots=True)
class ChipSegment:
    """The part of a span drawn on one day: slice ``index`` of ``count`` (24 h slices)."""

    span: PlannedSpan
    start: datetime
    end: datetime
    index: int
    count: int
    past: bool
    running: bool

    @property
    def multi_day(self) -> bool:
        return self.count > 1


@dataclass(frozen=True, slots=True)
class DayCell:
    """One local calendar day: ``[start, end)`` is local midnight to midnight, in UTC."""

    day: date
    start: datetime
    end: datetime
    chips: tuple[ChipSegment, ...]
    gaps: tuple[tuple[datetime, datetime], ...]
    past: bool
    today: bool
    #: ``"CST → CDT"`` on the day the clocks change, else None.
    dst_change: str | None
    #: False for the leading/trailing days of a month view that belong to another month.
    in_focus: bool


def day_label(day: date) -> str:
    """``Tue 3/3``: how a day is named in headers, menus and proposals."""
    return fmt.day_compact(day)


def visible_days(anchor: date, mode: ViewMode) -> tuple[date, int, int | None]:
    """``(first_day, day_count, focus_month)`` for the week or month containing ``anchor``.

    Weeks run Monday to Sunday; a month view shows whole weeks, from the Monday on or before the
    1st to the Sunday on or after the last day (35 or 42 days), with ``focus_month`` set.
    """
    if mode == "week":
        return anchor - timedelta(days=anchor.weekday()), 7, None
    first = anchor.replace(day=1)
    next_month = (first + timedelta(days=32)).replace(day=1)
    last = next_month - timedelta(days=1)
    start = first - timedelta(days=first.weekday())
    end = last + timedelta(days=6 - last.weekday())
    return start, (end - start).days + 1, first.month


def step(anchor: date, mode: ViewMode, direction: int) -> date:
    """The anchor one week or one month earlier (``direction`` −1) or later (+1)."""
    if mode == "week":
        return anchor + timedelta(weeks=direction)
    first = anchor.replace(day=1)
    if direction > 0:
        return (first + timedelta(days=32)).replace(day=1)
    return (first - timedelta(days=1)).replace(day=1)


def range_title(first_day: date, days: int, focus_month: int | None) -> str:
    """``Mar 2 – Mar 8, 2026`` (week), ``March 2026`` (month), years shown when they differ."""
    if focus_month is not None:
        middle = first_day + timedelta(days=days // 2)
        return fmt.month_title(middle)
    return fmt.day_range(first_day, first_day + timedelta(days=days - 1))


def slices(span: PlannedSpan, tz: ZoneInfo) -> list[tuple[datetime, datetime]]:
    """``span`` cut into consecutive 24 wall-clock-hour pieces from its start (UTC)."""
    out: list[tuple[datetime, datetime]] = []
    cursor = span.start
    while cursor < span.end:
        nxt = min(add_wall_hours(cursor, 24, tz), span.end)
        if nxt <= cursor:  # defensive: never loop forever on odd zone data
            nxt = span.end
        out.append((cursor, nxt))
        cursor = nxt
    return out


def layout_days(
    spans: Iterable[PlannedSpan],
    gaps: Iterable[tuple[datetime, datetime]],
    first_day: date,
    days: int,
    tz: ZoneInfo,
    now: datetime,
    focus_month: int | None = None,
) -> list[DayCell]:
    """The calendar's days with the chips drawn on each (see the module docstring)."""
    today = local_date(now, tz)
    cells: dict[date, list[ChipSegment]] = {first_day + timedelta(days=i): [] for i in range(days)}
    for span in spans:
        pieces = slices(span, tz)
        for k, (a, b) in enumerate(pieces):
            d = local_date(a, tz)
            if d in cells:
                cells[d].append(
                    ChipSegment(span, a, b, k, len(pieces), past=b <= now, running=a <= now < b)
                )
    gap_list = list(gaps)
    out: list[DayCell] = []
    for d, chips in cells.items():
        start, end = day_start(d, tz), day_start(d + timedelta(days=1), tz)
        before = start.astimezone(tz).tzname()
        after = (end - timedelta(seconds=1)).astimezone(tz).tzname()
        out.append(
            DayCell(
                day=d,
                start=start,
                end=end,
                chips=tuple(sorted(chips, key=lambda c: (c.start, c.end))),
                gaps=tuple(
                    (max(a, start), min(b, end)) for a, b in gap_list if a < end and b > start
                ),
                past=end <= now,
                today=d == today,
                dst_change=f"{before} → {after}" if before != after else None,
                in_focus=focus_month is None or d.month == focus_month,
            )
        )
    return out
