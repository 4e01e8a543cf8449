"""The calendar grid: the model's days in seven columns, each day's chips stacked under it."""

from __future__ import annotations

from PySide6.QtCore import (
    QAbstractItemModel,
    QEvent,
    QItemSelection,
    QItemSelectionModel,
    QModelIndex,
    QPoint,
    QRect,
    Qt,
    Signal,
)
from PySide6.QtGui import (
    QContextMenuEvent,
    QDragEnterEvent,
    QDragLeaveEvent,
    QDragMoveEvent,
    QDropEvent,
    QKeyEvent,
    QPainter,
    QPaintEvent,
    QPalette,
    QPen,
    QRegion,
    QResizeEvent,
)
from PySide6.QtWidgets import QAbstractItemView, QStyle, QStyleOptionViewItem, QWidget

from whoseonfirst_gui import mime
from whoseonfirst_gui.calendar.chip_delegate import ChipDelegate
from whoseonfirst_gui.calendar.day_painter import paint_day
from whoseonfirst_gui.calendar.geometry import (
    DayShape,
    GridGeometry,
    gap_lines,
    lay_out,
    next_stop,
)
from whoseonfirst_gui.calendar.model import CalendarModel
from whoseonfirst_gui.calendar.roles import Roles
from whoseonfirst_gui.qtmodels.rows import Index


class CalendarGridView(QAbstractItemView):
    """Lays the model's days out in seven columns (one row for a week, five or six for a month)
    with each day's chips stacked under its header. Chips are selectable, draggable (span
    payload) and drop targets; drops and context menus go to the model and the page."""

    chip_menu_requested = Signal(QModelIndex, QPoint)  # index (chip or day), global position
    drop_hint = Signal(str)  # why a drop here is refused ("" when it is fine or the drag left)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragDrop)
        self.setDragDropOverwriteMode(True)
        self.setDefaultDropAction(Qt.DropAction.CopyAction)
        self.setDropIndicatorShown(False)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAccessibleName("Calendar")
        self.chip_delegate = ChipDelegate(self)
        self.setItemDelegate(self.chip_delegate)
        self._compact = False
        self._geometry = GridGeometry()
        self._drop_rect: QRect | None = None
        self._last_hint = ""
        self._keep: tuple[int, int] | None = None
        #: Global position of the last drop or context menu (where the reason popup opens).
        self.anchor_global = QPoint()

    # --- configuration ------------------------------------------------------------------

    def set_compact(self, compact: bool) -> None:
        self._compact = compact
        self.chip_delegate.compact = compact
        self._relayout()

    def setModel(self, model: QAbstractItemModel | None) -> None:
        super().setModel(model)
        m = self.model()
        m.modelAboutToBeReset.connect(self._remember_current)
        m.modelReset.connect(self._after_reset)

    def calendar_model(self) -> CalendarModel:
        m = self.model()
        assert isinstance(m, CalendarModel)
        return m

    def _remember_current(self) -> None:
        cur = self.currentIndex()
        if not cur.isValid():
            self._keep = None
        elif cur.parent().isValid():
            self._keep = (cur.parent().row(), cur.row())
        else:
            self._keep = (cur.row(), -1)

    def _after_reset(self) -> None:
        self._relayout()
        if self._keep is None:
            return
        day_row, chip_row = self._keep
        self._keep = None
        model = self.model()
        if day_row >= model.rowCount():
            return
        day = model.index(day_row, 0)
        count = model.rowCount(day)
        target = model.index(min(chip_row, count - 1), 0, day) if chip_row >= 0 and count else day
        self.selectionModel().setCurrentIndex(
            target, QItemSelectionModel.SelectionFlag.ClearAndSelect
        )

    def currentChanged(self, current: QModelIndex, previous: QModelIndex) -> None:  # type: ignore[override]
        """Screen readers hear the chip or day that got the focus: the view's accessible
        description becomes its name and description (who, when, status); Qt announces it."""
        super().currentChanged(current, previous)
        if not current.isValid():
            self.setAccessibleDescription("")
            return
        name = current.data(Qt.ItemDataRole.AccessibleTextRole) or ""
        detail = current.data(Qt.ItemDataRole.AccessibleDescriptionRole) or ""
        self.setAccessibleDescription(f"{name}. {detail}" if detail else str(name))

    # --- layout -------------------------------------------------------------------------

    def _relayout(self) -> None:
        model = self.model()
        if model is None:
            self._geometry = GridGeometry()
            return
        days = [model.index(d, 0) for d in range(model.rowCount())]
        shapes = [
            DayShape(
                tuple(model.index(k, 0, day).data(Roles.SLICE) for k in range(model.rowCount(day))),
                len(self._gap_text(day)),
            )
            for day in days
        ]
        vw, vh = self.viewport().width(), self.viewport().height()
        self._geometry = lay_out(shapes, vw, vh, self.font(), self._compact)
        bar = self.verticalScrollBar()
        if not days:
            bar.setRange(0, 0)
        else:
            bar.setRange(0, max(0, self._geometry.content_height - vh))
            bar.setPageStep(vh)
            bar.setSingleStep(max(10, self._geometry.row_height // 4))
        self.viewport().update()

    def _gap_text(self, day: QModelIndex) -> list[str]:
        """The coverage-gap lines at the bottom of a day (amber)."""
        return gap_lines([str(g) for g in day.data(Roles.GAPS) or ()], self._compact)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._relayout()

    def updateGeometries(self) -> None:
        super().updateGeometries()
        self._relayout()

    def dataChanged(  # type: ignore[override]
        self, top_left: QModelIndex, bottom_right: QModelIndex, roles: list[int] | None = None
    ) -> None:
        super().dataChanged(top_left, bottom_right, roles or [])
        self.viewport().update()

    # --- QAbstractItemView's geometry API ---------------------------------------------------

    def _offset(self) -> int:
        return self.verticalScrollBar().value()

    def visualRect(self, index: Index) -> QRect:
        if not index.isValid():
            return QRect()
        parent = index.parent()
        if parent.isValid():
            rect = self._geometry.chip_rects.get((parent.row(), index.row()))
        else:
            rect = (
                self._geometry.day_rects[index.row()]
                if index.row() < len(self._geometry.day_rects)
                else None
            )
        return rect.translated(0, -self._offset()) if rect is not None else QRect()

    def indexAt(self, point: QPoint) -> QModelIndex:
        model = self.model()
        if model is None:
            return QModelIndex()
        p = point + QPoint(0, self._offset())
        for (d, k), rect in self._geometry.chip_rects.items():
            if rect.contains(p):
                return model.index(k, 0, model.index(d, 0))
        for d, rect in enumerate(self._geometry.day_rects):
            if rect.contains(p):
                return model.index(d, 0)
        return QModelIndex()

    def scrollTo(
        self,
        index: Index,
        hint: QAbstractItemView.ScrollHint = QAbstractItemView.ScrollHint.EnsureVisible,
    ) -> None:
        rect = self.visualRect(index)
        if rect.isEmpty():
            return
        bar = self.verticalScrollBar()
        if rect.top() < 0:
            bar.setValue(bar.value() + rect.top())
        elif rect.bottom() > self.viewport().height():
            bar.setValue(bar.value() + rect.bottom() - self.viewport().height())

    def horizontalOffset(self) -> int:
        return 0

    def verticalOffset(self) -> int:
        return self._offset()

    def isIndexHidden(self, index: Index) -> bool:
        parent = index.parent()
        return parent.isValid() and (parent.row(), index.row()) not in self._geometry.chip_rects

    def scrollContentsBy(self, dx: int, dy: int) -> None:
        self.viewport().update()

    def setSelection(self, rect: QRect, command: QItemSelectionModel.SelectionFlag) -> None:
        # Select the first chip (or day) under ``rect``: a calendar selects one thing at a time.
        hit = self.indexAt(rect.normalized().topLeft())
        if hit.isValid():
            self.selectionModel().select(hit, command)

    def visualRegionForSelection(self, selection: QItemSelection) -> QRegion:
        region = QRegion()
        for index in selection.indexes():
            region = region.united(QRegion(self.visualRect(index)))
        return region

    def _stops(self) -> list[QModelIndex]:
        """Keyboard stops in reading order: each day's visible chips, or the day if it has none."""
        model = self.model()
        stops: list[QModelIndex] = []
        for d in range(model.rowCount()):
            day = model.index(d, 0)
            chips = [
                model.index(k, 0, day)
                for k in range(model.rowCount(day))
                if (d, k) in self._geometry.chip_rects
            ]
            stops += chips or [day]
        return stops

    def moveCursor(
        self, action: QAbstractItemView.CursorAction, modifiers: Qt.KeyboardModifier
    ) -> QModelIndex:
        return next_stop(self._stops(), self.currentIndex(), action, self.model().rowCount())

    # --- painting ------------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:
        model = self.model()
        painter = QPainter(self.viewport())
        pal = self.palette()
        offset = self._offset()
        painter.translate(0, -offset)
        for d, cell in enumerate(self._geometry.day_rects):
            day = model.index(d, 0)
            paint_day(
                painter,
                cell,
                day,
                pal,
                self.font(),
                self._geometry.overflow.get(d),
                self._gap_text(day),
            )

        painter.setFont(self.font())
        selected = set()
        for index in self.selectionModel().selectedIndexes() if self.selectionModel() else []:
            if index.parent().isValid():
                selected.add((index.parent().row(), index.row()))
        current = self.currentIndex()
        for (d, k), rect in self._geometry.chip_rects.items():
            index = model.index(k, 0, model.index(d, 0))
            option = QStyleOptionViewItem()
            self.initViewItemOption(option)
            option.rect = rect
            option.font = self.font()
            if (d, k) in selected:
                option.state |= QStyle.StateFlag.State_Selected
            if index == current and self.hasFocus():
                option.state |= QStyle.StateFlag.State_HasFocus
            self.itemDelegate().paint(painter, option, index)
        # Focus on a day without chips.
        is_day = current.isValid() and not current.parent().isValid()
        if is_day and self.hasFocus() and current.row() < len(self._geometry.day_rects):
            rect = self._geometry.day_rects[current.row()]
            painter.setPen(QPen(pal.color(QPalette.ColorRole.Highlight), 2))
            painter.drawRect(rect.adjusted(1, 1, -2, -2))
        if self._drop_rect is not None:
            painter.setPen(QPen(pal.color(QPalette.ColorRole.Highlight), 2, Qt.PenStyle.DashLine))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRect(self._drop_rect.adjusted(0, 0, -1, -1).translated(0, offset))
        painter.end()

    # --- drag and drop ------------------------------------------------------------------

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if any(event.mimeData().hasFormat(t) for t in mime.ALL_TYPES):
            event.setDropAction(Qt.DropAction.CopyAction)
            event.accept()
            self.setState(QAbstractItemView.State.DraggingState)
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        pos = event.position().toPoint()
        index = self.indexAt(pos)
        reason = self.calendar_model().drop_refusal(event.mimeData(), -1, index)
        if reason is None:
            event.setDropAction(Qt.DropAction.CopyAction)
            event.accept(self.visualRect(index))
            self._drop_rect = self.visualRect(index)
        else:
            event.ignore()
            self._drop_rect = None
        self._hint(reason or "")
        self.viewport().update()

    def dragLeaveEvent(self, event: QDragLeaveEvent) -> None:
        self._drop_rect = None
        self._hint("")
        self.setState(QAbstractItemView.State.NoState)
        self.viewport().update()

    def dropEvent(self, event: QDropEvent) -> None:
        pos = event.position().toPoint()
        index = self.indexAt(pos)
        self.anchor_global = self.viewport().mapToGlobal(pos)
        self._drop_rect = None
        self._hint("")
        if index.isValid():
            self.setCurrentIndex(index)
        accepted = self.calendar_model().dropMimeData(
            event.mimeData(), Qt.DropAction.CopyAction, -1, -1, index
        )
        if accepted:
            event.setDropAction(Qt.DropAction.CopyAction)
            event.accept()
        else:
            event.ignore()
        self.setState(QAbstractItemView.State.NoState)
        self.viewport().update()

    def _hint(self, text: str) -> None:
        if text != self._last_hint:
            self._last_hint = text
            self.drop_hint.emit(text)

    # --- menus and keys -----------------------------------------------------------------

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        if event.reason() == QContextMenuEvent.Reason.Keyboard:
            self.open_menu_for_current()
            return
        pos = event.pos()
        index = self.indexAt(pos)
        if index.isValid():
            self.setCurrentIndex(index)
        self.anchor_global = self.viewport().mapToGlobal(pos)
        self.chip_menu_requested.emit(index, self.anchor_global)

    def open_menu_for_current(self) -> None:
        index = self.currentIndex()
        rect = self.visualRect(index)
        pos = rect.center() if rect.isValid() else QPoint(10, 10)
        self.anchor_global = self.viewport().mapToGlobal(pos)
        self.chip_menu_requested.emit(index, self.anchor_global)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if (
            event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space)
            and self.currentIndex().isValid()
        ):
            self.open_menu_for_current()
            return
        super().keyPressEvent(event)

    def viewportEvent(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Leave:
            self._hint("")
        return super().viewportEvent(event)
