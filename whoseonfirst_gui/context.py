"""What every page receives: the database, the clock, who is acting, and the shared services.

Built once by the composition root (:mod:`whoseonfirst_gui.app`) or by a test fixture; pages never
create databases, runners or message channels themselves.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from PySide6.QtCore import QObject, Signal

from whoseonfirst_core.clock import Clock
from whoseonfirst_core.db.session import Database
from whoseonfirst_gui.messages import MessageChannel
from whoseonfirst_gui.workers import TaskRunner


class AppEvents(QObject):
    """The signal hub shared by all pages.

    ``data_changed``: the database changed (another admin, the service, or our own save) — pages
    reload what they show, keeping their unsaved edits. ``dirty_changed(int)``: the total number
    of unsaved edits across pages (for the status bar and the close prompt).
    ``read_only_changed(bool)``: the database started or stopped refusing writes.
    """

    data_changed = Signal()
    dirty_changed = Signal(int)
    read_only_changed = Signal(bool)


@dataclass(eq=False)
class AppContext:
    db: Database
    clock: Clock
    actor: str
    runner: TaskRunner
    messages: MessageChannel
    read_only: bool = False
    events: AppEvents = field(default_factory=AppEvents)
    # Set by the live-refresh poller; lets a save ask for an immediate revision check.
    poll_now: Callable[[bool], None] | None = None
    _dirty: dict[str, int] = field(default_factory=dict)

    def report_dirty(self, source: str, count: int) -> None:
        """A page says how many unsaved edits it holds; emits the new total if it changed."""
        before = self.dirty_count
        if count:
            self._dirty[source] = count
        else:
            self._dirty.pop(source, None)
        if self.dirty_count != before:
            self.events.dirty_changed.emit(self.dirty_count)

    @property
    def dirty_count(self) -> int:
        return sum(self._dirty.values())

    def dirty_sources(self) -> dict[str, int]:
        """The unsaved edits per source (a page's slug) that holds any."""
        return dict(self._dirty)

    def after_save(self) -> None:
        """Call after our own successful save: everybody reloads once."""
        if self.poll_now is not None:
            self.poll_now(True)
        else:
            self.events.data_changed.emit()

    def set_read_only(self, read_only: bool) -> None:
        if read_only != self.read_only:
            self.read_only = read_only
            self.events.read_only_changed.emit(read_only)


def make_context(
    db: Database,
    clock: Clock,
    actor: str,
    *,
    interactive: bool = True,
    read_only: bool = False,
) -> AppContext:
    """A context with a fresh runner wired to a fresh message channel."""
    messages = MessageChannel(interactive=interactive)
    runner = TaskRunner(error_handler=messages.exception)
    ctx = AppContext(
        db=db, clock=clock, actor=actor, runner=runner, messages=messages, read_only=read_only
    )
    # Grants can be revoked while the app runs: the first refused write switches editing off.
    messages.read_only_detected.connect(lambda: ctx.set_read_only(True))
    return ctx
