"""The Calendar page: week and month views of who is on call, edited by drag and drop.

Layout (UX.md)::

    ◀ Mar 2 – Mar 8, 2026 ▶  [Today] [Week|Month]          Undo  Redo  [Save 2 edits]
    ┌────────────┬──────────────────────────────────────────────────────────────────┐
    │ Team       │ Mon 3/2   Tue 3/3   Wed 3/4   Thu 3/5   Fri 3/6   Sat 3/7  Sun 3/8│
    │ ■ Ann      │ ■■Ann■■■  ■■■■■■■Ben (48h)■■■  ■■Cal■■■  …                        │

Division of labour: the :class:`~whoseonfirst_gui.calendar.plan.CalendarPlan` holds the loaded
schedule and the pending edits, checked by the core's edit rules; the
:class:`~whoseonfirst_gui.calendar.model.CalendarModel` turns drops into proposals; this module
lays the parts out, collects the optional reason and runs loads and the Save on the task runner.
Nothing reaches the database before Save, which applies every pending edit in one transaction.

Every drag has a keyboard/context-menu twin: right-click (or the Menu key, Shift+F10, Enter) on a
chip offers *Cover with ▸ member*, *Swap with ▸ shift*, *Cancel override* and *Show texts for this
shift*.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from PySide6.QtCore import QModelIndex, QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QHideEvent, QPalette, QShowEvent, QUndoStack
from PySide6.QtWidgets import (
    QAbstractItemView,
    QLabel,
    QMenu,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from whoseonfirst_core.domain.plurals import plural
from whoseonfirst_core.usecases.errors import ConflictError
from whoseonfirst_gui.calendar.chip_menu import chip_menu
from whoseonfirst_gui.calendar.cover_dialog import CoverHoursDialog
from whoseonfirst_gui.calendar.days import ChipSegment, DayCell, ViewMode, range_title, step
from whoseonfirst_gui.calendar.grid_view import CalendarGridView
from whoseonfirst_gui.calendar.model import CalendarModel
from whoseonfirst_gui.calendar.palette import MemberPaletteModel, TeamPalette
from whoseonfirst_gui.calendar.plan import CalendarPlan
from whoseonfirst_gui.calendar.proposals import Proposal, with_reason
from whoseonfirst_gui.calendar.reason_popup import ReasonPopup
from whoseonfirst_gui.calendar.store import LoadedCalendar, SaveResult, fetch_calendar, save_edits
from whoseonfirst_gui.calendar.toolbar import CalendarToolbar
from whoseonfirst_gui.conflict import save_with_conflict_check
from whoseonfirst_gui.context import AppContext
from whoseonfirst_gui.format import OVERRIDE_ACCENT, WARNING_COLOR, escape, readable
from whoseonfirst_gui.on_screen import on_screen
from whoseonfirst_gui.pages.base import NO_TEAM_TEXT, EmptyState, Page
from whoseonfirst_gui.qtmodels.rows import Index

ReasonProvider = Callable[[Proposal], str | None]


# --- the page -------------------------------------------------------------------------------

LEGEND = (
    f'<span style="color:{OVERRIDE_ACCENT}">▌⇄</span> override (covering someone) · '
    "dashed outline: unsaved edit · faded: over, read-only · "
    "right-click, Enter or the Menu key on a shift: Cover, Swap, Cancel"
)


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
      ``mode`` and ``anchor`` (what File ▸ Print… and the exports take, see :mod:`.exports`);
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
        self.apply_read_only(ctx.read_only)
        self._plan_changed()
        # Shifts turn "past" (read-only, dimmed) as the clock moves, without any database change.
        self._clock_timer = QTimer(self)
        self._clock_timer.setInterval(60_000)
        self._clock_timer.timeout.connect(self._clock_tick)

    # --- building ------------------------------------------------------------------------

    def _build(self) -> None:
        outer = QVBoxLayout(self)
        self.toolbar = CalendarToolbar(self.undo_stack)
        self.toolbar.previous_requested.connect(lambda: self.step_range(-1))
        self.toolbar.next_requested.connect(lambda: self.step_range(1))
        self.toolbar.today_requested.connect(self.go_today)
        self.toolbar.mode_requested.connect(self.set_mode)
        self.toolbar.save_requested.connect(self.save)
        self.addActions(self.toolbar.shortcut_actions)
        self.save_button = self.toolbar.save_button
        self.tell_box = self.toolbar.tell_box
        self.range_label = self.toolbar.range_label
        outer.addWidget(self.toolbar)

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
        side = TeamPalette(self.palette_model)
        self.palette_view = side.view
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

    # --- public API -----------------------------------------------------------------------

    def pending_count(self) -> int:
        return self.plan.pending_count

    def dirty_count(self) -> int:
        return self.plan.pending_count

    @property
    def mode(self) -> ViewMode:
        return self._mode

    @property
    def anchor(self) -> date | None:
        """A day of the week or month shown; None until the first load (today's)."""
        return self._anchor

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
        self.toolbar.show_mode(mode)
        self.view.set_compact(mode == "month")

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
        self.model.set_texts(loaded.texts, loaded.confirmed)
        self.plan.set_view(loaded.view)  # rebuilds the model; pending edits are kept
        self.palette_model.set_members(loaded.view.members)
        self.range_label.setText(range_title(loaded.first_day, loaded.days, loaded.focus_month))
        self.stack.setCurrentIndex(0)
        stale = self.plan.pending_view().stale
        if stale:
            self.show_notice(
                f"{plural(len(stale), 'unsaved edit')} no longer fit the calendar (someone "
                "regenerated or changed those shifts). Undo them, or Save and choose what to keep."
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

    def chip_menu(self, index: Index) -> QMenu:
        """The context menu for a chip (or a day): every drag action, by keyboard."""
        members = self.palette_model.members()
        return chip_menu(
            self, self.model, index, members, self.show_texts_requested.emit, self.cover_hours
        )

    def cover_hours(self, target: ChipSegment | DayCell) -> CoverHoursDialog:
        """ "Cover from … until …" on a chip or a day: a dialog with that chip's (or day's)
        times; OK pushes the cover like a drop does."""
        self.hide_notice()
        if isinstance(target, ChipSegment):
            start, end, on_call = target.start, target.end, target.span.member_id
        else:
            start, end, on_call = target.start, target.end, None
        dialog = CoverHoursDialog(
            self.plan,
            self.palette_model.members(),
            start,
            end,
            exclude_member_id=on_call,
            parent=self,
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

        def accepted() -> None:
            edit = dialog.edit()
            if edit is not None:
                self.model.push(edit)

        dialog.accepted.connect(accepted)
        dialog.open()
        return dialog

    def _show_chip_menu(self, index: QModelIndex, at: QPoint) -> None:
        if not index.isValid():
            return
        menu = self.chip_menu(index)
        menu.exec(on_screen(at, menu.sizeHint()))
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
        tell = self.tell_box.isChecked()
        self._set_saving(True)
        save_with_conflict_check(
            self.ctx,
            lambda force: save_edits(db, actor, clock, edits, force=force, tell=tell),
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
        self.ctx.messages.flash(f"Saved {plural(result.applied, 'calendar edit')}.")
        if result.dropped:
            self.ctx.messages.info(
                "Some edits no longer applied",
                f"Saved {plural(result.applied, 'edit')}. These no longer made sense on the "
                "current calendar and were left out:\n• " + "\n• ".join(result.dropped),
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
            + f"\nYour {plural(self.plan.pending_count, 'edit')} "
            + ("is" if self.plan.pending_count == 1 else "are")
            + " still pending (dashed). Adjust or undo them, then Save again."
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
        self.toolbar.show_pending(
            [self.plan.describe(e) for e in self.plan.edits],
            saving=self._saving,
            read_only=self.ctx.read_only,
        )
        self.ctx.report_dirty("calendar", self.plan.pending_count)

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
            color = readable(WARNING_COLOR)
            self.legend.setText(
                f'<span style="color:{color}">Can\'t drop here: {escape(text)}</span>'
            )
        else:
            self.legend.setText(LEGEND)
