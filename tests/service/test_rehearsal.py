"""The rehearsal rule: ``tick --now`` on a database the service uses (a heartbeat or a tick
mark from a real-time tick) runs in a transaction that is rolled back, never polls, and so
never consumes, pre-empts or fakes a real text, heartbeat or tick mark; on a database where
only ``tick --now`` ever ticked (a drill) each tick is kept."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update
from whoseonfirst_service.cli import main
from whoseonfirst_service.cli.run import DRILL_NOTE, REHEARSAL_NOTE

from tests.fakes.fake_twilio import FakeTwilio
from tests.service.conftest import FROM_NUMBER, notifications, utc
from whoseonfirst_core.clock import FixedClock
from whoseonfirst_core.db.models import Base, Notification
from whoseonfirst_core.db.session import Database
from whoseonfirst_core.domain.notification import Kind, Status
from whoseonfirst_core.usecases.rehearsal import in_service

BEN = "+13125550102"  # on call from Tuesday 08:00 CST in the demo rotation
TUESDAY_0800_30 = "2026-03-03T08:00:30-06:00"
SENT_SID = "SM" + "5" * 32


@pytest.fixture(autouse=True)
def env(monkeypatch: pytest.MonkeyPatch, db_url: str) -> None:
    for name in (
        "TWILIO_ACCOUNT_SID",
        "TWILIO_AUTH_TOKEN",
        "TWILIO_FROM_NUMBER",
        "TWILIO_MESSAGING_SERVICE_SID",
        "WHOSEONFIRST_TWILIO_API_URL",
        "WHOSEONFIRST_SMS_BACKEND",
        "WHOSEONFIRST_INSTANCE_ID",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("WHOSEONFIRST_DATABASE_URL", db_url)
    monkeypatch.setenv("WHOSEONFIRST_LOG_FORMAT", "text")


def run(clock: FixedClock, *argv: str) -> str:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), clock=clock, out=out, err=err)
    assert code == 0, err.getvalue()
    return out.getvalue()


def to_twilio(monkeypatch: pytest.MonkeyPatch, fake: FakeTwilio) -> None:
    monkeypatch.delenv("WHOSEONFIRST_SMS_BACKEND", raising=False)
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", fake.account_sid)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", fake.auth_token)
    monkeypatch.setenv("TWILIO_FROM_NUMBER", FROM_NUMBER)
    monkeypatch.setenv("WHOSEONFIRST_TWILIO_API_URL", fake.base_url)


def rows(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, in primary-key order."""
    with db.reader() as uow:
        return {
            table.name: [
                tuple(row)
                for row in uow.session.execute(
                    select(table).order_by(*table.primary_key.columns)
                ).all()
            ]
            for table in Base.metadata.sorted_tables
        }


def live(
    db: Database, clock: FixedClock, monkeypatch: pytest.MonkeyPatch, fake: FakeTwilio
) -> None:
    """The service has ticked in real time (Monday 07:00, then 08:00:30, Ann texted), and one
    text is ``sent`` with a SID whose status Twilio has not given yet."""
    to_twilio(monkeypatch, fake)
    run(clock, "tick")
    clock.set(utc(2026, 3, 2, 14, 0, 30))
    run(clock, "tick")
    with db.uow("test") as uow:
        uow.session.execute(
            update(Notification)
            .where(Notification.kind == Kind.SHIFT_START)
            .values(status=Status.SENT, twilio_sid=SENT_SID, last_polled_at=None)
        )
        uow.commit()


def test_tick_now_on_the_live_database_keeps_nothing_and_the_real_text_goes_out_once(
    quiet: Database, clock: FixedClock, monkeypatch: pytest.MonkeyPatch, fake: FakeTwilio
) -> None:
    live(quiet, clock, monkeypatch, fake)
    with quiet.reader() as uow:
        assert in_service(uow.session)
    before = rows(quiet)
    requests = len(fake.requests)

    # The rehearsal: the dry-run backend, a pretended instant in the future.
    monkeypatch.setenv("WHOSEONFIRST_SMS_BACKEND", "dry-run")
    out = run(clock, "tick", "--now", TUESDAY_0800_30)
    assert rows(quiet) == before  # no text, no heartbeat, no tick mark, no revision bump
    assert REHEARSAL_NOTE in out and "queued 1, simulated" in out

    # The same against the mock API: it sends to the mock, but never asks about real SIDs.
    monkeypatch.delenv("WHOSEONFIRST_SMS_BACKEND")
    clock.advance(timedelta(minutes=1))
    out = run(clock, "tick", "--now", TUESDAY_0800_30)
    assert REHEARSAL_NOTE in out
    assert rows(quiet) == before
    rehearsal_requests = fake.requests[requests:]
    assert not [r for r in rehearsal_requests if SENT_SID in r.path]
    assert BEN in [r.form["To"] for r in rehearsal_requests if r.method == "POST"]

    # When Tuesday 08:00 really comes, the service texts Ben, exactly once.
    clock.set(utc(2026, 3, 3, 14, 0, 30))
    run(clock, "tick")
    ben = [r for r in notifications(quiet, Kind.SHIFT_START) if r.recipient_phone == BEN]
    assert [r.status for r in ben] in (["sent"], ["delivered"])
    to_ben = [m for m in fake.created if m.to == BEN]
    assert len(to_ben) == 2  # the mock rehearsal's, and the real one
    assert ben[0].twilio_sid == to_ben[-1].sid


def test_tick_now_on_a_drill_database_keeps_each_tick(
    quiet: Database, clock: FixedClock, monkeypatch: pytest.MonkeyPatch, fake: FakeTwilio
) -> None:
    to_twilio(monkeypatch, fake)
    out = run(clock, "tick", "--now", "2026-03-02T08:00:30-06:00")
    assert REHEARSAL_NOTE not in out and DRILL_NOTE in out
    out = run(clock, "tick", "--now", TUESDAY_0800_30)
    assert REHEARSAL_NOTE not in out and DRILL_NOTE in out
    assert sorted(r.recipient_phone for r in notifications(quiet, Kind.SHIFT_START)) == [
        "+13125550101",
        BEN,
    ]
    with quiet.reader() as uow:
        assert not in_service(uow.session)
    # The first real-time tick puts the database in service: from then on --now rehearses.
    run(clock, "tick")
    with quiet.reader() as uow:
        assert in_service(uow.session)


def test_a_copy_of_the_live_database_can_be_rehearsed_on(
    quiet: Database,
    db_url: str,
    clock: FixedClock,
    monkeypatch: pytest.MonkeyPatch,
    fake: FakeTwilio,
    tmp_path: Path,
) -> None:
    if not db_url.startswith("sqlite"):
        pytest.skip("backup copies SQLite; PostgreSQL is copied with pg_dump")
    live(quiet, clock, monkeypatch, fake)
    copy = tmp_path / "rehearsal.db"
    run(clock, "backup", str(copy))
    before_live = rows(quiet)
    monkeypatch.setenv("WHOSEONFIRST_DATABASE_URL", f"sqlite:///{copy}")
    monkeypatch.setenv("WHOSEONFIRST_SMS_BACKEND", "dry-run")

    out = run(clock, "tick", "--now", TUESDAY_0800_30)

    assert REHEARSAL_NOTE in out and "queued 1, simulated" in out
    copied = Database(f"sqlite:///{copy}")
    try:
        assert rows(copied) == before_live
    finally:
        copied.dispose()
    assert rows(quiet) == before_live


def test_check_says_a_heartbeat_in_the_future_is_in_the_future(
    quiet: Database, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A database rehearsed on before rehearsals were rolled back has a heartbeat in the future."""
    monkeypatch.setenv("WHOSEONFIRST_SMS_BACKEND", "dry-run")
    run(clock, "tick", "--now", "2027-01-05T08:00:30-06:00")
    out = run(clock, "check")
    [line] = [line for line in out.splitlines() if "service heartbeat" in line]
    assert "ticked 309 days in the future (a clock is wrong, or a tick --now wrote it)" in line


def test_a_dry_run_tick_beside_a_service_that_sends_for_real_keeps_nothing(
    quiet: Database, clock: FixedClock, monkeypatch: pytest.MonkeyPatch, fake: FakeTwilio
) -> None:
    """The sibling without --now: a dry run at the real instant would record Ben's due text
    as simulated, and the service would never send it."""
    live(quiet, clock, monkeypatch, fake)
    clock.set(utc(2026, 3, 3, 14, 0, 30))
    before = rows(quiet)
    monkeypatch.setenv("WHOSEONFIRST_SMS_BACKEND", "dry-run")

    out = run(clock, "tick")

    assert rows(quiet) == before
    assert REHEARSAL_NOTE in out and "queued 1, simulated" in out
    monkeypatch.delenv("WHOSEONFIRST_SMS_BACKEND")
    run(clock, "tick")
    ben = [r for r in notifications(quiet, Kind.SHIFT_START) if r.recipient_phone == BEN]
    assert len(ben) == 1 and ben[0].status in ("sent", "delivered")
    assert [m.to for m in fake.created].count(BEN) == 1


def test_a_dry_run_tick_where_only_dry_runs_ticked_is_kept(
    quiet: Database, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The README's first steps: a dry-run tick on a new database shows the service alive."""
    monkeypatch.setenv("WHOSEONFIRST_SMS_BACKEND", "dry-run")
    run(clock, "tick")
    clock.set(utc(2026, 3, 2, 14, 0, 30))
    out = run(clock, "tick")
    assert REHEARSAL_NOTE not in out
    assert [r.status for r in notifications(quiet, Kind.SHIFT_START)] == ["simulated"]


def test_a_dry_run_send_test_beside_a_service_that_sends_for_real_is_refused(
    quiet: Database, clock: FixedClock, monkeypatch: pytest.MonkeyPatch, fake: FakeTwilio
) -> None:
    live(quiet, clock, monkeypatch, fake)
    clock.set(utc(2026, 3, 3, 14, 0, 30))  # Ben's text is due: send-test's pass would take it
    before = rows(quiet)
    monkeypatch.setenv("WHOSEONFIRST_SMS_BACKEND", "dry-run")
    out, err = io.StringIO(), io.StringIO()

    code = main(["send-test", "--to", "Ann Archer"], clock=clock, out=out, err=err)

    assert code != 0
    assert "refusing a dry-run send-test here" in err.getvalue()
    assert rows(quiet) == before
