"""Saving over someone else's newer change: ask, never overwrite silently (SPEC §6).

Every save in the app goes through :func:`save_with_conflict_check`. The save callable takes one
flag, ``force``: ``False`` is the normal save with the versions (or expected members) the user saw;
``True`` is "keep mine" — the same edit without those expectations, so it wins. When the first
attempt raises :class:`~whoseonfirst_core.usecases.errors.ConflictError` the user chooses:

* **Keep mine** — save again with ``force=True``;
* **Take theirs** — drop the local edit (``take_theirs()``) and reload;
* **Review** — when the error carries both versions (``mine``, ``theirs``): show them side by
  side and end in Keep mine or Take theirs (:class:`ReviewDialog`), so the next Save does not
  ask the same again; otherwise keep the local edit, reload what is in the database, and let
  the user decide (``review()``; the default just reloads and keeps the edit).
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from typing import TypeVar

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QLabel,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from whoseonfirst_core.usecases.errors import ConflictError
from whoseonfirst_gui import format as fmt
from whoseonfirst_gui.context import AppContext
from whoseonfirst_gui.on_screen import keep_on_screen

#: The title of the side-by-side review.
REVIEW_TITLE = "Yours and theirs"

T = TypeVar("T")


class ConflictChoice(Enum):
    KEEP_MINE = "mine"
    TAKE_THEIRS = "theirs"
    REVIEW = "review"


def ask_conflict(
    ctx: AppContext,
    error: ConflictError,
    *,
    subject: str,
    can_keep_mine: bool = True,
) -> ConflictChoice:
    """Show the conflict dialog about ``subject`` ("the settings", "Ann Archer"); return the choice.

    Tests answer it by appending ``"mine"``, ``"theirs"`` or ``"review"`` to
    ``ctx.messages.choices`` (with a non-interactive message channel). Closing the dialog means
    Review: nothing is lost.
    """
    options = []
    if can_keep_mine:
        options.append((ConflictChoice.KEEP_MINE.value, "Keep mine"))
    options += [
        (ConflictChoice.TAKE_THEIRS.value, "Take theirs"),
        (ConflictChoice.REVIEW.value, "Review"),
    ]
    text = f"Someone else saved {subject} while you were editing it."
    if error.conflicts:
        text += "\n\nWhat they changed:\n" + "\n".join(f"• {c}" for c in error.conflicts)
    text += (
        "\n\nKeep mine saves your version over theirs; Take theirs drops your edit and "
        "loads theirs; Review shows both side by side."
    )
    key = ctx.messages.choose("Changed by someone else", text, options, ConflictChoice.REVIEW.value)
    try:
        choice = ConflictChoice(key)
    except ValueError:
        choice = ConflictChoice.REVIEW
    if choice is ConflictChoice.KEEP_MINE and not can_keep_mine:
        choice = ConflictChoice.REVIEW
    return choice


class ReviewDialog(QDialog):
    """Mine and theirs side by side; it closes only with a decision (Keep mine or Take
    theirs): Esc and the close button do nothing, so no edit is lost and none is left
    undecided."""

    def __init__(
        self,
        subject: str,
        error: ConflictError,
        *,
        can_keep_mine: bool,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(REVIEW_TITLE)
        self.choice = ConflictChoice.TAKE_THEIRS
        layout = QVBoxLayout(self)
        intro = QLabel(f"Your version of {subject} and the one someone else saved:")
        intro.setWordWrap(True)
        layout.addWidget(intro)
        grid = QGridLayout()
        for column, (title, lines) in enumerate(
            (("Yours (not saved)", error.mine), ("Theirs (saved)", error.theirs))
        ):
            label = QLabel(f"<b>{title}</b>")
            grid.addWidget(label, 0, column)
            text = QPlainTextEdit("\n".join(lines))
            text.setReadOnly(True)
            text.setAccessibleName(title)
            grid.addWidget(text, 1, column)
        layout.addLayout(grid)
        buttons = QDialogButtonBox()
        self.keep_button = buttons.addButton("&Keep mine", QDialogButtonBox.ButtonRole.AcceptRole)
        self.keep_button.setEnabled(can_keep_mine)
        self.take_button = buttons.addButton(
            "Take &theirs", QDialogButtonBox.ButtonRole.DestructiveRole
        )
        self.keep_button.clicked.connect(lambda: self._decide(ConflictChoice.KEEP_MINE))
        self.take_button.clicked.connect(lambda: self._decide(ConflictChoice.TAKE_THEIRS))
        layout.addWidget(buttons)
        keep_on_screen(self)

    def _decide(self, choice: ConflictChoice) -> None:
        self.choice = choice
        self.accept()

    def reject(self) -> None:
        """Esc and the close button: no decision yet, so the dialog stays."""


def review_conflict(
    ctx: AppContext, error: ConflictError, *, subject: str, can_keep_mine: bool = True
) -> ConflictChoice:
    """Show mine and theirs side by side; returns Keep mine or Take theirs.

    Tests answer it like :func:`ask_conflict` (``"mine"`` or ``"theirs"`` in
    ``ctx.messages.choices``); the versions shown are recorded in ``ctx.messages.asked_texts``.
    """
    messages = ctx.messages
    if not messages.interactive:
        messages.asked.append(REVIEW_TITLE)
        messages.asked_texts.append(
            "Yours:\n" + "\n".join(error.mine) + "\n\nTheirs:\n" + "\n".join(error.theirs)
        )
        key = messages.choices.popleft() if messages.choices else ConflictChoice.TAKE_THEIRS.value
        choice = ConflictChoice.KEEP_MINE if key == "mine" else ConflictChoice.TAKE_THEIRS
    else:
        dialog = ReviewDialog(subject, error, can_keep_mine=can_keep_mine, parent=messages.window)
        dialog.exec()
        choice = dialog.choice
    if choice is ConflictChoice.KEEP_MINE and not can_keep_mine:
        return ConflictChoice.TAKE_THEIRS
    return choice


def save_with_conflict_check(
    ctx: AppContext,
    save: Callable[[bool], T],
    on_saved: Callable[[T], None],
    *,
    subject: str,
    take_theirs: Callable[[], None] | None = None,
    review: Callable[[ConflictError], None] | None = None,
    on_error: Callable[[BaseException], None] | None = None,
    busy: QWidget | None = None,
    can_keep_mine: bool = True,
) -> None:
    """Run ``save(False)`` on the runner; on a conflict ask the user and act on the answer.

    ``save`` runs on a pool thread and must open (and commit) its own unit of work.
    ``on_saved(result)`` runs on the GUI thread after a successful save; ``ctx.after_save()`` is
    called for you. Other errors go to ``on_error`` or the message channel.
    """

    def done(result: T) -> None:
        on_saved(result)
        ctx.after_save()

    def failed(exc: BaseException, *, forced: bool) -> None:
        if isinstance(exc, ConflictError) and not forced:
            choice = ask_conflict(ctx, exc, subject=subject, can_keep_mine=can_keep_mine)
            if choice is ConflictChoice.REVIEW and (exc.mine or exc.theirs):
                choice = review_conflict(ctx, exc, subject=subject, can_keep_mine=can_keep_mine)
            if choice is ConflictChoice.KEEP_MINE:
                ctx.runner.submit(
                    lambda: save(True), done, lambda e: failed(e, forced=True), busy=busy
                )
            elif choice is ConflictChoice.TAKE_THEIRS:
                if take_theirs is not None:
                    take_theirs()
                ctx.events.data_changed.emit()
            else:
                if review is not None:
                    review(exc)
                ctx.events.data_changed.emit()
            return
        if on_error is not None:
            on_error(exc)
        else:
            ctx.messages.exception(exc)

    ctx.runner.submit(lambda: save(False), done, lambda e: failed(e, forced=False), busy=busy)


class ConflictBanner(QLabel):
    """The warning over a form whose ``subject`` someone else saved while it was being edited;
    hidden until then. The form keeps the user's edits either way."""

    def __init__(self, subject: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.subject = subject
        self.setWordWrap(True)
        self.setVisible(False)
        self.setStyleSheet(f"color: {fmt.readable(fmt.WARNING_COLOR)};")

    def changed_while_editing(self) -> None:
        """A reload found their newer version (nothing saved yet)."""
        self._show(
            f"Someone else changed {self.subject} while you were editing. Your edits are kept; "
            "saving will ask whose version wins (Revert loads theirs)."
        )

    def review(self, _exc: ConflictError | None = None) -> None:
        """The user chose Review in the conflict dialog."""
        self._show(
            f"Someone else changed {self.subject}. Your edits are still here: Save keeps "
            "them, Revert loads theirs."
        )

    def _show(self, text: str) -> None:
        self.setText(text)
        self.setVisible(True)
