"""Qt models for the calendar: days with their shift chips, and the team palette.

:class:`CalendarModel` is a two-level tree over the plan's :class:`~whoseonfirst_gui.plan.DayCell`
list: the top-level rows are the visible days (7 for a week, 35 or 42 for a month), and each day's
children are the chips drawn on it (:class:`~whoseonfirst_gui.plan.ChipSegment`). One column.
The week and the month views are the same model laid out in seven columns.

Drag and drop goes through the standard item-model API, so it is testable without a mouse:

* ``mimeData([chip])`` → an ``application/x-whoseonfirst-span`` payload;
* ``dropMimeData(member payload, parent=chip)`` → a Cover of that chip (one day of a multi-day
  chip covers that day); ``parent=day`` → a Cover of that day's on-call time;
* ``dropMimeData(span payload, parent=chip)`` → a Swap of the two entries.

``dropMimeData`` never touches the database: it validates through the plan, turns the gesture into
a :class:`~whoseonfirst_gui.plan.Proposal` and hands it to :attr:`CalendarModel.proposal_handler`
(the page asks for a reason there, then pushes an undoable command); without a handler the edit is
pushed at once with no reason. A refused drop emits :attr:`CalendarModel.drop_refused` with a
message saying why. ``(parent=day, row=r)`` — what a generic item view passes for a drop between
items — means chip ``r`` of that day: a calendar has no insertion points.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime, time
from enum import IntEnum
from typing import Any

from PySide6.QtCore import (
    QAbstractItemModel,
    QAbstractListModel,
    QMimeData,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor, QUndoStack

from whoseonfirst_core.domain.notification import Status
from whoseonfirst_core.domain.timeutil import WEEKDAY_ABBR, fmt_duration, fmt_local, to_utc
from whoseonfirst_core.usecases.dto import MemberDTO, NotificationDTO
from whoseonfirst_gui import format as fmt
from whoseonfirst_gui import mime
from whoseonfirst_gui.plan import (
    CalendarPlan,
    ChipSegment,
    DayCell,
    PlanError,
    PlannedSpan,
    Proposal,
    layout_days,
)
from whoseonfirst_gui.undo import push_edit

AnyIndex = QModelIndex | QPersistentModelIndex
_ROOT = QModelIndex()
#: internalId of a day index; a chip's internalId is its day's row + 1.
_DAY_ID = 0


class Roles(IntEnum):
    KIND = Qt.ItemDataRole.UserRole + 1  # "day" or "chip"
    # chips
    MEMBER_ID = Qt.ItemDataRole.UserRole + 2
    MEMBER_NAME = Qt.ItemDataRole.UserRole + 3
    COLOR = Qt.ItemDataRole.UserRole + 4  # "#RRGGBB"
    TIMES = Qt.ItemDataRole.UserRole + 5  # "Thu 08:00 CST → Fri 08:00 CST" (this chip's slice)
    DETAIL = Qt.ItemDataRole.UserRole + 6  # a short second line for the week view
    OVERRIDE = Qt.ItemDataRole.UserRole + 7  # covered by an override (stored or pending)
    PENDING = Qt.ItemDataRole.UserRole + 8  # changed by an unsaved edit
    PAST = Qt.ItemDataRole.UserRole + 9  # over (read-only); for a day: the day is over
    SCHEDULED_NAME = Qt.ItemDataRole.UserRole + 10
    REASON = Qt.ItemDataRole.UserRole + 11
    SLICE = Qt.ItemDataRole.UserRole + 12  # (index, count) of a multi-day chip
    SEGMENT = Qt.ItemDataRole.UserRole + 13  # the ChipSegment
    RUNNING = Qt.ItemDataRole.UserRole + 14
    ZONE = Qt.ItemDataRole.UserRole + 15  # "CST" / "CDT" at the chip's start
    # days
    DATE = Qt.ItemDataRole.UserRole + 20
    TODAY = Qt.ItemDataRole.UserRole + 21
    DST = Qt.ItemDataRole.UserRole + 22  # "CST → CDT" on the day the clocks change
    GAPS = Qt.ItemDataRole.UserRole + 23  # tuple of "00:00–08:00 CST" strings
    IN_FOCUS = Qt.ItemDataRole.UserRole + 24  # inside the month shown
    DAY = Qt.ItemDataRole.UserRole + 25  # the DayCell


ProposalHandler = Callable[[Proposal], None]
Target = QModelIndex | QPersistentModelIndex | ChipSegment | DayCell


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

    def set_texts(self, texts: Sequence[NotificationDTO]) -> None:
        """The shift-start texts of the loaded window, shown in the chip tooltips. Call before
        the plan gets its new view (that rebuilds the model)."""
        self._texts = {}
        for text in texts:
            if text.member_id is not None and text.span_start is not None:
                self._texts.setdefault((text.member_id, text.span_start), []).append(text)

    def texts_for(self, span: PlannedSpan) -> list[NotificationDTO]:
        """The shift-start texts sent (or queued) for ``span``'s person at its start."""
        return list(self._texts.get((span.member_id, span.start), ()))

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

    def day_cell(self, index: AnyIndex) -> DayCell | None:
        if not index.isValid() or index.model() is not self:
            return None
        if index.internalId() == _DAY_ID:
            return self._days[index.row()] if 0 <= index.row() < len(self._days) else None
        return self.day_cell(index.parent())

    def segment(self, index: AnyIndex) -> ChipSegment | None:
        if not index.isValid() or index.model() is not self or index.internalId() == _DAY_ID:
            return None
        day = self._days[int(index.internalId()) - 1]
        return day.chips[index.row()] if 0 <= index.row() < len(day.chips) else None

    def days(self) -> Sequence[DayCell]:
        return tuple(self._days)

    def day_index(self, day: date) -> QModelIndex:
        for row, cell in enumerate(self._days):
            if cell.day == day:
                return self.index(row, 0)
        return QModelIndex()

    def chip_indexes(self) -> list[QModelIndex]:
        """Every chip index, day by day."""
        out: list[QModelIndex] = []
        for row, cell in enumerate(self._days):
            parent = self.index(row, 0)
            out += [self.index(r, 0, parent) for r in range(len(cell.chips))]
        return out

    def find_chip(
        self, day: date, predicate: Callable[[ChipSegment], bool] | None = None
    ) -> QModelIndex:
        """The first chip on ``day`` (matching ``predicate``), or an invalid index."""
        parent = self.day_index(day)
        cell = self.day_cell(parent)
        if cell is None:
            return QModelIndex()
        for r, chip in enumerate(cell.chips):
            if predicate is None or predicate(chip):
                return self.index(r, 0, parent)
        return QModelIndex()

    # --- structure ----------------------------------------------------------------------------

    def index(self, row: int, column: int, parent: AnyIndex = _ROOT) -> QModelIndex:
        if not self.hasIndex(row, column, parent):
            return QModelIndex()
        if not parent.isValid():
            return self.createIndex(row, column, _DAY_ID)
        if parent.internalId() == _DAY_ID:
            return self.createIndex(row, column, parent.row() + 1)
        return QModelIndex()

    def parent(self, child: AnyIndex = _ROOT) -> QModelIndex:  # type: ignore[override]
        if not child.isValid() or child.internalId() == _DAY_ID:
            return QModelIndex()
        return self.createIndex(int(child.internalId()) - 1, 0, _DAY_ID)

    def rowCount(self, parent: AnyIndex = _ROOT) -> int:
        if not parent.isValid():
            return len(self._days)
        if parent.column() != 0:
            return 0
        if parent.internalId() == _DAY_ID and 0 <= parent.row() < len(self._days):
            return len(self._days[parent.row()].chips)
        return 0

    def columnCount(self, parent: AnyIndex = _ROOT) -> int:
        return 1

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
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

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
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
        getter = _CHIP_ROLES.get(role)
        return getter(self, seg) if getter is not None else None

    def _day_data(self, cell: DayCell, role: int) -> Any:
        getter = _DAY_ROLES.get(role)
        return getter(self, cell) if getter is not None else None

    def _accessible_chip(self, seg: ChipSegment) -> str:
        state = " (unsaved)" if seg.span.pending else ""
        return f"{seg.span.member_name} on call {self._times(seg)}{state}"

    def _gap_texts(self, cell: DayCell) -> tuple[str, ...]:
        return tuple(
            "all day" if (a, b) == (cell.start, cell.end) else self._clock_range(a, b)
            for a, b in cell.gaps
        )

    def _times(self, seg: ChipSegment) -> str:
        tz = self.plan.tz
        return f"{fmt_local(seg.start, tz)} → {fmt_local(seg.end, tz)}"

    def _clock_range(self, a: datetime, b: datetime) -> str:
        """``00:00–08:00 CST`` (a stretch within one day; its end at midnight is ``24:00``)."""
        la, lb = to_utc(a).astimezone(self.plan.tz), to_utc(b).astimezone(self.plan.tz)
        end = "24:00" if lb.date() > la.date() and lb.time() == time(0) else f"{lb:%H:%M}"
        return f"{la:%H:%M}–{end} {la.tzname()}"

    def _detail(self, seg: ChipSegment) -> str:
        """The week view's lines under the name: this slice's start and end (with the zone of
        each instant), then what kind of chip it is."""
        tz = self.plan.tz
        ls, le = to_utc(seg.start).astimezone(tz), to_utc(seg.end).astimezone(tz)
        span = seg.span
        if span.is_override and span.scheduled_member_name:
            kind = f"for {span.scheduled_member_name}"
        elif span.is_override:
            kind = "cover"
        elif seg.multi_day:
            kind = f"{fmt_duration(span.start, span.end, tz)}, day {seg.index + 1} of {seg.count}"
        else:
            kind = span.shift_name
        return (
            f"{ls:%H:%M} {ls.tzname()} →\n"
            f"{WEEKDAY_ABBR[le.weekday()]} {le:%H:%M} {le.tzname()}\n{kind}"
        )

    def _chip_tooltip(self, seg: ChipSegment) -> str:
        span, tz = seg.span, self.plan.tz
        lines = [f"<b>{fmt.escape(span.member_name)}</b> on call"]
        lines.append(
            f"{fmt_local(span.start, tz)} → {fmt_local(span.end, tz)}"
            f" ({fmt_duration(span.start, span.end, tz)})"
        )
        if seg.multi_day:
            lines.append(f"This day: {self._times(seg)}")
        lines.append(f"Shift: {fmt.escape(span.shift_name)}")
        if span.scheduled_member_name and span.scheduled_member_id != span.member_id:
            lines.append(f"Scheduled: {fmt.escape(span.scheduled_member_name)}")
        if span.is_override:
            lines.append(f"Covering: {fmt.escape(span.member_name)} ⇄")
        if span.override_reason:
            lines.append(f"Reason: “{fmt.escape(span.override_reason)}”")
        lines.extend(self._text_lines(span, seg.past or seg.running))
        if span.pending:
            lines.append("<i>Unsaved edit — Save to apply, Undo to drop</i>")
        if seg.past:
            lines.append("<i>Over — past shifts are read-only</i>")
        elif seg.running:
            lines.append("<i>On call now</i>")
        return "<br>".join(lines)

    def _text_lines(self, span: PlannedSpan, started: bool) -> list[str]:
        """What happened to the shift-start text of ``span`` (UX.md: the chip tooltip)."""
        tz = self.plan.tz
        texts = self.texts_for(span)
        if not texts:
            if span.pending:
                return ["Text: planned once the edit is saved"]
            if not span.notify:
                return ["No text: the same person carries on from the shift before"]
            if started:
                return ["No text recorded for this shift"]
            return [f"Text due {fmt_local(span.start, tz)}"]
        lines = []
        for text in texts:
            color = fmt.STATUS_COLORS.get(text.status, "#6B7280")
            stamp = text.delivered_at or text.sent_at or text.failed_at or text.due_at
            status = f'<b style="color:{color}">{fmt.escape(text.status)}</b>'
            mark = " ✓" if text.status == Status.DELIVERED else ""
            error = fmt.error_text(text.error_code, text.error_message)
            error = f" ({fmt.escape(error)})" if error else ""
            to = f" to {fmt.escape(fmt.phone(text.recipient_phone))}" if len(texts) > 1 else ""
            lines.append(f"Text{to}: {status} {fmt.when_exact(stamp, tz)}{mark}{error}")
        return lines

    def _day_tooltip(self, cell: DayCell) -> str:
        lines = [f"{cell.day:%A %B} {cell.day.day}, {cell.day.year}"]
        if cell.dst_change:
            lines.append(f"Daylight saving time changes today ({cell.dst_change})")
        for a, b in cell.gaps:
            when = "all day" if (a, b) == (cell.start, cell.end) else self._clock_range(a, b)
            lines.append(f"No one on call {when}")
        return "<br>".join(lines)

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
                    f"{s.member_name}: {self._times(seg)}",
                )
        return None

    def canDropMimeData(
        self,
        data: QMimeData,
        action: Qt.DropAction,
        row: int,
        column: int,
        parent: AnyIndex,
    ) -> bool:
        try:
            return self._proposal_for_drop(data, row, parent) is not None
        except PlanError:
            return False

    def drop_refusal(self, data: QMimeData, row: int, parent: AnyIndex) -> str | None:
        """Why a drop here would be refused (for hints during a drag), or None."""
        try:
            proposal = self._proposal_for_drop(data, row, parent)
        except PlanError as exc:
            return str(exc)
        return None if proposal is not None else "drop a team member or a shift here"

    def dropMimeData(
        self,
        data: QMimeData,
        action: Qt.DropAction,
        row: int,
        column: int,
        parent: AnyIndex,
    ) -> bool:
        if action == Qt.DropAction.IgnoreAction:
            return True
        try:
            proposal = self._proposal_for_drop(data, row, parent)
        except PlanError as exc:
            self.drop_refused.emit(fmt.sentence(str(exc), end="."))
            return False
        if proposal is None:
            return False
        self.submit_proposal(proposal)
        return True

    def _target(self, row: int, parent: AnyIndex) -> ChipSegment | DayCell | None:
        seg = self.segment(parent)
        if seg is not None:
            return seg
        cell = self.day_cell(parent)
        if cell is None:
            return None
        if 0 <= row < len(cell.chips):
            return cell.chips[row]
        return cell

    def _proposal_for_drop(self, data: QMimeData, row: int, parent: AnyIndex) -> Proposal | None:
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
        self._refuse_past(target)
        if member is not None:
            return self.plan.cover_proposal(target, member.member_id)
        assert span is not None
        if not isinstance(target, ChipSegment):
            raise PlanError("drop a shift on another shift to swap them")
        if span.entry_id is None or target.span.entry_id is None:
            raise PlanError("only scheduled shifts can be swapped (this is a cover outside any)")
        source = self.plan.entry(span.entry_id)
        if source is None or not (source.start <= span.start and span.end <= source.end):
            raise PlanError("that shift is not in this calendar (press F5 to reload)")
        return self.plan.swap_proposal(span.entry_id, target.span.entry_id)

    def _refuse_past(self, target: ChipSegment | DayCell) -> None:
        if isinstance(target, ChipSegment) and target.past:
            raise PlanError(
                f"{target.span.member_name}'s shift {self._times(target)} is over: "
                "past shifts are read-only"
            )
        if isinstance(target, DayCell) and target.past:
            raise PlanError(f"{target.day:%a %b} {target.day.day} is over: past days are read-only")

    # --- proposals from menus and drops -----------------------------------------------------
    # ``where`` is an index, or the chip/day it showed: a menu keeps the data, not the index,
    # so a live refresh (a model reset) while the menu is open does not lose its target.

    def propose_cover(self, where: Target, member_id: int, *, whole_span: bool = True) -> None:
        """The context-menu path of a member drop: "Cover with ▸ member"."""
        self._propose(
            lambda target: self.plan.cover_proposal(target, member_id, whole_span=whole_span),
            where,
        )

    def propose_swap(self, where: Target, other_entry_id: int) -> None:
        """The context-menu path of a chip-on-chip drop: "Swap with ▸ shift"."""

        def build(target: ChipSegment | DayCell) -> Proposal:
            if not isinstance(target, ChipSegment) or target.span.entry_id is None:
                raise PlanError("only scheduled shifts can be swapped")
            return self.plan.swap_proposal(target.span.entry_id, other_entry_id)

        self._propose(build, where)

    def propose_cancel(self, where: Target) -> None:
        """ "Cancel override" on a chip covered by a stored override."""

        def build(target: ChipSegment | DayCell) -> Proposal:
            if not isinstance(target, ChipSegment) or target.span.override_id is None:
                raise PlanError("this shift has no saved override to cancel")
            return self.plan.cancel_proposal(target.span.override_id)

        self._propose(build, where)

    def _propose(self, build: Callable[[ChipSegment | DayCell], Proposal], where: Target) -> None:
        target = where if isinstance(where, ChipSegment | DayCell) else self._target(-1, where)
        try:
            if self._read_only_reason is not None:
                raise PlanError(self._read_only_reason)
            if target is None:
                raise PlanError("choose a shift or a day first")
            self._refuse_past(target)
            proposal = build(target)
        except PlanError as exc:
            self.drop_refused.emit(fmt.sentence(str(exc), end="."))
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
            self.drop_refused.emit(fmt.sentence(str(exc), end="."))
            return False
        return True


_R = Qt.ItemDataRole

#: What a chip answers for each role (any other role: None).
_CHIP_ROLES: dict[int, Callable[[CalendarModel, ChipSegment], Any]] = {
    _R.DisplayRole: lambda m, seg: seg.span.member_name,
    _R.DecorationRole: lambda m, seg: QColor(seg.span.member_color),
    _R.ToolTipRole: CalendarModel._chip_tooltip,
    _R.AccessibleTextRole: CalendarModel._accessible_chip,
    Roles.KIND: lambda m, seg: "chip",
    Roles.MEMBER_ID: lambda m, seg: seg.span.member_id,
    Roles.MEMBER_NAME: lambda m, seg: seg.span.member_name,
    Roles.COLOR: lambda m, seg: seg.span.member_color,
    Roles.TIMES: CalendarModel._times,
    Roles.DETAIL: CalendarModel._detail,
    Roles.OVERRIDE: lambda m, seg: seg.span.is_override,
    Roles.PENDING: lambda m, seg: seg.span.pending,
    Roles.PAST: lambda m, seg: seg.past,
    Roles.RUNNING: lambda m, seg: seg.running,
    Roles.SCHEDULED_NAME: lambda m, seg: seg.span.scheduled_member_name,
    Roles.REASON: lambda m, seg: seg.span.override_reason,
    Roles.SLICE: lambda m, seg: (seg.index, seg.count),
    Roles.SEGMENT: lambda m, seg: seg,
    Roles.ZONE: lambda m, seg: to_utc(seg.start).astimezone(m.plan.tz).tzname(),
}

#: What a day answers for each role (any other role: None).
_DAY_ROLES: dict[int, Callable[[CalendarModel, DayCell], Any]] = {
    _R.DisplayRole: lambda m, c: f"{WEEKDAY_ABBR[c.day.weekday()]} {c.day.month}/{c.day.day}",
    _R.ToolTipRole: CalendarModel._day_tooltip,
    _R.AccessibleTextRole: lambda m, c: f"{c.day:%A %B} {c.day.day}",
    Roles.KIND: lambda m, c: "day",
    Roles.DATE: lambda m, c: c.day,
    Roles.TODAY: lambda m, c: c.today,
    Roles.PAST: lambda m, c: c.past,
    Roles.DST: lambda m, c: c.dst_change,
    Roles.GAPS: CalendarModel._gap_texts,
    Roles.IN_FOCUS: lambda m, c: c.in_focus,
    Roles.DAY: lambda m, c: c,
}


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

    def member(self, index: AnyIndex) -> MemberDTO | None:
        if not index.isValid() or index.parent().isValid() or index.column() != 0:
            return None
        return self._members[index.row()] if 0 <= index.row() < len(self._members) else None

    def rowCount(self, parent: AnyIndex = _ROOT) -> int:
        return 0 if parent.isValid() else len(self._members)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
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

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
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
