"""The calendar's Qt model: the days with their shift chips, and drag and drop onto them.

:class:`CalendarModel` is a two-level tree over the plan's days
(:class:`~whoseonfirst_gui.calendar.days.DayCell`): the top-level rows are the visible days (7 for
a week, 35 or 42 for a month), and each day's children are the chips drawn on it
(:class:`~whoseonfirst_gui.calendar.days.ChipSegment`). One column. The week and the month views
are the same model laid out in seven columns; what each role answers is in
:mod:`~whoseonfirst_gui.calendar.roles`.

Drag and drop goes through the standard item-model API, so it is testable without a mouse:

* ``mimeData([chip])`` → an ``application/x-whoseonfirst-span`` payload;
* ``dropMimeData(member payload, parent=chip)`` → a Cover of that chip (one day of a multi-day
  chip covers that day); ``parent=day`` → a Cover of that day's on-call time;
* ``dropMimeData(span payload, parent=chip)`` → a Swap of the two entries.

``dropMimeData`` never touches the database: it validates through the plan, turns the gesture into
a :class:`~whoseonfirst_gui.calendar.proposals.Proposal` and hands it to
:attr:`CalendarModel.proposal_handler` (the page asks for a reason there, then pushes an undoable
command); without a handler the edit is pushed at once with no reason. A refused drop emits
:attr:`CalendarModel.drop_refused` with a
message saying why. ``(parent=day, row=r)`` — what a generic item view passes for a drop between
items — means chip ``r`` of that day: a calendar has no insertion points.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from PySide6.QtCore import (
    QAbstractItemModel,
    QMimeData,
    QModelIndex,
    QObject,
    Qt,
    Signal,
)
from PySide6.QtGui import QUndoStack

from whoseonfirst_core.usecases.dto import NotificationDTO
from whoseonfirst_gui import format as fmt
from whoseonfirst_gui import mime
from whoseonfirst_gui.calendar import chip_text
from whoseonfirst_gui.calendar.days import ChipSegment, DayCell, PlannedSpan, layout_days
from whoseonfirst_gui.calendar.plan import CalendarPlan, PlanError
from whoseonfirst_gui.calendar.proposals import (
    Proposal,
    cancel_on_proposal,
    cover_proposal,
    refuse_past,
    swap_drop_proposal,
    swap_with_proposal,
)
from whoseonfirst_gui.calendar.roles import chip_data, day_data
from whoseonfirst_gui.calendar.undo import push_edit
from whoseonfirst_gui.qtmodels.rows import Index

_ROOT = QModelIndex()
#: internalId of a day index; a chip's internalId is its day's row + 1.
_DAY_ID = 0


ProposalHandler = Callable[[Proposal], None]
Target = Index | ChipSegment | DayCell


class CalendarModel(QAbstractItemModel):
    """Days → chips over a :class:`CalendarPlan`; drops become undoable pending edits."""

    drop_refused = Signal(str)

    def __init__(
        self, plan: CalendarPlan, undo_stack: QUndoStack, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.plan = plan
        self.undo_stack = undo_stack
        #: Where proposals go (the page's reason prompt); None pushes them at once.
        self.proposal_handler: ProposalHandler | None = None
        self._days: list[DayCell] = []
        self._first_day: date | None = None
        self._day_count = 0
        self._focus_month: int | None = None
        self._read_only_reason: str | None = None
        self._texts: dict[tuple[int, datetime], list[NotificationDTO]] = {}
        self._confirmed: Mapping[tuple[int, datetime], datetime] = {}
        self._unsubscribe = plan.subscribe(self.rebuild)

    # --- configuration ---------------------------------------------------------------------

    def set_range(
        self, first_day: date, days: int, focus_month: int | None = None, *, rebuild: bool = True
    ) -> None:
        """Show ``days`` days from ``first_day`` (local dates). ``rebuild=False`` when a new view
        is about to be loaded into the plan anyway (that rebuilds)."""
        self._first_day, self._day_count, self._focus_month = first_day, days, focus_month
        if rebuild:
            self.rebuild()

    @property
    def first_day(self) -> date | None:
        return self._first_day

    @property
    def day_count(self) -> int:
        return self._day_count

    def set_texts(
        self,
        texts: Sequence[NotificationDTO],
        confirmed: Mapping[tuple[int, datetime], datetime] | None = None,
    ) -> None:
        """The shift-start texts of the loaded window and when spans were confirmed by text
        (``(member_id, span start)`` → instant), shown in the chip tooltips. Call before the
        plan gets its new view (that rebuilds the model)."""
        self._confirmed = confirmed or {}
        self._texts = {}
        for text in texts:
            if text.member_id is not None and text.span_start is not None:
                self._texts.setdefault((text.member_id, text.span_start), []).append(text)

    def texts_for(self, span: PlannedSpan) -> list[NotificationDTO]:
        """The shift-start texts sent (or queued) for ``span``'s person at its start."""
        return list(self._texts.get((span.member_id, span.start), ()))

    def confirmed_for(self, span: PlannedSpan) -> datetime | None:
        """When ``span``'s person confirmed it by text (None: not confirmed)."""
        return self._confirmed.get((span.member_id, span.start))

    def set_read_only(self, reason: str | None) -> None:
        """Refuse every drop with ``reason`` (read-only database, a save in flight), or allow."""
        self._read_only_reason = reason
        if self._days:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self._days) - 1, 0))

    @property
    def read_only_reason(self) -> str | None:
        return self._read_only_reason

    def rebuild(self) -> None:
        """Recompute the days from the plan (after an edit, an undo, a reload, a new range)."""
        self.beginResetModel()
        if self.plan.loaded and self._first_day is not None:
            pending = self.plan.pending_view()
            self._days = layout_days(
                pending.spans,
                pending.gaps,
                self._first_day,
                self._day_count,
                self.plan.tz,
                self.plan.now(),
                self._focus_month,
            )
        else:
            self._days = []
        self.endResetModel()

    def is_stale_in_time(self) -> bool:
        """True when the clock moved past a chip's start or end (or midnight) since the last
        rebuild, so "past", "running" and "today" need redrawing."""
        now = self.plan.now()
        for cell in self._days:
            if (cell.end <= now) != cell.past or (cell.start <= now < cell.end) != cell.today:
                return True
            for c in cell.chips:
                if (c.end <= now) != c.past or (c.start <= now < c.end) != c.running:
                    return True
        return False

    # --- lookups ------------------------------------------------------------------------------

    def day_cell(self, index: Index) -> DayCell | None:
        if not index.isValid() or index.model() is not self:
            return None
        if index.internalId() == _DAY_ID:
            return self._days[index.row()] if 0 <= index.row() < len(self._days) else None
        return self.day_cell(index.parent())

    def segment(self, index: Index) -> ChipSegment | None:
        if not index.isValid() or index.model() is not self or index.internalId() == _DAY_ID:
            return None
        day = self._days[int(index.internalId()) - 1]
        return day.chips[index.row()] if 0 <= index.row() < len(day.chips) else None

    def day_index(self, day: date) -> QModelIndex:
        for row, cell in enumerate(self._days):
            if cell.day == day:
                return self.index(row, 0)
        return QModelIndex()

    # --- structure ----------------------------------------------------------------------------

    def index(self, row: int, column: int, parent: Index = _ROOT) -> QModelIndex:
        if not self.hasIndex(row, column, parent):
            return QModelIndex()
        if not parent.isValid():
            return self.createIndex(row, column, _DAY_ID)
        if parent.internalId() == _DAY_ID:
            return self.createIndex(row, column, parent.row() + 1)
        return QModelIndex()

    def parent(self, child: Index = _ROOT) -> QModelIndex:  # type: ignore[override]
        if not child.isValid() or child.internalId() == _DAY_ID:
            return QModelIndex()
        return self.createIndex(int(child.internalId()) - 1, 0, _DAY_ID)

    def rowCount(self, parent: Index = _ROOT) -> int:
        if not parent.isValid():
            return len(self._days)
        if parent.column() != 0:
            return 0
        if parent.internalId() == _DAY_ID and 0 <= parent.row() < len(self._days):
            return len(self._days[parent.row()].chips)
        return 0

    def columnCount(self, parent: Index = _ROOT) -> int:
        return 1

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        seg = self.segment(index)
        editable = self._read_only_reason is None
        if seg is not None:
            if not seg.past and editable:
                flags |= Qt.ItemFlag.ItemIsDropEnabled
                if seg.span.entry_id is not None:
                    flags |= Qt.ItemFlag.ItemIsDragEnabled
            return flags | Qt.ItemFlag.ItemNeverHasChildren
        cell = self.day_cell(index)
        if cell is not None and not cell.past and editable:
            flags |= Qt.ItemFlag.ItemIsDropEnabled
        return flags

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return "Calendar" if section == 0 else None
        return None

    # --- data -----------------------------------------------------------------------------

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        seg = self.segment(index)
        if seg is not None:
            return self._chip_data(seg, role)
        cell = self.day_cell(index)
        if cell is not None:
            return self._day_data(cell, role)
        return None

    def _chip_data(self, seg: ChipSegment, role: int) -> Any:
        return chip_data(seg, role, self.plan.tz, self.texts_for, self.confirmed_for)

    def _day_data(self, cell: DayCell, role: int) -> Any:
        return day_data(cell, role, self.plan.tz)

    # --- drag and drop --------------------------------------------------------------------

    def mimeTypes(self) -> list[str]:
        return list(mime.ALL_TYPES)

    def supportedDropActions(self) -> Qt.DropAction:
        return Qt.DropAction.CopyAction | Qt.DropAction.MoveAction

    def supportedDragActions(self) -> Qt.DropAction:
        # Copy only: a chip is never removed from the calendar by dragging it.
        return Qt.DropAction.CopyAction

    def mimeData(self, indexes: Sequence[QModelIndex]) -> QMimeData | None:  # type: ignore[override]
        for index in indexes:
            seg = self.segment(index)
            if seg is not None and seg.span.entry_id is not None and not seg.past:
                s = seg.span
                return mime.span_mime(
                    s.entry_id,
                    s.start,
                    s.end,
                    s.member_id,
                    f"{s.member_name}: {chip_text.times(seg, self.plan.tz)}",
                )
        return None

    def canDropMimeData(
        self, data: QMimeData, action: Qt.DropAction, row: int, column: int, parent: Index
    ) -> bool:
        try:
            return self._proposal_for_drop(data, row, parent) is not None
        except PlanError:
            return False

    def drop_refusal(self, data: QMimeData, row: int, parent: Index) -> str | None:
        """Why a drop here would be refused (for hints during a drag), or None."""
        try:
            proposal = self._proposal_for_drop(data, row, parent)
        except PlanError as exc:
            return str(exc)
        return None if proposal is not None else "drop a team member or a shift here"

    def dropMimeData(
        self, data: QMimeData, action: Qt.DropAction, row: int, column: int, parent: Index
    ) -> bool:
        if action == Qt.DropAction.IgnoreAction:
            return True
        try:
            proposal = self._proposal_for_drop(data, row, parent)
        except PlanError as exc:
            self._refused(exc)
            return False
        if proposal is None:
            return False
        self.submit_proposal(proposal)
        return True

    def _target(self, row: int, parent: Index) -> ChipSegment | DayCell | None:
        seg = self.segment(parent)
        if seg is not None:
            return seg
        cell = self.day_cell(parent)
        if cell is None:
            return None
        if 0 <= row < len(cell.chips):
            return cell.chips[row]
        return cell

    def _proposal_for_drop(self, data: QMimeData, row: int, parent: Index) -> Proposal | None:
        """What dropping ``data`` there would do; None if it is not ours. Raises PlanError."""
        if not any(data.hasFormat(t) for t in mime.ALL_TYPES):
            return None
        try:
            member = mime.decode_member(data)
            span = None if member is not None else mime.decode_span(data)
        except mime.PayloadError as exc:
            raise PlanError(f"that drop is not something the calendar understands ({exc})") from exc
        if self._read_only_reason is not None:
            raise PlanError(self._read_only_reason)
        target = self._target(row, parent)
        if target is None:
            raise PlanError("drop on a shift or a day")
        refuse_past(target, self.plan.tz)
        if member is not None:
            return cover_proposal(self.plan, target, member.member_id)
        assert span is not None
        return swap_drop_proposal(self.plan, target, span.entry_id, span.start, span.end)

    # --- proposals from menus and drops -----------------------------------------------------
    # ``where`` is an index, or the chip/day it showed: a menu keeps the data, not the index,
    # so a live refresh (a model reset) while the menu is open does not lose its target.

    def propose_cover(self, where: Target, member_id: int, *, whole_span: bool = True) -> None:
        """The context-menu path of a member drop: "Cover with ▸ member"."""
        self._propose(
            lambda target: cover_proposal(self.plan, target, member_id, whole_span=whole_span),
            where,
        )

    def propose_swap(self, where: Target, other_entry_id: int) -> None:
        """The context-menu path of a chip-on-chip drop: "Swap with ▸ shift"."""
        self._propose(lambda target: swap_with_proposal(self.plan, target, other_entry_id), where)

    def propose_cancel(self, where: Target) -> None:
        """ "Cancel override" on a chip covered by a stored override."""
        self._propose(lambda target: cancel_on_proposal(self.plan, target), where)

    def _propose(self, build: Callable[[ChipSegment | DayCell], Proposal], where: Target) -> None:
        target = where if isinstance(where, ChipSegment | DayCell) else self._target(-1, where)
        try:
            if self._read_only_reason is not None:
                raise PlanError(self._read_only_reason)
            if target is None:
                raise PlanError("choose a shift or a day first")
            refuse_past(target, self.plan.tz)
            proposal = build(target)
        except PlanError as exc:
            self._refused(exc)
            return
        self.submit_proposal(proposal)

    def submit_proposal(self, proposal: Proposal) -> None:
        """Hand ``proposal`` to the handler (the reason prompt), or push it as it is."""
        if self.proposal_handler is not None:
            self.proposal_handler(proposal)
        else:
            self.push(proposal.edit)

    def push(self, edit: Any) -> bool:
        """Check ``edit`` again and push it on the undo stack; False (and a message) if refused."""
        try:
            push_edit(self.undo_stack, self.plan, edit)
        except PlanError as exc:
            self._refused(exc)
            return False
        return True

    def _refused(self, exc: PlanError) -> None:
        self.drop_refused.emit(fmt.sentence(str(exc), end="."))
