"""The red line under a field that says what is wrong with it.

It is always in the layout with room for one line kept while empty, so a problem appearing or
going away while the user types moves nothing (hiding and showing a label resizes the dialog
and makes the fields jump under the cursor).
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget

from whoseonfirst_gui import format as fmt


class FieldError(QLabel):
    """A field's problem (plain text, red), or nothing; one line of height reserved."""

    def __init__(self, accessible_name: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWordWrap(True)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self._restyle()
        self.setMinimumHeight(self.fontMetrics().lineSpacing())
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        if accessible_name:
            self.setAccessibleName(accessible_name)

    def _restyle(self) -> None:
        style = f"color: {fmt.readable(fmt.ERROR_COLOR)};"
        if self.styleSheet() != style:  # setting it again would signal another change
            self.setStyleSheet(style)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            self._restyle()  # light ⇄ dark

    def show_problem(self, text: str) -> None:
        self.setText(text)
        self.setToolTip(text)
