"""The "Escalation contacts" group: a table with the opt-ins, and Add / Edit / Remove. Each
contact saves on its own, outside the settings form."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QAbstractItemView,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QTableView,
    QVBoxLayout,
)

from whoseonfirst_core.usecases.config import delete_contact, save_contact
from whoseonfirst_core.usecases.dto import ContactDTO
from whoseonfirst_gui.conflict import save_with_conflict_check
from whoseonfirst_gui.on_screen import keep_on_screen
from whoseonfirst_gui.pages.base import Page
from whoseonfirst_gui.pages.contact_dialog import ContactDialog
from whoseonfirst_gui.qtmodels.contacts_model import ContactsModel


class ContactsBox(QGroupBox):
    """The escalation contacts of ``page`` (whose runner saves them and reloads after)."""

    def __init__(self, page: Page) -> None:
        super().__init__("Escalation contacts", page)
        self.page = page
        self.ctx = page.ctx
        self.dialog: ContactDialog | None = None
        layout = QVBoxLayout(self)
        self.model = ContactsModel(self)
        self.model.opt_in_toggled.connect(self._toggle_opt_in)
        self.view = QTableView()
        self.view.setModel(self.model)
        self.view.setAccessibleName("Escalation contacts")
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.verticalHeader().setVisible(False)
        self.view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.view.horizontalHeader().setStretchLastSection(True)
        self.view.setMinimumHeight(120)
        self.view.setTabKeyNavigation(False)  # one tab stop; the arrows move inside
        self.view.doubleClicked.connect(lambda _i: self.edit_contact())
        layout.addWidget(self.view)
        row = QHBoxLayout()
        self.add_button = QPushButton("Add &contact…")
        self.edit_button = QPushButton("Ed&it…")
        self.remove_button = QPushButton("Rem&ove")
        for b in (self.add_button, self.edit_button, self.remove_button):
            b.setAccessibleName(b.text().replace("&", "").rstrip("…") + " (contact)")
            row.addWidget(b)
        row.addStretch(1)
        layout.addLayout(row)
        self.add_button.clicked.connect(lambda: self._open(None))
        self.edit_button.clicked.connect(self.edit_contact)
        self.remove_button.clicked.connect(self.remove_contact)

    def set_writable(self, writable: bool) -> None:
        for b in (self.add_button, self.edit_button, self.remove_button):
            b.setEnabled(writable)
        self.model.read_only = not writable

    def selected_contact(self) -> ContactDTO | None:
        index = self.view.currentIndex()
        return self.model.contact_at(index.row()) if index.isValid() else None

    def edit_contact(self) -> None:
        c = self.selected_contact()
        if c is not None:
            self._open(c)

    def _open(self, contact: ContactDTO | None) -> None:
        if self.ctx.read_only:
            return
        dialog = ContactDialog(contact, self.page)
        self.dialog = dialog

        def accepted() -> None:
            name, phone = dialog.name_edit.text(), dialog.phone_edit.text()
            weekly, alerts = dialog.weekly.isChecked(), dialog.alerts.isChecked()
            self._save(contact, name, phone, weekly, alerts)

        dialog.accepted.connect(accepted)
        dialog.finished.connect(lambda _r: setattr(self, "dialog", None))
        keep_on_screen(dialog)
        dialog.open()

    def _toggle_opt_in(self, c: ContactDTO, field: str, value: bool) -> None:
        weekly = value if field == "weekly_summary" else c.weekly_summary
        alerts = value if field == "failure_alerts" else c.failure_alerts
        self._save(c, c.name, c.phone, weekly, alerts)

    def _save(
        self, c: ContactDTO | None, name: str, phone: str, weekly: bool, alerts: bool
    ) -> None:
        db, actor, clock = self.ctx.db, self.ctx.actor, self.ctx.clock

        def do_save(force: bool) -> ContactDTO:
            with db.uow(actor) as uow:
                result = save_contact(
                    uow,
                    clock.now(),
                    contact_id=c.id if c else None,
                    name=name,
                    phone=phone,
                    weekly_summary=weekly,
                    failure_alerts=alerts,
                    expected_version=None if force or c is None else c.version,
                )
                uow.commit()
                return result

        def failed(exc: BaseException) -> None:
            self.ctx.messages.exception(exc)
            self.page.refresh()

        save_with_conflict_check(
            self.ctx,
            do_save,
            lambda dto: self.ctx.messages.flash(f"Saved contact {dto.name}."),
            subject=f"contact {c.name}" if c else "the contacts",
            on_error=failed,
        )

    def remove_contact(self) -> None:
        c = self.selected_contact()
        if c is None or self.ctx.read_only:
            return
        if not self.ctx.messages.confirm(
            "Remove contact", f"Remove {c.name} from the escalation contacts?"
        ):
            return
        self.page.write(
            lambda uow: delete_contact(uow, self.page.now(), c.id),
            lambda _r: self.ctx.messages.flash(f"Removed {c.name}."),
        )
