"""Effective date + per-person preview, shown before any change that alters future shifts.

Used for reordering the team, (de)activating and archiving members, and changing the shift
pattern. The preview runs the core's ``preview_*`` use case in a unit of work that is never
committed; nothing is written until Apply, and Apply only emits ``apply_requested(date)`` —
the page runs the real use case.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date

from PySide6.QtCore import QDate, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from whoseonfirst_core.db.session import UnitOfWork
from whoseonfirst_core.domain.timeutil import zone
from whoseonfirst_core.usecases.dto import PersonDiff
from whoseonfirst_gui import format as fmt
from whoseonfirst_gui.context import AppContext

PreviewFn = Callable[[UnitOfWork, date], Sequence[PersonDiff]]


def _qdate(d: date) -> QDate:
    return QDate(d.year, d.month, d.day)


class ImpactDialog(QDialog):
    """Pick "effective from", see who gains and loses which shifts, then Apply."""

    apply_requested = Signal(object)  # datetime.date
    preview_ready = Signal()

    def __init__(
        self,
        ctx: AppContext,
        *,
        title: str,
        description: str,
        preview: PreviewFn,
        earliest: date,
        tz_name: str,
        apply_label: str = "Apply",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self._preview = preview
        self._tz = zone(tz_name)
        self.diffs: list[PersonDiff] | None = None
        self.setWindowTitle(title)
        self.setAccessibleName(title)
        self.setMinimumSize(560, 420)
        layout = QVBoxLayout(self)
        intro = QLabel(description)
        intro.setWordWrap(True)
        layout.addWidget(intro)

        form = QFormLayout()
        self.date_edit = QDateEdit(_qdate(earliest))
        self.date_edit.setCalendarPopup(True)
        self.date_edit.setMinimumDate(_qdate(earliest))
        self.date_edit.setDisplayFormat("ddd yyyy-MM-dd")
        self.date_edit.setAccessibleName("Effective from")
        self.date_edit.setToolTip(
            "The first day the change applies. Shifts that have started are never rewritten."
        )
        form.addRow("&Effective from:", self.date_edit)
        layout.addLayout(form)
        hint = QLabel(
            f"Earliest possible: {earliest:%a %Y-%m-%d} — shifts that have started "
            "stay as they are (use an override for those)."
        )
        hint.setWordWrap(True)
        layout.addWidget(hint)

        self.status = QLabel("Calculating the preview…")
        self.status.setWordWrap(True)
        self.status.setAccessibleName("Preview status")
        layout.addWidget(self.status)
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["Person and shift", "Change"])
        self.tree.setAccessibleName("Who changes which shifts")
        self.tree.setRootIsDecorated(True)
        self.tree.setColumnWidth(0, 380)
        layout.addWidget(self.tree, 1)

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.apply_button: QPushButton = self.buttons.addButton(
            apply_label, QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.apply_button.setAccessibleName(apply_label)
        self.apply_button.setEnabled(False)
        self.buttons.accepted.connect(self._apply)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)

        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(150)
        self._debounce.timeout.connect(self.run_preview)
        self.date_edit.dateChanged.connect(lambda _d: self._debounce.start())
        self.run_preview()

    def effective_from(self) -> date:
        d = self.date_edit.date()
        return date(d.year(), d.month(), d.day())

    def set_effective_from(self, day: date) -> None:
        """Set the date and recompute the preview at once (tests and keyboard users)."""
        self.date_edit.setDate(_qdate(day))
        self._debounce.stop()
        self.run_preview()

    def run_preview(self) -> None:
        self.apply_button.setEnabled(False)
        self.diffs = None
        self.status.setText("Calculating the preview…")
        day = self.effective_from()
        db, fn, actor = self.ctx.db, self._preview, self.ctx.actor

        def task() -> list[PersonDiff]:
            # The preview makes the change inside a write unit of work that is never committed:
            # leaving the block rolls it back. (A write transaction, so that on SQLite two
            # previews queue on the lock instead of failing with "database is locked".)
            with db.uow(actor) as uow:
                return list(fn(uow, day))

        self.ctx.runner.submit(task, self._show, self._failed, key=f"impact-{id(self)}")

    def _show(self, diffs: list[PersonDiff]) -> None:
        self.diffs = diffs
        self.tree.clear()
        if not diffs:
            self.status.setText("Nobody's future shifts change.")
        else:
            changed = sum(len(d.gained) + len(d.lost) for d in diffs) // 2 or 1
            self.status.setText(
                f"{len(diffs)} people affected; about {changed} shift(s) change hands "
                f"from {self.effective_from():%a %Y-%m-%d}."
            )
        for d in diffs:
            summary = ", ".join(
                part
                for part in (
                    f"gains {len(d.gained)}" if d.gained else "",
                    f"loses {len(d.lost)}" if d.lost else "",
                )
                if part
            )
            item = QTreeWidgetItem([d.member_name, summary])
            changes = [(at, name, "gains") for at, name in d.gained] + [
                (at, name, "loses") for at, name in d.lost
            ]
            for at, name, what in sorted(changes):
                QTreeWidgetItem(item, [f"{fmt.when(at, self._tz)} · {name}", what])
            self.tree.addTopLevelItem(item)
        self.apply_button.setEnabled(not self.ctx.read_only)
        self.preview_ready.emit()

    def _failed(self, exc: BaseException) -> None:
        from whoseonfirst_core.usecases.errors import UseCaseError

        if isinstance(exc, UseCaseError):
            self.status.setText(
                f'<span style="color:{fmt.ERROR_COLOR}">{fmt.escape(str(exc))}</span>'
            )
            self.status.setTextFormat(Qt.TextFormat.RichText)
        else:
            self.ctx.messages.exception(exc)
            self.status.setText("The preview failed.")
        self.preview_ready.emit()

    def _apply(self) -> None:
        if self.diffs is None:
            return
        self.apply_requested.emit(self.effective_from())
        self.accept()
