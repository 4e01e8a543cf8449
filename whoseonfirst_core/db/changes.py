"""Changes made elsewhere, pushed by PostgreSQL instead of polled for.

Every commit's revision bump NOTIFYs :data:`~whoseonfirst_core.db.session.REVISION_CHANNEL`
(see :func:`~whoseonfirst_core.db.session.bump`). A :class:`RevisionListener` LISTENs on a
connection of its own, outside the pool (a listening connection is never handed to a unit of
work), on a thread of its own, and calls ``on_change(revision)`` there for each one. Notices sent
while it was not connected are lost, so each (re)connection calls ``on_listening(True)``: the
caller reads the revision once to catch up. A lost connection calls ``on_listening(False)`` and is
retried every ``retry_s``. SQLite has no such channel; its users keep polling.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from whoseonfirst_core.db.session import PG_CONNECT_TIMEOUT_S, REVISION_CHANNEL, Database

log = logging.getLogger(__name__)

#: How long the thread waits for a notice before it checks whether it was asked to stop.
WAKE_S = 0.25


class RevisionListener:
    """LISTEN for revision bumps on ``db`` (PostgreSQL only) until :meth:`close`."""

    def __init__(
        self,
        db: Database,
        on_change: Callable[[int], None],
        on_listening: Callable[[bool], None],
        *,
        retry_s: float = 5.0,
    ) -> None:
        if db.is_sqlite:
            raise ValueError("SQLite has no LISTEN/NOTIFY: poll its revision instead")
        self._db = db
        self._on_change = on_change
        self._on_listening = on_listening
        self._retry_s = retry_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="revision-listener", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        """Stop listening and wait for the thread (at most about :data:`WAKE_S`)."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def _connect(self) -> Any:
        import psycopg

        engine = self._db.engine
        cargs, cparams = engine.dialect.create_connect_args(engine.url)
        cparams.setdefault("connect_timeout", PG_CONNECT_TIMEOUT_S)
        conn = psycopg.connect(*cargs, **cparams, autocommit=True)
        conn.execute(f"LISTEN {REVISION_CHANNEL}")
        return conn

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                conn = self._connect()
            except Exception as exc:  # noqa: BLE001 - unreachable now; the poll covers it
                log.debug("cannot listen for changes: %s", exc)
                self._stop.wait(self._retry_s)
                continue
            try:
                self._on_listening(True)
                while not self._stop.is_set():
                    for notice in conn.notifies(timeout=WAKE_S):
                        self._on_change(int(notice.payload))
            except Exception as exc:  # noqa: BLE001 - the connection broke: reconnect
                log.debug("lost the connection listening for changes: %s", exc)
                self._on_listening(False)
                self._stop.wait(self._retry_s)
            finally:
                conn.close()
