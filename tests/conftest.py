"""Shared fixtures: databases on SQLite and PostgreSQL, a fixed clock, offscreen Qt."""

from __future__ import annotations

import itertools
import os
import shutil
import socket
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import LiteralString

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest

from tests.pg_server import PgServer, remove_server, start_server
from whoseonfirst_core.clock import FixedClock
from whoseonfirst_core.db.session import Database, sqlite_file, upgrade
from whoseonfirst_core.roster import create_demo_team

REQUIRE_PG = os.environ.get("WHOSEONFIRST_REQUIRE_POSTGRES", "") not in ("", "0")
TEMPLATE_DB = "wof_template"
_counter = itertools.count()
#: The default mark expression (pyproject.toml's ``addopts``): everything but the slow drills.
DEFAULT_MARKS = "not slow"


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """The processes ``-n auto`` (in ``addopts``) runs the tests in: one per core for the default
    run, whose tests each keep to their own databases, servers and folders; none besides this
    one for any other selection, such as ``-m slow``, whose drills time real processes and
    whose benchmarks want the machine to themselves."""
    if config.option.markexpr != DEFAULT_MARKS:
        return 0
    return os.cpu_count() or 1


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    try:
        server = start_server()
    except (FileNotFoundError, OSError) as exc:
        if REQUIRE_PG:
            pytest.fail(f"PostgreSQL tests are required but no server could start: {exc}")
        pytest.skip(f"PostgreSQL server binaries not available here ({exc})")
    except Exception as exc:  # noqa: BLE001 - report why the server did not start
        if REQUIRE_PG:
            pytest.fail(f"PostgreSQL tests are required but the server failed to start: {exc!r}")
        pytest.skip(f"could not start a private PostgreSQL server: {exc!r}")
    try:
        yield server
    finally:
        remove_server(server)


@pytest.fixture(scope="session")
def pg_template(pg_server: PgServer) -> str:
    """A migrated template database; each test clones it (fast)."""
    from pytest_postgresql.janitor import DatabaseJanitor

    janitor = DatabaseJanitor(
        user=pg_server.user, host=pg_server.host, port=pg_server.port, dbname=TEMPLATE_DB
    )
    janitor.init()
    db = Database(pg_server.url(TEMPLATE_DB))
    upgrade(db)
    db.dispose()
    return TEMPLATE_DB


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    db = Database(f"sqlite:///{path}")
    upgrade(db)
    with db.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    db.dispose()
    return path


def _new_pg_database(pg_server: PgServer, template: str) -> tuple[str, object]:
    from pytest_postgresql.janitor import DatabaseJanitor

    name = f"wof_test_{os.getpid()}_{next(_counter)}"
    janitor = DatabaseJanitor(
        user=pg_server.user,
        host=pg_server.host,
        port=pg_server.port,
        dbname=name,
        template_dbname=template,
    )
    janitor.init()
    return pg_server.url(name), janitor


@pytest.fixture
def sqlite_url(sqlite_template: Path, tmp_path: Path) -> str:
    path = tmp_path / "whoseonfirst.db"
    shutil.copyfile(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def pg_url(request: pytest.FixtureRequest) -> Iterator[str]:
    server: PgServer = request.getfixturevalue("pg_server")
    template: str = request.getfixturevalue("pg_template")
    url, janitor = _new_pg_database(server, template)
    try:
        yield url
    finally:
        janitor.drop()  # type: ignore[attr-defined]


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest) -> str:
    """A migrated, empty database URL on each backend."""
    if request.param == "sqlite":
        return str(request.getfixturevalue("sqlite_url"))
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    database = Database(db_url)
    try:
        yield database
    finally:
        database.dispose()


@pytest.fixture
def sqlite_db(sqlite_url: str) -> Iterator[Database]:
    database = Database(sqlite_url)
    try:
        yield database
    finally:
        database.dispose()


#: The demo team as a test asks for it: backend, actor, the clock's reading, the anchor date.
DemoTeamKey = tuple[str, str, datetime, date]
#: ``with_demo_team(db, actor, now, anchor)``: the demo team in a fresh database.
WithDemoTeam = Callable[[Database, str, datetime, date], None]


@dataclass(frozen=True)
class DemoTeamCopies:
    """Databases just after ``create_demo_team``, one per :data:`DemoTeamKey`: SQLite files in
    ``folder``, PostgreSQL template databases. Some 300 tests start with the demo team; the
    import through the use cases takes about 0.1 s, a copy of its result a few milliseconds."""

    folder: Path
    copies: dict[DemoTeamKey, str] = field(default_factory=dict)

    def add(
        self, db: Database, actor: str, now: datetime, anchor: date, pg: PgServer | None
    ) -> None:
        """The demo team in ``db``, which must be as its fixture made it (a copy of the migrated
        template that nothing has opened yet); ``pg`` is the server of a PostgreSQL ``db``."""
        key = (db.engine.dialect.name, actor, now, anchor)
        copy = self.copies.get(key)
        if copy is not None:
            db.dispose()
            _restore(db, copy, pg)
            return
        with db.uow(actor) as uow:
            create_demo_team(uow, now, anchor)
            uow.commit()
        self.copies[key] = _keep(db, self.folder / f"team-{len(self.copies)}.db", pg)


def _keep(db: Database, path: Path, pg: PgServer | None) -> str:
    """Close ``db`` and copy it: to the SQLite file ``path``, or to a PostgreSQL template named
    after it; returns the file's path or the template's name."""
    source = sqlite_file(db.url)
    if source is not None:
        with db.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        db.dispose()
        shutil.copyfile(source, path)
        return str(path)
    assert pg is not None and db.engine.url.database
    db.dispose()
    name = path.stem.replace("-", "_")
    _pg_admin(pg, "CREATE DATABASE {} TEMPLATE {}", name, db.engine.url.database)
    return name


def _restore(db: Database, copy: str, pg: PgServer | None) -> None:
    """Replace the closed database ``db`` with the copy ``copy``, under the same URL."""
    target = sqlite_file(db.url)
    if target is not None:
        shutil.copyfile(copy, target)
        return
    assert pg is not None and db.engine.url.database
    _pg_admin(pg, "DROP DATABASE {} WITH (FORCE)", db.engine.url.database)
    _pg_admin(pg, "CREATE DATABASE {} TEMPLATE {}", db.engine.url.database, copy)


def _pg_admin(pg: PgServer, statement: LiteralString, *names: str) -> None:
    """Run ``statement`` with ``names`` quoted into its ``{}`` on the server's ``postgres``."""
    import psycopg
    from psycopg import sql

    query = sql.SQL(statement).format(*map(sql.Identifier, names))
    with psycopg.connect(
        host=pg.host, port=pg.port, user=pg.user, dbname="postgres", autocommit=True
    ) as conn:
        conn.execute(query)


@pytest.fixture(scope="session")
def demo_team_copies(tmp_path_factory: pytest.TempPathFactory) -> DemoTeamCopies:
    return DemoTeamCopies(tmp_path_factory.mktemp("demo-teams"))


@pytest.fixture
def with_demo_team(
    request: pytest.FixtureRequest, demo_team_copies: DemoTeamCopies
) -> WithDemoTeam:
    """Put the demo team in a fresh database (from ``db``, ``sqlite_db``…), as
    ``create_demo_team(uow, now, anchor)`` by ``actor`` and a commit would."""

    def add(db: Database, actor: str, now: datetime, anchor: date) -> None:
        pg = None if db.is_sqlite else request.getfixturevalue("pg_server")
        demo_team_copies.add(db, actor, now, anchor, pg)

    return add


@pytest.fixture
def clock() -> FixedClock:
    """Monday 2026-03-02 07:00 America/Chicago (13:00 UTC) unless a test moves it."""
    return FixedClock(datetime(2026, 3, 2, 13, 0, tzinfo=UTC))


@pytest.fixture
def notify_socket() -> Iterator[tuple[socket.socket, str]]:
    """A systemd notify socket (``NOTIFY_SOCKET``) to read what the service tells systemd."""
    folder = tempfile.mkdtemp(prefix="wof-", dir="/tmp")  # AF_UNIX paths must be short
    path = str(Path(folder) / "notify")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.settimeout(60)
    yield sock, path
    sock.close()
    shutil.rmtree(folder)
