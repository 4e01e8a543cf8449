"""Quit with unsaved edits: Save, Discard or Cancel, naming each page that has them.

Save asks every page with edits to save (in the background, as its own Save button does) and
closes the window once the runner is idle and nothing is left unsaved; a save that fails or
ends in a conflict dialog leaves the window open with the edits still shown.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QMessageBox, QWidget

from whoseonfirst_core.domain.plurals import plural
from whoseonfirst_gui.context import AppContext

S = QMessageBox.StandardButton


class QuitGuard(QObject):
    """Decides whether the window may close now (``may_close``), and closes it later when
    Quit ▸ Save has saved everything (``close``)."""

    def __init__(
        self,
        ctx: AppContext,
        pages: Callable[[], Mapping[str, tuple[str, QWidget]]],
        close: Callable[[], object],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self._pages = pages  # slug → (title, page)
        self._close = close
        self.saving = False  # Quit ▸ Save is waiting for the saves
        ctx.runner.busy_changed.connect(self._runner_busy)

    def may_close(self) -> bool:
        dirty = self.ctx.dirty_sources()
        if not dirty:
            return True
        pages = self._pages()
        lines = "\n".join(
            f"{pages[slug][0] if slug in pages else slug}: {plural(n, 'unsaved edit')}"
            for slug, n in dirty.items()
        )
        answer = self.ctx.messages.ask(
            "Unsaved edits",
            f"Save your edits before quitting?\n\n{lines}",
            (S.Save, S.Discard, S.Cancel),
            S.Save,
        )
        if answer == S.Discard:
            return True
        if answer == S.Save and not self.ctx.read_only:
            self.saving = True
            for slug in dirty:
                save = getattr(pages[slug][1], "save", None) if slug in pages else None
                if callable(save):
                    save()
            if self.ctx.runner.is_idle():  # nothing was submitted (a problem on the page)
                QTimer.singleShot(0, self._finish)
        return False

    def _runner_busy(self, busy: bool) -> None:
        if not busy and self.saving:
            # Later, so the finished task's callback (the page clearing its edits) has run.
            QTimer.singleShot(0, self._finish)

    def _finish(self) -> None:
        """Close if Quit ▸ Save saved everything; else stay, with the edits still shown."""
        if not self.saving or not self.ctx.runner.is_idle():
            return
        self.saving = False
        left = self.ctx.dirty_count
        if left:
            self.ctx.messages.flash(
                f"Not quitting: {plural(left, 'edit')} could not be saved (see the page)."
            )
            return
        self._close()
