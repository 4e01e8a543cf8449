"""The one channel for messages to the user.

Three kinds of trouble, told apart here so that no page has to:

* **the user can fix it** (:class:`~whoseonfirst_core.usecases.errors.UseCaseError`): show the
  message as written by the use case — it says what happened and what to do;
* **the environment's fault** (database unreachable or locked, disk full, permission denied): say
  what failed and what to try, no traceback;
* **our bug** (anything else): log it with the traceback, show a short apology with "Details…".

In tests construct ``MessageChannel(interactive=False)``: nothing is shown, every message is
appended to ``sink`` and emitted through ``posted``; ``ask`` answers from ``answers``.
"""

from __future__ import annotations

import logging
import traceback
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QMessageBox, QPushButton, QWidget
from sqlalchemy.exc import OperationalError, ProgrammingError

from whoseonfirst_core.db.errors import first_line, permission_denied
from whoseonfirst_core.usecases.errors import ReadOnlyError, UseCaseError
from whoseonfirst_gui.tell import TellBox

log = logging.getLogger(__name__)

READ_ONLY_TITLE = "Read-only database"


class Level(Enum):
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


@dataclass(frozen=True)
class Message:
    level: Level
    title: str
    text: str
    details: str | None = None


def describe(exc: BaseException) -> Message:
    """Turn an exception into what the user should read (no side effects)."""
    if isinstance(exc, ReadOnlyError):
        return Message(Level.WARNING, READ_ONLY_TITLE, str(exc))
    if isinstance(exc, UseCaseError):
        return Message(Level.WARNING, "Not saved", str(exc))
    denied = permission_denied(exc)
    if denied is not None:
        return Message(
            Level.WARNING,
            READ_ONLY_TITLE,
            f"The database refused the change: {denied}. Nothing was saved. "
            "Ask an administrator for write access, or connect with another profile.",
        )
    if isinstance(exc, OperationalError | ProgrammingError) and "locked" in str(exc).lower():
        return Message(
            Level.WARNING,
            "Database busy",
            "The database is busy with another change. Nothing was saved; try again in a moment.",
        )
    if isinstance(exc, OperationalError):
        return Message(
            Level.ERROR,
            "Database not reachable",
            "The database did not answer. Check the network or the server, then press F5 to "
            "reload. Nothing was saved.",
            details=first_line(exc),  # no SQL, no parameters
        )
    if isinstance(exc, OSError):
        return Message(
            Level.ERROR,
            "File or system error",
            (f"{exc.filename}: " if exc.filename else "")
            + f"{exc.strerror or exc}. Check the disk and the file permissions, then try again.",
            details=first_line(exc),  # no SQL, no parameters
        )
    return Message(
        Level.ERROR,
        "Something went wrong",
        "Sorry — WhoseOnFirst hit an internal error. Your saved data is safe; "
        "unsaved edits are still in the window. Please report this with the details below.",
        details="".join(traceback.format_exception(type(exc), exc, exc.__traceback__)),
    )


class MessageChannel(QObject):
    """Shows messages (or records them in tests). Use from the GUI thread only."""

    posted = Signal(object)  # Message
    read_only_detected = Signal()  # a write was refused for lack of privileges
    status = Signal(str, int)  # transient status-bar text, milliseconds (0 = until replaced)

    def __init__(self, parent: QObject | None = None, *, interactive: bool = True) -> None:
        super().__init__(parent)
        self.interactive = interactive
        self.sink: list[Message] = []
        self.answers: deque[QMessageBox.StandardButton] = deque()
        self.choices: deque[str] = deque()
        #: In tests: the "Tell the people affected" answers of :meth:`confirm_change`.
        self.tell_answers: deque[bool] = deque()
        self.asked: list[str] = []
        #: In tests: the text of each question asked (``asked`` holds their titles).
        self.asked_texts: list[str] = []
        self._window: QWidget | None = None

    def set_window(self, window: QWidget | None) -> None:
        """The parent for dialogs (the main window)."""
        self._window = window

    @property
    def window(self) -> QWidget | None:
        """The parent for dialogs (None: none set)."""
        return self._window

    # --- telling -----------------------------------------------------------------------------

    def info(self, title: str, text: str, details: str | None = None) -> None:
        self.post(Message(Level.INFO, title, text, details))

    def warning(self, title: str, text: str, details: str | None = None) -> None:
        self.post(Message(Level.WARNING, title, text, details))

    def error(self, title: str, text: str, details: str | None = None) -> None:
        self.post(Message(Level.ERROR, title, text, details))

    def flash(self, text: str, timeout_ms: int = 5000) -> None:
        """A short note in the status bar ("Saved."), no dialog."""
        self.status.emit(text, timeout_ms)

    def exception(self, exc: BaseException) -> None:
        """Report a failure, classified as user-fixable, environmental or a bug."""
        message = describe(exc)
        if message.title == READ_ONLY_TITLE:
            self.read_only_detected.emit()
        if not isinstance(exc, UseCaseError):
            log.error("%s", message.title, exc_info=(type(exc), exc, exc.__traceback__))
        self.post(message)

    def post(self, message: Message) -> None:
        self.sink.append(message)
        self.posted.emit(message)
        if not self.interactive:
            return
        icon = {
            Level.INFO: QMessageBox.Icon.Information,
            Level.WARNING: QMessageBox.Icon.Warning,
            Level.ERROR: QMessageBox.Icon.Critical,
        }[message.level]
        box = QMessageBox(
            icon, message.title, message.text, QMessageBox.StandardButton.Ok, self._window
        )
        if message.details:
            box.setDetailedText(message.details)
        box.setAccessibleName(message.title)
        box.exec()

    # --- asking ------------------------------------------------------------------------------

    def ask(
        self,
        title: str,
        text: str,
        buttons: Sequence[QMessageBox.StandardButton] = (
            QMessageBox.StandardButton.Yes,
            QMessageBox.StandardButton.No,
        ),
        default: QMessageBox.StandardButton = QMessageBox.StandardButton.No,
    ) -> QMessageBox.StandardButton:
        """A modal question; in tests the next entry of ``answers`` (else ``default``)."""
        self.asked.append(title)
        if not self.interactive:
            return self.answers.popleft() if self.answers else default
        combined = QMessageBox.StandardButton.NoButton
        for b in buttons:
            combined |= b
        box = QMessageBox(QMessageBox.Icon.Question, title, text, combined, self._window)
        box.setDefaultButton(default)
        return QMessageBox.StandardButton(box.exec())

    def choose(
        self,
        title: str,
        text: str,
        options: Sequence[tuple[str, str]],
        default: str,
        *,
        details: str | None = None,
    ) -> str:
        """A modal choice between labelled options ``(key, label)``; returns the chosen key.

        Closing the box (Esc) returns ``default``. In tests: the next entry of ``choices``.
        """
        self.asked.append(title)
        self.asked_texts.append(text)
        if not self.interactive:
            return self.choices.popleft() if self.choices else default
        box = QMessageBox(
            QMessageBox.Icon.Question,
            title,
            text,
            QMessageBox.StandardButton.NoButton,
            self._window,
        )
        if details:
            box.setDetailedText(details)
        by_key: dict[str, QPushButton] = {}
        for key, label in options:
            role = (
                QMessageBox.ButtonRole.RejectRole
                if key == default
                else QMessageBox.ButtonRole.AcceptRole
            )
            button = box.addButton(label, role)
            by_key[key] = button
        if default in by_key:
            box.setDefaultButton(by_key[default])
            box.setEscapeButton(by_key[default])
        box.exec()
        clicked = box.clickedButton()
        if clicked is None:
            return default
        return next((k for k, b in by_key.items() if b is clicked), default)

    def confirm(self, title: str, text: str) -> bool:
        return self.ask(title, text) == QMessageBox.StandardButton.Yes

    def confirm_change(
        self, title: str, text: str, yes: QMessageBox.StandardButton
    ) -> tuple[bool, bool]:
        """Confirm a change to who is on call: ``yes`` or Cancel, with the "Tell the people
        affected" box (ticked) under the text. Returns (confirmed, tell). In tests: the next
        entries of ``answers`` (else Cancel) and ``tell_answers`` (else ticked).
        """
        self.asked.append(title)
        cancel = QMessageBox.StandardButton.Cancel
        if not self.interactive:
            answer = self.answers.popleft() if self.answers else cancel
            return answer == yes, self.tell_answers.popleft() if self.tell_answers else True
        box = QMessageBox(QMessageBox.Icon.Question, title, text, yes | cancel, self._window)
        box.setDefaultButton(cancel)
        tell = TellBox()
        box.setCheckBox(tell)
        return QMessageBox.StandardButton(box.exec()) == yes, tell.isChecked()

    # --- test helpers ------------------------------------------------------------------------

    def texts(self, level: Level | None = None) -> list[str]:
        return [m.text for m in self.sink if level is None or m.level is level]

    def clear(self) -> None:
        self.sink.clear()
