"""The operator's service commands: simulate, tick, check, send-test, backup, config errors; and
two ``tick`` processes racing on one PostgreSQL database."""

from __future__ import annotations

import io
import json
import os
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select
from whoseonfirst_service.cli import main

from tests.fakes.fake_twilio import FakeTwilio, Reply
from tests.service.conftest import FROM_NUMBER, LEAD_PHONE, notifications, sent_to, utc
from whoseonfirst_core.clock import FixedClock
from whoseonfirst_core.db.models import Meta, Notification, ScheduleEntry
from whoseonfirst_core.db.session import Database, read_revision
from whoseonfirst_core.usecases.notifications import queue_text

SERVICE_ENV = (
    "WHOSEONFIRST_DATABASE_URL",
    "WHOSEONFIRST_DATABASE_URL_FILE",
    "TWILIO_ACCOUNT_SID",
    "TWILIO_ACCOUNT_SID_FILE",
    "TWILIO_AUTH_TOKEN",
    "TWILIO_AUTH_TOKEN_FILE",
    "TWILIO_FROM_NUMBER",
    "TWILIO_MESSAGING_SERVICE_SID",
    "WHOSEONFIRST_TWILIO_API_URL",
    "WHOSEONFIRST_SMS_BACKEND",
    "WHOSEONFIRST_HTTP",
    "WHOSEONFIRST_LOG_FORMAT",
    "WHOSEONFIRST_INSTANCE_ID",
)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in SERVICE_ENV:
        monkeypatch.delenv(name, raising=False)


def run(clock: FixedClock, *argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), clock=clock, out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def use_fake_twilio(monkeypatch: pytest.MonkeyPatch, fake: FakeTwilio) -> None:
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", fake.account_sid)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", fake.auth_token)
    monkeypatch.setenv("TWILIO_FROM_NUMBER", FROM_NUMBER)
    monkeypatch.setenv("WHOSEONFIRST_TWILIO_API_URL", fake.base_url)


# --- simulate ------------------------------------------------------------------------------


def test_simulate_lists_every_text_of_the_week_with_local_send_times(
    team: Database, db_url: str, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WHOSEONFIRST_DATABASE_URL", db_url)
    with team.reader() as uow:
        revision = read_revision(uow.session)
        entries = uow.session.scalar(select(func.count()).select_from(ScheduleEntry))
    code, out, err = run(clock, "simulate", "--from", "2026-03-02", "--days", "7", "--json")
    assert code == 0, err
    messages = json.loads(out)["messages"]
    assert [(m["send_at"], m["kind"], m["member"]) for m in messages] == [
        ("2026-03-02T08:00:00-06:00", "shift_start", "Ann Archer"),
        ("2026-03-02T08:00:00-06:00", "weekly_summary", "Hal Hughes (lead)"),
        ("2026-03-03T08:00:00-06:00", "shift_start", "Ben Brooks"),
        ("2026-03-05T08:00:00-06:00", "shift_start", "Cal Chen"),
        ("2026-03-06T08:00:00-06:00", "shift_start", "Dee Diaz"),
        ("2026-03-07T08:00:00-06:00", "shift_start", "Eve Evans"),
        ("2026-03-08T08:00:00-05:00", "shift_start", "Fay Fisher"),  # CDT from today
    ]
    assert messages[0] == {
        "send_at": "2026-03-02T08:00:00-06:00",
        "kind": "shift_start",
        "to": "+13125550101",
        "member": "Ann Archer",
        "body": "WhoseOnFirst: Hi Ann Archer, you are on call from Mon 08:00 CST until "
        "Tue 08:00 CST (24h). Reply OK to confirm.",
    }
    assert messages[1]["to"] == LEAD_PHONE
    assert messages[1]["body"].startswith("WhoseOnFirst schedule Mar 2 - Mar 8\nMon 3/2: Ann")
    with team.reader() as uow:  # sends nothing, writes nothing
        assert uow.session.scalar(select(func.count()).select_from(Notification)) == 0
        assert uow.session.scalar(select(func.count()).select_from(ScheduleEntry)) == entries
        assert read_revision(uow.session) == revision


def test_simulate_beyond_the_horizon_and_as_text(
    team: Database, db_url: str, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WHOSEONFIRST_DATABASE_URL", db_url)
    code, out, _ = run(clock, "simulate", "--from", "2026-11-01", "--days", "2")
    assert code == 0
    assert "2026-11-01T08:00:00-06:00  shift_start" in out  # after the fall-back: CST
    assert "    WhoseOnFirst: Hi " in out
    with team.reader() as uow:
        latest = uow.session.scalar(select(func.max(ScheduleEntry.start_at)))
    assert latest is not None and latest < utc(2026, 7, 1)


# --- tick ----------------------------------------------------------------------------------


def test_tick_now_refuses_the_real_twilio_api(
    sqlite_url: str, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WHOSEONFIRST_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", "AC" + "0" * 32)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "real-token-do-not-print")
    monkeypatch.setenv("TWILIO_FROM_NUMBER", FROM_NUMBER)
    code, out, err = run(clock, "tick", "--now", "2026-03-02T08:00:30-06:00")
    assert code == 2
    assert "refusing --now" in err and "real Twilio API" in err
    assert "real-token-do-not-print" not in err + out


def test_tick_now_against_a_mock_sends_what_is_due(
    team: Database,
    db_url: str,
    clock: FixedClock,
    fake: FakeTwilio,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("WHOSEONFIRST_DATABASE_URL", db_url)
    use_fake_twilio(monkeypatch, fake)
    code, out, err = run(clock, "tick", "--now", "2026-03-02T08:00:30-06:00")
    assert code == 0, err
    assert "tick at 2026-03-02T14:00:30+00:00: queued 2, sent 2" in out
    assert sorted(sent_to(fake)) == sorted(["+13125550101", LEAD_PHONE])
    code, _, err = run(clock, "tick", "--now", "yesterday")
    assert code == 2 and "--now:" in err


# --- configuration ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"WHOSEONFIRST_HTTP": "everywhere"}, "WHOSEONFIRST_HTTP: must be host:port"),
        ({"WHOSEONFIRST_LOG_FORMAT": "xml"}, "WHOSEONFIRST_LOG_FORMAT: Input should be"),
        (
            {"TWILIO_ACCOUNT_SID": "AC" + "0" * 32, "TWILIO_AUTH_TOKEN": "s3cret-token-value"},
            "TWILIO_FROM_NUMBER / TWILIO_MESSAGING_SERVICE_SID: set exactly one",
        ),
        (
            {"TWILIO_AUTH_TOKEN_FILE": "/nonexistent/token"},
            "TWILIO_AUTH_TOKEN_FILE: the file /nonexistent/token does not exist",
        ),
        ({"WHOSEONFIRST_SMS_BACKEND": "twilio"}, "TWILIO_ACCOUNT_SID is not set"),
        (
            {"TWILIO_ACCOUNT_SID": "MG" + "0" * 32},
            "TWILIO_ACCOUNT_SID: must be AC followed by 32 hexadecimal characters",
        ),
        (
            {"TWILIO_MESSAGING_SERVICE_SID": "AC" + "0" * 32},
            "TWILIO_MESSAGING_SERVICE_SID: must be MG followed by 32 hexadecimal",
        ),
    ],
)
def test_invalid_config_is_one_line_and_exit_2(
    sqlite_url: str,
    clock: FixedClock,
    monkeypatch: pytest.MonkeyPatch,
    env: dict[str, str],
    expected: str,
) -> None:
    monkeypatch.setenv("WHOSEONFIRST_DATABASE_URL", sqlite_url)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    code, out, err = run(clock, "tick")
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("error: invalid configuration: ")
    assert expected in err
    assert "s3cret-token-value" not in err + out


def test_secrets_and_the_database_url_come_from_files(
    team: Database,
    db_url: str,
    clock: FixedClock,
    fake: FakeTwilio,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    use_fake_twilio(monkeypatch, fake)
    monkeypatch.delenv("TWILIO_AUTH_TOKEN")
    (tmp_path / "token").write_text(fake.auth_token + "\n")
    (tmp_path / "db").write_text(db_url + "\n")
    monkeypatch.setenv("TWILIO_AUTH_TOKEN_FILE", str(tmp_path / "token"))
    monkeypatch.setenv("WHOSEONFIRST_DATABASE_URL_FILE", str(tmp_path / "db"))
    code, out, err = run(clock, "check")
    assert code == 0, out + err
    assert "Twilio account 'WhoseOnFirst test account' is active" in out
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "both")
    code, out, err = run(clock, "check")
    assert code == 1
    assert "TWILIO_AUTH_TOKEN and TWILIO_AUTH_TOKEN_FILE are both set" in out


# --- check -----------------------------------------------------------------------------------


def test_check_reports_each_part(
    team: Database,
    db_url: str,
    clock: FixedClock,
    fake: FakeTwilio,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("WHOSEONFIRST_DATABASE_URL", db_url)
    use_fake_twilio(monkeypatch, fake)
    code, out, _ = run(clock, "check")
    assert code == 0, out
    lines = out.splitlines()
    assert lines[0].startswith("ok    config: SMS backend twilio (http://127.0.0.1:")
    assert lines[1].startswith("ok    database: ") and "team 'Support (demo)'" in lines[1]
    assert lines[2].startswith("ok    sms: Twilio account")
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "wrong-token-value")
    code, out, _ = run(clock, "check")
    assert code == 1
    assert "FAIL  sms: Twilio refused the account SID and auth token" in out
    assert "wrong-token-value" not in out


def test_check_fails_when_the_database_is_unreachable(
    clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(
        "WHOSEONFIRST_DATABASE_URL", "postgresql+psycopg://wof:pw-secret@127.0.0.1:1/none"
    )
    code, out, _ = run(clock, "check")
    assert code == 1
    assert "ok    config: SMS backend dry-run" in out
    assert (
        "FAIL  database: cannot reach the database postgresql+psycopg://wof:***@127.0.0.1:1/none"
        in out
    )
    assert "pw-secret" not in out


# --- send-test -------------------------------------------------------------------------------


def test_send_test_to_a_member_by_name_goes_through_the_outbox(
    team: Database,
    db_url: str,
    clock: FixedClock,
    fake: FakeTwilio,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("WHOSEONFIRST_DATABASE_URL", db_url)
    use_fake_twilio(monkeypatch, fake)
    code, out, err = run(clock, "send-test", "--to", "cal")
    assert code == 0, out + err
    assert "queued test text #1 to Cal Chen (+1312555XXXX)" in out
    assert "test text #1: delivered" in out  # sent, and the first status check says delivered
    assert sent_to(fake) == ["+13125550103"]
    [row] = notifications(team)
    assert row.kind == "test" and row.status == "delivered" and row.attempts == 1


def test_send_test_reports_a_permanent_failure(
    team: Database,
    db_url: str,
    clock: FixedClock,
    fake: FakeTwilio,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("WHOSEONFIRST_DATABASE_URL", db_url)
    use_fake_twilio(monkeypatch, fake)
    fake.script_create([Reply.error(400, 21614)])
    code, out, _ = run(clock, "send-test", "--to", "+1 (312) 555-0177", "--body", "ping")
    assert code == 1
    assert "failed (the number is not a mobile number and cannot receive texts (21614))" in out
    code, out, err = run(clock, "send-test", "--to", "Nobody Here")
    assert code == 1 and "no member is called 'Nobody Here'" in err


# --- backup ----------------------------------------------------------------------------------


def test_backup_sqlite_is_a_consistent_private_copy(
    sqlite_db: Database,
    sqlite_url: str,
    clock: FixedClock,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from whoseonfirst_core.roster import create_demo_team

    with sqlite_db.uow("test") as uow:
        create_demo_team(uow, clock.now(), utc(2026, 3, 2).date())
        queue_text(uow, clock.now(), to="+13125550101")
        uow.commit()
    monkeypatch.setenv("WHOSEONFIRST_DATABASE_URL", sqlite_url)
    target = tmp_path / "copy.db"
    code, out, err = run(clock, "backup", str(target))
    assert code == 0, err
    assert "integrity ok, mode 0600" in out
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    with sqlite3.connect(target) as copy:
        assert copy.execute("SELECT count(*) FROM notifications").fetchone() == (1,)
        assert copy.execute("SELECT count(*) FROM members").fetchone() == (7,)
    code, _, err = run(clock, "backup", str(target))
    assert code == 1 and "already exists" in err


def test_backup_postgresql_prints_the_pg_dump_way(
    clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WHOSEONFIRST_DATABASE_URL", "postgresql+psycopg://wof:pw@db.example/wof")
    code, out, _ = run(clock, "backup", "/backups/wof.dump")
    assert code == 0
    assert (
        "pg_dump --format=custom --no-owner --file=/backups/wof.dump "
        "'postgresql://wof:***@db.example/wof'" in out
    )
    assert ":pw@" not in out


# --- two processes on PostgreSQL --------------------------------------------------------------


def test_two_tick_processes_started_together_send_each_text_once(
    pg_url: str, clock: FixedClock, tmp_path: Path
) -> None:
    from whoseonfirst_core.roster import create_demo_team

    db = Database(pg_url)
    try:
        with db.uow("test") as uow:
            create_demo_team(uow, clock.now(), utc(2026, 3, 2).date())
            clock.set(utc(2026, 3, 2, 14))  # queued at 08:00, valid for an hour
            for n in range(12):  # plenty of rows to race for
                queue_text(uow, clock.now(), to=f"+131255501{20 + n}")
            uow.commit()
        with FakeTwilio() as fake:
            env = {
                **{k: v for k, v in os.environ.items() if k not in SERVICE_ENV},
                "WHOSEONFIRST_DATABASE_URL": pg_url,
                "TWILIO_ACCOUNT_SID": fake.account_sid,
                "TWILIO_AUTH_TOKEN": fake.auth_token,
                "TWILIO_FROM_NUMBER": FROM_NUMBER,
                "WHOSEONFIRST_TWILIO_API_URL": fake.base_url,
            }
            now = "2026-03-02T08:00:30-06:00"
            procs = [
                subprocess.Popen(
                    [sys.executable, "-m", "whoseonfirst_service", "tick", "--now", now],
                    env={**env, "WHOSEONFIRST_INSTANCE_ID": f"proc-{i}"},
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                )
                for i in range(2)
            ]
            outputs = [p.communicate(timeout=120) for p in procs]
            for proc, (_out, err) in zip(procs, outputs, strict=True):
                assert proc.returncode == 0, err
            to = sent_to(fake)
        expected = [f"+131255501{20 + n}" for n in range(12)] + ["+13125550101", LEAD_PHONE]
        assert sorted(to) == sorted(expected)  # each text exactly once
        rows = notifications(db)
        assert len(rows) == 14 and {r.status for r in rows} == {"sent"}
        with db.reader() as uow:
            first = uow.session.scalar(
                select(Meta.value).where(Meta.key == "service_first_tick_at")
            )
        assert first == utc(2026, 3, 2, 14, 0, 30).isoformat()
        claimers = {r.claimed_by.split("/")[0] for r in rows if r.claimed_by}
        assert claimers <= {"proc-0", "proc-1"}
    finally:
        db.dispose()


def test_run_refuses_an_invalid_config_before_starting(
    sqlite_url: str, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WHOSEONFIRST_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("WHOSEONFIRST_SMS_BACKEND", "sms-gateway")
    code, out, err = run(clock, "run")
    assert code == 2 and out == ""
    assert (
        err == "error: invalid configuration: WHOSEONFIRST_SMS_BACKEND: Input should be "
        "'twilio' or 'dry-run'\n"
    )
