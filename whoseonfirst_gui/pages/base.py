"""What the main window expects of a page, and the shared plumbing of ours.

The main window duck-types pages (the calendar page need not subclass this): it reads
``title``, calls ``refresh()``, and uses these when present — ``badge_changed(str)``,
``navigate_requested(str)``, ``undo_stack`` (a ``QUndoStack``), ``save()``, ``focus_search()``
(only a page with a search box has it: Edit ▸ Find is enabled there), ``dirty_count()``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QLabel, QVBoxLayout, QWidget

from whoseonfirst_core.db.session import UnitOfWork
from whoseonfirst_core.usecases.errors import NoTeamError
from whoseonfirst_gui.context import AppContext

T = TypeVar("T")

NO_TEAM_TEXT = (
    "No team yet — create one with File ▸ New team…, load the demo team, or File ▸ Import roster…"
)


class Page(QWidget):
    """Base for the app's pages: loads through the runner, reloads on ``data_changed``."""

    title = ""
    badge_changed = Signal(str)
    navigate_requested = Signal(str)  # the title of the page to show

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setAccessibleName(self.title)
        self.loaded = False  # True once the first refresh answered (tests, screenshots)
        ctx.events.data_changed.connect(self.refresh)
        ctx.events.read_only_changed.connect(self.apply_read_only)

    # --- to override ---------------------------------------------------------------------

    def refresh(self) -> None:
        """Reload from the database through the runner (never discards unsaved edits)."""

    def apply_read_only(self, read_only: bool) -> None:
        """Disable editing controls when the database refuses writes."""

    def dirty_count(self) -> int:
        return 0

    # --- helpers -------------------------------------------------------------------------

    def read(
        self,
        query: Callable[[UnitOfWork], T],
        on_done: Callable[[T], None],
        *,
        key: str | None = None,
        busy: QWidget | None = None,
        on_no_team: Callable[[], None] | None = None,
    ) -> None:
        """Run ``query(uow)`` in a read-only unit of work on the runner.

        A database without a team calls ``on_no_team`` (an empty state) instead of an error box.
        """
        db = self.ctx.db

        def task() -> T:
            return db.read(query)

        def done(result: T) -> None:
            self.loaded = True
            on_done(result)

        def failed(exc: BaseException) -> None:
            self.loaded = True
            if isinstance(exc, NoTeamError) and on_no_team:
                on_no_team()
            else:
                self.ctx.messages.exception(exc)

        self.ctx.runner.submit(
            task,
            done,
            failed,
            busy=busy,
            key=f"{key or 'refresh'}@{type(self).__name__}-{id(self)}",
        )

    def write(
        self,
        command: Callable[[UnitOfWork], T],
        on_done: Callable[[T], None],
        *,
        busy: QWidget | None = None,
        on_error: Callable[[BaseException], None] | None = None,
    ) -> None:
        """Run ``command(uow)`` in one write unit of work, commit, then ``on_done`` and reload."""
        db, actor = self.ctx.db, self.ctx.actor

        def task() -> T:
            with db.uow(actor) as uow:
                result = command(uow)
                uow.commit()
                return result

        def done(result: T) -> None:
            on_done(result)
            self.ctx.after_save()

        self.ctx.runner.submit(task, done, on_error, busy=busy)

    def now(self) -> Any:
        return self.ctx.clock.now()


def heading(text: str) -> QLabel:
    """A section heading in the platform font, a bit larger and bold."""
    return _bold_label(text, 1.1)


def page_title(text: str) -> QLabel:
    """A page's title: bold, half as large again as the platform font."""
    return _bold_label(text, 1.5)


def _bold_label(text: str, scale: float) -> QLabel:
    label = QLabel(text)
    font = label.font()
    font.setBold(True)
    font.setPointSizeF(font.pointSizeF() * scale)
    label.setFont(font)
    label.setAccessibleName(text)
    return label


class EmptyState(QFrame):
    """A centred sentence that says what to do ("No team yet — …")."""

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        self.label = QLabel(text)
        self.label.setWordWrap(True)
        self.label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addStretch(1)
        layout.addWidget(self.label)
        layout.addStretch(2)

    def set_text(self, text: str) -> None:
        self.label.setText(text)
        self.label.setAccessibleName(text)
