"""Live refresh: notice changes made elsewhere through the database's change counter.

Every committed unit of work bumps ``meta.revision`` (see ``whoseonfirst_core.db.session``).
On SQLite the app polls it every two seconds (one indexed row, in process). On PostgreSQL the
bump NOTIFYs and a :class:`~whoseonfirst_core.db.changes.RevisionListener` hears it at once,
so the poll drops to every :data:`LISTENING_POLL_INTERVAL_MS` (for the heartbeat) while the
listener is connected, and back to two seconds while it is not. When the revision moves,
``ctx.events.data_changed`` fires and the pages reload. The same read fetches the newest
service heartbeat for the status bar.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QObject, QTimer, Signal

from whoseonfirst_core.db.changes import RevisionListener
from whoseonfirst_core.db.errors import first_line
from whoseonfirst_core.db.session import UnitOfWork, read_revision
from whoseonfirst_core.usecases.dto import HeartbeatDTO
from whoseonfirst_core.usecases.heartbeat import heartbeats
from whoseonfirst_gui.context import AppContext

POLL_INTERVAL_MS = 2000
#: The poll's interval while PostgreSQL pushes changes: it only refreshes the heartbeat.
LISTENING_POLL_INTERVAL_MS = 15_000


@dataclass(frozen=True)
class PollResult:
    revision: int
    heartbeat: HeartbeatDTO | None


class RevisionPoller(QObject):
    """Polls ``read_revision`` on the runner; emits ``data_changed`` when it changes."""

    heartbeat_changed = Signal(object)  # HeartbeatDTO | None
    polled = Signal(int)  # the revision just read
    unreachable = Signal(str)  # the poll failed: a short reason for the status bar
    listening = Signal(bool)  # the PostgreSQL listener connected (True) or lost it (False)
    _pushed = Signal(int)  # a revision NOTIFYed, from the listener's thread

    def __init__(
        self, ctx: AppContext, parent: QObject | None = None, *, interval_ms: int = POLL_INTERVAL_MS
    ) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self.revision: int | None = None
        self.heartbeat: HeartbeatDTO | None = None
        self._in_flight = False
        self._again = False
        self._force = False
        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.poll_now)
        self._interval_ms = interval_ms
        self._listener: RevisionListener | None = None
        self._pushed.connect(self._on_pushed)
        self.listening.connect(self._on_listening)
        ctx.poll_now = self.poll_now

    def start(self) -> None:
        self.timer.start()
        if not self._ctx.db.is_sqlite:
            self._listener = RevisionListener(self._ctx.db, self._pushed.emit, self.listening.emit)
            self._listener.start()

    def stop(self) -> None:
        self.timer.stop()
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        if self._ctx.poll_now == self.poll_now:
            self._ctx.poll_now = None

    def poll_now(self, force_emit: bool = False) -> None:
        """Read the revision now; with ``force_emit`` (after our own save) emit ``data_changed``
        even if the revision is the first one seen."""
        self._force = self._force or force_emit
        if self._in_flight:
            # A poll is already running; poll again as soon as it answers.
            self._again = True
            return
        self._in_flight = True
        self._again = False
        db = self._ctx.db

        def query(uow: UnitOfWork) -> PollResult:
            beats = heartbeats(uow)
            return PollResult(read_revision(uow.session), beats[0] if beats else None)

        self._ctx.runner.submit(lambda: db.read(query), self._on_result, self._on_error)

    def _on_pushed(self, revision: int) -> None:
        if revision != self.revision:
            self.poll_now()

    def _on_listening(self, connected: bool) -> None:
        self.timer.setInterval(LISTENING_POLL_INTERVAL_MS if connected else self._interval_ms)
        if connected:
            self.poll_now()  # catch up with what was committed before the LISTEN

    def _on_result(self, result: PollResult) -> None:
        self._in_flight = False
        first = self.revision is None
        changed = result.revision != self.revision
        self.revision = result.revision
        if result.heartbeat != self.heartbeat or first:
            self.heartbeat = result.heartbeat
            self.heartbeat_changed.emit(result.heartbeat)
        self.polled.emit(result.revision)
        if self._force or (changed and not first):
            self._force = False
            self._ctx.events.data_changed.emit()
        if self._again:
            self.poll_now()

    def _on_error(self, exc: BaseException) -> None:
        # A blip of the network must not pop a dialog every two seconds: the status bar says it.
        self._in_flight = False
        if self._force:
            self._force = False
            self._ctx.events.data_changed.emit()
        self.unreachable.emit(first_line(exc))
