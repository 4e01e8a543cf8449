"""The "Wording" group: the text of every kind other than the shift-start text, one kind at a
time, with its placeholders, a live preview and segment count, and "Reset to default"."""

from __future__ import annotations

from collections.abc import Mapping

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QGroupBox, QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from whoseonfirst_core.domain.notification import Kind
from whoseonfirst_core.domain.wording import WORDINGS
from whoseonfirst_gui.pages.settings.template_editor import TemplateEditor

#: How the kind selector names each kind (the summary's wording is its first line).
KIND_NAMES: Mapping[Kind, str] = {
    Kind.WEEKLY_SUMMARY: "Weekly summary (first line)",
    Kind.OFF_CALL: "Off-call notice",
}


class WordingBox(QGroupBox):
    """The team's wording of every kind in :data:`WORDINGS`, edited in memory until the page
    saves; ``edited`` fires on every change the user makes."""

    edited = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Wording", parent)
        layout = QVBoxLayout(self)
        row = QHBoxLayout()
        self.kind = QComboBox()
        self.kind.setAccessibleName("Kind of text to word")
        for kind in WORDINGS:
            self.kind.addItem(KIND_NAMES.get(kind, kind.label), kind)
        self.reset = QPushButton("Reset to defa&ult")
        self.reset.setAccessibleName("Reset this wording to the default")
        row.addWidget(self.kind, 1)
        row.addWidget(self.reset)
        layout.addLayout(row)
        self.editor = TemplateEditor("Wording")
        layout.addWidget(self.editor)
        self._wording = {kind: w.default for kind, w in WORDINGS.items()}
        self._writable = False
        self._showing = False
        self.kind.currentIndexChanged.connect(self._show_kind)
        self.editor.edit.textChanged.connect(self._typed)
        self.reset.clicked.connect(self._reset)
        self._show_kind()

    def current_kind(self) -> Kind:
        # Qt hands the item data back as a plain str.
        return Kind(self.kind.currentData())

    def fill(self, stored: Mapping[str, str]) -> None:
        """Show the saved wording: a kind not stored has its default."""
        self._wording = {kind: stored.get(kind.value, w.default) for kind, w in WORDINGS.items()}
        self._show_kind()

    def templates(self) -> dict[str, str]:
        """The wording as the settings store it: the kinds that differ from their default."""
        return {
            kind.value: template
            for kind, template in sorted(self._wording.items())
            if template != WORDINGS[kind].default
        }

    def set_writable(self, writable: bool) -> None:
        self._writable = writable
        self.editor.edit.setEnabled(writable)
        self._enable_reset()

    def _reset(self) -> None:
        self.editor.edit.setPlainText(WORDINGS[self.current_kind()].default)

    def _show_kind(self) -> None:
        spec = WORDINGS[self.current_kind()]
        allowed = " ".join("{" + p + "}" for p in spec.placeholders)
        self.editor.placeholders.setText(f"Placeholders: {allowed}\n{spec.help}")
        self._showing = True
        self.editor.set_template(self._wording[spec.kind])
        self._showing = False
        self._enable_reset()
        self.edited.emit()

    def _typed(self) -> None:
        if self._showing:
            return
        self._wording[self.current_kind()] = self.editor.template()
        self._enable_reset()
        self.edited.emit()

    def _enable_reset(self) -> None:
        kind = self.current_kind()
        self.reset.setEnabled(self._writable and self._wording[kind] != WORDINGS[kind].default)
