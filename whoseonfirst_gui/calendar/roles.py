"""What the calendar model answers for each item role of a chip or a day."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from enum import IntEnum
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor

from whoseonfirst_core.domain.timeutil import to_utc
from whoseonfirst_core.usecases.dto import NotificationDTO
from whoseonfirst_gui.calendar import chip_text
from whoseonfirst_gui.calendar.days import ChipSegment, DayCell, PlannedSpan, day_label


class Roles(IntEnum):
    """The calendar model's own item roles (chips and days)."""

    KIND = Qt.ItemDataRole.UserRole + 1  # "day" or "chip"
    # chips
    MEMBER_ID = Qt.ItemDataRole.UserRole + 2
    MEMBER_NAME = Qt.ItemDataRole.UserRole + 3
    COLOR = Qt.ItemDataRole.UserRole + 4  # "#RRGGBB"
    TIMES = Qt.ItemDataRole.UserRole + 5  # "Thu 08:00 CST → Fri 08:00 CST" (this chip's slice)
    DETAIL = Qt.ItemDataRole.UserRole + 6  # a short second line for the week view
    OVERRIDE = Qt.ItemDataRole.UserRole + 7  # covered by an override (stored or pending)
    PENDING = Qt.ItemDataRole.UserRole + 8  # changed by an unsaved edit
    PAST = Qt.ItemDataRole.UserRole + 9  # over (read-only); for a day: the day is over
    SCHEDULED_NAME = Qt.ItemDataRole.UserRole + 10
    REASON = Qt.ItemDataRole.UserRole + 11
    SLICE = Qt.ItemDataRole.UserRole + 12  # (index, count) of a multi-day chip
    SEGMENT = Qt.ItemDataRole.UserRole + 13  # the ChipSegment
    RUNNING = Qt.ItemDataRole.UserRole + 14
    ZONE = Qt.ItemDataRole.UserRole + 15  # "CST" / "CDT" at the chip's start
    CONFIRMED = Qt.ItemDataRole.UserRole + 16  # "confirmed 08:03 CST", or None
    # days
    DATE = Qt.ItemDataRole.UserRole + 20
    TODAY = Qt.ItemDataRole.UserRole + 21
    DST = Qt.ItemDataRole.UserRole + 22  # "CST → CDT" on the day the clocks change
    GAPS = Qt.ItemDataRole.UserRole + 23  # tuple of "00:00–08:00 CST" strings
    IN_FOCUS = Qt.ItemDataRole.UserRole + 24  # inside the month shown
    DAY = Qt.ItemDataRole.UserRole + 25  # the DayCell


def chip_data(
    seg: ChipSegment,
    role: int,
    tz: tzinfo,
    texts_for: Callable[[PlannedSpan], Sequence[NotificationDTO]],
    confirmed_for: Callable[[PlannedSpan], datetime | None],
) -> Any:
    """What chip ``seg`` answers for ``role`` (None for a role it does not know)."""
    getter = _CHIP_ROLES.get(role)
    return getter(_Chip(seg, tz, texts_for, confirmed_for)) if getter is not None else None


def day_data(cell: DayCell, role: int, tz: tzinfo) -> Any:
    """What day ``cell`` answers for ``role`` (None for a role it does not know)."""
    getter = _DAY_ROLES.get(role)
    return getter(_Day(cell, tz)) if getter is not None else None


@dataclass(frozen=True, slots=True)
class _Chip:
    seg: ChipSegment
    tz: tzinfo
    texts_for: Callable[[PlannedSpan], Sequence[NotificationDTO]]
    confirmed_for: Callable[[PlannedSpan], datetime | None]


@dataclass(frozen=True, slots=True)
class _Day:
    cell: DayCell
    tz: tzinfo


_R = Qt.ItemDataRole

#: What a chip answers for each role (any other role: None).
_CHIP_ROLES: dict[int, Callable[[_Chip], Any]] = {
    _R.DisplayRole: lambda c: c.seg.span.member_name,
    _R.DecorationRole: lambda c: QColor(c.seg.span.member_color),
    _R.ToolTipRole: lambda c: chip_text.chip_tooltip(
        c.seg, c.tz, c.texts_for(c.seg.span), c.confirmed_for(c.seg.span)
    ),
    _R.AccessibleTextRole: lambda c: chip_text.accessible_chip(
        c.seg, c.tz, c.confirmed_for(c.seg.span)
    ),
    Roles.KIND: lambda c: "chip",
    Roles.MEMBER_ID: lambda c: c.seg.span.member_id,
    Roles.MEMBER_NAME: lambda c: c.seg.span.member_name,
    Roles.COLOR: lambda c: c.seg.span.member_color,
    Roles.TIMES: lambda c: chip_text.times(c.seg, c.tz),
    Roles.DETAIL: lambda c: chip_text.detail(c.seg, c.tz),
    Roles.OVERRIDE: lambda c: c.seg.span.is_override,
    Roles.PENDING: lambda c: c.seg.span.pending,
    Roles.PAST: lambda c: c.seg.past,
    Roles.RUNNING: lambda c: c.seg.running,
    Roles.SCHEDULED_NAME: lambda c: c.seg.span.scheduled_member_name,
    Roles.REASON: lambda c: c.seg.span.override_reason,
    Roles.SLICE: lambda c: (c.seg.index, c.seg.count),
    Roles.SEGMENT: lambda c: c.seg,
    Roles.CONFIRMED: lambda c: chip_text.confirmed(c.seg, c.tz, c.confirmed_for(c.seg.span)),
    Roles.ZONE: lambda c: to_utc(c.seg.start).astimezone(c.tz).tzname(),
}

#: What a day answers for each role (any other role: None).
_DAY_ROLES: dict[int, Callable[[_Day], Any]] = {
    _R.DisplayRole: lambda d: day_label(d.cell.day),
    _R.ToolTipRole: lambda d: chip_text.day_tooltip(d.cell, d.tz),
    _R.AccessibleTextRole: lambda d: f"{d.cell.day:%A %B} {d.cell.day.day}",
    Roles.KIND: lambda d: "day",
    Roles.DATE: lambda d: d.cell.day,
    Roles.TODAY: lambda d: d.cell.today,
    Roles.PAST: lambda d: d.cell.past,
    Roles.DST: lambda d: d.cell.dst_change,
    Roles.GAPS: lambda d: chip_text.gap_texts(d.cell, d.tz),
    Roles.IN_FOCUS: lambda d: d.cell.in_focus,
    Roles.DAY: lambda d: d.cell,
}
