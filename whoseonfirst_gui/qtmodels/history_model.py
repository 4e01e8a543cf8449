"""One page of the Texts page's list, both ways (newest first), with status colours per UX.md."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QBrush, QColor, QPainter, QPen
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from whoseonfirst_core.usecases.dto import InboundDTO, NotificationDTO, TextRow
from whoseonfirst_gui import format as fmt
from whoseonfirst_gui.qtmodels.rows import Index, ZonedRowTableModel


def row_key(row: TextRow) -> tuple[bool, int]:
    """What tells one row of the Texts page from another: the ids of the texts the team sent
    and of those sent to it are counted apart."""
    return isinstance(row, InboundDTO), row.id


class HistoryModel(ZonedRowTableModel[TextRow]):
    WAY, DUE, SENT, KIND, TO, STATUS, ATTEMPTS, SID, ERROR = range(9)
    HEADERS = (
        "Way",
        "Due",
        "Sent",
        "Kind",
        "To / from",
        "Status",
        "Attempts",
        "Twilio SID",
        "Error / what it did",
    )
    StatusRole = Qt.ItemDataRole.UserRole + 1
    IdRole = Qt.ItemDataRole.UserRole + 2

    def header_tooltip(self, section: int) -> str | None:
        if section == self.WAY:
            return "Out: a text the team sent. In: a text sent to the team's number."
        if section == self.DUE:
            return "When a text was due to go out, or when a text to the team was sent"
        return None

    def row_of(self, key: tuple[bool, int]) -> int:
        return next((i for i, r in enumerate(self._rows) if row_key(r) == key), -1)

    def cell(self, row: TextRow, col: int, role: int) -> Any:
        if isinstance(row, InboundDTO):
            return self._inbound_cell(row, col, role)
        return self._sent_cell(row, col, role)

    def _sent_cell(self, n: NotificationDTO, col: int, role: int) -> Any:
        if role == self.StatusRole:
            return n.status
        if role == self.IdRole:
            return n.id
        if role == Qt.ItemDataRole.DisplayRole:
            if col == self.WAY:
                return "Out"
            if col == self.DUE:
                return fmt.when_compact(n.due_at, self.tz)
            if col == self.SENT:
                if n.sent_at is None:
                    return ""
                sent = n.sent_at.astimezone(self.tz)
                if sent.date() == n.due_at.astimezone(self.tz).date():
                    return fmt.clock(sent, seconds=True)  # the usual case: same day as due
                return fmt.when_compact(n.sent_at, self.tz)
            if col == self.KIND:
                return fmt.kind_label(n.kind)
            if col == self.TO:
                return (
                    f"{n.recipient_name} ({fmt.phone(n.recipient_phone)})"
                    if n.recipient_name != n.recipient_phone
                    else fmt.phone(n.recipient_phone)
                )
            if col == self.STATUS:
                return n.status
            if col == self.ATTEMPTS:
                return str(n.attempts)
            if col == self.SID:
                return n.twilio_sid or ""
            if col == self.ERROR:
                return fmt.error_text(n.error_code, n.error_message)
            return None
        if role == Qt.ItemDataRole.ForegroundRole and col == self.STATUS:
            return QBrush(QColor(fmt.STATUS_COLORS.get(n.status, "#6B7280")))
        if role == Qt.ItemDataRole.ToolTipRole:
            if col == self.DUE:
                return fmt.when(n.due_at, self.tz)
            if col == self.SENT and n.sent_at is not None:
                return fmt.when(n.sent_at, self.tz)
            if col == self.ERROR and n.error_message:
                return n.error_message
            if col == self.TO:
                return n.body
            return None
        if role == Qt.ItemDataRole.AccessibleTextRole:
            if col == self.STATUS:
                return f"status {n.status}"
            if col == self.WAY:
                return "sent by the team"
        return self._alignment(col, role)

    def _inbound_cell(self, m: InboundDTO, col: int, role: int) -> Any:
        if role == self.StatusRole:
            return fmt.RECEIVED
        if role == self.IdRole:
            return m.id
        if role == Qt.ItemDataRole.DisplayRole:
            if col == self.WAY:
                return "In"
            if col == self.DUE:
                return fmt.when_compact(m.sent_at, self.tz)
            if col == self.KIND:
                return fmt.ASKS_LABELS.get(m.asks, m.asks)
            if col == self.TO:
                return f"from {fmt.sender(m.sender_name, m.sender)}"
            if col == self.STATUS:
                return fmt.RECEIVED
            if col == self.SID:
                return m.twilio_sid
            if col == self.ERROR:
                return m.outcome
            return ""
        if role == Qt.ItemDataRole.ToolTipRole:
            if col == self.DUE:
                return (
                    f"Sent {fmt.when(m.sent_at, self.tz)}; "
                    f"read by the service {fmt.when(m.received_at, self.tz)}"
                )
            if col == self.TO:
                return m.body
            if col == self.ERROR:
                return m.outcome
            return None
        if role == Qt.ItemDataRole.AccessibleTextRole:
            if col == self.STATUS:
                return "received by the team"
            if col == self.WAY:
                return "sent to the team"
        return self._alignment(col, role)

    def _alignment(self, col: int, role: int) -> Any:
        if role == Qt.ItemDataRole.TextAlignmentRole and col in (
            self.WAY,
            self.ATTEMPTS,
            self.STATUS,
        ):
            return int(Qt.AlignmentFlag.AlignCenter)
        return None


class StatusPillDelegate(QStyledItemDelegate):
    """Draws a status as a coloured pill (white text), or an outline for ``missed``."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        status = index.data(HistoryModel.StatusRole)
        if not isinstance(status, str):
            super().paint(painter, option, index)
            return
        widget = option.widget
        style = widget.style() if widget is not None else None
        if style is not None:
            # The cell background and selection as the platform draws them, without the text.
            opt = QStyleOptionViewItem(option)
            self.initStyleOption(opt, index)
            opt.text = ""
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, widget)
        color = QColor(fmt.STATUS_COLORS.get(status, "#6B7280"))
        rect: QRect = option.rect
        metrics = option.fontMetrics
        width = min(rect.width() - 8, metrics.horizontalAdvance(status) + 18)
        height = min(rect.height() - 6, metrics.height() + 4)
        pill = QRect(rect.center().x() - width // 2, rect.center().y() - height // 2, width, height)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        if status in fmt.OUTLINE_STATUSES:
            painter.setPen(QPen(color, 2))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(pill, height / 2, height / 2)
            painter.setPen(color)
        else:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(color)
            painter.drawRoundedRect(pill, height / 2, height / 2)
            painter.setPen(QColor("#FFFFFF"))
        painter.drawText(pill, Qt.AlignmentFlag.AlignCenter, status)
        painter.restore()
