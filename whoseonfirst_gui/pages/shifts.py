"""Shifts: edit the weekly pattern with a week bar and live validation; save from a chosen date."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from PySide6.QtCore import (
    QAbstractItemModel,
    QDate,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    QTime,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSpinBox,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
)

from whoseonfirst_core.db.session import UnitOfWork
from whoseonfirst_core.domain.plurals import plural
from whoseonfirst_core.domain.rotation import (
    MAX_SHIFT_HOURS,
    ShiftDef,
    default_pattern,
    pattern_gaps,
)
from whoseonfirst_core.domain.timeutil import WEEKDAYS
from whoseonfirst_core.usecases.config import (
    get_settings,
    preview_pattern,
    set_pattern,
)
from whoseonfirst_core.usecases.rotation import rotation_overview
from whoseonfirst_gui import format as fmt
from whoseonfirst_gui.conflict import ConflictBanner, save_with_conflict_check
from whoseonfirst_gui.context import AppContext
from whoseonfirst_gui.on_screen import keep_on_screen
from whoseonfirst_gui.pages.base import NO_TEAM_TEXT, Page, page_title
from whoseonfirst_gui.pages.impact_dialog import ImpactDialog
from whoseonfirst_gui.qtmodels.pattern_model import PatternModel
from whoseonfirst_gui.tell import change_uow
from whoseonfirst_gui.week_bar import WeekBar


@dataclass(frozen=True)
class PatternData:
    """The pattern in effect on ``on`` (the date the page edits from), and the planned pattern
    changes after that date, which saving keeps."""

    shifts: tuple[ShiftDef, ...]
    tz_name: str
    earliest: date
    on: date | None = None
    later: tuple[str, ...] = ()
    seen_change_id: int | None = None


def load_pattern(uow: UnitOfWork, now: datetime, on: date | None = None) -> PatternData:
    settings = get_settings(uow)
    overview = rotation_overview(uow, now, on)
    if overview.day < overview.earliest:
        overview = rotation_overview(uow, now)
    day = overview.day
    later = tuple(
        p.text() for p in overview.planned if p.kind == "pattern" and p.effective_from > day
    )
    return PatternData(
        overview.pattern, settings.timezone, overview.earliest, day, later, overview.last_change_id
    )


class ShiftDelegate(QStyledItemDelegate):
    """Weekday combo box, HH:MM time edit and hour spin box as editors."""

    def createEditor(
        self,
        parent: QWidget,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> QWidget:
        col = index.column()
        if col == PatternModel.DAY:
            combo = QComboBox(parent)
            combo.addItems([d.capitalize() for d in WEEKDAYS])
            combo.setAccessibleName("Start day")
            return combo
        if col == PatternModel.START:
            edit = QTimeEdit(parent)
            edit.setDisplayFormat("HH:mm")
            edit.setAccessibleName("Start time")
            return edit
        if col == PatternModel.DURATION:
            spin = QSpinBox(parent)
            spin.setRange(1, MAX_SHIFT_HOURS)
            spin.setSuffix(" h")
            spin.setAccessibleName("Duration in hours")
            return spin
        return super().createEditor(parent, option, index)

    def setEditorData(self, editor: QWidget, index: QModelIndex | QPersistentModelIndex) -> None:
        value = index.data(Qt.ItemDataRole.EditRole)
        if isinstance(editor, QComboBox):
            editor.setCurrentIndex(int(value))
        elif isinstance(editor, QTimeEdit):
            t = QTime.fromString(str(value), "HH:mm")
            editor.setTime(t if t.isValid() else QTime(8, 0))
        elif isinstance(editor, QSpinBox):
            editor.setValue(int(value))
        else:
            super().setEditorData(editor, index)

    def setModelData(
        self, editor: QWidget, model: QAbstractItemModel, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        if isinstance(editor, QComboBox):
            model.setData(index, editor.currentIndex())
        elif isinstance(editor, QTimeEdit):
            model.setData(index, editor.time().toString("HH:mm"))
        elif isinstance(editor, QSpinBox):
            model.setData(index, editor.value())
        else:
            super().setModelData(editor, model, index)


class ShiftsPage(Page):
    title = "Shifts"

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.data: PatternData | None = None
        self.theirs: PatternData | None = None  # newer pattern seen while we had edits
        self.impact_dialog: ImpactDialog | None = None
        self.model = PatternModel(self)
        self.model.edited.connect(self._edited)

        layout = QVBoxLayout(self)
        layout.addWidget(page_title("Shifts"))
        intro = QLabel(
            "The weekly pattern the rotation fills. Durations are wall-clock: a 24 h "
            "shift from 08:00 ends at 08:00 the next day, also across a DST change. "
            "Gaps are allowed and shown hatched; overlaps are not."
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        on_row = QHBoxLayout()
        self.on_label = QLabel("Pattern in effect fr&om:")
        self.on_edit = QDateEdit()
        self.on_edit.setCalendarPopup(True)
        self.on_edit.setDisplayFormat(fmt.date_edit_format())
        self.on_edit.setAccessibleName("Pattern in effect from")
        self.on_edit.setToolTip(
            "The date your edits take effect from (you can still change it before saving). "
            "The table shows the pattern in effect on that date."
        )
        self.on_label.setBuddy(self.on_edit)
        on_row.addWidget(self.on_label)
        on_row.addWidget(self.on_edit)
        on_row.addStretch(1)
        layout.addLayout(on_row)
        self.later_label = QLabel()
        self.later_label.setWordWrap(True)
        self.later_label.setAccessibleName("Planned pattern changes")
        self.later_label.setVisible(False)
        layout.addWidget(self.later_label)
        self.week_bar = WeekBar()
        layout.addWidget(self.week_bar)
        self.problems_label = QLabel()
        self.problems_label.setWordWrap(True)
        self.problems_label.setAccessibleName("Pattern problems")
        layout.addWidget(self.problems_label)
        self.banner = ConflictBanner("the pattern")
        layout.addWidget(self.banner)

        self.view = QTableView()
        self.view.setModel(self.model)
        self.view.setItemDelegate(ShiftDelegate(self.view))
        self.view.setAccessibleName("Shifts of the weekly pattern")
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.AllEditTriggers)
        self.view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.view.verticalHeader().setVisible(False)
        layout.addWidget(self.view, 1)

        row = QHBoxLayout()
        self.add_button = QPushButton("&Add shift")
        self.remove_button = QPushButton("Re&move shift")
        self.default_button = QPushButton("Use the &default pattern")
        self.revert_button = QPushButton("&Revert")
        self.save_button = QPushButton("&Save pattern…")
        for b in (self.add_button, self.remove_button, self.default_button, self.revert_button):
            b.setAccessibleName(b.text().replace("&", "").rstrip("…"))
            row.addWidget(b)
        row.addStretch(1)
        self.save_button.setAccessibleName("Save pattern")
        self.save_button.setDefault(True)
        row.addWidget(self.save_button)
        layout.addLayout(row)
        self.add_button.clicked.connect(self._add)
        self.remove_button.clicked.connect(self._remove)
        self.default_button.clicked.connect(lambda: self.model.set_pattern(default_pattern()))
        self.revert_button.clicked.connect(lambda: self.revert())
        self.save_button.clicked.connect(self.save)
        self.on_edit.dateChanged.connect(lambda _d: self._date_changed())
        self._edited()

    # --- loading -------------------------------------------------------------------------

    def refresh(self) -> None:
        now = self.now()
        on = self.effective_on()
        self.read(lambda uow: load_pattern(uow, now, on), self._loaded, on_no_team=self._no_team)

    def effective_on(self) -> date | None:
        if self.data is None:
            return None
        d = self.on_edit.date()
        return date(d.year(), d.month(), d.day())

    def show_pattern_on(self, day: date) -> None:
        """Edit the pattern in effect from ``day`` (keeps unsaved edits)."""
        self.on_edit.setDate(QDate(day.year, day.month, day.day))

    def _date_changed(self) -> None:
        day = self.effective_on()
        if day is None or self.data is None or day == self.data.on:
            return
        if self.is_dirty():
            return  # keep the admin's edits; they are saved from the date chosen
        now = self.now()
        self.read(lambda uow: load_pattern(uow, now, day), self._loaded, on_no_team=self._no_team)

    def _no_team(self) -> None:
        self.data = None
        self.model.set_pattern([])
        self.problems_label.setText(NO_TEAM_TEXT)

    def _loaded(self, data: PatternData) -> None:
        self.on_edit.blockSignals(True)
        self.on_edit.setMinimumDate(
            QDate(data.earliest.year, data.earliest.month, data.earliest.day)
        )
        if data.on is not None:
            self.on_edit.setDate(QDate(data.on.year, data.on.month, data.on.day))
        self.on_edit.blockSignals(False)
        self.later_label.setText(
            "Planned later (kept when you save): " + "; ".join(data.later) if data.later else ""
        )
        self.later_label.setVisible(bool(data.later))
        if self.is_dirty() and self.data is not None:
            if data.shifts != self.data.shifts:
                # Keep the admin's edits; saving will raise the conflict dialog.
                self.theirs = data
                self.banner.changed_while_editing()
            self.data = PatternData(
                self.data.shifts,
                data.tz_name,
                data.earliest,
                self.data.on,
                data.later,
                self.data.seen_change_id,
            )
            return
        self.data = data
        self.theirs = None
        self.banner.setVisible(False)
        self.model.set_pattern(data.shifts)

    def revert(self, on: date | None = None) -> None:
        """Drop the edits and show what the database holds for the date shown (or ``on``)."""
        latest = self.theirs or self.data
        self.theirs = None
        self.banner.setVisible(False)
        if latest is not None:
            self.data = latest
            self.model.set_pattern(latest.shifts)
        if on is not None:
            self.on_edit.blockSignals(True)
            self.on_edit.setDate(QDate(on.year, on.month, on.day))
            self.on_edit.blockSignals(False)
        self.refresh()

    # --- editing -------------------------------------------------------------------------

    def is_dirty(self) -> bool:
        if self.data is None:
            return False
        rows = self.model.shift_rows()
        try:
            return tuple(r.to_shift() for r in rows) != self.data.shifts
        except ValueError:
            return True

    def dirty_count(self) -> int:
        return 1 if self.is_dirty() else 0

    def _add(self) -> None:
        row = self.model.add_shift()
        self.view.setCurrentIndex(self.model.index(row, PatternModel.NAME))
        self.view.edit(self.model.index(row, PatternModel.NAME))

    def _remove(self) -> None:
        index = self.view.currentIndex()
        if index.isValid():
            self.model.remove_shift(index.row())

    def _edited(self) -> None:
        problems = self.model.problems()
        if problems:
            self.problems_label.setText(
                f'<span style="color:{fmt.readable(fmt.ERROR_COLOR)}">'
                + "<br>".join("✗ " + fmt.escape(p) for p in problems)
                + "</span>"
            )
            self.week_bar.set_blocks(self._blocks(), overlap=any("overlap" in p for p in problems))
        else:
            gaps = pattern_gaps(self.model.shifts())
            if gaps:
                hours = sum(n for _s, n in gaps) // 60
                count = plural(len(gaps), "coverage gap")
                self.problems_label.setText(
                    f'<span style="color:{fmt.readable(fmt.WARNING_COLOR)}">⚠ {count}, '
                    f"{hours} h a week with nobody on call.</span>"
                )
            else:
                self.problems_label.setText("✓ The pattern covers the whole week.")
            self.week_bar.set_blocks(self._blocks())
        dirty = self.is_dirty()
        writable = not self.ctx.read_only and self.data is not None
        self.save_button.setEnabled(writable and dirty and not problems)
        self.save_button.setToolTip("Fix the problems above first" if problems else "")
        self.revert_button.setEnabled(dirty)
        for b in (self.add_button, self.remove_button, self.default_button):
            b.setEnabled(writable)
        self.ctx.report_dirty("shifts", 1 if dirty else 0)

    def _blocks(self) -> list[tuple[str, int, int]]:
        blocks = []
        for r in self.model.shift_rows():
            try:
                s = r.to_shift()
            except ValueError:
                continue
            if 1 <= s.duration_hours <= MAX_SHIFT_HOURS:
                blocks.append((s.name, s.week_offset_minutes, s.duration_hours * 60))
        return blocks

    def apply_read_only(self, read_only: bool) -> None:
        self.model.read_only = read_only
        self._edited()

    # --- saving --------------------------------------------------------------------------

    def save(self) -> None:
        if self.data is None or not self.save_button.isEnabled():
            return
        shifts = self.model.shifts()
        expected = self.data.shifts
        expected_on, seen = self.data.on, self.data.seen_change_id
        now = self.now()

        def preview(uow: UnitOfWork, day: date):  # type: ignore[no-untyped-def]
            return preview_pattern(uow, now, shifts, day)

        dialog = ImpactDialog(
            self.ctx,
            title="Change the shift pattern",
            description="The new pattern applies from the date you choose; shifts before it "
            "stay as they are, and planned changes stay planned.",
            preview=preview,
            earliest=self.data.earliest,
            tz_name=self.data.tz_name,
            apply_label="Save pattern",
            initial=self.effective_on(),
            parent=self,
        )
        dialog.apply_requested.connect(
            lambda day, tell: self._write(shifts, expected, day, tell, expected_on, seen)
        )
        dialog.finished.connect(lambda _r: setattr(self, "impact_dialog", None))
        self.impact_dialog = dialog
        keep_on_screen(dialog)
        dialog.open()

    def _write(
        self,
        shifts: tuple[ShiftDef, ...],
        expected: tuple[ShiftDef, ...],
        day: date,
        tell: bool,
        expected_on: date | None = None,
        seen_change_id: int | None = None,
    ) -> None:
        db, actor, clock = self.ctx.db, self.ctx.actor, self.ctx.clock

        def do_save(force: bool) -> tuple[ShiftDef, ...]:
            now = clock.now()
            with change_uow(db, actor, now, tell=tell) as uow:
                result = set_pattern(
                    uow,
                    now,
                    shifts,
                    day,
                    expected=None if force else expected,
                    expected_on=expected_on,
                    seen_change_id=None if force else seen_change_id,
                )
                uow.commit()
                return result

        def saved(result: tuple[ShiftDef, ...]) -> None:
            assert self.data is not None
            self.data = PatternData(
                result, self.data.tz_name, self.data.earliest, day, self.data.later, None
            )
            self.refresh()
            self.theirs = None
            self.banner.setVisible(False)
            self.model.set_pattern(result)
            self.ctx.messages.flash(f"Shift pattern saved; it applies from {fmt.day_text(day)}.")

        save_with_conflict_check(
            self.ctx,
            do_save,
            saved,
            subject="the shift pattern",
            take_theirs=lambda: self.revert(day),
            review=self.banner.review,
            busy=self.save_button,
        )
