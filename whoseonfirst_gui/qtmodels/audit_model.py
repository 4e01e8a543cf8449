"""One page of the audit log, newest first."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import Qt

from whoseonfirst_core.usecases.dto import AuditDTO
from whoseonfirst_gui import format as fmt
from whoseonfirst_gui.qtmodels.rows import RowTableModel


class AuditModel(RowTableModel[AuditDTO]):
    WHEN, WHO, ACTION, SUMMARY = range(4)
    HEADERS = ("When", "Who", "Action", "What changed")

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._tz = ZoneInfo("UTC")

    def set_rows(self, rows: Sequence[AuditDTO], tz: ZoneInfo) -> None:
        self._tz = tz
        self._replace_rows(rows)

    def entry_at(self, row: int) -> AuditDTO | None:
        return self.row_at(row)

    def cell(self, a: AuditDTO, col: int, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            return (fmt.when(a.at, self._tz), a.actor, a.action, a.summary)[col]
        if role == Qt.ItemDataRole.ToolTipRole and col == self.SUMMARY:
            return a.summary
        return None
