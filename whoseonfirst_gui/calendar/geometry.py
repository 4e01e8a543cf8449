"""Where things are in the calendar grid: the rectangles of the days and their chips, the lines
at the bottom of a day, and where the keyboard goes next. Pixels, no painting.

Days run in seven columns (one row for a week, five or six for a month); each day stacks its
chips under its header, keeps room at the bottom for its coverage-gap lines, and says
``+N more`` when not every chip fits. A chip that continues from the day before or into the next
(a 48 h shift) reaches the edge of its day, so the slices join up.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from PySide6.QtCore import QModelIndex, QRect
from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import QAbstractItemView

CHIP_GAP = 3  # px between chips in a day
CELL_PAD = 4  # px between a day's border and its chips


def small_font(font: QFont) -> QFont:
    """The font for secondary text: a notch smaller, never below 7 pt."""
    small = QFont(font)
    small.setPointSizeF(max(7.0, font.pointSizeF() * 0.9))
    return small


def chip_height(font: QFont, compact: bool) -> int:
    """A chip's height: one line (month view), or the name and four small lines (week view:
    the times, the kind of chip, and when the person confirmed it)."""
    fm = QFontMetrics(font)
    if compact:
        return fm.height() + 6
    return fm.height() + 4 * QFontMetrics(small_font(font)).height() + 10


def header_height(font: QFont) -> int:
    return QFontMetrics(font).height() + 10


def gap_lines(gaps: Sequence[str], compact: bool) -> list[str]:
    """The coverage-gap lines at the bottom of a day (``gaps``: ``all day`` or clock ranges)."""
    if not gaps:
        return []
    if list(gaps) == ["all day"]:
        return ["⚠ No one on call"]
    if compact:
        return [f"⚠ {gaps[0]}" + (" …" if len(gaps) > 1 else "")]
    return ["⚠ No one on call", *gaps[:2]]


@dataclass(frozen=True, slots=True)
class DayShape:
    """What the layout needs of one day: each chip's ``(slice index, slice count)`` and how
    many gap lines it shows."""

    chips: tuple[tuple[int, int], ...]
    gap_lines: int


@dataclass(slots=True)
class GridGeometry:
    """The rectangles of one layout, in content coordinates (before scrolling)."""

    day_rects: list[QRect] = field(default_factory=list)
    #: ``(day row, chip row)`` → rectangle, for the chips that fit.
    chip_rects: dict[tuple[int, int], QRect] = field(default_factory=dict)
    #: Day row → how many of its chips did not fit.
    overflow: dict[int, int] = field(default_factory=dict)
    content_height: int = 0
    row_height: int = 0


def lay_out(
    days: Sequence[DayShape], width: int, height: int, font: QFont, compact: bool
) -> GridGeometry:
    """Lay ``days`` out in a viewport of ``width`` × ``height`` px (rows scroll when a month
    does not fit: each row keeps room for two chips)."""
    geometry = GridGeometry()
    if not days:
        return geometry
    line_h = QFontMetrics(font).height()
    header_h, chip_h = header_height(font), chip_height(font, compact)
    rows = math.ceil(len(days) / 7)
    min_row = header_h + 2 * (chip_h + CHIP_GAP) + line_h + 8
    row_h = max(height // rows, min_row) if rows > 1 else max(height, min_row)
    geometry.row_height, geometry.content_height = row_h, rows * row_h
    xs = [round(i * width / 7) for i in range(8)]
    for i, day in enumerate(days):
        r, c = divmod(i, 7)
        cell = QRect(xs[c], r * row_h, xs[c + 1] - xs[c], row_h)
        geometry.day_rects.append(cell)
        n = len(day.chips)
        top = cell.top() + header_h
        bottom = cell.bottom() - CELL_PAD - day.gap_lines * line_h
        fit = max(0, (bottom - top + CHIP_GAP) // (chip_h + CHIP_GAP))
        if fit < n:
            # Keep a line for "+N more" under the chips that fit.
            room = bottom - top - line_h
            fit = max(0, (room + CHIP_GAP) // (chip_h + CHIP_GAP))
            geometry.overflow[i] = n - fit
        for k, (index, count) in enumerate(day.chips[: min(n, fit)]):
            left = cell.left() + (0 if index > 0 else CELL_PAD)
            right = cell.right() + 1 - (0 if index < count - 1 else CELL_PAD)
            geometry.chip_rects[(i, k)] = QRect(left, top, right - left, chip_h)
            top += chip_h + CHIP_GAP
    return geometry


# --- the keyboard --------------------------------------------------------------------------


def day_row(index: QModelIndex) -> int:
    """The day row of a chip or day index."""
    return index.parent().row() if index.parent().isValid() else index.row()


def next_stop(
    stops: Sequence[QModelIndex],
    current: QModelIndex,
    action: QAbstractItemView.CursorAction,
    day_count: int,
) -> QModelIndex:
    """Where ``action`` moves the cursor from ``current``. ``stops``: in reading order, each
    day's visible chips, or the day itself when it shows none. Left/Right go to the same chip
    row of the next day, Up/Down through a day's chips and then a week up or down."""
    if not stops:
        return QModelIndex()
    cur = current
    A = QAbstractItemView.CursorAction
    if not cur.isValid() or cur not in stops:
        return stops[0]
    i = list(stops).index(cur)
    row = day_row(cur)
    chip_row = cur.row() if cur.parent().isValid() else 0

    def in_day(target: int, prefer: int) -> QModelIndex:
        target = max(0, min(target, day_count - 1))
        same = [s for s in stops if day_row(s) == target]
        return same[min(prefer, len(same) - 1)] if same else cur

    if action == A.MoveNext:
        return stops[min(i + 1, len(stops) - 1)]
    if action == A.MovePrevious:
        return stops[max(i - 1, 0)]
    if action == A.MoveRight:
        return in_day(row + 1, chip_row)
    if action == A.MoveLeft:
        return in_day(row - 1, chip_row)
    if action == A.MoveDown:
        same_day = cur.parent().isValid()
        if same_day and i + 1 < len(stops) and stops[i + 1].parent() == cur.parent():
            return stops[i + 1]
        return in_day(row + 7, 0) if day_count > 7 else cur
    if action == A.MoveUp:
        if i > 0 and cur.parent().isValid() and stops[i - 1].parent() == cur.parent():
            return stops[i - 1]
        return in_day(row - 7, 0) if day_count > 7 else cur
    if action == A.MoveHome:
        return stops[0]
    if action == A.MoveEnd:
        return stops[-1]
    if action == A.MovePageDown:
        return in_day(row + 7, 0)
    if action == A.MovePageUp:
        return in_day(row - 7, 0)
    return cur
