"""Escalation contacts with their two opt-ins as check boxes.

Toggling a check box does not write: it emits ``opt_in_toggled(contact, field, value)`` and the
page saves through the ``save_contact`` use case (with the contact's version).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from PySide6.QtCore import Qt, Signal

from whoseonfirst_core.usecases.dto import ContactDTO
from whoseonfirst_gui import format as fmt
from whoseonfirst_gui.qtmodels.rows import Index, RowTableModel


class ContactsModel(RowTableModel[ContactDTO]):
    NAME, PHONE, WEEKLY, ALERTS = range(4)
    HEADERS = ("Name", "Phone", "Weekly summary", "Failure alerts")

    opt_in_toggled = Signal(object, str, bool)  # ContactDTO, "weekly_summary"|"failure_alerts"

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.read_only = False

    def set_contacts(self, contacts: Sequence[ContactDTO]) -> None:
        self._replace_rows(contacts)

    def contact_at(self, row: int) -> ContactDTO | None:
        return self.row_at(row)

    def cell(self, c: ContactDTO, col: int, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            if col == self.NAME:
                return c.name
            if col == self.PHONE:
                return fmt.phone(c.phone)
            return None
        if role == Qt.ItemDataRole.CheckStateRole:
            if col == self.WEEKLY:
                return Qt.CheckState.Checked if c.weekly_summary else Qt.CheckState.Unchecked
            if col == self.ALERTS:
                return Qt.CheckState.Checked if c.failure_alerts else Qt.CheckState.Unchecked
        if role == Qt.ItemDataRole.AccessibleTextRole and col in (self.WEEKLY, self.ALERTS):
            on = c.weekly_summary if col == self.WEEKLY else c.failure_alerts
            return f"{self.HEADERS[col]} for {c.name}: {'on' if on else 'off'}"
        if role == Qt.ItemDataRole.ToolTipRole and col in (self.WEEKLY, self.ALERTS):
            return (
                "Receives the weekly schedule summary"
                if col == self.WEEKLY
                else "Receives a text when someone could not be reached"
            )
        return None

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if (
            role != Qt.ItemDataRole.CheckStateRole
            or not index.isValid()
            or self.read_only
            or index.column() not in (self.WEEKLY, self.ALERTS)
        ):
            return False
        c = self._rows[index.row()]
        checked = (
            Qt.CheckState(value) == Qt.CheckState.Checked if not isinstance(value, bool) else value
        )
        field = "weekly_summary" if index.column() == self.WEEKLY else "failure_alerts"
        if getattr(c, field) == checked:
            return False
        # Show the new state at once; the page saves it and reloads (or reverts on failure).
        self._rows[index.row()] = (
            replace(c, weekly_summary=checked)
            if field == "weekly_summary"
            else replace(c, failure_alerts=checked)
        )
        self.dataChanged.emit(index, index, [Qt.ItemDataRole.CheckStateRole])
        self.opt_in_toggled.emit(c, field, checked)
        return True

    def flags(self, index: Index) -> Qt.ItemFlag:
        flags = super().flags(index)
        if index.isValid() and index.column() in (self.WEEKLY, self.ALERTS) and not self.read_only:
            flags |= Qt.ItemFlag.ItemIsUserCheckable
        return flags
