"""Bad input at the command line's edges: database URLs and paths, `db copy` targets, a missing
database, an empty `send-test --to`, and PostgreSQL roles that refuse (real roles on the test
server). Each is one clear line naming the right thing, never a traceback."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from whoseonfirst_service.cli import main
from whoseonfirst_service.daemon import Daemon
from whoseonfirst_service.engine import Engine
from whoseonfirst_service.http import check_health
from whoseonfirst_service.twilio_sms import DryRunBackend

from tests.core.helpers import roster
from tests.pg_roles import VIEWER_GRANTS, WRITER_GRANTS, login_role
from tests.service.conftest import ANCHOR, notifications
from whoseonfirst_core.clock import FixedClock
from whoseonfirst_core.db.session import Database
from whoseonfirst_core.roster import create_demo_team

EXPECTED = "sqlite:////path/to/file.db or postgresql+psycopg://user@host/dbname"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "WHOSEONFIRST_DATABASE_URL",
        "WHOSEONFIRST_DATABASE_URL_FILE",
        "TWILIO_ACCOUNT_SID",
        "TWILIO_AUTH_TOKEN",
        "WHOSEONFIRST_SMS_BACKEND",
        "WHOSEONFIRST_TWILIO_API_URL",
    ):
        monkeypatch.delenv(name, raising=False)


def run(clock: FixedClock, *argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), clock=clock, out=out, err=err)
    return code, out.getvalue(), err.getvalue()


# --- URLs and SQLite paths -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("garbage", f"not a database URL (expected {EXPECTED})"),
        ("mysql://wof:pw-secret@db01/wof", "unsupported database 'mysql'"),
        ("postgres://wof:pw-secret@db01/wof", "the scheme 'postgres://' is not understood"),
    ],
)
def test_db_upgrade_names_the_variable_holding_a_bad_url(
    clock: FixedClock, monkeypatch: pytest.MonkeyPatch, url: str, reason: str
) -> None:
    monkeypatch.setenv("WHOSEONFIRST_DATABASE_URL", url)
    code, out, err = run(clock, "db", "upgrade")
    assert code == 2
    assert err.startswith(f"error: invalid configuration: WHOSEONFIRST_DATABASE_URL: {reason}")
    assert err.count("\n") == 1 and "pw-secret" not in err + out


def test_the_service_and_db_upgrade_give_the_same_reason(
    clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WHOSEONFIRST_DATABASE_URL", "garbage")
    from whoseonfirst_service.config import ConfigError, load_settings

    with pytest.raises(ConfigError) as refused:
        load_settings()
    assert run(clock, "db", "upgrade")[2] == f"error: invalid configuration: {refused.value}\n"


def test_db_upgrade_refuses_a_missing_folder_and_creates_none(
    clock: FixedClock, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("WHOSEONFIRST_DATABASE_URL", f"sqlite:///{tmp_path}/tpyo/whoseonfirst.db")
    code, _, err = run(clock, "db", "upgrade")
    assert code == 1
    assert err == (
        f"error: the folder {tmp_path}/tpyo does not exist: create it first, "
        "or choose another place for the SQLite file\n"
    )
    assert list(tmp_path.iterdir()) == []


def test_db_upgrade_under_proc_is_a_message_not_a_bug(
    clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WHOSEONFIRST_DATABASE_URL", "sqlite:////proc/nope/x.db")
    code, _, err = run(clock, "db", "upgrade")
    assert code == 1
    assert err.startswith("error: the folder /proc/nope does not exist")
    assert "bug" not in err


@pytest.mark.parametrize("command", [["preview", "--from", "2026-03-02"], ["check"], ["export"]])
def test_reading_commands_leave_no_empty_database_behind(
    clock: FixedClock, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, command: list[str]
) -> None:
    path = tmp_path / "whoseonfirst.db"
    monkeypatch.setenv("WHOSEONFIRST_DATABASE_URL", f"sqlite:///{path}")
    code, out, err = run(clock, *command)
    assert code == 1
    assert (
        f"there is no database at {path}: `whoseonfirst-service db upgrade` creates it" in out + err
    )
    assert not path.exists()


# --- db copy ---------------------------------------------------------------------------------


def test_db_copy_to_a_malformed_url_names_the_option(
    sqlite_url: str,
    clock: FixedClock,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("WHOSEONFIRST_DATABASE_URL", sqlite_url)
    code, _, _ = run(clock, "db", "copy", "--to", "postgres://admin:pw-secret@db01/wof")
    err = capsys.readouterr().err
    assert code == 2
    assert "error: argument --to: the scheme 'postgres://' is not understood" in err
    assert sqlite_url not in err and "pw-secret" not in err


def test_db_copy_to_an_unreachable_target_names_the_target(
    sqlite_url: str, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WHOSEONFIRST_DATABASE_URL", sqlite_url)
    target = "postgresql+psycopg://admin:pw-secret@127.0.0.1:1/wof?connect_timeout=5"
    code, _, err = run(clock, "db", "copy", "--to", target)
    assert code == 1
    assert err.startswith(
        "error: target database: cannot reach the database "
        "postgresql+psycopg://admin:***@127.0.0.1:1/wof?connect_timeout=5: "
    )
    assert sqlite_url not in err and "pw-secret" not in err


def test_db_copy_to_a_missing_folder_names_the_folder(
    sqlite_url: str, clock: FixedClock, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("WHOSEONFIRST_DATABASE_URL", sqlite_url)
    code, _, err = run(clock, "db", "copy", "--to", f"sqlite:///{tmp_path}/nope/copy.db")
    assert code == 1
    assert err.startswith(f"error: target database: the folder {tmp_path}/nope does not exist")


# --- send-test -------------------------------------------------------------------------------


@pytest.mark.parametrize("to", ["", "   "])
def test_send_test_to_nobody_is_refused(
    team: Database,
    db_url: str,
    clock: FixedClock,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    to: str,
) -> None:
    monkeypatch.setenv("WHOSEONFIRST_DATABASE_URL", db_url)
    code, _, _ = run(clock, "send-test", "--to", to)
    assert code == 2
    assert (
        "error: argument --to: is empty: give a phone number or a member's name"
        in capsys.readouterr().err
    )
    assert notifications(team) == []


# --- PostgreSQL roles that refuse ------------------------------------------------------------


@pytest.fixture
def pg_team(pg_url: str, clock: FixedClock) -> str:
    """A PostgreSQL database with the demo team; its URL (the superuser's)."""
    db = Database(pg_url)
    try:
        with db.uow("test") as uow:
            create_demo_team(uow, clock.now(), ANCHOR)
            uow.commit()
    finally:
        db.dispose()
    return pg_url


def test_a_viewer_role_cannot_import_and_is_told_why(
    pg_url: str, clock: FixedClock, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = tmp_path / "team.json"
    path.write_text(json.dumps(roster(3)))
    with login_role(pg_url, VIEWER_GRANTS) as viewer_url:
        monkeypatch.setenv("WHOSEONFIRST_DATABASE_URL", viewer_url)
        code, _, err = run(clock, "import", str(path))
        assert run(clock, "export")[0] == 1  # an empty database has no team to export
    assert code == 1
    assert err.startswith("error: permission denied for table ")
    assert ": this connection is read-only (connect with a role that may write; " in err
    assert "ProgrammingError" not in err


def test_a_viewer_roles_tick_is_refused_with_the_table_named(
    pg_team: str, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    with login_role(pg_team, VIEWER_GRANTS) as viewer_url:
        monkeypatch.setenv("WHOSEONFIRST_DATABASE_URL", viewer_url)
        code, _, err = run(clock, "tick")
    assert code == 1
    assert err.startswith("error: permission denied for table ")
    assert "this connection is read-only" in err and "ProgrammingError" not in err


def test_db_upgrade_by_a_role_without_create_names_the_schema(
    pg_server: object, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pytest_postgresql.janitor import DatabaseJanitor

    from tests.pg_server import PgServer

    assert isinstance(pg_server, PgServer)
    janitor = DatabaseJanitor(
        user=pg_server.user, host=pg_server.host, port=pg_server.port, dbname="wof_edges_empty"
    )
    janitor.init()
    try:
        with login_role(pg_server.url("wof_edges_empty"), WRITER_GRANTS) as admin_url:
            monkeypatch.setenv("WHOSEONFIRST_DATABASE_URL", admin_url)
            code, _, err = run(clock, "db", "upgrade")
    finally:
        janitor.drop()
    assert code == 1
    assert err == (
        "error: permission denied for schema public: this role may not create or change tables "
        "(run `whoseonfirst-service db upgrade` and `db copy` as the owner role; "
        "see docs/deployment.md, section 3)\n"
    )


def test_the_daemon_reports_a_refused_tick_as_permission_denied(
    pg_team: str, clock: FixedClock, caplog: pytest.LogCaptureFixture
) -> None:
    with login_role(pg_team, VIEWER_GRANTS) as viewer_url:
        viewer = Database(viewer_url)
        try:
            daemon = Daemon(Engine(viewer, DryRunBackend(), clock), clock=clock)
            assert daemon.run_tick() is None
            status, body = check_health(viewer, daemon.state, clock)
        finally:
            viewer.dispose()
    assert status == 503
    assert body["checks"]["last_error"].startswith("tick failed: permission denied for table ")
    assert "this connection is read-only" in body["checks"]["last_error"]
    assert "this is a bug" not in caplog.text
