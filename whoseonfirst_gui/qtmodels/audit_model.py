"""One page of the audit log, newest first."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt

from whoseonfirst_core.usecases.dto import AuditDTO
from whoseonfirst_gui import format as fmt
from whoseonfirst_gui.qtmodels.rows import ZonedRowTableModel


class AuditModel(ZonedRowTableModel[AuditDTO]):
    WHEN, WHO, ACTION, SUMMARY = range(4)
    HEADERS = ("When", "Who", "Action", "What changed")

    def cell(self, a: AuditDTO, col: int, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            return (fmt.when(a.at, self.tz), a.actor, a.action, a.summary)[col]
        if role == Qt.ItemDataRole.ToolTipRole and col == self.SUMMARY:
            return a.summary
        return None
