"""Effective date + per-person preview, shown before any change that alters future shifts.

Used for adding, reordering, (de)activating and archiving members, and changing the shift
pattern. The preview runs the core's ``preview_*`` use case (which only reads) and shows the
core's own wording: the "N shifts change hands" headline, who gains and loses which shifts, the
planned changes it meets and any note; the command line's ``preview-change`` prints the same
lines. Nothing is written until Apply, and Apply only emits ``apply_requested(date, tell)`` — the
page runs the real use case, telling the people affected unless its "Tell the people affected" box
was unticked (:mod:`whoseonfirst_gui.tell`).
"""

from __future__ import annotations

from collections.abc import Callable
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
from whoseonfirst_core.usecases.dto import PersonDiff
from whoseonfirst_core.usecases.rotation_impact import (
    Impact,
    impact_headline,
    person_summary,
    shift_label,
)
from whoseonfirst_core.usecases.schedule import earliest_change_date
from whoseonfirst_gui import format as fmt
from whoseonfirst_gui.context import AppContext
from whoseonfirst_gui.tell import TellBox

PreviewFn = Callable[[UnitOfWork, date], Impact]


def _qdate(d: date) -> QDate:
    return QDate(d.year, d.month, d.day)


class ImpactView(QWidget):
    """The effective date and the preview for it, recomputed when the date changes.

    ``earliest`` is the first date a change may take effect; when not known yet the first
    preview finds it (and moves an earlier date up to it).
    """

    preview_ready = Signal()

    def __init__(
        self,
        ctx: AppContext,
        *,
        preview: PreviewFn,
        earliest: date | None,
        initial: date | None = None,
        date_label: str = "&Effective from:",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self._preview = preview
        self.earliest = earliest
        self.impact: Impact | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        form = QFormLayout()
        start = initial or earliest or ctx.clock.now().date()
        self.date_edit = QDateEdit(_qdate(start))
        self.date_edit.setCalendarPopup(True)
        self.date_edit.setDisplayFormat(fmt.date_edit_format())
        self.date_edit.setAccessibleName("Effective from")
        self.date_edit.setToolTip(
            "The first day the change applies. Shifts that have started are never rewritten."
        )
        form.addRow(date_label, self.date_edit)
        layout.addLayout(form)
        self.hint = QLabel()
        self.hint.setWordWrap(True)
        layout.addWidget(self.hint)
        self._set_earliest(earliest)

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
        self.details = QLabel()
        self.details.setWordWrap(True)
        self.details.setAccessibleName("Planned changes and notes")
        self.details.setVisible(False)
        layout.addWidget(self.details)
        self.tell_box = TellBox()
        layout.addWidget(self.tell_box)

        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(150)
        self._debounce.timeout.connect(self.run_preview)
        self.date_edit.dateChanged.connect(lambda _d: self._debounce.start())

    @property
    def diffs(self) -> list[PersonDiff] | None:
        return list(self.impact.people) if self.impact is not None else None

    def _set_earliest(self, earliest: date | None) -> None:
        self.earliest = earliest
        if earliest is None:
            self.hint.setText("Shifts that have started stay as they are.")
            return
        self.date_edit.setMinimumDate(_qdate(earliest))
        self.hint.setText(
            f"Earliest possible: {fmt.day_text(earliest)} — shifts that have started "
            "stay as they are (use an override for those)."
        )

    def tell(self) -> bool:
        """Whether saving this change tells the people it affects."""
        return self.tell_box.isChecked()

    def effective_from(self) -> date:
        d = self.date_edit.date()
        return date(d.year(), d.month(), d.day())

    def set_effective_from(self, day: date) -> None:
        """Set the date and recompute the preview at once (tests and keyboard users)."""
        self.date_edit.setDate(_qdate(day))
        self._debounce.stop()
        self.run_preview()

    def run_preview(self) -> None:
        self._debounce.stop()
        self.impact = None
        self.status.setText("Calculating the preview…")
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        day = self.effective_from()
        db, fn, now, known = self.ctx.db, self._preview, self.ctx.clock.now(), self.earliest

        def task() -> tuple[date, date, Impact]:
            with db.reader() as uow:
                earliest = known if known is not None else earliest_change_date(uow, now)
                chosen = max(day, earliest)
                return earliest, chosen, fn(uow, chosen)

        self.ctx.runner.submit(task, self._show, self._failed, key=f"impact-{id(self)}")

    def _show(self, result: tuple[date, date, Impact]) -> None:
        earliest, chosen, impact = result
        if earliest != self.earliest:
            self._set_earliest(earliest)
        if chosen != self.effective_from():
            self.date_edit.blockSignals(True)
            self.date_edit.setDate(_qdate(chosen))
            self.date_edit.blockSignals(False)
        self.impact = impact
        self.status.setText(impact_headline(impact))
        self.tree.clear()
        for d in impact.people:
            item = QTreeWidgetItem([d.member_name, person_summary(d)])
            changes = [(at, name, "gains") for at, name in d.gained] + [
                (at, name, "loses") for at, name in d.lost
            ]
            for at, name, what in sorted(changes):
                QTreeWidgetItem(item, [shift_label(at, name, impact.timezone), what])
            self.tree.addTopLevelItem(item)
        lines: list[str] = []
        if impact.interactions:
            lines.append("Planned changes it meets:")
            lines += [f"• {i.text()}" for i in impact.interactions]
        lines += [f"Note: {n}" for n in impact.notes]
        self.details.setText("\n".join(lines))
        self.details.setVisible(bool(lines))
        self.preview_ready.emit()

    def _failed(self, exc: BaseException) -> None:
        from whoseonfirst_core.usecases.errors import UseCaseError

        if isinstance(exc, UseCaseError):
            self.status.setText(
                f'<span style="color:{fmt.readable(fmt.ERROR_COLOR)}">{fmt.escape(str(exc))}</span>'
            )
            self.status.setTextFormat(Qt.TextFormat.RichText)
        else:
            self.ctx.messages.exception(exc)
            self.status.setText("The preview failed.")
        self.preview_ready.emit()


class ImpactDialog(QDialog):
    """Pick "effective from", see who gains and loses which shifts, then Apply."""

    apply_requested = Signal(object, bool)  # datetime.date, tell the people affected
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
        initial: date | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.tz_name = tz_name
        self.setWindowTitle(title)
        self.setAccessibleName(title)
        self.setMinimumSize(560, 420)
        layout = QVBoxLayout(self)
        intro = QLabel(description)
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.view = ImpactView(ctx, preview=preview, earliest=earliest, initial=initial)
        layout.addWidget(self.view, 1)
        self.date_edit = self.view.date_edit
        self.status = self.view.status
        self.tree = self.view.tree
        self.details = self.view.details
        self.tell_box = self.view.tell_box

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.apply_button: QPushButton = self.buttons.addButton(
            apply_label, QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.apply_button.setAccessibleName(apply_label)
        self.apply_button.setEnabled(False)
        self.buttons.accepted.connect(self._apply)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.view.preview_ready.connect(self._ready)
        self.view.date_edit.dateChanged.connect(lambda _d: self.apply_button.setEnabled(False))
        self.view.run_preview()

    @property
    def impact(self) -> Impact | None:
        return self.view.impact

    @property
    def diffs(self) -> list[PersonDiff] | None:
        return self.view.diffs

    def effective_from(self) -> date:
        return self.view.effective_from()

    def set_effective_from(self, day: date) -> None:
        self.apply_button.setEnabled(False)
        self.view.set_effective_from(day)

    def run_preview(self) -> None:
        self.apply_button.setEnabled(False)
        self.view.run_preview()

    def _ready(self) -> None:
        self.apply_button.setEnabled(self.view.impact is not None and not self.ctx.read_only)
        self.preview_ready.emit()

    def _apply(self) -> None:
        if self.view.impact is None:
            return
        self.apply_requested.emit(self.effective_from(), self.view.tell())
        self.accept()
