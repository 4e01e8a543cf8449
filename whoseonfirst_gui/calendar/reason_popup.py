"""The small popup that asks for an edit's optional reason (Enter accepts, Esc cancels)."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialogButtonBox,
    QFrame,
    QLabel,
    QLineEdit,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from whoseonfirst_core.domain.overrides import MAX_REASON, CalendarEdit
from whoseonfirst_gui.calendar.proposals import Proposal, with_reason
from whoseonfirst_gui.on_screen import place


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
        place(self, at)
        self.show()
        place(self, at)  # the frame's size is known once shown
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
