"""The weekly shift pattern as an editable table (name, start day, start time, duration).

The model holds the rows being edited; the core's ``validate_pattern`` judges them. Rows whose
start time is not ``HH:MM`` are reported by :meth:`PatternModel.problems` too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from PySide6.QtCore import QModelIndex, Qt, Signal

from whoseonfirst_core.domain.rotation import MAX_SHIFT_HOURS, ShiftDef, validate_pattern
from whoseonfirst_core.domain.timeutil import WEEKDAYS, parse_hhmm
from whoseonfirst_gui.qtmodels.rows import Index, RowTableModel


@dataclass(frozen=True)
class ShiftRow:
    name: str
    start_day: int
    start_time: str  # "HH:MM" as typed
    duration_hours: int

    @classmethod
    def of(cls, s: ShiftDef) -> ShiftRow:
        return cls(s.name, s.start_day, f"{s.start_time:%H:%M}", s.duration_hours)

    def to_shift(self) -> ShiftDef:
        return ShiftDef(
            self.name.strip(), self.start_day, parse_hhmm(self.start_time), self.duration_hours
        )


class PatternModel(RowTableModel[ShiftRow]):
    NAME, DAY, START, DURATION = range(4)
    HEADERS = ("Shift name", "Starts on", "Start time", "Duration (hours)")
    VERTICAL_NUMBERS = True

    edited = Signal()

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.read_only = False

    def set_pattern(self, shifts: Sequence[ShiftDef]) -> None:
        self.beginResetModel()
        self._rows = [ShiftRow.of(s) for s in shifts]
        self.endResetModel()
        self.edited.emit()

    def shift_rows(self) -> list[ShiftRow]:
        return list(self._rows)

    def problems(self) -> list[str]:
        """Everything wrong with the rows, as sentences; empty when the pattern is valid."""
        bad_times = []
        for r in self._rows:
            try:
                parse_hhmm(r.start_time)
            except ValueError as exc:
                bad_times.append(f"shift {r.name!r}: {exc}")
        if bad_times:
            return bad_times
        return validate_pattern([r.to_shift() for r in self._rows])

    def shifts(self) -> tuple[ShiftDef, ...]:
        """The rows as ShiftDefs (call only when :meth:`problems` is empty)."""
        return tuple(r.to_shift() for r in self._rows)

    # --- editing -------------------------------------------------------------------------

    def add_shift(self) -> int:
        """Append a new 24 h shift on the first free day; returns its row."""
        used = {r.start_day for r in self._rows}
        day = next((d for d in range(7) if d not in used), 0)
        names = {r.name for r in self._rows}
        name, n = "New shift", 2
        while name in names:
            name, n = f"New shift {n}", n + 1
        row = len(self._rows)
        self.beginInsertRows(QModelIndex(), row, row)
        self._rows.append(ShiftRow(name, day, "08:00", 24))
        self.endInsertRows()
        self.edited.emit()
        return row

    def remove_shift(self, row: int) -> None:
        if 0 <= row < len(self._rows):
            self.beginRemoveRows(QModelIndex(), row, row)
            del self._rows[row]
            self.endRemoveRows()
            self.edited.emit()

    # --- table ---------------------------------------------------------------------------

    def cell(self, r: ShiftRow, col: int, role: int) -> Any:
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            if col == self.NAME:
                return r.name
            if col == self.DAY:
                return (
                    WEEKDAYS[r.start_day].capitalize()
                    if role == Qt.ItemDataRole.DisplayRole
                    else r.start_day
                )
            if col == self.START:
                return r.start_time
            if col == self.DURATION:
                return (
                    r.duration_hours
                    if role == Qt.ItemDataRole.EditRole
                    else f"{r.duration_hours} h"
                )
        if role == Qt.ItemDataRole.ToolTipRole:
            return {
                self.NAME: "The name texts and the calendar show (e.g. Tuesday-Wednesday)",
                self.DAY: "The weekday the shift starts on",
                self.START: "Local start time, 24-hour HH:MM",
                self.DURATION: f"Wall-clock hours, 1-{MAX_SHIFT_HOURS}",
            }.get(col)
        return None

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if role != Qt.ItemDataRole.EditRole or not index.isValid() or self.read_only:
            return False
        r = self._rows[index.row()]
        col = index.column()
        try:
            if col == self.NAME:
                new = replace(r, name=str(value))
            elif col == self.DAY:
                day = int(value)
                if not 0 <= day <= 6:
                    return False
                new = replace(r, start_day=day)
            elif col == self.START:
                new = replace(r, start_time=str(value).strip())
            elif col == self.DURATION:
                new = replace(r, duration_hours=int(value))
            else:
                return False
        except (TypeError, ValueError):
            return False
        if new == r:
            return False
        self._rows[index.row()] = new
        self.dataChanged.emit(index, index, [role, Qt.ItemDataRole.DisplayRole])
        self.edited.emit()
        return True

    def flags(self, index: Index) -> Qt.ItemFlag:
        flags = super().flags(index)
        if index.isValid() and not self.read_only:
            flags |= Qt.ItemFlag.ItemIsEditable
        return flags
