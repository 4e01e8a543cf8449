"""One text template being edited: its placeholders, the editor, what is wrong with it, and
a preview with its SMS segment count. The shift-start text and every other kind's wording use
it, so they validate and count segments the same way."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QPlainTextEdit, QVBoxLayout, QWidget

from whoseonfirst_core.domain.templates import segment_info
from whoseonfirst_gui.field_error import FieldError


def segment_note(text: str) -> str:
    """``95 characters, 1 segment (GSM-7); 160 characters per segment``, with a warning when
    Unicode makes every segment shorter."""
    info = segment_info(text)
    warn = " — Unicode characters make every segment shorter" if info.encoding == "UCS-2" else ""
    return f"{info.describe()}; {info.per_segment} characters per segment{warn}"


class TemplateEditor(QWidget):
    """The editor (``edit``) with ``placeholders`` above it, and ``problems``, ``preview`` and
    ``segments`` below, filled by :meth:`show_result`."""

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.placeholders = QLabel()
        self.placeholders.setWordWrap(True)
        self.edit = QPlainTextEdit()
        self.edit.setAccessibleName(f"{name} template")
        self.edit.setFixedHeight(80)
        self.edit.setTabChangesFocus(True)
        self.problems = FieldError(f"{name} template problems")
        self.preview = QLabel()
        self.preview.setWordWrap(True)
        self.preview.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.preview.setFrameShape(QLabel.Shape.StyledPanel)
        self.preview.setMargin(6)
        self.preview.setAccessibleName(f"{name} preview")
        self.segments = QLabel()
        self.segments.setWordWrap(True)  # the UCS-2 warning is long: it must not widen the page
        self.segments.setAccessibleName(f"{name} segment count and encoding")
        layout.addWidget(self.placeholders)
        layout.addWidget(self.edit)
        layout.addWidget(self.problems)
        layout.addWidget(QLabel("Preview of the next real text:"))
        layout.addWidget(self.preview)
        layout.addWidget(self.segments)
        layout.addStretch(1)  # room a shorter segment line leaves goes below, nothing moves up

    def template(self) -> str:
        return self.edit.toPlainText()

    def set_template(self, template: str) -> None:
        """Show ``template`` (the cursor stays put when it is already shown)."""
        if self.edit.toPlainText() != template:
            self.edit.setPlainText(template)

    def show_result(self, problems: list[str], text: str | None) -> None:
        """What is wrong with the template, or (``text``) the text it makes and its segments;
        neither: nothing to preview yet."""
        self.problems.setText("; ".join(p[:1].upper() + p[1:] for p in problems))
        if problems or text is None:
            self.preview.setText("—")
            self.segments.setText("")
            return
        self.preview.setText(text)
        self.segments.setText(segment_note(text))
