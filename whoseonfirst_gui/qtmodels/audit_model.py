"""One page of the audit log, newest first."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from whoseonfirst_core.usecases.dto import AuditDTO
from whoseonfirst_gui import format as fmt

Index = QModelIndex | QPersistentModelIndex


class AuditModel(QAbstractTableModel):
    WHEN, WHO, ACTION, SUMMARY = range(4)
    HEADERS = ("When", "Who", "Action", "What changed")

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[AuditDTO] = []
        self._tz = ZoneInfo("UTC")

    def set_rows(self, rows: Sequence[AuditDTO], tz: ZoneInfo) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self._tz = tz
        self.endResetModel()

    def entry_at(self, row: int) -> AuditDTO | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.HEADERS[section] if 0 <= section < len(self.HEADERS) else None
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        a = self._rows[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return (fmt.when(a.at, self._tz), a.actor, a.action, a.summary)[col] \
                if 0 <= col < 4 else None
        if role == Qt.ItemDataRole.ToolTipRole and col == self.SUMMARY:
            return a.summary
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
