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
from functools import cache
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event, inspect, select, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from whoseonfirst_core.db.models import Meta

if TYPE_CHECKING:
    from alembic.config import Config

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
    """Apply pending migrations; returns (revision before, revision after)."""
    from alembic import command

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
