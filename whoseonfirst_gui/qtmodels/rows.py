"""A flat table over a list of row objects: the part every table model of the app shares.

Subclasses name their columns in ``HEADERS`` and answer :meth:`RowTableModel.cell` for one row
object, one column and one role; index checking, row and column counts, the header and the
default flags (enabled, selectable) live here. ``VERTICAL_NUMBERS`` numbers the rows 1, 2, 3 in
the vertical header (for tables whose order matters, like the rotation and the pattern).
:class:`ZonedRowTableModel` is one whose rows show instants in the team's time zone.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Generic, TypeVar
from zoneinfo import ZoneInfo

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

Index = QModelIndex | QPersistentModelIndex
Row = TypeVar("Row")


class RowTableModel(QAbstractTableModel, Generic[Row]):
    HEADERS: tuple[str, ...] = ()
    #: Number the rows in the vertical header.
    VERTICAL_NUMBERS = False

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[Row] = []

    # --- content ---------------------------------------------------------------------------

    def _replace_rows(self, rows: Iterable[Row]) -> None:
        """Show ``rows`` instead of the current ones (a model reset)."""
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def row_at(self, row: int) -> Row | None:
        """The row object shown at ``row``, or None outside the table."""
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def cell(self, item: Row, column: int, role: int) -> Any:
        """What ``item`` shows in ``column`` for ``role`` (None for nothing)."""
        raise NotImplementedError

    def header_tooltip(self, section: int) -> str | None:
        """The tooltip of column ``section``'s header (None for none)."""
        return None

    # --- QAbstractTableModel ---------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(self.HEADERS):
            if role == Qt.ItemDataRole.DisplayRole:
                return self.HEADERS[section]
            if role == Qt.ItemDataRole.ToolTipRole:
                return self.header_tooltip(section)
        if (
            orientation == Qt.Orientation.Vertical
            and self.VERTICAL_NUMBERS
            and role == Qt.ItemDataRole.DisplayRole
        ):
            return str(section + 1)
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if (
            not index.isValid()
            or not 0 <= index.row() < len(self._rows)
            or not 0 <= index.column() < len(self.HEADERS)
        ):
            return None
        return self.cell(self._rows[index.row()], index.column(), role)

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable


class ZonedRowTableModel(RowTableModel[Row]):
    """A table whose rows show instants in a time zone given with the rows (``tz``)."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.tz = ZoneInfo("UTC")

    def set_rows(self, rows: Iterable[Row], tz: ZoneInfo) -> None:
        self.tz = tz
        self._replace_rows(rows)
