"""The shared PostgreSQL database as docs/deployment.md sets it up (section 3), backs it up and
restores it (section 7), run on the test session's private server.

The roles are the guide's four (owner, admin, service, viewer; suffixed here so that other tests'
roles on the same server never collide), created with the guide's SQL. Each program uses its
own role: the owner upgrades, copies and dumps; the admin imports, replaces and exports; the
service ticks; the viewer exports and cannot import. The backup is the ``pg_dump`` command that
``whoseonfirst-service backup`` prints, run as printed, and the restore the ``pg_restore``
command it prints, into a database prepared as the guide says.
"""

from __future__ import annotations

import io
import shlex
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest
from whoseonfirst_service.cli import main

from tests.pg_server import PgServer
from whoseonfirst_core.clock import FixedClock

ROOT = Path(__file__).resolve().parents[2]
DEMO_ROSTER = ROOT / "whoseonfirst_core" / "resources" / "demo-roster.json"
#: Just after the demo roster's first shift starts (Mon 2026-03-02 08:00 America/Chicago).
FIRST_SHIFT = FixedClock(datetime(2026, 3, 2, 14, 0, 30, tzinfo=UTC))
SUFFIX = "_guide"
OWNER, ADMIN, SERVICE, VIEWER = (
    f"wof_{r}{SUFFIX}" for r in ("owner", "admin", "service", "viewer")
)
DATABASE = f"whoseonfirst{SUFFIX}"


def superuser(server: PgServer, dbname: str, *statements: str) -> None:
    with psycopg.connect(
        host=server.host, port=server.port, user=server.user, dbname=dbname, autocommit=True
    ) as conn:
        for statement in statements:
            conn.execute(statement)  # type: ignore[arg-type]


def prepare_database(server: PgServer, name: str) -> None:
    """Section 3, "Create the roles and the database", after the roles: the database, its
    grants and the default privileges (no tables: the owner's ``db upgrade`` or a restore
    creates them)."""
    superuser(
        server,
        "postgres",
        f"CREATE DATABASE {name} OWNER {OWNER} ENCODING 'UTF8' TEMPLATE template0",
        f"REVOKE ALL ON DATABASE {name} FROM PUBLIC",
        f"GRANT CONNECT, TEMPORARY ON DATABASE {name} TO {ADMIN}, {SERVICE}, {VIEWER}",
    )
    superuser(
        server,
        name,
        "REVOKE CREATE ON SCHEMA public FROM PUBLIC",
        f"GRANT USAGE ON SCHEMA public TO {ADMIN}, {SERVICE}, {VIEWER}",
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {OWNER} IN SCHEMA public "
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {ADMIN}, {SERVICE}",
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {OWNER} IN SCHEMA public "
        f"GRANT USAGE, SELECT ON SEQUENCES TO {ADMIN}, {SERVICE}",
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {OWNER} IN SCHEMA public "
        f"GRANT SELECT ON TABLES TO {VIEWER}",
    )


@pytest.fixture
def guide_server(pg_server: PgServer) -> Iterator[PgServer]:
    """The guide's roles and database on the private server, removed afterwards."""
    superuser(
        pg_server, "postgres", *(f"CREATE ROLE {r} LOGIN" for r in (OWNER, ADMIN, SERVICE, VIEWER))
    )
    prepare_database(pg_server, DATABASE)
    try:
        yield pg_server
    finally:
        with psycopg.connect(
            host=pg_server.host,
            port=pg_server.port,
            user=pg_server.user,
            dbname="postgres",
            autocommit=True,
        ) as conn:
            names = [
                row[0]
                for row in conn.execute(
                    "SELECT datname FROM pg_database WHERE datname LIKE %s",
                    (f"{DATABASE}%",),
                )
            ]
        for name in names:
            superuser(pg_server, "postgres", f"DROP DATABASE {name} WITH (FORCE)")
        superuser(
            pg_server, "postgres", *(f"DROP ROLE {r}" for r in (VIEWER, SERVICE, ADMIN, OWNER))
        )


def url(server: PgServer, role: str, dbname: str = DATABASE) -> str:
    return f"postgresql+psycopg://{role}@{server.host}:{server.port}/{dbname}"


def cli(monkeypatch: pytest.MonkeyPatch, database_url: str, *argv: str) -> tuple[int, str, str]:
    """One ``whoseonfirst-service`` command with this URL, never texting anyone."""
    monkeypatch.setenv("WHOSEONFIRST_DATABASE_URL", database_url)
    monkeypatch.setenv("WHOSEONFIRST_SMS_BACKEND", "dry-run")
    monkeypatch.setenv("WHOSEONFIRST_LOG_FORMAT", "text")
    for name in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "WHOSEONFIRST_DATABASE_URL_FILE"):
        monkeypatch.delenv(name, raising=False)
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), clock=FIRST_SHIFT, out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def ok(result: tuple[int, str, str]) -> str:
    code, out, err = result
    assert code == 0, f"exit {code}\nstdout: {out}\nstderr: {err}"
    return out


def printed_command(output: str, program: str, bindir: Path) -> list[str]:
    """The ``program`` line of the output as an argument list, with this server's binaries."""
    lines = [line.strip() for line in output.splitlines() if line.strip().startswith(program)]
    assert len(lines) == 1, output
    argv = shlex.split(lines[0])
    return [str(bindir / program), *argv[1:]]


def table_counts(server: PgServer, dbname: str) -> dict[str, Any]:
    with psycopg.connect(
        host=server.host, port=server.port, user=server.user, dbname=dbname
    ) as conn:
        tables = [
            row[0]
            for row in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
            )
        ]
        return {
            t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()  # type: ignore[call-overload]
            for t in tables
        }


def after_the_first_upgrade(server: PgServer, name: str) -> None:
    """Section 3, once after the first upgrade: no role but the owner may change or remove
    audit entries, nor touch the migration bookkeeping."""
    superuser(
        server,
        name,
        f"REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM {ADMIN}, {SERVICE}",
        f"REVOKE INSERT, UPDATE, DELETE ON alembic_version FROM {ADMIN}, {SERVICE}",
    )


def as_role(server: PgServer, role: str, statement: str) -> None:
    with psycopg.connect(host=server.host, port=server.port, user=role, dbname=DATABASE) as conn:
        conn.execute(statement)  # type: ignore[arg-type]


def test_each_role_does_its_part(guide_server: PgServer, monkeypatch: pytest.MonkeyPatch) -> None:
    ok(cli(monkeypatch, url(guide_server, OWNER), "db", "upgrade"))
    after_the_first_upgrade(guide_server, DATABASE)
    ok(cli(monkeypatch, url(guide_server, ADMIN), "import", str(DEMO_ROSTER)))
    ok(cli(monkeypatch, url(guide_server, ADMIN), "import", "--replace", str(DEMO_ROSTER)))
    exported = ok(cli(monkeypatch, url(guide_server, ADMIN), "export"))
    assert '"Support (demo)"' in exported
    assert "simulated 2" in ok(
        cli(monkeypatch, url(guide_server, SERVICE), "tick")
    )  # shift + summary
    assert ok(cli(monkeypatch, url(guide_server, VIEWER), "export")) == exported

    before = table_counts(guide_server, DATABASE)
    code, _, err = cli(
        monkeypatch, url(guide_server, VIEWER), "import", "--replace", str(DEMO_ROSTER)
    )
    assert code != 0 and err.startswith("error:")
    assert table_counts(guide_server, DATABASE) == before  # refused, nothing changed

    # The audit log: the admin and the service lack the right; the owner meets the trigger.
    for role in (ADMIN, SERVICE):
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            as_role(guide_server, role, "DELETE FROM audit_log")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            as_role(guide_server, role, "UPDATE audit_log SET summary = ''")
    with pytest.raises(psycopg.errors.RaiseException, match="audit_log is append-only"):
        as_role(guide_server, OWNER, "DELETE FROM audit_log")
    assert table_counts(guide_server, DATABASE) == before


def test_db_copy_as_the_owner_into_a_prepared_database(
    guide_server: PgServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    ok(cli(monkeypatch, url(guide_server, OWNER), "db", "upgrade"))
    ok(cli(monkeypatch, url(guide_server, ADMIN), "import", str(DEMO_ROSTER)))
    ok(cli(monkeypatch, url(guide_server, SERVICE), "tick"))
    copy = f"{DATABASE}_copy"
    prepare_database(guide_server, copy)
    ok(
        cli(
            monkeypatch,
            url(guide_server, OWNER),
            "db",
            "copy",
            "--to",
            url(guide_server, OWNER, copy),
        )
    )
    assert table_counts(guide_server, copy) == table_counts(guide_server, DATABASE)
    assert ok(cli(monkeypatch, url(guide_server, ADMIN, copy), "export")) == ok(
        cli(monkeypatch, url(guide_server, ADMIN), "export")
    )


def test_the_printed_pg_dump_and_pg_restore_commands_round_trip(
    guide_server: PgServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    ok(cli(monkeypatch, url(guide_server, OWNER), "db", "upgrade"))
    ok(cli(monkeypatch, url(guide_server, ADMIN), "import", str(DEMO_ROSTER)))
    ok(cli(monkeypatch, url(guide_server, SERVICE), "tick"))
    exported = ok(cli(monkeypatch, url(guide_server, ADMIN), "export"))
    counts = table_counts(guide_server, DATABASE)

    dump = tmp_path / "wof.dump"
    hint = ok(cli(monkeypatch, url(guide_server, OWNER), "backup", str(dump)))
    assert not dump.exists()  # the command only says how
    pg_dump = printed_command(hint, "pg_dump", guide_server.bindir)
    subprocess.run(pg_dump, check=True, capture_output=True, timeout=120)
    assert dump.stat().st_size > 0

    restored = f"{DATABASE}_restored"
    pg_restore = printed_command(hint, "pg_restore", guide_server.bindir)
    assert f"--dbname={url(guide_server, OWNER, restored).replace('+psycopg', '')}" in pg_restore
    prepare_database(guide_server, restored)
    subprocess.run(pg_restore, check=True, capture_output=True, timeout=120)

    assert table_counts(guide_server, restored) == counts
    assert ok(cli(monkeypatch, url(guide_server, ADMIN, restored), "export")) == exported
    # Each role works on the restored database as on the original.
    assert "already at revision" in ok(
        cli(monkeypatch, url(guide_server, OWNER, restored), "db", "upgrade")
    )
    ok(
        cli(
            monkeypatch, url(guide_server, ADMIN, restored), "import", "--replace", str(DEMO_ROSTER)
        )
    )
    ok(cli(monkeypatch, url(guide_server, SERVICE, restored), "tick"))
    assert ok(cli(monkeypatch, url(guide_server, VIEWER, restored), "export")) == exported
    code, _, _ = cli(
        monkeypatch, url(guide_server, VIEWER, restored), "import", "--replace", str(DEMO_ROSTER)
    )
    assert code != 0

    # Restoring a second time onto it fails as a whole and leaves it as it was.
    before = table_counts(guide_server, restored)
    again = subprocess.run(pg_restore, capture_output=True, text=True, timeout=120, check=False)
    assert again.returncode != 0
    assert table_counts(guide_server, restored) == before
