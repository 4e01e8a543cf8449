"""The Calendar page: week and month views of who is on call, edited by drag and drop.

Layout (UX.md)::

    ◀ Mar 2 – Mar 8, 2026 ▶  [Today] [Week|Month]          Undo  Redo  [Save 2 edits]
    ┌────────────┬──────────────────────────────────────────────────────────────────┐
    │ Team       │ Mon 3/2   Tue 3/3   Wed 3/4   Thu 3/5   Fri 3/6   Sat 3/7  Sun 3/8│
    │ ■ Ann      │ ■■Ann■■■  ■■■■■■■Ben (48h)■■■  ■■Cal■■■  …                        │

Division of labour: the :class:`~whoseonfirst_gui.plan.CalendarPlan` holds the loaded schedule and
the pending edits and knows every rule; the :class:`~whoseonfirst_gui.qtmodels.calendar_model.
CalendarModel` turns drops into proposals; this module only draws, collects the optional reason
and runs loads and the Save on the task runner. Nothing reaches the database before Save, which
applies every pending edit in one transaction.

Every drag has a keyboard/context-menu twin: right-click (or the Menu key, Shift+F10, Enter) on a
chip offers *Cover with ▸ member*, *Swap with ▸ shift*, *Cancel override* and *Show texts for this
shift*.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import date
from functools import partial

from PySide6.QtCore import (
    QAbstractItemModel,
    QEvent,
    QItemSelection,
    QItemSelectionModel,
    QModelIndex,
    QPersistentModelIndex,
    QPoint,
    QRect,
    QSize,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import (
    QAction,
    QColor,
    QContextMenuEvent,
    QDragEnterEvent,
    QDragLeaveEvent,
    QDragMoveEvent,
    QDropEvent,
    QFont,
    QFontMetrics,
    QHideEvent,
    QKeyEvent,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPalette,
    QPen,
    QRegion,
    QResizeEvent,
    QShowEvent,
    QUndoStack,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QDialogButtonBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QMenu,
    QPushButton,
    QRadioButton,
    QSplitter,
    QStackedWidget,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from whoseonfirst_core.usecases.calendar import MAX_REASON, CalendarEdit
from whoseonfirst_core.usecases.errors import ConflictError
from whoseonfirst_gui import mime
from whoseonfirst_gui.conflict import save_with_conflict_check
from whoseonfirst_gui.context import AppContext
from whoseonfirst_gui.format import OVERRIDE_ACCENT, WARNING_COLOR, escape, when_compact
from whoseonfirst_gui.pages.base import NO_TEAM_TEXT, EmptyState, Page
from whoseonfirst_gui.plan import (
    CalendarPlan,
    ChipSegment,
    LoadedCalendar,
    PlannedSpan,
    Proposal,
    SaveResult,
    ViewMode,
    fetch_calendar,
    range_title,
    save_edits,
    step,
    with_reason,
)
from whoseonfirst_gui.qtmodels.calendar_model import CalendarModel, MemberPaletteModel, Roles

ReasonProvider = Callable[[Proposal], str | None]

_CHIP_GAP = 3  # px between chips in a day
_CELL_PAD = 4  # px between a day's border and its chips


# --- drawing a chip ------------------------------------------------------------------------


class ChipDelegate(QStyledItemDelegate):
    """Paints one chip: the member's colour, white text; overrides get an orange edge and ⇄,
    unsaved edits a dashed outline, past shifts are dimmed. ``compact`` (month view) draws one
    line, the week view three (name, times, kind)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.compact = False

    def sizeHint(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        fm = QFontMetrics(option.font)
        if self.compact:
            return QSize(80, fm.height() + 6)
        return QSize(80, fm.height() + 3 * QFontMetrics(_small_font(option.font)).height() + 10)

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        seg = index.data(Roles.SEGMENT)
        if not isinstance(seg, ChipSegment):
            return
        pal = option.palette
        rect = QRect(option.rect)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        color = QColor(seg.span.member_color)
        text_color = QColor("#FFFFFF")
        if seg.past:
            # Dimmed: the colour washed into the background, dark text keeps it legible.
            base = pal.color(QPalette.ColorRole.Base)
            color = _mix(color, base, 0.35)
            text_color = pal.color(QPalette.ColorRole.Text)

        path = _chip_path(rect, seg.index > 0, seg.index < seg.count - 1)
        painter.fillPath(path, color)
        if seg.span.is_override:
            edge = QRect(rect.left(), rect.top(), 5, rect.height())
            painter.setClipPath(path)
            painter.fillRect(edge, QColor(OVERRIDE_ACCENT))
            painter.setClipping(False)
        if seg.span.pending:
            pen = QPen(pal.color(QPalette.ColorRole.Text), 2, Qt.PenStyle.DashLine)
            painter.setPen(pen)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawPath(
                _chip_path(rect.adjusted(1, 1, -1, -1), seg.index > 0, seg.index < seg.count - 1)
            )
        if option.state & QStyle.StateFlag.State_Selected:
            pen = QPen(pal.color(QPalette.ColorRole.Highlight), 3)
            painter.setPen(pen)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(rect.adjusted(-1, -1, 1, 1), 5, 5)

        # Text
        painter.setPen(text_color)
        text_rect = rect.adjusted(9 if seg.span.is_override else 6, 2, -4, -2)
        bold = QFont(option.font)
        bold.setBold(True)
        mark = "⇄ " if seg.span.is_override else ""
        if seg.count > 1 and seg.index == 0:
            title = f"{mark}{seg.span.member_name} ({_hours(seg)})"
        else:
            title = f"{mark}{seg.span.member_name}"
        fm_bold = QFontMetrics(bold)
        painter.setFont(bold)
        if self.compact:
            painter.drawText(
                text_rect,
                int(Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft),
                fm_bold.elidedText(title, Qt.TextElideMode.ElideRight, text_rect.width()),
            )
        else:
            line_h = fm_bold.height()
            painter.drawText(
                QRect(text_rect.left(), text_rect.top() + 2, text_rect.width(), line_h),
                int(Qt.AlignmentFlag.AlignLeft),
                fm_bold.elidedText(title, Qt.TextElideMode.ElideRight, text_rect.width()),
            )
            small = _small_font(option.font)
            painter.setFont(small)
            fm = QFontMetrics(small)
            detail = str(index.data(Roles.DETAIL) or "")
            y = text_rect.top() + 2 + line_h
            for line in detail.split("\n"):
                painter.drawText(
                    QRect(text_rect.left(), y, text_rect.width(), fm.height()),
                    int(Qt.AlignmentFlag.AlignLeft),
                    fm.elidedText(line, Qt.TextElideMode.ElideRight, text_rect.width()),
                )
                y += fm.height()
        painter.restore()


def _small_font(font: QFont) -> QFont:
    """The font for secondary text: a notch smaller, never below 7 pt."""
    small = QFont(font)
    small.setPointSizeF(max(7.0, font.pointSizeF() * 0.9))
    return small


def _day_row(index: QModelIndex) -> int:
    """The day row of a chip or day index."""
    return index.parent().row() if index.parent().isValid() else index.row()


def _hours(seg: ChipSegment) -> str:
    hours = round((seg.span.end - seg.span.start).total_seconds() / 3600)
    return f"{hours}h"


def _mix(a: QColor, b: QColor, amount: float) -> QColor:
    """``amount`` of ``a`` blended into ``b``."""
    return QColor(
        round(a.red() * amount + b.red() * (1 - amount)),
        round(a.green() * amount + b.green() * (1 - amount)),
        round(a.blue() * amount + b.blue() * (1 - amount)),
    )


def _chip_path(rect: QRect, open_left: bool, open_right: bool) -> QPainterPath:
    """A rounded rectangle whose sides are square where a multi-day chip continues."""
    path = QPainterPath()
    path.addRoundedRect(rect, 5, 5)
    if open_left or open_right:
        square = QPainterPath()
        if open_left:
            square.addRect(rect.left(), rect.top(), rect.width() // 2, rect.height())
        if open_right:
            square.addRect(
                rect.center().x(), rect.top(), rect.width() - rect.width() // 2, rect.height()
            )
        path = path.united(square)
    return path


# --- the grid view -------------------------------------------------------------------------


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
        self._day_rects: list[QRect] = []
        self._chip_rects: dict[tuple[int, int], QRect] = {}
        self._overflow: dict[int, int] = {}
        self._content_height = 0
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

    # --- layout -------------------------------------------------------------------------

    def _metrics(self) -> tuple[int, int]:
        fm = self.fontMetrics()
        header = fm.height() + 10
        small = QFontMetrics(_small_font(self.font()))
        chip = fm.height() + 6 if self._compact else fm.height() + 3 * small.height() + 10
        return header, chip

    def _relayout(self) -> None:
        model = self.model()
        self._day_rects.clear()
        self._chip_rects.clear()
        self._overflow.clear()
        if model is None:
            return
        days = model.rowCount()
        if days == 0:
            self._content_height = 0
            self.verticalScrollBar().setRange(0, 0)
            self.viewport().update()
            return
        rows = math.ceil(days / 7)
        vw, vh = self.viewport().width(), self.viewport().height()
        header_h, chip_h = self._metrics()
        min_row = header_h + 2 * (chip_h + _CHIP_GAP) + self.fontMetrics().height() + 8
        row_h = max(vh // rows, min_row) if rows > 1 else max(vh, min_row)
        self._content_height = rows * row_h
        bar = self.verticalScrollBar()
        bar.setRange(0, max(0, self._content_height - vh))
        bar.setPageStep(vh)
        bar.setSingleStep(max(10, row_h // 4))
        xs = [round(i * vw / 7) for i in range(8)]
        for i in range(days):
            r, c = divmod(i, 7)
            cell = QRect(xs[c], r * row_h, xs[c + 1] - xs[c], row_h)
            self._day_rects.append(cell)
            day = model.index(i, 0)
            n = model.rowCount(day)
            top = cell.top() + header_h
            bottom = cell.bottom() - _CELL_PAD - self._gap_lines(day) * self.fontMetrics().height()
            fit = max(0, (bottom - top + _CHIP_GAP) // (chip_h + _CHIP_GAP))
            if fit < n:
                # Keep a line for "+N more" under the chips that fit.
                room = bottom - top - self.fontMetrics().height()
                fit = max(0, (room + _CHIP_GAP) // (chip_h + _CHIP_GAP))
                self._overflow[i] = n - fit
            for k in range(min(n, fit)):
                seg = model.index(k, 0, day).data(Roles.SEGMENT)
                left = cell.left() + (0 if seg.index > 0 else _CELL_PAD)
                right = cell.right() + 1 - (0 if seg.index < seg.count - 1 else _CELL_PAD)
                self._chip_rects[(i, k)] = QRect(left, top, right - left, chip_h)
                top += chip_h + _CHIP_GAP
        self.viewport().update()

    def _gap_text(self, day: QModelIndex) -> list[str]:
        """The coverage-gap lines at the bottom of a day (amber)."""
        gaps = [str(g) for g in day.data(Roles.GAPS) or ()]
        if not gaps:
            return []
        if gaps == ["all day"]:
            return ["⚠ No one on call"]
        if self._compact:
            return [f"⚠ {gaps[0]}" + (" …" if len(gaps) > 1 else "")]
        return ["⚠ No one on call", *gaps[:2]]

    def _gap_lines(self, day: QModelIndex) -> int:
        return len(self._gap_text(day))

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

    def visualRect(self, index: QModelIndex | QPersistentModelIndex) -> QRect:
        if not index.isValid():
            return QRect()
        parent = index.parent()
        if parent.isValid():
            rect = self._chip_rects.get((parent.row(), index.row()))
        else:
            rect = self._day_rects[index.row()] if index.row() < len(self._day_rects) else None
        return rect.translated(0, -self._offset()) if rect is not None else QRect()

    def indexAt(self, point: QPoint) -> QModelIndex:
        model = self.model()
        if model is None:
            return QModelIndex()
        p = point + QPoint(0, self._offset())
        for (d, k), rect in self._chip_rects.items():
            if rect.contains(p):
                return model.index(k, 0, model.index(d, 0))
        for d, rect in enumerate(self._day_rects):
            if rect.contains(p):
                return model.index(d, 0)
        return QModelIndex()

    def scrollTo(
        self,
        index: QModelIndex | QPersistentModelIndex,
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

    def isIndexHidden(self, index: QModelIndex | QPersistentModelIndex) -> bool:
        parent = index.parent()
        return parent.isValid() and (parent.row(), index.row()) not in self._chip_rects

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
                if (d, k) in self._chip_rects
            ]
            stops += chips or [day]
        return stops

    def moveCursor(
        self, action: QAbstractItemView.CursorAction, modifiers: Qt.KeyboardModifier
    ) -> QModelIndex:
        stops = self._stops()
        if not stops:
            return QModelIndex()
        cur = self.currentIndex()
        A = QAbstractItemView.CursorAction
        if not cur.isValid() or cur not in stops:
            return stops[0]
        i = stops.index(cur)
        day_row = cur.parent().row() if cur.parent().isValid() else cur.row()
        chip_row = cur.row() if cur.parent().isValid() else 0

        def in_day(row: int, prefer: int) -> QModelIndex:
            row = max(0, min(row, self.model().rowCount() - 1))
            same = [s for s in stops if _day_row(s) == row]
            return same[min(prefer, len(same) - 1)] if same else cur

        if action in (A.MoveNext,):
            return stops[min(i + 1, len(stops) - 1)]
        if action in (A.MovePrevious,):
            return stops[max(i - 1, 0)]
        if action == A.MoveRight:
            return in_day(day_row + 1, chip_row)
        if action == A.MoveLeft:
            return in_day(day_row - 1, chip_row)
        if action == A.MoveDown:
            same_day = cur.parent().isValid()
            if same_day and i + 1 < len(stops) and stops[i + 1].parent() == cur.parent():
                return stops[i + 1]
            return in_day(day_row + 7, 0) if self.model().rowCount() > 7 else cur
        if action == A.MoveUp:
            if i > 0 and cur.parent().isValid() and stops[i - 1].parent() == cur.parent():
                return stops[i - 1]
            return in_day(day_row - 7, 0) if self.model().rowCount() > 7 else cur
        if action == A.MoveHome:
            return stops[0]
        if action == A.MoveEnd:
            return stops[-1]
        if action == A.MovePageDown:
            return in_day(day_row + 7, 0)
        if action == A.MovePageUp:
            return in_day(day_row - 7, 0)
        return cur

    # --- painting ------------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:
        model = self.model()
        painter = QPainter(self.viewport())
        pal = self.palette()
        offset = self._offset()
        painter.translate(0, -offset)
        header_h, _ = self._metrics()
        fm = self.fontMetrics()
        small = _small_font(self.font())
        grid = pal.color(QPalette.ColorRole.Mid)
        for d, cell in enumerate(self._day_rects):
            day = model.index(d, 0)
            past = bool(day.data(Roles.PAST))
            today = bool(day.data(Roles.TODAY))
            in_focus = bool(day.data(Roles.IN_FOCUS))
            bg = pal.color(QPalette.ColorRole.Base)
            if past or not in_focus:
                bg = _mix(pal.color(QPalette.ColorRole.Window), bg, 0.7)
            painter.fillRect(cell, bg)
            painter.setPen(grid)
            painter.drawRect(cell.adjusted(0, 0, -1, -1))
            head = QRect(cell.left() + 6, cell.top() + 4, cell.width() - 12, header_h - 6)
            if today:
                painter.fillRect(
                    QRect(cell.left(), cell.top(), cell.width(), 3),
                    pal.color(QPalette.ColorRole.Highlight),
                )
            font = QFont(self.font())
            font.setBold(today)
            painter.setFont(font)
            painter.setPen(
                pal.color(
                    QPalette.ColorRole.Highlight
                    if today
                    else QPalette.ColorRole.PlaceholderText
                    if (past or not in_focus)
                    else QPalette.ColorRole.Text
                )
            )
            label = str(day.data(Qt.ItemDataRole.DisplayRole))
            dst = day.data(Roles.DST)
            # The DST marker shortens (then goes; the day's tooltip explains) in narrow columns.
            dst_texts = [f"DST → {str(dst).split('→')[-1].strip()}", "DST"] if dst else [""]
            fm_head, fm_small = QFontMetrics(font), QFontMetrics(small)
            if (
                today
                and fm_head.horizontalAdvance(label + " · today")
                + fm_small.horizontalAdvance(dst_texts[-1])
                + 8
                <= head.width()
            ):
                label += " · today"
            room = head.width() - fm_head.horizontalAdvance(label) - 8
            dst_text = next((t for t in dst_texts if fm_small.horizontalAdvance(t) <= room), "")
            left_mid = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
            painter.drawText(head, int(left_mid), label)
            if dst_text:
                painter.setFont(small)
                painter.setPen(QColor(WARNING_COLOR))
                right_mid = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                painter.drawText(head, int(right_mid), dst_text)
            # Coverage gaps and overflow at the bottom of the day.
            painter.setFont(small)
            lines: list[tuple[str, QColor]] = []
            if d in self._overflow:
                lines.append((f"+{self._overflow[d]} more", pal.color(QPalette.ColorRole.Text)))
            lines += [(g, QColor(WARNING_COLOR)) for g in self._gap_text(day)]
            y = cell.bottom() - _CELL_PAD - len(lines) * fm.height()
            for text, color in lines:
                painter.setPen(color)
                r = QRect(cell.left() + 6, y, cell.width() - 12, fm.height())
                painter.drawText(
                    r,
                    int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
                    QFontMetrics(small).elidedText(text, Qt.TextElideMode.ElideRight, r.width()),
                )
                y += fm.height()

        painter.setFont(self.font())
        selected = set()
        for index in self.selectionModel().selectedIndexes() if self.selectionModel() else []:
            if index.parent().isValid():
                selected.add((index.parent().row(), index.row()))
        current = self.currentIndex()
        for (d, k), rect in self._chip_rects.items():
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
        if is_day and self.hasFocus() and current.row() < len(self._day_rects):
            rect = self._day_rects[current.row()]
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


# --- the reason popup -------------------------------------------------------------------


class ReasonPopup(QFrame):
    """A small popup under the drop: what will happen, an optional reason, Enter to accept.

    When the gesture has several readings (one day or the whole 48 h shift) they are radio
    buttons. ``accepted`` carries the chosen edit with its reason; Esc or a click elsewhere cancels.
    """

    accepted = Signal(object)  # CalendarEdit

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Popup)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAccessibleName("Reason for this edit")
        layout = QVBoxLayout(self)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setMinimumWidth(320)
        font = self.summary.font()
        font.setBold(True)
        self.summary.setFont(font)
        layout.addWidget(self.summary)
        self.choices_box = QWidget()
        self.choices_layout = QVBoxLayout(self.choices_box)
        self.choices_layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.choices_box)
        self.reason = QLineEdit()
        self.reason.setPlaceholderText("Reason (optional) — e.g. sick, dentist, vacation")
        self.reason.setMaxLength(MAX_REASON)
        self.reason.setAccessibleName("Reason (optional)")
        self.reason.returnPressed.connect(self.accept)
        layout.addWidget(self.reason)
        buttons = QDialogButtonBox()
        self.ok = buttons.addButton("Add edit", QDialogButtonBox.ButtonRole.AcceptRole)
        self.ok.setDefault(True)
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.close)
        layout.addWidget(buttons)
        self._group = QButtonGroup(self)
        self._proposal: Proposal | None = None

    def open_for(self, proposal: Proposal, at: QPoint) -> None:
        self._proposal = proposal
        self.summary.setText(proposal.summary)
        for button in self._group.buttons():
            self._group.removeButton(button)
            button.deleteLater()
        if len(proposal.alternatives) > 1:
            self.choices_box.show()
            for i, alt in enumerate(proposal.alternatives):
                radio = QRadioButton(alt.label)
                radio.setChecked(i == 0)
                self._group.addButton(radio, i)
                self.choices_layout.addWidget(radio)
            self._group.idToggled.connect(self._choice_changed)
        else:
            self.choices_box.hide()
        self.reason.clear()
        self.adjustSize()
        self.move(at)
        self.show()
        self.reason.setFocus()

    def _choice_changed(self, button_id: int, checked: bool) -> None:
        if checked and self._proposal is not None:
            alt = self._proposal.alternatives[button_id]
            self.summary.setText(alt.label)

    def chosen_edit(self) -> CalendarEdit | None:
        if self._proposal is None:
            return None
        alts = self._proposal.alternatives
        chosen = self._group.checkedId()
        edit = alts[chosen].edit if len(alts) > 1 and chosen >= 0 else self._proposal.edit
        return with_reason(edit, self.reason.text())

    def accept(self) -> None:
        edit = self.chosen_edit()
        self._proposal = None
        self.close()
        if edit is not None:
            self.accepted.emit(edit)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape:
            self._proposal = None
            self.close()
            return
        super().keyPressEvent(event)


# --- the page -------------------------------------------------------------------------------

LEGEND = (
    f'<span style="color:{OVERRIDE_ACCENT}">▌⇄</span> override (covering someone) · '
    "dashed outline: unsaved edit · faded: over, read-only · "
    "right-click, Enter or the Menu key on a shift: Cover, Swap, Cancel"
)


def _add(menu: QMenu, text: str, slot: Callable[[], object]) -> QAction:
    """A menu action that calls ``slot()`` (ignoring the ``checked`` argument)."""
    action = menu.addAction(text)
    action.triggered.connect(lambda _checked=False: slot())
    return action


class CalendarPage(Page):
    """Week and month calendar with drag-and-drop covers and swaps, undo/redo and one Save.

    Public API (used by the main window and tests):

    * ``title``; ``refresh()`` (reload, keeping pending edits); ``save()`` (apply every pending
      edit in one background transaction); ``pending_count()`` / ``dirty_count()``;
    * ``undo_stack`` — the main window routes Ctrl+Z / Ctrl+Shift+Z to it;
    * ``show_texts_requested(PlannedSpan)`` — "Show texts for this shift" from a chip's menu;
    * ``reason_provider`` — set to a callable ``(Proposal) -> str | None`` to answer the reason
      prompt without the popup (tests, automation); None (the default) shows the popup;
    * ``go_to(day, mode)``, ``step_range(±1)``, ``go_today()``, ``set_mode("week"|"month")``;
    * ``chip_menu(index) -> QMenu`` — the context menu, built but not shown;
    * ``model``, ``view``, ``palette_model``, ``palette_view``, ``plan``, ``notice`` for tests.
    """

    title = "Calendar"
    show_texts_requested = Signal(object)  # PlannedSpan

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.plan = CalendarPlan(ctx.clock)
        self.undo_stack = QUndoStack(self)
        self.model = CalendarModel(self.plan, self.undo_stack, self)
        self.model.proposal_handler = self._on_proposal
        self.palette_model = MemberPaletteModel(self)
        self.reason_provider: ReasonProvider | None = None
        self._mode: ViewMode = "week"
        self._anchor: date | None = None
        self._saving = False
        self._build()
        self.model.drop_refused.connect(self.show_notice)
        self.plan.subscribe(self._plan_changed)
        self.undo_stack.canUndoChanged.connect(self.undo_action.setEnabled)
        self.undo_stack.canRedoChanged.connect(self.redo_action.setEnabled)
        self.undo_stack.undoTextChanged.connect(
            lambda t: self.undo_action.setToolTip(f"Undo: {t} (Ctrl+Z)" if t else "Undo (Ctrl+Z)")
        )
        self.undo_stack.redoTextChanged.connect(
            lambda t: self.redo_action.setToolTip(
                f"Redo: {t} (Ctrl+Shift+Z)" if t else "Redo (Ctrl+Shift+Z)"
            )
        )
        self.apply_read_only(ctx.read_only)
        self._plan_changed()
        # Shifts turn "past" (read-only, dimmed) as the clock moves, without any database change.
        self._clock_timer = QTimer(self)
        self._clock_timer.setInterval(60_000)
        self._clock_timer.timeout.connect(self._clock_tick)

    # --- building ------------------------------------------------------------------------

    def _build(self) -> None:
        outer = QVBoxLayout(self)
        bar = QHBoxLayout()
        self.prev_button = self._tool("◀", "Previous week (Alt+Left)", self._prev, "Alt+Left")
        self.range_label = QLabel("…")
        font = self.range_label.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.15)
        self.range_label.setFont(font)
        self.range_label.setMinimumWidth(190)
        self.range_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.range_label.setAccessibleName("Dates shown")
        self.next_button = self._tool("▶", "Next week (Alt+Right)", self._next, "Alt+Right")
        self.today_button = QPushButton("Today")
        self.today_button.setToolTip("Go to this week (Alt+Home)")
        self.today_button.setAccessibleName("Today")
        self.today_button.clicked.connect(self.go_today)
        today_action = QAction(self)
        today_action.setShortcut("Alt+Home")
        today_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        today_action.triggered.connect(self.go_today)
        self.addAction(today_action)
        self.week_button = QToolButton()
        self.week_button.setText("Week")
        self.month_button = QToolButton()
        self.month_button.setText("Month")
        self.mode_group = QButtonGroup(self)
        for button, mode in ((self.week_button, "week"), (self.month_button, "month")):
            button.setCheckable(True)
            button.setAccessibleName(f"{mode.title()} view")
            button.setToolTip(f"Show a {mode}")
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
            self.mode_group.addButton(button)
            button.clicked.connect(lambda _=False, m=mode: self.set_mode(m))
        self.week_button.setChecked(True)
        self.undo_action = QAction("Undo", self)
        self.undo_action.setToolTip("Undo (Ctrl+Z)")
        self.undo_action.setEnabled(False)
        self.undo_action.triggered.connect(self.undo_stack.undo)
        self.redo_action = QAction("Redo", self)
        self.redo_action.setToolTip("Redo (Ctrl+Shift+Z)")
        self.redo_action.setEnabled(False)
        self.redo_action.triggered.connect(self.undo_stack.redo)
        self.undo_button = QToolButton()
        self.undo_button.setDefaultAction(self.undo_action)
        self.undo_button.setAccessibleName("Undo")
        self.redo_button = QToolButton()
        self.redo_button.setDefaultAction(self.redo_action)
        self.redo_button.setAccessibleName("Redo")
        self.save_button = QPushButton("Save")
        self.save_button.setAccessibleName("Save calendar edits")
        self.save_button.clicked.connect(self.save)
        for w in (self.prev_button, self.range_label, self.next_button, self.today_button):
            bar.addWidget(w)
        bar.addSpacing(8)
        bar.addWidget(self.week_button)
        bar.addWidget(self.month_button)
        bar.addStretch(1)
        for w in (self.undo_button, self.redo_button, self.save_button):
            bar.addWidget(w)
        outer.addLayout(bar)

        self.notice = QLabel()
        self.notice.setWordWrap(True)
        self.notice.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.notice.setAccessibleName("Calendar message")
        self.notice.setStyleSheet(
            f"QLabel {{ border: 1px solid {WARNING_COLOR}; border-radius: 4px; padding: 4px; }}"
        )
        self.notice.hide()
        outer.addWidget(self.notice)

        self.stack = QStackedWidget()
        body = QSplitter(Qt.Orientation.Horizontal)
        side = QWidget()
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(0, 0, 0, 0)
        team = QLabel("Team")
        tf = team.font()
        tf.setBold(True)
        team.setFont(tf)
        side_layout.addWidget(team)
        self.palette_view = QListView()
        self.palette_view.setModel(self.palette_model)
        self.palette_view.setDragEnabled(True)
        self.palette_view.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.palette_view.setDefaultDropAction(Qt.DropAction.CopyAction)
        self.palette_view.setAccessibleName("Team: drag a member onto a shift to cover it")
        self.palette_view.setToolTip("Drag a member onto a shift or a day to cover it")
        self.palette_view.setIconSize(QSize(14, 14))
        self.palette_view.setSpacing(2)
        side_layout.addWidget(self.palette_view, 1)
        hint = QLabel(
            "Drag a person onto a shift to cover it; drag a shift onto another to swap them."
        )
        hint.setWordWrap(True)
        hint.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        side_layout.addWidget(hint)
        side.setMinimumWidth(120)
        body.addWidget(side)

        self.view = CalendarGridView()
        self.view.setModel(self.model)
        self.view.chip_menu_requested.connect(self._show_chip_menu)
        self.view.drop_hint.connect(self._drop_hint)
        grid_box = QWidget()
        grid_layout = QVBoxLayout(grid_box)
        grid_layout.setContentsMargins(0, 0, 0, 0)
        grid_layout.addWidget(self.view, 1)
        self.legend = QLabel(LEGEND)
        self.legend.setWordWrap(True)
        # Fixed height: drag hints replace the legend while dragging without moving the grid.
        self.legend.setFixedHeight(2 * self.legend.fontMetrics().height() + 4)
        self.legend.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.legend.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.legend.setAccessibleName("Calendar legend")
        grid_layout.addWidget(self.legend)
        body.addWidget(grid_box)
        body.setStretchFactor(0, 0)
        body.setStretchFactor(1, 1)
        body.setSizes([140, 1000])
        self.stack.addWidget(body)
        self.empty = EmptyState("Loading the calendar…")
        self.stack.addWidget(self.empty)
        self.stack.setCurrentWidget(self.empty)
        outer.addWidget(self.stack, 1)

        self.popup = ReasonPopup(self)
        self.popup.accepted.connect(self.model.push)

    def _tool(self, text: str, tip: str, slot: Callable[[], None], shortcut: str) -> QToolButton:
        action = QAction(text, self)
        action.setToolTip(tip)
        action.setShortcut(shortcut)
        action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        action.triggered.connect(slot)
        self.addAction(action)
        button = QToolButton()
        button.setDefaultAction(action)
        button.setAccessibleName(tip.split(" (")[0])
        return button

    # --- public API -----------------------------------------------------------------------

    def pending_count(self) -> int:
        return self.plan.pending_count

    def dirty_count(self) -> int:
        return self.plan.pending_count

    @property
    def mode(self) -> ViewMode:
        return self._mode

    def refresh(self) -> None:
        """Reload the shown range from the database; pending edits stay and are re-applied."""
        extra = self.plan.required_window()
        anchor, mode, now = self._anchor, self._mode, self.ctx.clock.now()
        self.read(
            lambda uow: fetch_calendar(uow, now, anchor, mode, extra),
            self._loaded,
            on_no_team=self._no_team,
        )

    def go_to(self, day: date, mode: ViewMode | None = None) -> None:
        self._anchor = day
        if mode is not None:
            self._set_mode_buttons(mode)
        self.refresh()

    def go_today(self) -> None:
        self._anchor = None
        self.refresh()

    def step_range(self, direction: int) -> None:
        if self._anchor is None:
            return
        self._anchor = step(self._anchor, self._mode, direction)
        self.refresh()

    def set_mode(self, mode: ViewMode) -> None:
        if mode != self._mode:
            self._set_mode_buttons(mode)
            self.refresh()

    def _set_mode_buttons(self, mode: ViewMode) -> None:
        self._mode = mode
        (self.week_button if mode == "week" else self.month_button).setChecked(True)
        unit = "week" if mode == "week" else "month"
        self.prev_button.defaultAction().setToolTip(f"Previous {unit} (Alt+Left)")
        self.next_button.defaultAction().setToolTip(f"Next {unit} (Alt+Right)")
        self.view.set_compact(mode == "month")

    def _prev(self) -> None:
        self.step_range(-1)

    def _next(self) -> None:
        self.step_range(1)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._clock_timer.start()
        self._clock_tick()

    def hideEvent(self, event: QHideEvent) -> None:
        self._clock_timer.stop()
        super().hideEvent(event)

    def _clock_tick(self) -> None:
        busy = self.popup.isVisible() or self.view.state() != QAbstractItemView.State.NoState
        if not busy and self.model.is_stale_in_time():
            self.model.rebuild()

    # --- loading --------------------------------------------------------------------------

    def _loaded(self, loaded: LoadedCalendar) -> None:
        self._anchor = loaded.anchor
        self.model.set_range(loaded.first_day, loaded.days, loaded.focus_month, rebuild=False)
        self.model.set_texts(loaded.texts)
        self.plan.set_view(loaded.view)  # rebuilds the model; pending edits are kept
        self.palette_model.set_members(loaded.view.members)
        self.range_label.setText(range_title(loaded.first_day, loaded.days, loaded.focus_month))
        self.stack.setCurrentIndex(0)
        stale = self.plan.pending_view().stale
        if stale:
            self.show_notice(
                f"{len(stale)} unsaved edit(s) no longer fit the calendar (someone regenerated "
                "or changed those shifts). Undo them, or Save and choose what to keep."
            )

    def _no_team(self) -> None:
        self.empty.set_text(NO_TEAM_TEXT)
        self.stack.setCurrentWidget(self.empty)

    # --- editing ------------------------------------------------------------------------

    def _on_proposal(self, proposal: Proposal) -> None:
        """A drop or a menu choice became a proposal: ask for the reason, then push it."""
        self.hide_notice()
        if not proposal.asks_reason:
            self.model.push(proposal.edit)
            return
        if self.reason_provider is not None:
            reason = self.reason_provider(proposal)
            if reason is not None:
                self.model.push(with_reason(proposal.edit, reason))
            return
        at = self.view.anchor_global
        if at.isNull():
            at = self.view.viewport().mapToGlobal(self.view.viewport().rect().center())
        self.popup.open_for(proposal, at)

    def chip_menu(self, index: QModelIndex | QPersistentModelIndex) -> QMenu:
        """The context menu for a chip (or a day): every drag action, by keyboard."""
        menu = QMenu(self)
        seg = self.model.segment(index)
        cell = self.model.day_cell(index)
        editable = self.model.read_only_reason is None
        members = self.palette_model.members()
        if seg is not None:
            span = seg.span
            open_ = editable and not seg.past
            others = [m for m in members if m.id != span.member_id]
            cover = menu.addMenu("Cover whole shift with" if seg.multi_day else "Cover with")
            cover.setEnabled(open_)
            for m in others:
                _add(cover, m.name, partial(self.model.propose_cover, seg, m.id, whole_span=True))
            if seg.multi_day:
                day = self.model.data(self.model.parent(index), Qt.ItemDataRole.DisplayRole)
                part = menu.addMenu(f"Cover {day} only with")
                part.setEnabled(open_)
                for m in others:
                    _add(
                        part, m.name, partial(self.model.propose_cover, seg, m.id, whole_span=False)
                    )
            swap = menu.addMenu("Swap with")
            first_day = self.model.first_day
            candidates = (
                self.plan.swap_candidates(span.entry_id, first_day, self.model.day_count)
                if open_ and span.entry_id is not None and first_day is not None
                else []
            )
            swap.setEnabled(bool(candidates))
            for other in candidates:
                if other.entry_id is not None:
                    _add(
                        swap,
                        f"{self._short_when(other)} · {other.member_name}",
                        partial(self.model.propose_swap, seg, other.entry_id),
                    )
            cancel = _add(menu, "Cancel override", partial(self.model.propose_cancel, seg))
            cancel.setEnabled(open_ and span.override_id is not None)
            if span.pending and span.override_id is None and span.is_override:
                cancel.setText("Cancel override (unsaved — use Undo)")
            menu.addSeparator()
            _add(menu, "Show texts for this shift", partial(self.show_texts_requested.emit, span))
        elif cell is not None:
            cover = menu.addMenu(f"Cover {self.model.data(index)} with")
            cover.setEnabled(editable and not cell.past)
            for m in members:
                _add(cover, m.name, partial(self.model.propose_cover, cell, m.id))
        return menu

    def _short_when(self, span: PlannedSpan) -> str:
        return when_compact(span.start, self.plan.tz)

    def _show_chip_menu(self, index: QModelIndex, at: QPoint) -> None:
        if not index.isValid():
            return
        menu = self.chip_menu(index)
        menu.exec(at)
        menu.deleteLater()

    # --- saving ---------------------------------------------------------------------------

    def save(self) -> None:
        """Apply every pending edit in one transaction, off the GUI thread (Ctrl+S)."""
        if self._saving or not self.plan.pending_count:
            return
        if self.ctx.read_only:
            self.show_notice("This database is read-only: your edits cannot be saved.")
            return
        edits = [(e, self.plan.describe(e)) for e in self.plan.edits]
        db, actor, clock = self.ctx.db, self.ctx.actor, self.ctx.clock
        self._set_saving(True)
        save_with_conflict_check(
            self.ctx,
            lambda force: save_edits(db, actor, clock, edits, force=force),
            self._saved,
            subject="the calendar",
            take_theirs=self._take_theirs,
            review=self._review,
            on_error=self._save_failed,
            busy=self.save_button,
        )

    def _saved(self, result: SaveResult) -> None:
        self._set_saving(False)
        self.plan.clear()
        self.undo_stack.clear()
        self.hide_notice()
        self.ctx.messages.flash(f"Saved {result.applied} calendar edit(s).")
        if result.dropped:
            self.ctx.messages.info(
                "Some edits no longer applied",
                f"Saved {result.applied} edit(s). These no longer made sense on the current "
                "calendar and were left out:\n• " + "\n• ".join(result.dropped),
            )

    def _take_theirs(self) -> None:
        self._set_saving(False)
        self.plan.clear()
        self.undo_stack.clear()
        self.hide_notice()

    def _review(self, error: ConflictError) -> None:
        self._set_saving(False)
        items = "\n• ".join(error.conflicts) if error.conflicts else str(error)
        self.show_notice(
            "The calendar changed since you planned these edits:\n• "
            + items
            + f"\nYour {self.plan.pending_count} edit(s) are still pending (dashed). Adjust or "
            "undo them, then Save again."
        )

    def _save_failed(self, exc: BaseException) -> None:
        self._set_saving(False)
        self.ctx.messages.exception(exc)

    def _set_saving(self, saving: bool) -> None:
        self._saving = saving
        self._apply_edit_state()
        self._plan_changed()

    # --- state ----------------------------------------------------------------------------

    def apply_read_only(self, read_only: bool) -> None:
        self._apply_edit_state()
        self._plan_changed()

    def _apply_edit_state(self) -> None:
        if self.ctx.read_only:
            reason = "this database is read-only: the calendar can be viewed, not changed"
        elif self._saving:
            reason = "saving… try again in a moment"
        else:
            reason = None
        self.model.set_read_only(reason)
        self.palette_model.draggable = not self.ctx.read_only
        self.palette_view.setDragEnabled(not self.ctx.read_only)

    def _plan_changed(self) -> None:
        n = self.plan.pending_count
        if self._saving:
            self.save_button.setText("Saving…")
        else:
            self.save_button.setText(f"Save {n} edit{'s' if n != 1 else ''}" if n else "Save")
        self.save_button.setEnabled(bool(n) and not self._saving and not self.ctx.read_only)
        if n:
            self.save_button.setToolTip(
                "Save these edits in one go (Ctrl+S):\n• "
                + "\n• ".join(self.plan.describe(e) for e in self.plan.edits)
            )
        else:
            self.save_button.setToolTip("Nothing to save: drag a person onto a shift first")
        self.ctx.report_dirty("calendar", n)

    def show_notice(self, text: str) -> None:
        self.notice.setText(text)
        self.notice.setVisible(bool(text))

    def hide_notice(self) -> None:
        self.notice.clear()
        self.notice.hide()

    def _drop_hint(self, text: str) -> None:
        """While dragging: why the drop under the cursor would be refused (below the grid, so
        nothing moves under the cursor), else the legend."""
        if text:
            self.legend.setText(
                f'<span style="color:{WARNING_COLOR}">Can\'t drop here: {escape(text)}</span>'
            )
        else:
            self.legend.setText(LEGEND)
