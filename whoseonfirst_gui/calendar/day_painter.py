"""Drawing one day of the calendar grid: its background, the header (today, a DST change) and
the lines at the bottom (``+N more``, coverage gaps). The chips are the delegate's."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QModelIndex, QRect, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPalette

from whoseonfirst_gui.calendar.chip_delegate import mix
from whoseonfirst_gui.calendar.geometry import CELL_PAD, header_height, small_font
from whoseonfirst_gui.calendar.roles import Roles
from whoseonfirst_gui.format import WARNING_COLOR


def paint_day(
    painter: QPainter,
    cell: QRect,
    day: QModelIndex,
    pal: QPalette,
    base_font: QFont,
    overflow: int | None,
    gap_lines: Sequence[str],
) -> None:
    """Paint ``day`` (a day index of the calendar model) into ``cell``; ``overflow``: how many
    chips did not fit (None: all did); ``gap_lines``: the coverage-gap lines."""
    past = bool(day.data(Roles.PAST))
    today = bool(day.data(Roles.TODAY))
    in_focus = bool(day.data(Roles.IN_FOCUS))
    bg = pal.color(QPalette.ColorRole.Base)
    if past or not in_focus:
        bg = mix(pal.color(QPalette.ColorRole.Window), bg, 0.7)
    painter.fillRect(cell, bg)
    painter.setPen(pal.color(QPalette.ColorRole.Mid))
    painter.drawRect(cell.adjusted(0, 0, -1, -1))
    head = QRect(cell.left() + 6, cell.top() + 4, cell.width() - 12, header_height(base_font) - 6)
    if today:
        painter.fillRect(
            QRect(cell.left(), cell.top(), cell.width(), 3),
            pal.color(QPalette.ColorRole.Highlight),
        )
    font = QFont(base_font)
    font.setBold(today)
    painter.setFont(font)
    painter.setPen(
        pal.color(
            QPalette.ColorRole.Highlight
            if today
            else QPalette.ColorRole.PlaceholderText
            if (past or not in_focus)
            else QPalette.ColorRole.Text
        )
    )
    small = small_font(base_font)
    label = str(day.data(Qt.ItemDataRole.DisplayRole))
    dst = day.data(Roles.DST)
    # The DST marker shortens (then goes; the day's tooltip explains) in narrow columns.
    dst_texts = [f"DST → {str(dst).split('→')[-1].strip()}", "DST"] if dst else [""]
    fm_head, fm_small = QFontMetrics(font), QFontMetrics(small)
    if (
        today
        and fm_head.horizontalAdvance(label + " · today")
        + fm_small.horizontalAdvance(dst_texts[-1])
        + 8
        <= head.width()
    ):
        label += " · today"
    room = head.width() - fm_head.horizontalAdvance(label) - 8
    dst_text = next((t for t in dst_texts if fm_small.horizontalAdvance(t) <= room), "")
    left_mid = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
    painter.drawText(head, int(left_mid), label)
    if dst_text:
        painter.setFont(small)
        painter.setPen(QColor(WARNING_COLOR))
        right_mid = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        painter.drawText(head, int(right_mid), dst_text)
    # Coverage gaps and overflow at the bottom of the day.
    painter.setFont(small)
    lines: list[tuple[str, QColor]] = []
    if overflow is not None:
        lines.append((f"+{overflow} more", pal.color(QPalette.ColorRole.Text)))
    lines += [(g, QColor(WARNING_COLOR)) for g in gap_lines]
    line_h = QFontMetrics(base_font).height()
    y = cell.bottom() - CELL_PAD - len(lines) * line_h
    for text, color in lines:
        painter.setPen(color)
        r = QRect(cell.left() + 6, y, cell.width() - 12, line_h)
        painter.drawText(
            r, int(left_mid), fm_small.elidedText(text, Qt.TextElideMode.ElideRight, r.width())
        )
        y += line_h
