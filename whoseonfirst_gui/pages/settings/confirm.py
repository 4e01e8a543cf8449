"""The "Confirmation" group: whether the shift-start text asks for a reply OK, and how long
after the start an unconfirmed shift is asked again (the escalation contacts are told at twice
that; 0: never)."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QFormLayout, QGroupBox, QLabel, QSpinBox, QWidget

from whoseonfirst_core.domain.templates import CONFIRM_REQUEST
from whoseonfirst_core.usecases.config import MAX_CONFIRM_WITHIN_MINUTES
from whoseonfirst_core.usecases.dto import SettingsDTO


class ConfirmBox(QGroupBox):
    """The confirmation settings; ``edited`` fires on every change the user makes."""

    edited = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Confirmation", parent)
        form = QFormLayout(self)
        self.requested = QCheckBox(f"End the shift-start text with \u201c{CONFIRM_REQUEST}\u201d")
        self.requested.setAccessibleName("Ask people to confirm their shift")
        self.within = QSpinBox()
        self.within.setRange(0, MAX_CONFIRM_WITHIN_MINUTES)
        self.within.setSuffix(" min after the start")
        self.within.setSpecialValueText("Never (no escalation)")
        self.within.setAccessibleName("Ask again this many minutes after the start")
        self.within.setToolTip("0 turns escalation off")
        note = QLabel(
            "Not confirmed by then: the person is asked again; at twice that, the escalation "
            "contacts who take failure alerts are told. A template that asks for the reply in "
            "its own words (\u201creply OK\u201d) is sent as it is."
        )
        note.setWordWrap(True)
        form.addRow(self.requested)
        form.addRow("&Ask again:", self.within)
        form.addRow(note)
        self._writable = False
        self.requested.toggled.connect(self._changed)
        self.within.valueChanged.connect(self._changed)

    def fill(self, s: SettingsDTO) -> None:
        """Show the saved settings."""
        blocked = [w.blockSignals(True) for w in (self.requested, self.within)]
        self.requested.setChecked(s.confirm_requested)
        self.within.setValue(s.confirm_within_minutes)
        for w, was in zip((self.requested, self.within), blocked, strict=True):
            w.blockSignals(was)
        self._enable()

    def set_writable(self, writable: bool) -> None:
        self._writable = writable
        self._enable()

    def _enable(self) -> None:
        # Nobody is asked to confirm: nothing to escalate, but the minutes keep their value.
        self.requested.setEnabled(self._writable)
        self.within.setEnabled(self._writable and self.requested.isChecked())

    def _changed(self) -> None:
        self._enable()
        self.edited.emit()
