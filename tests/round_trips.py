"""Round trips to PostgreSQL counted on the wire: a database reached through a
:class:`LoopbackProxy`, and the trips one call costs once its connection is open."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy.engine import make_url

from tests.loopback_proxy import LoopbackProxy
from whoseonfirst_core.db.session import Database


@contextmanager
def proxied(pg_url: str) -> Iterator[tuple[Database, LoopbackProxy]]:
    """A :class:`Database` on ``pg_url`` whose every byte passes through a counting proxy."""
    parsed = make_url(pg_url)
    with LoopbackProxy(parsed.host or "127.0.0.1", parsed.port or 5432) as proxy:
        db = Database(parsed.set(port=proxy.port).render_as_string(hide_password=False))
        try:
            yield db, proxy
        finally:
            db.dispose()


def trips(proxy: LoopbackProxy, call: Callable[[], object]) -> int:
    """The round trips ``call()`` costs on a warm pool: it runs once to open (and prepare) the
    connection, then again counted."""
    call()
    proxy.reset_count()
    call()
    return proxy.round_trips
