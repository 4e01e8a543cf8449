"""Cover from … until …: a cover for any stretch of hours, chosen with two time pickers.

Opened from a chip's or a day's menu with that chip's (or day's) times. The pickers show the
team's wall clock and step in quarter hours; a time typed off the quarter snaps to the nearest
one when the field is left. The edit is the core's :class:`Cover`, checked by the plan (the
core's rules) as the fields change: the refusal shows under the pickers, in a line whose
space is always kept, so the dialog never jumps. OK pushes it like a drop would.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, time, timedelta, tzinfo

from PySide6.QtCore import QDate, QDateTime, QTime
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QComboBox,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from whoseonfirst_core.domain.overrides import Cover
from whoseonfirst_core.domain.resolution import on_call_at
from whoseonfirst_core.domain.timeutil import local_instant, to_utc
from whoseonfirst_core.usecases.dto import MemberDTO
from whoseonfirst_gui import format as fmt
from whoseonfirst_gui.calendar.plan import CalendarPlan

QUARTER = 15  # minutes


def snap(at: datetime) -> datetime:
    """``at`` (naive wall clock) rounded to the nearest quarter hour."""
    minutes = at.hour * 60 + at.minute + (1 if at.second >= 30 else 0)
    snapped = (minutes + QUARTER // 2) // QUARTER * QUARTER
    return datetime.combine(at.date(), time(0)) + timedelta(minutes=snapped)


class QuarterHourEdit(QDateTimeEdit):
    """A date-and-time picker whose minutes step by 15 and snap to a quarter when left."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setCalendarPopup(True)
        self.setDisplayFormat(fmt.date_time_edit_format())
        self.setCorrectionMode(QAbstractSpinBox.CorrectionMode.CorrectToNearestValue)
        self.editingFinished.connect(self.snap)

    def stepBy(self, steps: int) -> None:
        if self.currentSection() == QDateTimeEdit.Section.MinuteSection:
            self.set_wall(snap(self.wall()) + timedelta(minutes=QUARTER * steps))
        else:
            super().stepBy(steps)

    def wall(self) -> datetime:
        """The picked wall-clock time (naive)."""
        d, t = self.date(), self.time()
        return datetime(d.year(), d.month(), d.day(), t.hour(), t.minute())

    def set_wall(self, at: datetime) -> None:
        self.setDateTime(QDateTime(QDate(at.year, at.month, at.day), QTime(at.hour, at.minute)))

    def snap(self) -> None:
        snapped = snap(self.wall())
        if snapped != self.wall():
            self.set_wall(snapped)


class CoverHoursDialog(QDialog):
    """Who covers, from when until when (team time), and why."""

    def __init__(
        self,
        plan: CalendarPlan,
        members: Sequence[MemberDTO],
        start: datetime,
        end: datetime,
        *,
        exclude_member_id: int | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.plan = plan
        self.tz: tzinfo = plan.tz
        self.setWindowTitle("Cover from … until …")
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.member = QComboBox()
        self.member.setAccessibleName("Who covers")
        for m in members:
            self.member.addItem(fmt.swatch_icon(m.color), m.name, m.id)
        others = [i for i, m in enumerate(members) if m.id != exclude_member_id]
        if others:
            self.member.setCurrentIndex(others[0])
        form.addRow("&Who covers:", self.member)
        self.start_edit = QuarterHourEdit()
        self.start_edit.setAccessibleName("Cover from")
        self.end_edit = QuarterHourEdit()
        self.end_edit.setAccessibleName("Cover until")
        self.start_edit.set_wall(snap(self._local(start)))
        self.end_edit.set_wall(snap(self._local(end)))
        form.addRow("&From:", self.start_edit)
        form.addRow("&Until:", self.end_edit)
        # The refusal's line: its height is kept while empty, so nothing moves when it shows.
        self.problem = QLabel("")
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet(f"color: {fmt.readable(fmt.ERROR_COLOR)};")
        self.problem.setMinimumHeight(2 * self.problem.fontMetrics().lineSpacing())
        self.problem.setAccessibleName("Problem")
        form.addRow("", self.problem)
        self.reason = QLineEdit()
        self.reason.setPlaceholderText("optional, e.g. dentist")
        self.reason.setAccessibleName("Reason")
        form.addRow("&Reason:", self.reason)
        layout.addLayout(form)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        for signal in (
            self.member.currentIndexChanged,
            self.start_edit.dateTimeChanged,
            self.end_edit.dateTimeChanged,
        ):
            signal.connect(self._validate)
        self._validate()
        self.setMinimumWidth(max(self.sizeHint().width(), 380))

    def _local(self, at: datetime) -> datetime:
        return to_utc(at).astimezone(self.tz).replace(tzinfo=None)

    def _instant(self, wall: datetime) -> datetime:
        return local_instant(wall.date(), wall.time(), self.tz)

    def edit(self) -> Cover | None:
        """The cover the fields describe (quarter hours, UTC), or None without a member."""
        member_id = self.member.currentData()
        if not isinstance(member_id, int):
            return None
        start = self._instant(snap(self.start_edit.wall()))
        end = self._instant(snap(self.end_edit.wall()))
        on_call = on_call_at(self.plan.resolved(), start) if self.plan.loaded else None
        expected = on_call.member_id if on_call is not None else None
        return Cover(member_id, start, end, self.reason.text().strip(), expected)

    def problem_text(self) -> str:
        edit = self.edit()
        if edit is None:
            return "Choose who covers."
        if edit.end <= edit.start:
            return "Until must be after From."
        error = self.plan.validation_error(edit)
        return fmt.sentence(error, end=".") if error else ""

    def _validate(self) -> None:
        text = self.problem_text()
        self.problem.setText(text)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(not text)
