"""PostgreSQL pushes each revision bump: a listener hears a commit made elsewhere, and nothing
for a unit that did not bump or did not commit."""

from __future__ import annotations

import queue
from collections.abc import Iterator

import pytest

from whoseonfirst_core.db.changes import RevisionListener
from whoseonfirst_core.db.session import Database, bump, read_revision

WAIT_S = 10


@pytest.fixture
def heard(pg_url: str) -> Iterator[queue.Queue[object]]:
    """What a listener on ``pg_url`` reports: ("listening", bool) and revisions, in order."""
    events: queue.Queue[object] = queue.Queue()
    db = Database(pg_url)
    listener = RevisionListener(db, events.put, lambda ok: events.put(("listening", ok)))
    listener.start()
    try:
        assert events.get(timeout=WAIT_S) == ("listening", True)
        yield events
    finally:
        listener.close()
        db.dispose()


def test_a_commit_elsewhere_is_pushed_with_its_revision(
    pg_url: str, heard: queue.Queue[object]
) -> None:
    writer = Database(pg_url)
    try:
        with writer.uow("test") as uow:
            uow.commit(bump_revision=False)  # nothing to tell
        with writer.uow("test") as uow:
            bump(uow.session)  # bumped, then rolled back: NOTIFY goes out only at commit
        for _ in range(2):
            with writer.uow("test") as uow:
                uow.commit()
        revision = writer.read(lambda uow: read_revision(uow.session))
        assert heard.get(timeout=WAIT_S) == revision - 1
        assert heard.get(timeout=WAIT_S) == revision
        assert heard.empty()
    finally:
        writer.dispose()


def test_sqlite_has_no_listener(sqlite_db: Database) -> None:
    with pytest.raises(ValueError, match="poll"):
        RevisionListener(sqlite_db, print, print)
