"""The main window's sidebar items: roomier rows with a count badge (failed texts, gaps…)."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import QStyledItemDelegate, QStyleOptionViewItem

from whoseonfirst_gui import format as fmt

#: Item data role holding a sidebar item's badge text (empty or None: no badge).
BadgeRole = Qt.ItemDataRole.UserRole + 10


class BadgeDelegate(QStyledItemDelegate):
    """Sidebar items: roomier rows, and a small red count pill on the right (failed texts…)."""

    def sizeHint(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        size = super().sizeHint(option, index)
        return QSize(size.width(), size.height() + 14)

    def initStyleOption(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        super().initStyleOption(option, index)
        option.text = "  " + option.text

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        super().paint(painter, option, index)
        badge = index.data(BadgeRole)
        if not badge:
            return
        rect: QRect = option.rect
        metrics = option.fontMetrics
        width = max(metrics.height() + 2, metrics.horizontalAdvance(str(badge)) + 12)
        height = metrics.height() + 2
        pill = QRect(rect.right() - width - 6, rect.center().y() - height // 2, width, height)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(fmt.ERROR_COLOR))
        painter.drawRoundedRect(pill, height / 2, height / 2)
        painter.setPen(QColor("#FFFFFF"))
        painter.drawText(pill, Qt.AlignmentFlag.AlignCenter, str(badge))
        painter.restore()
