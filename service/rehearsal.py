"""A rehearsal's view of the database: every unit of work inside one transaction that is
rolled back at the end, so ``tick --now`` on a database the service uses
(:func:`whoseonfirst_core.usecases.rehearsal.in_service`) keeps nothing.

Each unit of work runs in a savepoint of that one transaction (its ``commit()`` releases the
savepoint), so the engine works exactly as in a real tick and sees its own writes. While it
runs it holds the database's write lock on SQLite (the service's next tick waits for it, it is
not lost), and on PostgreSQL the rows it touched.
"""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from whoseonfirst_core.db.session import ClosedOnExit, Database


class RolledBackDatabase(ClosedOnExit, Database):
    """``db`` through one transaction that :meth:`close` (or leaving the ``with``) rolls back."""

    def __init__(self, db: Database) -> None:
        # The engine and its settings are ``db``'s; only the sessions differ.
        self.url = db.url
        self.engine = db.engine
        self.is_sqlite = db.is_sqlite
        self._outer = db.new_session(write=True)
        self._sessions = sessionmaker(
            bind=self._outer.connection(),
            expire_on_commit=False,
            join_transaction_mode="create_savepoint",
        )

    def new_session(self, *, write: bool) -> Session:
        return self._sessions()

    def close(self) -> None:
        """Undo everything done through this object."""
        try:
            self._outer.rollback()
        finally:
            self._outer.close()
