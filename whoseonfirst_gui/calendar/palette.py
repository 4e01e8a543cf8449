"""The team palette beside the calendar: members to drag onto a shift to cover it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QMimeData,
    QModelIndex,
    QObject,
    QSize,
    Qt,
)
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QAbstractItemView, QLabel, QListView, QVBoxLayout, QWidget

from whoseonfirst_core.usecases.dto import MemberDTO
from whoseonfirst_gui import mime
from whoseonfirst_gui.qtmodels.rows import Index

_ROOT = QModelIndex()


class MemberPaletteModel(QAbstractListModel):
    """The team palette: members who can cover (not archived), draggable as member payloads."""

    NAME_ROLE = Qt.ItemDataRole.UserRole + 1
    ID_ROLE = Qt.ItemDataRole.UserRole + 2
    COLOR_ROLE = Qt.ItemDataRole.UserRole + 3

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._members: list[MemberDTO] = []
        self.draggable = True

    def set_members(self, members: Sequence[MemberDTO]) -> None:
        visible = [m for m in members if not m.archived]
        if [(m.id, m.name, m.color, m.active) for m in visible] == [
            (m.id, m.name, m.color, m.active) for m in self._members
        ]:
            return
        self.beginResetModel()
        self._members = visible
        self.endResetModel()

    def members(self) -> tuple[MemberDTO, ...]:
        return tuple(self._members)

    def member(self, index: Index) -> MemberDTO | None:
        if not index.isValid() or index.parent().isValid() or index.column() != 0:
            return None
        return self._members[index.row()] if 0 <= index.row() < len(self._members) else None

    def rowCount(self, parent: Index = _ROOT) -> int:
        return 0 if parent.isValid() else len(self._members)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        m = self.member(index)
        if m is None:
            return None
        R = Qt.ItemDataRole
        if role in (R.DisplayRole, self.NAME_ROLE):
            return m.name
        if role == R.DecorationRole:
            return QColor(m.color)
        if role == R.ToolTipRole:
            note = "" if m.active else " (not in the rotation, can still cover)"
            return f"Drag {m.name}{note} onto a shift or a day to cover it"
        if role == R.AccessibleTextRole:
            return f"{m.name}, drag onto a shift to cover it"
        if role == self.ID_ROLE:
            return m.id
        if role == self.COLOR_ROLE:
            return m.color
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        flags = (
            Qt.ItemFlag.ItemIsEnabled
            | Qt.ItemFlag.ItemIsSelectable
            | Qt.ItemFlag.ItemNeverHasChildren
        )
        if self.draggable:
            flags |= Qt.ItemFlag.ItemIsDragEnabled
        return flags

    def mimeTypes(self) -> list[str]:
        return [mime.MEMBER_MIME]

    def supportedDragActions(self) -> Qt.DropAction:
        return Qt.DropAction.CopyAction

    def supportedDropActions(self) -> Qt.DropAction:
        return Qt.DropAction.IgnoreAction

    def mimeData(self, indexes: Sequence[QModelIndex]) -> QMimeData | None:  # type: ignore[override]
        for index in indexes:
            m = self.member(index)
            if m is not None:
                return mime.member_mime(m.id, m.name)
        return None


class TeamPalette(QWidget):
    """The panel beside the grid: "Team", the members to drag, and a hint how."""

    def __init__(self, model: MemberPaletteModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        team = QLabel("Team")
        tf = team.font()
        tf.setBold(True)
        team.setFont(tf)
        layout.addWidget(team)
        self.view = QListView()
        self.view.setModel(model)
        self.view.setDragEnabled(True)
        self.view.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.view.setDefaultDropAction(Qt.DropAction.CopyAction)
        self.view.setAccessibleName("Team: drag a member onto a shift to cover it")
        self.view.setToolTip("Drag a member onto a shift or a day to cover it")
        self.view.setIconSize(QSize(14, 14))
        self.view.setSpacing(2)
        layout.addWidget(self.view, 1)
        hint = QLabel(
            "Drag a person onto a shift to cover it; drag a shift onto another to swap them."
        )
        hint.setWordWrap(True)
        hint.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        layout.addWidget(hint)
        self.setMinimumWidth(120)
