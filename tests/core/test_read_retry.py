"""No ping before each unit of work: a read that finds its pooled connection dead runs again,
once, on a new one; the units after it connect afresh."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import DBAPIError

from tests.round_trips import proxied
from whoseonfirst_core.db.session import UnitOfWork, bump, read_revision


def test_a_read_on_a_dead_pooled_connection_is_run_again_on_a_new_one(pg_url: str) -> None:
    with proxied(pg_url) as (db, proxy):
        assert db.read(lambda uow: read_revision(uow.session)) == 0
        proxy.cut()  # the server's side of the pooled connection goes away while it is idle
        proxy.restore()
        calls: list[UnitOfWork] = []

        def query(uow: UnitOfWork) -> int:
            calls.append(uow)
            return read_revision(uow.session)

        assert db.read(query) == 0
        assert len(calls) == 2  # the first attempt met the dead connection
        with db.uow("test") as uow:  # and a write after it needs no retry
            bump(uow.session)
            uow.commit(bump_revision=False)
        assert db.read(lambda uow: read_revision(uow.session)) == 1


def test_without_the_retry_the_dead_connection_fails_the_read(pg_url: str) -> None:
    with proxied(pg_url) as (db, proxy):
        db.read(lambda uow: read_revision(uow.session))
        proxy.cut()
        proxy.restore()
        with pytest.raises(DBAPIError) as failed, db.reader() as uow:
            read_revision(uow.session)
        assert failed.value.connection_invalidated


def test_a_read_that_fails_twice_raises(pg_url: str) -> None:
    with proxied(pg_url) as (db, proxy):
        db.read(lambda uow: read_revision(uow.session))
        proxy.cut()  # and stays cut: the new connection is refused too
        with pytest.raises(DBAPIError):
            db.read(lambda uow: read_revision(uow.session))
