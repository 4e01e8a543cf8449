"""Opening databases at the edges: URLs that are not ones, SQLite folders that do not exist,
files that must not be created by reading, Alembic's chatter, and PostgreSQL roles that refuse.
"""

from __future__ import annotations

import logging
import re
import socket
import stat
import time
from pathlib import Path

import pytest
from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError, ProgrammingError

from tests.pg_roles import VIEWER_GRANTS, login_role
from tests.pg_server import free_port
from whoseonfirst_core.db import session
from whoseonfirst_core.db.errors import (
    DatabaseFileError,
    DatabaseUrlError,
    MissingDatabaseError,
    describe_database_error,
    first_line,
    permission_denied,
)
from whoseonfirst_core.db.session import (
    Database,
    check_database_url,
    needs_upgrade,
    upgrade,
)

EXPECTED = "sqlite:////path/to/file.db or postgresql+psycopg://user@host/dbname"


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("garbage", f"not a database URL (expected {EXPECTED})"),
        ("", f"not a database URL (expected {EXPECTED})"),
        (
            "mysql://wof:pw-secret@db01/whoseonfirst",
            f"unsupported database 'mysql': WhoseOnFirst uses SQLite or PostgreSQL ({EXPECTED})",
        ),
        (
            "postgres://wof:pw-secret@db01/whoseonfirst",
            "the scheme 'postgres://' is not understood: write "
            "postgresql+psycopg://user@host/dbname (or postgresql://…)",
        ),
        (
            "postgresql+psycopg2://wof:pw-secret@db01/whoseonfirst",
            "unsupported driver 'postgresql+psycopg2': write postgresql+psycopg://…, "
            "the driver installed with WhoseOnFirst",
        ),
    ],
)
def test_a_url_that_cannot_be_used_is_refused_with_the_reason(url: str, reason: str) -> None:
    with pytest.raises(DatabaseUrlError) as checked:
        check_database_url(url)
    assert str(checked.value) == reason
    assert "pw-secret" not in reason
    # The engine factory asks the same question: no ArgumentError, NoSuchModuleError or
    # ModuleNotFoundError from inside SQLAlchemy.
    with pytest.raises(DatabaseUrlError, match="^" + re.escape(reason)):
        Database(url)


@pytest.mark.parametrize(
    "url", ["sqlite://", "sqlite:////tmp/x.db", "postgresql://u@h/d", "postgresql+psycopg://h/d"]
)
def test_the_urls_the_product_uses_pass(url: str) -> None:
    check_database_url(url)


def test_a_missing_folder_is_refused_and_nothing_is_created(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path}/typo/deeper/whoseonfirst.db")
    with pytest.raises(DatabaseFileError) as refused:
        upgrade(db)
    assert str(refused.value) == (
        f"the folder {tmp_path}/typo/deeper does not exist: create it first, "
        "or choose another place for the SQLite file"
    )
    assert list(tmp_path.iterdir()) == []


def test_a_file_that_cannot_be_created_says_so(tmp_path: Path) -> None:
    db = Database("sqlite:////proc/whoseonfirst.db")  # /proc exists; nobody can add files
    with pytest.raises(DatabaseFileError, match=r"^cannot create the SQLite file /proc/"):
        upgrade(db)


def test_the_user_data_directory_is_created_on_first_use(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    default = tmp_path / "home" / ".local" / "share" / "whoseonfirst" / "whoseonfirst.db"
    monkeypatch.setattr(session, "default_sqlite_path", lambda: default)
    db = Database(f"sqlite:///{default}")
    try:
        assert upgrade(db)[0] is None
    finally:
        db.dispose()
    assert stat.S_IMODE(default.stat().st_mode) == 0o600


def test_reading_a_missing_database_does_not_create_it(tmp_path: Path) -> None:
    path = tmp_path / "whoseonfirst.db"
    db = Database(f"sqlite:///{path}")
    with pytest.raises(MissingDatabaseError) as missing:
        needs_upgrade(db)
    assert str(missing.value) == (
        f"there is no database at {path}: `whoseonfirst-service db upgrade` creates it "
        "(or start the app on it)"
    )
    assert not path.exists()
    db.dispose()


def test_a_folder_is_not_a_database_file(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path}")
    with pytest.raises(DatabaseFileError, match="is a folder, not a SQLite database file"):
        needs_upgrade(db)


def test_upgrade_keeps_alembic_info_lines_out_of_the_log(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    db = Database(f"sqlite:///{tmp_path / 'fresh.db'}")
    try:
        upgrade(db)
    finally:
        db.dispose()
    chatter = [r.getMessage() for r in caplog.records if r.name.startswith("alembic")]
    assert chatter == []
    logging.getLogger("alembic.runtime.migration").warning("still heard")
    assert "still heard" in caplog.text  # warnings pass, and the level is restored


def test_first_line_leaves_out_the_sql_and_its_parameters(sqlite_db: Database) -> None:
    with pytest.raises(OperationalError) as failed, sqlite_db.engine.connect() as conn:
        conn.execute(text("SELECT * FROM no_such_table WHERE phone = '+13125550101'"))
    assert first_line(failed.value) == "no such table: no_such_table"
    assert describe_database_error(failed.value, sqlite_db.url) == (
        f"database error on {sqlite_db.url}: no such table: no_such_table"
    )


def test_a_viewer_roles_refused_write_reads_as_permission_denied(pg_url: str) -> None:
    with login_role(pg_url, VIEWER_GRANTS) as viewer_url:
        viewer = Database(viewer_url)
        try:
            with pytest.raises(ProgrammingError) as refused, viewer.engine.begin() as conn:
                conn.execute(text("INSERT INTO meta (key, value) VALUES ('x', 'y')"))
            with viewer.engine.connect() as conn:
                conn.execute(text("SELECT count(*) FROM members"))  # reading is allowed
        finally:
            viewer.dispose()
    assert permission_denied(refused.value) == (
        "permission denied for table meta: this connection is read-only"
    )
    assert describe_database_error(refused.value, viewer_url) == (
        "permission denied for table meta: this connection is read-only "
        "(connect with a role that may write; see docs/deployment.md, section 3)"
    )


def test_a_role_without_select_reads_as_permission_denied_for_reading(pg_url: str) -> None:
    with login_role(pg_url) as stranger_url:
        stranger = Database(stranger_url)
        try:
            with pytest.raises(ProgrammingError) as refused, stranger.engine.connect() as conn:
                conn.execute(text("SELECT count(*) FROM members"))
        finally:
            stranger.dispose()
    assert permission_denied(refused.value) == (
        "permission denied for table members: this role may not read it"
    )


def _multi_host(url: str, first: str) -> str:
    """``url`` (one PostgreSQL server) as a libpq multi-host URL: ``first`` (host:port), then
    the server itself, asking for the read-write one (what a replicated setup uses)."""
    parsed = make_url(url)
    return (
        f"postgresql+psycopg://{parsed.username}@/{parsed.database}"
        f"?host={first},{parsed.host}:{parsed.port}&target_session_attrs=read-write"
    )


def test_a_multi_host_url_reaches_each_host_on_its_own_port() -> None:
    url = "postgresql+psycopg://wof@/whoseonfirst?host=db1:5433,db2:5434&target_session_attrs=read-write"
    check_database_url(url)
    db = Database(url)
    try:
        _args, params = db.engine.dialect.create_connect_args(db.engine.url)
    finally:
        db.dispose()
    assert (params["host"], params["port"]) == ("db1,db2", "5433,5434")
    assert params["target_session_attrs"] == "read-write"
    assert db.display_name == "PostgreSQL whoseonfirst@db1:5433,db2:5434"


def test_a_multi_host_url_skips_a_host_that_is_down(pg_url: str) -> None:
    url = _multi_host(pg_url, f"127.0.0.1:{free_port()}")
    db = Database(url)
    try:
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT 1")).scalar() == 1
    finally:
        db.dispose()


def test_connecting_to_postgresql_gives_up_on_a_silent_host() -> None:
    # A primary whose machine died answers nothing: without a limit, libpq would wait for the
    # operating system's TCP timeout (minutes) before it tries the standby.
    db = Database("postgresql+psycopg://wof@/whoseonfirst?host=db1:5432,db2:5432")
    seen: dict[str, object] = {}

    @event.listens_for(db.engine, "do_connect")
    def _capture(
        _dialect: object, _record: object, _args: object, params: dict[str, object]
    ) -> None:
        seen.update(params)
        raise OSError("captured")

    try:
        with pytest.raises(OSError, match="captured"):
            db.engine.connect()
    finally:
        db.dispose()
    assert seen["connect_timeout"] == session.PG_CONNECT_TIMEOUT_S == 10


def test_a_multi_host_url_skips_a_host_that_does_not_answer(pg_url: str) -> None:
    with socket.socket() as silent:  # accepts the connection, never says a word
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        url = _multi_host(pg_url, f"127.0.0.1:{silent.getsockname()[1]}") + "&connect_timeout=1"
        db = Database(url)
        try:
            started = time.monotonic()
            with db.engine.connect() as conn:
                assert conn.execute(text("SELECT 1")).scalar() == 1
            assert time.monotonic() - started < 5
        finally:
            db.dispose()
