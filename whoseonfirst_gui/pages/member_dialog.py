"""Add / edit a member, with validation under each field as the admin types.

Format problems (an empty name, a number that is not a phone number) are found at once with the
core's pure validators; clashes with other members (a duplicate name or phone) need the
database, so the core's ``validate_member_fields`` runs on the runner shortly after typing stops.
OK stays disabled while anything is wrong or still being checked, and every message says why.

Adding a member also asks the date they join the rotation from, with the same impact preview as
the other team changes (who gains and loses which shifts, the planned changes it meets).
"""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from whoseonfirst_core.domain.phones import PhoneError, display_phone, normalize_phone
from whoseonfirst_core.usecases.common import clean_name
from whoseonfirst_core.usecases.dto import MemberDTO
from whoseonfirst_core.usecases.errors import UseCaseError
from whoseonfirst_core.usecases.team import (
    MAX_NOTES,
    add_member,
    edit_member,
    preview_add_member,
    validate_member_fields,
)
from whoseonfirst_gui import format as fmt
from whoseonfirst_gui.conflict import save_with_conflict_check
from whoseonfirst_gui.context import AppContext
from whoseonfirst_gui.field_error import FieldError
from whoseonfirst_gui.pages.impact_dialog import ImpactView
from whoseonfirst_gui.tell import change_uow

FIELDS = ("name", "phone", "secondary phone", "notes")


class MemberDialog(QDialog):
    """``member=None`` adds a member; otherwise edits it (optimistic version check on save)."""

    saved = Signal(object)  # MemberDTO
    validated = Signal()  # a database check finished (tests wait on it)

    def __init__(
        self,
        ctx: AppContext,
        member: MemberDTO | None = None,
        parent: QWidget | None = None,
        *,
        earliest: date | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.member = member
        self._checking = False
        self._check_seq = 0
        self.setWindowTitle("Edit member" if member else "Add member")
        self.setAccessibleName(self.windowTitle())
        self.setMinimumWidth(440)
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.name_edit = QLineEdit(member.name if member else "")
        self.phone_edit = QLineEdit(fmt.phone(member.phone) if member else "")
        self.secondary_edit = QLineEdit(fmt.phone(member.secondary_phone) if member else "")
        self.notes_edit = QPlainTextEdit(member.notes if member else "")
        self.notes_edit.setTabChangesFocus(True)
        self.notes_edit.setFixedHeight(70)
        self.phone_edit.setPlaceholderText("(312) 555-0101 or +44 20 7946 0958")
        self.secondary_edit.setPlaceholderText("optional")
        self.errors = {f: FieldError() for f in FIELDS}
        # Fields the user has typed in: a problem shows under a field only after that, so a
        # new member's form does not open covered in complaints about empty fields.
        self._typed: set[str] = set()
        self._problems: dict[str, str] = {}
        for label, edit, key in (
            ("&Name:", self.name_edit, "name"),
            ("&Phone:", self.phone_edit, "phone"),
            ("&Secondary phone:", self.secondary_edit, "secondary phone"),
            ("N&otes:", self.notes_edit, "notes"),
        ):
            edit.setAccessibleName(label.replace("&", "").rstrip(":"))
            box = QVBoxLayout()
            box.setSpacing(2)
            box.addWidget(edit)
            box.addWidget(self.errors[key])
            self.errors[key].setAccessibleName(f"{edit.accessibleName()} problem")
            caption = QLabel(label)
            caption.setBuddy(edit)  # Alt+letter focuses the field
            form.addRow(caption, box)
        layout.addLayout(form)
        self.impact_view: ImpactView | None = None
        if member is None:
            self.setMinimumSize(560, 560)
            note = QLabel(
                "The new member joins the rotation from the date below; the preview shows who "
                "gains and loses which shifts."
            )
            note.setWordWrap(True)
            layout.addWidget(note)
            name_edit = self.name_edit

            def preview(uow, day):  # type: ignore[no-untyped-def]
                return preview_add_member(uow, ctx.clock.now(), day, name_edit.text())

            self.impact_view = ImpactView(
                ctx, preview=preview, earliest=earliest, date_label="Joins the rotation &from:"
            )
            layout.addWidget(self.impact_view, 1)
            self.name_edit.editingFinished.connect(self.impact_view.run_preview)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        assert ok is not None
        self.ok_button: QPushButton = ok
        self.ok_button.setText("Add" if member is None else "Save")
        self.ok_button.setAccessibleName(self.ok_button.text())
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)

        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(250)
        self._debounce.timeout.connect(self.check_database)
        for key, edit in (
            ("name", self.name_edit),
            ("phone", self.phone_edit),
            ("secondary phone", self.secondary_edit),
        ):
            edit.textChanged.connect(lambda _text, k=key: self._changed(k))
        self.notes_edit.textChanged.connect(lambda: self._changed("notes"))
        # An existing member's values were typed once: their problems show from the start.
        self._typed.update(FIELDS if member is not None else ())
        self._changed()
        if self.impact_view is not None:
            self.impact_view.run_preview()

    # --- validation ----------------------------------------------------------------------

    def field_error(self, key: str) -> str:
        """The problem shown under field ``key`` ("" for none)."""
        return self.errors[key].text()

    def _set_error(self, key: str, text: str) -> None:
        self.errors[key].show_problem(text)

    def local_problems(self) -> dict[str, str]:
        """Problems visible without the database (format only)."""
        problems: dict[str, str] = {}
        try:
            clean_name(self.name_edit.text(), "name")
        except UseCaseError as exc:
            problems["name"] = fmt.sentence(str(exc))
        try:
            primary = normalize_phone(self.phone_edit.text())
        except PhoneError as exc:
            problems["phone"] = fmt.sentence(str(exc))
            primary = None
        if self.secondary_edit.text().strip():
            try:
                secondary = normalize_phone(self.secondary_edit.text())
                if secondary == primary:
                    problems["secondary phone"] = "Same number as the primary phone"
            except PhoneError as exc:
                problems["secondary phone"] = fmt.sentence(str(exc))
        if len(self.notes_edit.toPlainText()) > MAX_NOTES:
            problems["notes"] = f"Longer than {MAX_NOTES} characters"
        return problems

    def _changed(self, key: str | None = None) -> None:
        if key is not None:
            self._typed.add(key)
        problems = self._problems = self.local_problems()
        for k in FIELDS:
            self._set_error(k, problems.get(k, "") if k in self._typed else "")
        self._check_seq += 1
        if problems:
            self._checking = False
            self._debounce.stop()
        else:
            self._checking = True
            self._debounce.start()
        self._update_ok()

    def _update_ok(self) -> None:
        shown = any(self.field_error(k) for k in FIELDS)
        has_error = bool(self._problems) or shown
        self.ok_button.setEnabled(not has_error and not self._checking and not self.ctx.read_only)
        if shown:
            self.ok_button.setToolTip("Fix the problems shown under the fields first")
        elif has_error:
            self.ok_button.setToolTip(f"Fill in the {' and '.join(self._problems)} first")
        elif self._checking:
            self.ok_button.setToolTip("Checking the name and numbers against the team…")
        else:
            self.ok_button.setToolTip("")

    def check_database(self) -> None:
        """Check name and phones against the other members (duplicates) on the runner."""
        self._debounce.stop()
        seq = self._check_seq
        name, phone, secondary = (
            self.name_edit.text(),
            self.phone_edit.text(),
            self.secondary_edit.text(),
        )
        member_id = self.member.id if self.member else None
        db = self.ctx.db

        def task() -> str:
            with db.reader() as uow:
                try:
                    validate_member_fields(
                        uow,
                        name=name,
                        phone=phone,
                        secondary_phone=secondary or None,
                        member_id=member_id,
                    )
                except UseCaseError as exc:
                    return str(exc)
            return ""

        def done(problem: str) -> None:
            if seq != self._check_seq:
                return  # the text changed meanwhile; a newer check is on its way
            self._checking = False
            self._show_use_case_problem(problem)
            self._update_ok()
            self.validated.emit()

        self.ctx.runner.submit(task, done, key=f"member-check-{id(self)}")

    def _show_use_case_problem(self, problem: str) -> None:
        if not problem:
            return
        key, _, text = problem.partition(": ")
        if key in self.errors and text:
            self._set_error(key, fmt.sentence(text))
        else:
            self._set_error("name", fmt.sentence(problem))

    # --- saving --------------------------------------------------------------------------

    def save(self) -> None:
        if not self.ok_button.isEnabled():
            if self._problems and not self._typed.issuperset(self._problems):
                # Enter on an unfinished form: now say what every field still needs.
                self._typed.update(FIELDS)
                self._changed()
            return
        name, phone = self.name_edit.text(), self.phone_edit.text()
        secondary = self.secondary_edit.text().strip() or None
        notes = self.notes_edit.toPlainText()
        db, actor, clock, member = self.ctx.db, self.ctx.actor, self.ctx.clock, self.member
        joins = self.impact_view.effective_from() if self.impact_view is not None else None
        tell = self.impact_view.tell() if self.impact_view is not None else True

        def do_save(force: bool) -> MemberDTO:
            with change_uow(db, actor, clock.now(), tell=tell) as uow:
                if member is None:
                    result = add_member(
                        uow,
                        clock.now(),
                        name=name,
                        phone=phone,
                        secondary_phone=secondary,
                        notes=notes,
                        effective_from=joins,
                    )
                else:
                    result = edit_member(
                        uow,
                        clock.now(),
                        member.id,
                        expected_version=None if force else member.version,
                        name=name,
                        phone=phone,
                        secondary_phone=secondary,
                        notes=notes,
                    )
                uow.commit()
                return result

        def failed(exc: BaseException) -> None:
            if isinstance(exc, UseCaseError):
                self._show_use_case_problem(str(exc))
                if not any(self.field_error(k) for k in FIELDS):
                    self.ctx.messages.exception(exc)
                self._update_ok()
            else:
                self.ctx.messages.exception(exc)

        save_with_conflict_check(
            self.ctx,
            do_save,
            self._saved,
            subject=member.name if member else "the team",
            take_theirs=self.reject,
            on_error=failed,
            busy=self.ok_button,
        )

    def _saved(self, member: MemberDTO) -> None:
        joins = self.impact_view.effective_from() if self.impact_view is not None else None
        since = f"; in the rotation from {fmt.day_text(joins)}" if joins is not None else ""
        self.ctx.messages.flash(f"Saved {member.name} ({display_phone(member.phone)}){since}.")
        self.saved.emit(member)
        self.accept()
