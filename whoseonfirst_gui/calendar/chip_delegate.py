"""Drawing one chip of the calendar."""

from __future__ import annotations

from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPainterPath, QPalette, QPen
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem, QWidget

from whoseonfirst_gui.calendar.days import ChipSegment
from whoseonfirst_gui.calendar.geometry import chip_height, small_font
from whoseonfirst_gui.calendar.roles import Roles
from whoseonfirst_gui.format import OVERRIDE_ACCENT
from whoseonfirst_gui.qtmodels.rows import Index


class ChipDelegate(QStyledItemDelegate):
    """Paints one chip: the member's colour, white text; overrides get an orange edge and ⇄,
    unsaved edits a dashed outline, past shifts are dimmed. ``compact`` (month view) draws one
    line, the week view three (name, times, kind)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.compact = False

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:
        return QSize(80, chip_height(option.font, self.compact))

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        seg = index.data(Roles.SEGMENT)
        if not isinstance(seg, ChipSegment):
            return
        pal = option.palette
        rect = QRect(option.rect)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        color = QColor(seg.span.member_color)
        text_color = QColor("#FFFFFF")
        if seg.past:
            # Dimmed: the colour washed into the background, dark text keeps it legible.
            base = pal.color(QPalette.ColorRole.Base)
            color = mix(color, base, 0.35)
            text_color = pal.color(QPalette.ColorRole.Text)

        path = _chip_path(rect, seg.index > 0, seg.index < seg.count - 1)
        painter.fillPath(path, color)
        if seg.span.is_override:
            edge = QRect(rect.left(), rect.top(), 5, rect.height())
            painter.setClipPath(path)
            painter.fillRect(edge, QColor(OVERRIDE_ACCENT))
            painter.setClipping(False)
        if seg.span.pending:
            pen = QPen(pal.color(QPalette.ColorRole.Text), 2, Qt.PenStyle.DashLine)
            painter.setPen(pen)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawPath(
                _chip_path(rect.adjusted(1, 1, -1, -1), seg.index > 0, seg.index < seg.count - 1)
            )
        if option.state & QStyle.StateFlag.State_Selected:
            pen = QPen(pal.color(QPalette.ColorRole.Highlight), 3)
            painter.setPen(pen)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(rect.adjusted(-1, -1, 1, 1), 5, 5)

        # Text
        painter.setPen(text_color)
        text_rect = rect.adjusted(9 if seg.span.is_override else 6, 2, -4, -2)
        bold = QFont(option.font)
        bold.setBold(True)
        mark = "⇄ " if seg.span.is_override else ""
        if seg.count > 1 and seg.index == 0:
            title = f"{mark}{seg.span.member_name} ({_hours(seg)})"
        else:
            title = f"{mark}{seg.span.member_name}"
        confirmed = index.data(Roles.CONFIRMED)
        if confirmed:
            title += " ✓"
        fm_bold = QFontMetrics(bold)
        painter.setFont(bold)
        if self.compact:
            painter.drawText(
                text_rect,
                int(Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft),
                fm_bold.elidedText(title, Qt.TextElideMode.ElideRight, text_rect.width()),
            )
        else:
            line_h = fm_bold.height()
            painter.drawText(
                QRect(text_rect.left(), text_rect.top() + 2, text_rect.width(), line_h),
                int(Qt.AlignmentFlag.AlignLeft),
                fm_bold.elidedText(title, Qt.TextElideMode.ElideRight, text_rect.width()),
            )
            small = small_font(option.font)
            painter.setFont(small)
            fm = QFontMetrics(small)
            detail = str(index.data(Roles.DETAIL) or "")
            if confirmed:
                detail += f"\n{confirmed}"
            y = text_rect.top() + 2 + line_h
            for line in detail.split("\n"):
                painter.drawText(
                    QRect(text_rect.left(), y, text_rect.width(), fm.height()),
                    int(Qt.AlignmentFlag.AlignLeft),
                    fm.elidedText(line, Qt.TextElideMode.ElideRight, text_rect.width()),
                )
                y += fm.height()
        painter.restore()


def _hours(seg: ChipSegment) -> str:
    hours = round((seg.span.end - seg.span.start).total_seconds() / 3600)
    return f"{hours}h"


def mix(a: QColor, b: QColor, amount: float) -> QColor:
    """``amount`` of ``a`` blended into ``b``."""
    return QColor(
        round(a.red() * amount + b.red() * (1 - amount)),
        round(a.green() * amount + b.green() * (1 - amount)),
        round(a.blue() * amount + b.blue() * (1 - amount)),
    )


def _chip_path(rect: QRect, open_left: bool, open_right: bool) -> QPainterPath:
    """A rounded rectangle whose sides are square where a multi-day chip continues."""
    path = QPainterPath()
    path.addRoundedRect(rect, 5, 5)
    if open_left or open_right:
        square = QPainterPath()
        if open_left:
            square.addRect(rect.left(), rect.top(), rect.width() // 2, rect.height())
        if open_right:
            square.addRect(
                rect.center().x(), rect.top(), rect.width() - rect.width() // 2, rect.height()
            )
        path = path.united(square)
    return path
