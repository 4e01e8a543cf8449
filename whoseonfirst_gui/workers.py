"""Run database work off the GUI thread and hand the result back on it.

Every database call the app makes goes through :class:`TaskRunner.submit`. The callable runs on
a ``QThreadPool`` thread and must open its own unit of work (``with db.uow(actor) as uow:``) —
sessions are never shared between threads. It returns plain DTOs; ``on_done`` / ``on_error`` are
then called on the GUI thread through a queued signal, so they may touch widgets freely.

Why not ``QThread`` subclasses: the work is short, independent and stateless; a pool of runnables
keeps the logic in plain functions that tests can call directly.
"""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import shiboken6
from PySide6.QtCore import (
    QCoreApplication,
    QObject,
    QRunnable,
    QThreadPool,
    Signal,
    Slot,
)
from PySide6.QtWidgets import QWidget

log = logging.getLogger(__name__)

T = TypeVar("T")


class _TaskSignals(QObject):
    """Lives on the GUI thread; emitted from pool threads, so delivery is queued."""

    finished = Signal(int, object)  # token, result
    failed = Signal(int, object)  # token, exception


class _Task(QRunnable):
    def __init__(self, token: int, fn: Callable[[], Any], signals: _TaskSignals) -> None:
        super().__init__()
        self.setAutoDelete(True)
        self._token = token
        self._fn = fn
        self._signals = signals

    def run(self) -> None:
        try:
            result = self._fn()
        except BaseException as exc:  # noqa: BLE001 - every failure goes back to the GUI thread
            # Attach the traceback now: it is lost once the frame is gone on another thread.
            self._signals.failed.emit(self._token, exc)
        else:
            self._signals.finished.emit(self._token, result)


@dataclass
class _Pending:
    on_done: Callable[[Any], None]
    on_error: Callable[[BaseException], None] | None
    busy: QWidget | None
    key: str | None


class TaskRunner(QObject):
    """Runs callables on a private thread pool; results come back on the GUI thread.

    ``busy`` widgets are disabled while at least one of their tasks runs and re-enabled
    afterwards (only if the runner was the one that disabled them). ``busy_changed(bool)`` tells
    the main window to show or hide its busy indicator. A task submitted with ``key`` supersedes
    an earlier pending task with the same key: the older result is dropped, so a slow refresh
    never overwrites a newer one.
    """

    busy_changed = Signal(bool)

    def __init__(
        self,
        error_handler: Callable[[BaseException], None] | None = None,
        parent: QObject | None = None,
        *,
        max_threads: int = 4,
    ) -> None:
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(max_threads)
        self._signals = _TaskSignals(self)
        self._signals.finished.connect(self._on_finished)
        self._signals.failed.connect(self._on_failed)
        self._tokens = itertools.count(1)
        self._pending: dict[int, _Pending] = {}
        self._latest_by_key: dict[str, int] = {}
        # widget id -> (widget, running task count, was enabled before we disabled it)
        self._busy_widgets: dict[int, tuple[QWidget, int, bool]] = {}
        self._error_handler = error_handler
        self._closed = False

    # --- public API -------------------------------------------------------------------------

    def set_error_handler(self, handler: Callable[[BaseException], None] | None) -> None:
        """Where errors go when a task has no ``on_error`` (the message channel)."""
        self._error_handler = handler

    def submit(
        self,
        fn: Callable[[], T],
        on_done: Callable[[T], None],
        on_error: Callable[[BaseException], None] | None = None,
        *,
        busy: QWidget | None = None,
        key: str | None = None,
    ) -> None:
        """Run ``fn()`` on a pool thread; ``on_done(result)`` / ``on_error(exc)`` on this one."""
        if self._closed:
            log.debug("task submitted after shutdown; ignored")
            return
        token = next(self._tokens)
        was_idle = not self._pending
        self._pending[token] = _Pending(on_done, on_error, busy, key)
        if key is not None:
            self._latest_by_key[key] = token
        if busy is not None:
            self._mark_busy(busy)
        if was_idle:
            self.busy_changed.emit(True)
        self._pool.start(_Task(token, fn, self._signals))

    @property
    def pending_count(self) -> int:
        return len(self._pending)

    def is_idle(self) -> bool:
        return not self._pending

    def wait_idle(self, timeout_ms: int = 5000) -> bool:
        """Process events until every task (and any task its callbacks start) has finished.

        For tests and shutdown. Returns False on timeout. The GUI keeps processing events while
        waiting, so this never freezes the window.
        """
        deadline = time.monotonic() + timeout_ms / 1000
        app = QCoreApplication.instance()
        while self._pending:
            if time.monotonic() > deadline:
                return False
            # Block at most 10 ms on the pool, then deliver queued results.
            self._pool.waitForDone(10)
            if app is not None:
                QCoreApplication.processEvents()
        return True

    def shutdown(self, timeout_ms: int = 5000) -> None:
        """Stop accepting tasks, wait for running ones, drop their callbacks."""
        self._closed = True
        self._pool.clear()
        self._pool.waitForDone(timeout_ms)
        for pending in list(self._pending.values()):
            if pending.busy is not None:
                self._release_busy(pending.busy)
        self._pending.clear()
        self._latest_by_key.clear()

    # --- delivery ----------------------------------------------------------------------------

    def _take(self, token: int) -> tuple[_Pending | None, bool]:
        """Remove the pending task; the bool says whether its result is still wanted."""
        pending = self._pending.pop(token, None)
        if pending is None:
            return None, False
        if pending.busy is not None:
            self._release_busy(pending.busy)
        current = True
        if pending.key is not None:
            latest = self._latest_by_key.get(pending.key)
            current = latest == token
            if current:
                del self._latest_by_key[pending.key]
        if not self._pending:
            self.busy_changed.emit(False)
        return pending, current

    @Slot(int, object)
    def _on_finished(self, token: int, result: object) -> None:
        pending, current = self._take(token)
        if pending is None or not current:
            return
        try:
            pending.on_done(result)
        except Exception as exc:  # noqa: BLE001 - a bug in a callback must reach the user
            self._report(exc, None)

    @Slot(int, object)
    def _on_failed(self, token: int, exc: object) -> None:
        pending, current = self._take(token)
        if pending is None or not current:
            return
        assert isinstance(exc, BaseException)
        self._report(exc, pending.on_error)

    def _report(self, exc: BaseException, on_error: Callable[[BaseException], None] | None) -> None:
        if on_error is not None:
            try:
                on_error(exc)
                return
            except Exception as inner:  # noqa: BLE001
                exc = inner
        if self._error_handler is not None:
            self._error_handler(exc)
        else:
            log.error("background task failed", exc_info=(type(exc), exc, exc.__traceback__))

    # --- busy widgets -----------------------------------------------------------------------

    def _mark_busy(self, widget: QWidget) -> None:
        entry = self._busy_widgets.get(id(widget))
        if entry is None:
            was_enabled = widget.isEnabled() if shiboken6.isValid(widget) else False
            if shiboken6.isValid(widget):
                widget.setEnabled(False)
            self._busy_widgets[id(widget)] = (widget, 1, was_enabled)
        else:
            self._busy_widgets[id(widget)] = (entry[0], entry[1] + 1, entry[2])

    def _release_busy(self, widget: QWidget) -> None:
        entry = self._busy_widgets.get(id(widget))
        if entry is None:
            return
        w, count, was_enabled = entry
        if count > 1:
            self._busy_widgets[id(widget)] = (w, count - 1, was_enabled)
            return
        del self._busy_widgets[id(widget)]
        if was_enabled and shiboken6.isValid(w):
            w.setEnabled(True)
