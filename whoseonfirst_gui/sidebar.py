"""The main window's sidebar items: roomier rows with a count badge (failed texts, gaps…)."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import QListWidgetItem, QStyledItemDelegate, QStyleOptionViewItem

from whoseonfirst_gui import format as fmt

#: Item data role holding a sidebar item's badge text (empty or None: no badge).
BadgeRole = Qt.ItemDataRole.UserRole + 10
#: Item data role: True while the page holds unsaved edits (its title gets a "•" marker).
UnsavedRole = Qt.ItemDataRole.UserRole + 11
#: The marker after the title of a page with unsaved edits.
UNSAVED_MARK = " •"


class BadgeDelegate(QStyledItemDelegate):
    """Sidebar items: roomier rows, a "•" after the title of a page with unsaved edits, and a
    small red count pill on the right (failed texts…)."""

    def sizeHint(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        size = super().sizeHint(option, index)
        return QSize(size.width(), size.height() + 14)

    def initStyleOption(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        super().initStyleOption(option, index)
        mark = UNSAVED_MARK if index.data(UnsavedRole) else ""
        option.text = "  " + option.text + mark

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


def describe_item(item: QListWidgetItem) -> None:
    """A sidebar item's tooltip and accessible name: its title, unsaved edits, its badge."""
    notes = []
    if item.data(UnsavedRole):
        notes.append("unsaved edits")
    badge = item.data(BadgeRole)
    if badge:
        notes.append(f"{badge} need attention")
    title = item.text()
    item.setData(Qt.ItemDataRole.AccessibleTextRole, ", ".join([title, *notes]))
    item.setToolTip(" — ".join([title, ", ".join(notes)]) if notes else title)
