"""The Team table: members in rotation order, reorderable by drag and drop.

A drop does not write anything: it rearranges the rows into a *pending* order and emits
``reorder_requested(ids)``; the page asks for an effective date, shows the per-person preview,
and only then calls the ``reorder_members`` use case. ``reset_order()`` puts the rows back.

Drag payload: the app's member payload (``application/x-whoseonfirst-member``, JSON
``{"member_id": 3}``, see :mod:`whoseonfirst_gui.mime`) — ids only, never pickle.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import QMimeData, QModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont

from whoseonfirst_core.usecases.dto import MemberDTO, OptOutDTO
from whoseonfirst_core.usecases.rotation import RotationStatus
from whoseonfirst_gui import format as fmt
from whoseonfirst_gui import mime
from whoseonfirst_gui.qtmodels.rows import Index, RowTableModel

MEMBER_MIME_TYPE = mime.MEMBER_MIME


def decode_member_id(data: QMimeData) -> int | None:
    """The dragged member's id; None for anything absent or malformed (never trusts the data)."""
    try:
        payload = mime.decode_member(data)
    except mime.PayloadError:
        return None
    return payload.member_id if payload is not None else None


@dataclass(frozen=True)
class TeamRow:
    member: MemberDTO
    next_shift: datetime | None = None
    next_shift_name: str = ""
    recent_shifts: int = 0
    #: In the rotation today, and the next planned join or leave (None: ``member.active``).
    status: RotationStatus | None = None
    #: The member's phones that opted out (nothing is texted to them).
    opt_outs: tuple[OptOutDTO, ...] = ()

    def opt_out(self, phone: str | None) -> OptOutDTO | None:
        return next((o for o in self.opt_outs if o.phone == phone), None)

    @property
    def in_rotation(self) -> bool:
        """In the rotation today (``member.active`` means: after every planned change)."""
        if self.member.archived:
            return False
        return self.status.in_rotation if self.status is not None else self.member.active


class TeamModel(RowTableModel[TeamRow]):
    HANDLE, NAME, PHONE, SECONDARY, ACTIVE, NEXT, RECENT = range(7)
    HEADERS = (
        "",
        "Name",
        "Phone",
        "Secondary phone",
        "Active",
        "Next shift",
        "Shifts (last 12 weeks)",
    )
    VERTICAL_NUMBERS = True
    MemberRole = Qt.ItemDataRole.UserRole + 1

    reorder_requested = Signal(list)  # new rotation order: ids of non-archived members

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._saved_order: list[int] = []
        self._tz: ZoneInfo = ZoneInfo("UTC")
        self.read_only = False

    # --- loading -------------------------------------------------------------------------

    def set_rows(self, rows: Sequence[TeamRow], tz: ZoneInfo) -> None:
        """Replace the content with what the database says (rotation order, archived last)."""
        self.beginResetModel()
        self._rows = sorted(rows, key=lambda r: (r.member.archived, r.member.position, r.member.id))
        self._saved_order = [r.member.id for r in self._rows]
        self._tz = tz
        self.endResetModel()

    def rows(self) -> list[TeamRow]:
        return list(self._rows)

    def member_at(self, row: int) -> MemberDTO | None:
        found = self.row_at(row)
        return found.member if found is not None else None

    def row_of(self, member_id: int) -> int:
        for i, r in enumerate(self._rows):
            if r.member.id == member_id:
                return i
        return -1

    def rotation_order(self) -> list[int]:
        """Ids of the non-archived members in the order shown (the pending order after a drop)."""
        return [r.member.id for r in self._rows if not r.member.archived]

    def is_reordered(self) -> bool:
        return [r.member.id for r in self._rows] != self._saved_order

    def reset_order(self) -> None:
        """Undo a pending (not applied) reorder."""
        if not self.is_reordered():
            return
        by_id = {r.member.id: r for r in self._rows}
        self.beginResetModel()
        self._rows = [by_id[i] for i in self._saved_order if i in by_id]
        self.endResetModel()

    def move_member(self, member_id: int, steps: int) -> list[int] | None:
        """Keyboard path for reordering: the new order with ``member_id`` moved ``steps`` places."""
        order = self.rotation_order()
        if member_id not in order:
            return None
        i = order.index(member_id)
        j = max(0, min(len(order) - 1, i + steps))
        if i == j:
            return None
        order.insert(j, order.pop(i))
        self._apply_pending(order)
        return order

    # --- table ---------------------------------------------------------------------------

    def header_tooltip(self, section: int) -> str | None:
        return "Drag a row to change the rotation order" if section == self.HANDLE else None

    def cell(self, row: TeamRow, col: int, role: int) -> Any:
        m = row.member
        if role == self.MemberRole:
            return m.id
        if role == Qt.ItemDataRole.DisplayRole:
            if col == self.HANDLE:
                return "" if m.archived else "⠿"
            if col == self.NAME:
                return m.name + (" (archived)" if m.archived else "")
            if col in (self.PHONE, self.SECONDARY):
                number = m.phone if col == self.PHONE else m.secondary_phone
                opted = row.opt_out(number)
                shown = fmt.phone(number)
                return f"{shown} ({fmt.opt_out_note(opted, self._tz)})" if opted else shown
            if col == self.ACTIVE:
                if m.archived:
                    return "archived"
                if row.status is not None:
                    return row.status.text()
                return "yes" if m.active else "no"
            if col == self.NEXT:
                if row.next_shift is None:
                    return "—"
                return fmt.when_compact(row.next_shift, self._tz)
            if col == self.RECENT:
                return str(row.recent_shifts)
            return None
        if role == Qt.ItemDataRole.DecorationRole and col == self.NAME:
            return fmt.swatch_icon(m.color)
        if role == Qt.ItemDataRole.ToolTipRole:
            if col == self.HANDLE and not m.archived:
                return "Drag to change the rotation order (or Ctrl+Up / Ctrl+Down)"
            if col == self.NEXT and row.next_shift is not None:
                return f"{row.next_shift_name}: {fmt.when(row.next_shift, self._tz)}"
            if col == self.NAME and m.notes:
                return m.notes
            if col in (self.PHONE, self.SECONDARY):
                opted = row.opt_out(m.phone if col == self.PHONE else m.secondary_phone)
                return fmt.opt_out_tooltip(opted, self._tz) if opted else None
            if col == self.ACTIVE and row.status is not None and row.status.next_change:
                verb = "leaves" if row.status.in_rotation else "joins"
                return f"{m.name} {verb} the rotation from {fmt.day_text(row.status.next_change)}"
            return None
        if role == Qt.ItemDataRole.AccessibleTextRole:
            if col == self.HANDLE:
                return f"Reorder handle for {m.name}"
            return None
        if role == Qt.ItemDataRole.ForegroundRole:
            if col in (self.PHONE, self.SECONDARY) and row.opt_out(
                m.phone if col == self.PHONE else m.secondary_phone
            ):
                return QBrush(QColor(fmt.WARNING_COLOR))
            if not row.in_rotation:
                return QBrush(QColor("#808080"))
        if role == Qt.ItemDataRole.FontRole and col == self.NAME and not m.archived:
            font = QFont()
            font.setBold(row.in_rotation)
            return font
        if role == Qt.ItemDataRole.TextAlignmentRole and col in (
            self.HANDLE,
            self.ACTIVE,
            self.RECENT,
        ):
            return int(Qt.AlignmentFlag.AlignCenter)
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.ItemIsDropEnabled if not self.read_only else Qt.ItemFlag.NoItemFlags
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        m = self._rows[index.row()].member
        if not m.archived and not self.read_only:
            flags |= Qt.ItemFlag.ItemIsDragEnabled | Qt.ItemFlag.ItemIsDropEnabled
        return flags

    # --- drag and drop -------------------------------------------------------------------

    def supportedDropActions(self) -> Qt.DropAction:
        return Qt.DropAction.MoveAction

    def supportedDragActions(self) -> Qt.DropAction:
        return Qt.DropAction.MoveAction

    def mimeTypes(self) -> list[str]:
        return [MEMBER_MIME_TYPE]

    def mimeData(self, indexes: Sequence[QModelIndex]) -> QMimeData:
        rows = sorted({i.row() for i in indexes if i.isValid()})
        members = [self._rows[r].member for r in rows if not self._rows[r].member.archived]
        if not members:
            return QMimeData()
        # One row is dragged at a time (single selection); the first one is the payload.
        return mime.member_mime(members[0].id, members[0].name)

    def canDropMimeData(
        self, data: QMimeData, action: Qt.DropAction, row: int, column: int, parent: Index
    ) -> bool:
        if self.read_only or action not in (Qt.DropAction.MoveAction, Qt.DropAction.CopyAction):
            return False
        member_id = decode_member_id(data)
        return member_id is not None and member_id in self.rotation_order()

    def dropMimeData(
        self, data: QMimeData, action: Qt.DropAction, row: int, column: int, parent: Index
    ) -> bool:
        """Move the dragged members before the drop row; emit ``reorder_requested``.

        Returns True when the drop was understood. Rows are never removed by the view
        afterwards: this model does not implement ``removeRows``.
        """
        if action == Qt.DropAction.IgnoreAction:
            return True
        if not self.canDropMimeData(data, action, row, column, parent):
            return False
        member_id = decode_member_id(data)
        assert member_id is not None
        ids = [member_id]
        if row < 0:
            row = parent.row() if parent.isValid() else len(self._rows)
        # Count the non-archived rows above the drop point that are not being moved.
        before = [r.member.id for r in self._rows[:row] if not r.member.archived]
        remaining = [i for i in self.rotation_order() if i not in ids]
        insert_at = len([i for i in before if i not in ids])
        new_order = remaining[:insert_at] + ids + remaining[insert_at:]
        if new_order == self.rotation_order():
            return False
        self._apply_pending(new_order)
        self.reorder_requested.emit(new_order)
        return True

    def _apply_pending(self, order: list[int]) -> None:
        by_id = {r.member.id: r for r in self._rows}
        archived = [r for r in self._rows if r.member.archived]
        self.beginResetModel()
        self._rows = [by_id[i] for i in order] + archived
        self.endResetModel()
