"""Engines, the unit of work, and migrations for SQLite and PostgreSQL.

SQLite runs in WAL mode with ``foreign_keys=ON`` and a busy timeout; write transactions start
with ``BEGIN IMMEDIATE`` so two writers queue on the lock instead of failing half-way. A unit of
work is one session and one transaction, never shared across threads.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, select, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from whoseonfirst_core.db.models import Meta

SQLITE_BUSY_TIMEOUT_MS = 10_000
MIGRATIONS_DIR = Path(__file__).with_name("migrations")


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


def redact_url(url: str) -> str:
    """The URL with any password hidden, for logs and messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - a malformed URL must never leak through an error
        return "<unparseable database URL>"


def _prepare_sqlite_file(path: Path) -> None:
    """Create the folder and an empty file readable by its owner only (0600)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        fd = os.open(path, os.O_CREAT | os.O_WRONLY, stat.S_IRUSR | stat.S_IWUSR)
        os.close(fd)


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for ``url`` with the settings this product relies on."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:" and not database.startswith("file:"):
            _prepare_sqlite_file(Path(database))
        engine = create_engine(
            url,
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
            **kwargs,
        )

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
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(parsed, **kwargs)


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
        self._read_sessions = sessionmaker(bind=self.engine, expire_on_commit=False)

    def uow(self, actor: str, *, write: bool = True) -> UnitOfWork:
        return UnitOfWork(self, actor, write=write)

    def reader(self) -> UnitOfWork:
        return UnitOfWork(self, "reader", write=False)

    def new_session(self, *, write: bool) -> Session:
        return (self._write_sessions if write else self._read_sessions)()

    def dispose(self) -> None:
        self.engine.dispose()

    @property
    def display_name(self) -> str:
        parsed = make_url(self.url)
        if self.is_sqlite:
            return f"SQLite {Path(parsed.database or ':memory:').name}"
        return f"PostgreSQL {parsed.database or ''}@{parsed.host or 'localhost'}"


class UnitOfWork:
    """One session, one transaction: ``with db.uow(actor) as uow: …; uow.commit()``.

    Leaving the block without ``commit()`` rolls everything back, so a failed use case
    changes nothing. ``commit()`` bumps the database revision the app polls.
    """

    def __init__(self, db: Database, actor: str, *, write: bool = True) -> None:
        self.db = db
        self.actor = actor
        self.write = write
        self._session: Session | None = None

    @property
    def session(self) -> Session:
        if self._session is None:
            raise RuntimeError("unit of work used outside its 'with' block")
        return self._session

    def __enter__(self) -> UnitOfWork:
        self._session = self.db.new_session(write=self.write)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        session = self.session
        try:
            session.rollback()
        finally:
            session.close()
            self._session = None

    def commit(self, *, bump_revision: bool = True) -> None:
        if not self.write:
            raise RuntimeError("read-only unit of work cannot commit")
        if bump_revision:
            bump(self.session)
        self.session.commit()

    def flush(self) -> None:
        self.session.flush()


REVISION_KEY = "revision"


def bump(session: Session) -> None:
    """Increment the change counter that other admins' apps poll."""
    result = session.execute(
        update(Meta)
        .where(Meta.key == REVISION_KEY)
        .values(value=text("CAST(CAST(value AS INTEGER) + 1 AS TEXT)"))
    )
    if getattr(result, "rowcount", 0) == 0:
        try:
            with session.begin_nested():
                session.add(Meta(key=REVISION_KEY, value="1"))
        except IntegrityError:
            pass


def read_revision(session: Session) -> int:
    value = session.scalar(select(Meta.value).where(Meta.key == REVISION_KEY))
    return int(value) if value else 0


# --- migrations -----------------------------------------------------------------------------


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def head_revision() -> str:
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    head = script.get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(db: Database) -> tuple[str | None, str]:
    """Apply pending migrations; returns (revision before, revision after)."""
    before = current_revision(db.engine)
    with db.engine.begin() as conn:
        cfg = alembic_config(db.url)
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    return before, head_revision()


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
