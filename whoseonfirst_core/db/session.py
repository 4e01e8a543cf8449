"""Engines, the unit of work, and migrations for SQLite and PostgreSQL.

SQLite runs in WAL mode with ``foreign_keys=ON`` and a busy timeout; write transactions start
with ``BEGIN IMMEDIATE`` so two writers queue on the lock instead of failing half-way. A unit of
work is one session and one transaction, never shared across threads.

On PostgreSQL a connection is not pinged when it leaves the pool (that costs a round trip on
every unit of work): a read-only unit runs in autocommit, so it sends no BEGIN or ROLLBACK
either, and :meth:`Database.read` runs a read again, once, on a fresh connection when the pooled
one turns out to be dead. SQLAlchemy then drops every connection the pool held, so the write that
follows a read connects afresh too.
"""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self, TypeVar

from sqlalchemy import Engine, create_engine, event, func, inspect, select, text, update
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from whoseonfirst_core.db.errors import (
    URL_EXAMPLES,
    DatabaseFileError,
    DatabaseUrlError,
    MissingDatabaseError,
)
from whoseonfirst_core.db.models import Meta

if TYPE_CHECKING:
    from alembic.config import Config

SQLITE_BUSY_TIMEOUT_MS = 10_000
#: Seconds libpq waits for each PostgreSQL host of the URL before it tries the next one
#: (unless the URL sets ``connect_timeout``); without it, the operating system's TCP timeout.
PG_CONNECT_TIMEOUT_S = 10
MIGRATIONS_DIR = Path(__file__).with_name("migrations")

T = TypeVar("T")


def default_sqlite_path() -> Path:
    """``whoseonfirst.db`` in the user's data directory, shared by the app and the service."""
    from platformdirs import user_data_path

    return user_data_path("whoseonfirst", appauthor=False) / "whoseonfirst.db"


def default_database_url() -> str:
    """``WHOSEONFIRST_DATABASE_URL`` if set, else the embedded SQLite file."""
    env = os.environ.get("WHOSEONFIRST_DATABASE_URL", "").strip()
    if env:
        return env
    return f"sqlite:///{default_sqlite_path()}"


_DRIVERS = {"sqlite": "sqlite:///…", "postgresql": "postgresql+psycopg://…"}
_KNOWN_DRIVERNAMES = frozenset({"sqlite", "sqlite+pysqlite", "postgresql", "postgresql+psycopg"})


def check_database_url(url: str) -> URL:
    """``url`` parsed, when it names a database this product can use; otherwise
    :class:`DatabaseUrlError` saying what is wrong. The one place that decides which URLs are
    accepted and how a refusal is worded (the service's configuration, its command line and the
    app all ask here). The message never repeats the URL: it may carry a password."""
    try:
        parsed = make_url(url)
    except Exception:  # noqa: BLE001 - ArgumentError, or a TypeError for odd input
        raise DatabaseUrlError(f"not a database URL (expected {URL_EXAMPLES})") from None
    backend = parsed.get_backend_name()
    if parsed.drivername in _KNOWN_DRIVERNAMES:
        return _split_host_list(parsed) if backend == "postgresql" else parsed
    if backend == "postgres":
        raise DatabaseUrlError(
            "the scheme 'postgres://' is not understood: write postgresql+psycopg://user@host/"
            "dbname (or postgresql://…)"
        )
    if backend in _DRIVERS:
        raise DatabaseUrlError(
            f"unsupported driver {parsed.drivername!r}: write {_DRIVERS[backend]}, the driver "
            "installed with WhoseOnFirst"
        )
    raise DatabaseUrlError(
        f"unsupported database {backend!r}: WhoseOnFirst uses SQLite or PostgreSQL ({URL_EXAMPLES})"
    )


def _split_host_list(parsed: URL) -> URL:
    """A libpq host list written as in a libpq URI (``?host=db1:5432,db2:5432``: a primary and
    its standby, with ``target_session_attrs=read-write``) in the form SQLAlchemy hands to the
    driver host by host (``?host=db1:5432&host=db2:5432``); as written it would reach a host
    named ``db1:5432``. Host lists with a separate ``port=`` list pass unchanged."""
    hosts = parsed.query.get("host")
    if not isinstance(hosts, str) or "," not in hosts or "port" in parsed.query:
        return parsed
    return parsed.update_query_dict({"host": [h.strip() for h in hosts.split(",")]})


def _hosts(parsed: URL) -> str:
    """The server(s) a PostgreSQL URL names, as an operator writes them."""
    listed = parsed.query.get("host")
    if listed:
        return listed if isinstance(listed, str) else ",".join(listed)
    return parsed.host or "localhost"


def sqlite_file(url: str) -> Path | None:
    """The file a SQLite URL names; None for other databases, ``:memory:`` and ``file:`` URIs."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    database = parsed.database or ""
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def create_sqlite_file(path: Path) -> None:
    """Create an empty database file readable by its owner only (0600), unless it exists.

    Only the user data directory (the default location) is created when missing; any other
    folder must exist already, so a typing mistake in a path never leaves a tree of folders
    behind (as root, anywhere). Raises :class:`DatabaseFileError` saying which folder is missing.
    """
    if path.exists():
        return
    folder = path.parent
    if not folder.is_dir():
        if folder.absolute() != default_sqlite_path().parent.absolute():
            raise DatabaseFileError(
                f"the folder {folder} does not exist: create it first, or choose another "
                "place for the SQLite file"
            )
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DatabaseFileError(
                f"cannot create the folder {folder}: {exc.strerror or exc}"
            ) from None
    try:
        fd = os.open(path, os.O_CREAT | os.O_WRONLY, stat.S_IRUSR | stat.S_IWUSR)
    except OSError as exc:
        raise DatabaseFileError(
            f"cannot create the SQLite file {path}: {exc.strerror or exc}"
        ) from None
    os.close(fd)


def _refuse_implicit_creation(path: Path) -> None:
    """Connecting to a SQLite file that is not there would create an empty one (with the
    umask's mode): refuse, so that only :func:`create_sqlite_file` (through ``db upgrade``
    or the app) ever creates a database file."""
    if path.is_dir():
        raise DatabaseFileError(f"{path} is a folder, not a SQLite database file")
    if not path.exists():
        raise MissingDatabaseError(
            f"there is no database at {path}: `whoseonfirst-service db upgrade` creates it "
            "(or start the app on it)"
        )


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for ``url`` with the settings this product relies on.

    Raises :class:`DatabaseUrlError` for a URL this product cannot use. Creates nothing: a
    SQLite file that does not exist raises :class:`MissingDatabaseError` on connecting.
    """
    parsed = check_database_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = sqlite_file(url)
        engine = create_engine(
            url,
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
            **kwargs,
        )

        if path is not None:

            @event.listens_for(engine, "do_connect")
            def _sqlite_exists(*_args: Any) -> None:
                _refuse_implicit_creation(path)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            # Let SQLAlchemy, not the driver, decide when transactions begin.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            immediate = conn.get_execution_options().get("sqlite_immediate", False)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        return engine
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    if "connect_timeout" not in parsed.query:
        # Per host: a dead primary's silent machine must not hold up the standby behind it.
        kwargs.setdefault("connect_args", {}).setdefault("connect_timeout", PG_CONNECT_TIMEOUT_S)
    return create_engine(parsed, **kwargs)


class ClosedOnExit:
    """Leaving ``with obj:`` calls ``obj.close()``, whether or not the block raised."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        raise NotImplementedError


class Database:
    """An engine plus the session factory; the composition roots make one each."""

    def __init__(self, url: str, *, engine: Engine | None = None) -> None:
        self.url = url
        self.engine = engine or make_engine(url)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        self._writer = (
            self.engine.execution_options(sqlite_immediate=True) if self.is_sqlite else self.engine
        )
        self._write_sessions = sessionmaker(bind=self._writer, expire_on_commit=False)
        # SQLite reads keep their transaction: a snapshot across the unit's statements, and no
        # round trips to save. PostgreSQL reads need neither BEGIN nor ROLLBACK.
        self._reader = (
            self.engine
            if self.is_sqlite
            else self.engine.execution_options(isolation_level="AUTOCOMMIT")
        )
        self._read_sessions = sessionmaker(bind=self._reader, expire_on_commit=False)

    def uow(self, actor: str, *, write: bool = True) -> UnitOfWork:
        return UnitOfWork(self, actor, write=write)

    def reader(self) -> UnitOfWork:
        return UnitOfWork(self, "reader", write=False)

    def read(self, query: Callable[[UnitOfWork], T]) -> T:
        """``query`` in a read-only unit of work; run once more, in a new unit, when the first
        found its connection dead (a server restart, a dropped link while it sat in the pool).
        A read changes nothing, so running it twice is safe; a second failure is raised."""
        try:
            with self.reader() as uow:
                return query(uow)
        except DBAPIError as exc:
            if not exc.connection_invalidated:
                raise
        with self.reader() as uow:
            return query(uow)

    def create_if_missing(self) -> None:
        """Create the SQLite file if there is none yet (see :func:`create_sqlite_file`);
        nothing for PostgreSQL, whose databases the operator creates."""
        path = sqlite_file(self.url)
        if path is not None:
            create_sqlite_file(path)

    def new_session(self, *, write: bool) -> Session:
        return (self._write_sessions if write else self._read_sessions)()

    def dispose(self) -> None:
        self.engine.dispose()

    @property
    def display_name(self) -> str:
        parsed = make_url(self.url)
        if self.is_sqlite:
            return f"SQLite {Path(parsed.database or ':memory:').name}"
        return f"PostgreSQL {parsed.database or ''}@{_hosts(parsed)}"


class UnitOfWork(ClosedOnExit):
    """One session, one transaction: ``with db.uow(actor) as uow: …; uow.commit()``.

    Leaving the block without ``commit()`` rolls everything back, so a failed use case
    changes nothing. ``commit()`` bumps the database revision the app polls.
    """

    def __init__(self, db: Database, actor: str, *, write: bool = True) -> None:
        self.db = db
        self.actor = actor
        self.write = write
        self._session: Session | None = None
        self._before_commit: list[Callable[[], None]] = []

    @property
    def session(self) -> Session:
        if self._session is None:
            raise RuntimeError("unit of work used outside its 'with' block")
        return self._session

    def __enter__(self) -> Self:
        self._session = self.db.new_session(write=self.write)
        return self

    def close(self) -> None:
        """Roll back what was not committed and end the session (leaving the ``with``)."""
        session = self.session
        try:
            session.rollback()
        finally:
            session.close()
            self._session = None

    def before_commit(self, step: Callable[[], None]) -> None:
        """Run ``step`` inside the transaction when :meth:`commit` is called (once): for work
        that needs the whole change, such as recording it as told (``usecases.notices``)."""
        self._before_commit.append(step)

    def commit(self, *, bump_revision: bool = True) -> None:
        if not self.write:
            raise RuntimeError("read-only unit of work cannot commit")
        steps, self._before_commit = self._before_commit, []
        for step in steps:
            self.session.flush()
            step()
        if bump_revision:
            bump(self.session)
        self.session.commit()

    def flush(self) -> None:
        self.session.flush()


REVISION_KEY = "revision"
#: The PostgreSQL channel a bump NOTIFYs (the new revision as payload), delivered at commit;
#: the app LISTENs on it (``whoseonfirst_core.db.changes``) instead of polling.
REVISION_CHANNEL = "whoseonfirst_revision"


def bump(session: Session) -> None:
    """Increment the change counter that other admins' apps poll, or on PostgreSQL listen to:
    there the same statement NOTIFYs (``WITH bumped AS (UPDATE … RETURNING) SELECT
    pg_notify(…)``), so telling them costs no round trip of its own."""
    stmt = (
        update(Meta)
        .where(Meta.key == REVISION_KEY)
        .values(value=text("CAST(CAST(value AS INTEGER) + 1 AS TEXT)"))
    )
    postgresql = session.get_bind().dialect.name == "postgresql"
    if postgresql:
        bumped = stmt.returning(Meta.value).cte("bumped")
        notified = session.execute(select(func.pg_notify(REVISION_CHANNEL, bumped.c.value)))
        rows = len(notified.all())
    else:
        rows = getattr(session.execute(stmt), "rowcount", 0)
    if rows == 0:
        try:
            with session.begin_nested():
                session.add(Meta(key=REVISION_KEY, value="1"))
        except IntegrityError:
            return
        if postgresql:
            session.execute(select(func.pg_notify(REVISION_CHANNEL, "1")))


def read_revision(session: Session) -> int:
    value = session.scalar(select(Meta.value).where(Meta.key == REVISION_KEY))
    return int(value) if value else 0


# --- migrations -----------------------------------------------------------------------------
#
# Alembic is imported only to run migrations. Asking "is this database up to date?" (every start
# of the app and the service) reads the version table and the revision ids of the migration
# scripts directly: importing Alembic costs about 11 MB of memory and a tenth of a second of
# start-up, for an answer these two small reads give. Anything unusual (several heads, several
# version rows) falls back to Alembic itself.

VERSION_TABLE = "alembic_version"


def alembic_config(url: str) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def _alembic_head() -> str:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    head = script.get_current_head()
    assert head is not None
    return head


@cache
def _script_heads() -> frozenset[str]:
    """Revision ids no migration script revises (normally exactly one), read from the scripts'
    ``revision`` / ``down_revision`` assignments without importing them."""
    import ast

    revisions: set[str] = set()
    revised: set[str] = set()
    for path in sorted((MIGRATIONS_DIR / "versions").glob("*.py")):
        values: dict[str, object] = {}
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                target, value = node.targets[0], node.value
            elif isinstance(node, ast.AnnAssign) and node.value is not None:
                target, value = node.target, node.value
            else:
                continue
            if isinstance(target, ast.Name) and target.id in ("revision", "down_revision"):
                try:
                    values[target.id] = ast.literal_eval(value)
                except ValueError:
                    return frozenset()  # not a plain literal: let Alembic answer
        rev, down = values.get("revision"), values.get("down_revision")
        if not isinstance(rev, str):
            continue
        revisions.add(rev)
        if isinstance(down, str):
            revised.add(down)
        elif isinstance(down, tuple | list):
            revised.update(str(d) for d in down)
    return frozenset(revisions - revised)


def head_revision() -> str:
    heads = _script_heads()
    if len(heads) == 1:
        return next(iter(heads))
    return _alembic_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        if not inspect(conn).has_table(VERSION_TABLE):
            return None
        rows = list(conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars())
        if len(rows) <= 1:
            return rows[0] if rows else None
        from alembic.runtime.migration import MigrationContext

        return MigrationContext.configure(conn).get_current_revision()  # raises: several heads


def upgrade(db: Database) -> tuple[str | None, str]:
    """Create the database file if it is SQLite and missing, then apply pending migrations;
    returns (revision before, revision after).

    Alembic's INFO lines ("Context impl SQLiteImpl.", "Running upgrade …") are held back while
    it runs, whatever the caller's logging level: the callers report the result in their own
    words (``db upgrade`` prints it; the app shows "database schema created"). Warnings pass.
    """
    db.create_if_missing()
    before = current_revision(db.engine)
    with _alembic_logs_at_warning(), db.engine.begin() as conn:
        from alembic import command  # its first import logs INFO lines too

        cfg = alembic_config(db.url)
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    return before, head_revision()


@contextmanager
def _alembic_logs_at_warning() -> Iterator[None]:
    alembic_log = logging.getLogger("alembic")
    level = alembic_log.level
    if alembic_log.getEffectiveLevel() < logging.WARNING:
        alembic_log.setLevel(logging.WARNING)
    try:
        yield
    finally:
        alembic_log.setLevel(level)


def needs_upgrade(db: Database) -> bool:
    return current_revision(db.engine) != head_revision()


@contextmanager
def open_database(url: str | None = None, *, migrate: bool = False) -> Iterator[Database]:
    db = Database(url or default_database_url())
    try:
        if migrate:
            upgrade(db)
        yield db
    finally:
        db.dispose()
