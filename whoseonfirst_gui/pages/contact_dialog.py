"""Adding or editing an escalation contact (from the Settings page)."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLineEdit,
    QWidget,
)

from whoseonfirst_core.domain.phones import PhoneError, normalize_phone
from whoseonfirst_core.usecases.common import clean_name
from whoseonfirst_core.usecases.dto import ContactDTO
from whoseonfirst_core.usecases.errors import UseCaseError
from whoseonfirst_gui import format as fmt
from whoseonfirst_gui.field_error import FieldError


class ContactDialog(QDialog):
    """Add or edit an escalation contact, checking the name and phone as they are typed with
    the same rules the save applies."""

    def __init__(self, contact: ContactDTO | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.contact = contact
        self.setWindowTitle("Edit contact" if contact else "Add escalation contact")
        self.setMinimumWidth(420)  # a phone's problem fits on its line: nothing moves
        form = QFormLayout(self)
        self.name_edit = QLineEdit(contact.name if contact else "")
        self.name_edit.setAccessibleName("Contact name")
        self.phone_edit = QLineEdit(fmt.phone(contact.phone) if contact else "")
        self.phone_edit.setAccessibleName("Contact phone")
        self.name_error = FieldError("Contact name problem")
        self.phone_error = FieldError("Contact phone problem")
        self.weekly = QCheckBox("Weekly schedule summary")
        self.weekly.setChecked(contact.weekly_summary if contact else True)
        self.alerts = QCheckBox("Failure alerts")
        self.alerts.setChecked(contact.failure_alerts if contact else True)
        form.addRow("&Name:", self.name_edit)
        form.addRow("", self.name_error)
        form.addRow("&Phone:", self.phone_edit)
        form.addRow("", self.phone_error)
        form.addRow("Receives:", self.weekly)
        form.addRow("", self.alerts)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        form.addRow(self.buttons)
        self.name_edit.textChanged.connect(self._validate)
        self.phone_edit.textChanged.connect(self._validate)
        self._validate()

    def _validate(self) -> None:
        """Say what is wrong under each field (nothing for a field not typed in yet) and
        enable OK only when both are right."""
        name_problem = phone_problem = ""
        try:
            clean_name(self.name_edit.text(), "name")
        except UseCaseError as exc:
            name_problem = fmt.sentence(str(exc))
        try:
            normalize_phone(self.phone_edit.text())
        except PhoneError as exc:
            phone_problem = fmt.sentence(str(exc))
        name_typed = bool(self.name_edit.text().strip())
        phone_typed = bool(self.phone_edit.text().strip())
        self.name_error.show_problem(name_problem if name_typed else "")
        self.phone_error.show_problem(phone_problem if phone_typed else "")
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        assert ok is not None
        ok.setEnabled(not name_problem and not phone_problem)
