"""One private PostgreSQL server per benchmark run (``tests/pg_server.py``), started on first
use and removed at exit, and the large dataset on it (built once, cloned for writers)."""

from __future__ import annotations

import atexit
import sys
from typing import Any

from bench.common import BENCH_NOW
from bench.dataset import Size, build_large
from whoseonfirst_core.db.session import Database, upgrade

_server: Any = None
_failure: str | None = None
_large: dict[Size, str] = {}


class Unavailable(Exception):
    """No PostgreSQL server can run here (no binaries, or it would not start)."""


def server() -> Any:
    """The run's PostgreSQL server (``tests.pg_server.PgServer``); raises :class:`Unavailable`."""
    global _server, _failure
    if _server is not None:
        return _server
    if _failure is not None:
        raise Unavailable(_failure)
    try:
        from tests.pg_server import remove_server, start_server

        _server = start_server()
    except Exception as exc:  # no binaries, or they would not start: n/a
        _failure = f"no PostgreSQL server could start here: {exc}"
        raise Unavailable(_failure) from exc
    atexit.register(remove_server, _server)
    return _server


def _admin(sql: str) -> None:
    import psycopg

    s = server()
    with psycopg.connect(
        f"host={s.host} port={s.port} user={s.user} dbname=postgres", autocommit=True
    ) as conn:
        conn.execute(sql)  # type: ignore[arg-type]


def large_database(size: Size) -> str:
    """The name of a database holding the large dataset (read it, do not write it)."""
    if size not in _large:
        name = f"wof_bench_{size.members}_{size.years}_{size.notifications}"
        _admin(f"CREATE DATABASE {name}")
        db = Database(server().url(name))
        try:
            upgrade(db)
            info = build_large(db, BENCH_NOW, size)
        finally:
            db.dispose()
        print(
            f"[pg] large database: {size.describe()} built in {info['seconds']:.1f} s",
            file=sys.stderr,
        )
        _large[size] = name
    return _large[size]


def clone(template: str, name: str) -> str:
    """A copy of database ``template`` named ``name`` (which must not be in use); its URL."""
    _admin(f"DROP DATABASE IF EXISTS {name}")
    _admin(f"CREATE DATABASE {name} TEMPLATE {template}")
    return str(server().url(name))
