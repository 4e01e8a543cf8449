"""The "Change notices" group: how far ahead people are told of changes (0: not at all), how
long edits are bundled, and the quiet hours."""

from __future__ import annotations

from datetime import time

from PySide6.QtCore import QTime, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QSpinBox,
    QTimeEdit,
    QWidget,
)

from whoseonfirst_core.domain.notices import DEFAULT_QUIET_HOURS, SOON, parse_quiet_hours
from whoseonfirst_core.usecases.config import MAX_NOTICE_DELAY_MINUTES, MAX_NOTICE_WINDOW_DAYS
from whoseonfirst_core.usecases.dto import SettingsDTO


def _qtime(at: time) -> QTime:
    return QTime(at.hour, at.minute)


class NoticesBox(QGroupBox):
    """The change-notice settings; ``edited`` fires on every change the user makes."""

    edited = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Change notices", parent)
        form = QFormLayout(self)
        self.window_days = QSpinBox()
        self.window_days.setRange(0, MAX_NOTICE_WINDOW_DAYS)
        self.window_days.setSuffix(" days ahead")
        self.window_days.setSpecialValueText("Off (no change notices)")
        self.window_days.setAccessibleName("Change notices: tell of shifts this many days ahead")
        self.window_days.setToolTip("0 turns change notices off")
        self.delay_minutes = QSpinBox()
        self.delay_minutes.setRange(0, MAX_NOTICE_DELAY_MINUTES)
        self.delay_minutes.setSuffix(" min after the last edit")
        self.delay_minutes.setSpecialValueText("At once")
        self.delay_minutes.setAccessibleName("Change notices: bundling delay in minutes")
        self.delay_minutes.setToolTip("Edits saved within this delay of each other make one notice")
        default = parse_quiet_hours(DEFAULT_QUIET_HOURS)
        assert default is not None
        self.quiet_on = QCheckBox("&Quiet hours from")
        self.quiet_on.setAccessibleName("Hold notices in quiet hours")
        self.quiet_start = QTimeEdit(_qtime(default.start))
        self.quiet_end = QTimeEdit(_qtime(default.end))
        for edit, which in ((self.quiet_start, "start"), (self.quiet_end, "end")):
            edit.setDisplayFormat("HH:mm")
            edit.setAccessibleName(f"Quiet hours {which}")
        quiet_row = QHBoxLayout()
        quiet_row.addWidget(self.quiet_on)
        quiet_row.addWidget(self.quiet_start)
        quiet_row.addWidget(QLabel("to"))
        quiet_row.addWidget(self.quiet_end)
        quiet_row.addStretch(1)
        hours = int(SOON.total_seconds() // 3600)
        note = QLabel(
            f"A notice about shifts starting more than {hours} hours later waits until quiet "
            "hours end; one about a running shift goes at once."
        )
        note.setWordWrap(True)
        form.addRow("Tell &people:", self.window_days)
        form.addRow("&Bundle edits:", self.delay_minutes)
        form.addRow(quiet_row)
        form.addRow(note)
        self._writable = False
        for signal in (
            self.window_days.valueChanged,
            self.delay_minutes.valueChanged,
            self.quiet_on.toggled,
            self.quiet_start.timeChanged,
            self.quiet_end.timeChanged,
        ):
            signal.connect(self._changed)

    def fill(self, s: SettingsDTO) -> None:
        """Show the saved settings (quiet hours stored unreadable show as off, like the
        service treats them)."""
        blocked = [w.blockSignals(True) for w in self._inputs()]
        self.window_days.setValue(s.notice_window_days)
        self.delay_minutes.setValue(s.notice_delay_minutes)
        try:
            quiet = parse_quiet_hours(s.quiet_hours)
        except ValueError:
            quiet = None
        self.quiet_on.setChecked(quiet is not None)
        if quiet is not None:
            self.quiet_start.setTime(_qtime(quiet.start))
            self.quiet_end.setTime(_qtime(quiet.end))
        for w, was in zip(self._inputs(), blocked, strict=True):
            w.blockSignals(was)
        self._enable()

    def quiet_hours(self) -> str:
        """``"21:00-07:00"``, or ``"off"``."""
        if not self.quiet_on.isChecked():
            return "off"
        return (
            f"{self.quiet_start.time().toString('HH:mm')}-{self.quiet_end.time().toString('HH:mm')}"
        )

    def set_writable(self, writable: bool) -> None:
        self._writable = writable
        self._enable()

    def _inputs(self) -> tuple[QWidget, ...]:
        return (
            self.window_days,
            self.delay_minutes,
            self.quiet_on,
            self.quiet_start,
            self.quiet_end,
        )

    def _enable(self) -> None:
        # With notices off the rest has nothing to do, but keeps its values for when they are on.
        on = self._writable and self.window_days.value() > 0
        self.window_days.setEnabled(self._writable)
        self.delay_minutes.setEnabled(on)
        self.quiet_on.setEnabled(on)
        self.quiet_start.setEnabled(on and self.quiet_on.isChecked())
        self.quiet_end.setEnabled(on and self.quiet_on.isChecked())

    def _changed(self) -> None:
        self._enable()
        self.edited.emit()
