"""A database the daemon can read but not write — a full disk, a read-only file: /healthz and
``check`` say so from the first failed tick, the daemon keeps going, and the texts that fell
due meanwhile go out exactly once when writes work again.

The refusal is injected where the driver executes a statement (the driver's own
``OperationalError``, SQLite's words), so it works as root too, where ``chmod`` refuses nothing.
"""

from __future__ import annotations

import io
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event
from whoseonfirst_service.cli import main
from whoseonfirst_service.daemon import Daemon

from tests.fakes.fake_twilio import FakeTwilio
from tests.service.conftest import (
    MakeEngine,
    attempts,
    healthz,
    notifications,
    sent_to,
    utc,
)
from whoseonfirst_core.clock import FixedClock
from whoseonfirst_core.db.session import Database

_WRITES = ("insert", "update", "delete")


@contextmanager
def writes_refused(db: Database, message: str) -> Iterator[None]:
    """Every write statement fails with the driver's OperationalError(``message``)."""
    error_type = db.engine.dialect.loaded_dbapi.OperationalError

    def do_execute(cursor: Any, statement: str, parameters: Any, context: Any) -> None:
        if statement.lstrip().lower().startswith(_WRITES):
            raise error_type(message)

    event.listen(db.engine, "do_execute", do_execute)
    try:
        yield
    finally:
        event.remove(db.engine, "do_execute", do_execute)


@pytest.fixture
def daemon(team: Database, make_engine: MakeEngine, clock: FixedClock) -> Iterator[Daemon]:
    d = Daemon(make_engine(), clock=clock, http_bind=("127.0.0.1", 0))
    d.start_http()
    yield d
    d.shutdown()


@pytest.mark.parametrize(
    "message", ["database or disk is full", "attempt to write a readonly database"]
)
def test_refused_writes_turn_healthz_503_at_once_and_the_text_goes_out_once_after(
    daemon: Daemon, team: Database, clock: FixedClock, fake: FakeTwilio, message: str
) -> None:
    assert daemon.run_tick() is not None  # Mon 07:00
    assert healthz(daemon)[0] == 200

    with writes_refused(team, message):
        clock.set(utc(2026, 3, 2, 14, 0, 30))  # the 08:00 texts fall due while writes fail
        assert daemon.run_tick() is None  # logged, not raised
        status, body = healthz(daemon)  # from the first failed tick, not 2 minutes later
        assert status == 503 and body["status"] == "unhealthy"
        assert body["checks"]["database"]["ok"] is False
        assert message in body["checks"]["database"]["error"]
        assert body["checks"]["last_error"] == f"database refuses writes: {message}"
        for _ in range(14):  # 70 s more of retries every 5 s, all failing
            clock.advance(timedelta(seconds=5))
            assert daemon.run_tick() is None
        assert healthz(daemon)[0] == 503
        assert fake.create_requests == []

    clock.set(utc(2026, 3, 2, 14, 1, 45))
    summary = daemon.run_tick()
    assert summary is not None and summary.sent == 2  # Ann and the weekly summary
    assert healthz(daemon)[0] == 200
    clock.set(utc(2026, 3, 2, 14, 2, 15))
    assert daemon.run_tick() is not None
    assert sorted(sent_to(fake)) == ["+13125550101", "+13125550199"]  # once each


def test_a_failed_tick_that_is_not_the_database_turns_healthz_503_too(
    daemon: Daemon, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert daemon.run_tick() is not None
    monkeypatch.setattr(daemon.engine, "tick", lambda: 1 / 0)
    assert daemon.run_tick() is None
    status, body = healthz(daemon)
    assert status == 503 and body["checks"]["last_error"] == "tick failed: ZeroDivisionError"
    assert body["checks"]["database"] == {"ok": True}


def test_check_reports_the_refused_writes_from_the_services_healthz(
    daemon: Daemon,
    team: Database,
    db_url: str,
    clock: FixedClock,
    fake: FakeTwilio,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The database stays readable, and the service cannot write its heartbeat: only the
    service knows its ticks fail, and ``check`` asks it."""
    assert daemon.http is not None
    host, port = daemon.http.address
    monkeypatch.setenv("WHOSEONFIRST_DATABASE_URL", db_url)
    monkeypatch.setenv("WHOSEONFIRST_HTTP", f"{host}:{port}")

    def check() -> tuple[int, str]:
        out = io.StringIO()
        code = main(["check"], clock=clock, out=out, err=io.StringIO())
        return code, out.getvalue()

    assert daemon.run_tick() is not None
    code, out = check()
    assert code == 0, out
    assert f"ok    service: {daemon.http.url}/healthz answers ok" in out
    with writes_refused(team, "database or disk is full"):
        assert daemon.run_tick() is None
        code, out = check()
    assert code == 1
    assert (
        f"FAIL  service: {daemon.http.url}/healthz answers 503: the last tick failed: "
        "database refuses writes: database or disk is full"
    ) in out
    assert daemon.run_tick() is not None
    assert check()[0] == 0


def test_check_without_a_service_on_this_host_says_so_and_does_not_fail(
    team: Database, db_url: str, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    monkeypatch.setenv("WHOSEONFIRST_DATABASE_URL", db_url)
    monkeypatch.setenv("WHOSEONFIRST_HTTP", f"127.0.0.1:{port}")
    out = io.StringIO()
    assert main(["check"], clock=clock, out=out, err=io.StringIO()) == 0
    assert f"service health: nothing answers at http://127.0.0.1:{port}/healthz" in out.getvalue()


def test_writes_refused_right_after_twilio_took_the_text_never_send_it_twice(
    team: Database,
    make_engine: MakeEngine,
    backend: Any,
    clock: FixedClock,
    fake: FakeTwilio,
) -> None:
    """The disk fills between Twilio's answer and recording it: the row stays claimed with an
    attempt of unknown outcome, and once writes work it is reconciled, not sent again."""
    refusing = writes_refused(team, "database or disk is full")

    class FillsUp:
        def __init__(self) -> None:
            self.filled = False

        def send(self, to: str, body: str, *, validity_seconds: int | None) -> Any:
            result = backend.send(to, body, validity_seconds=validity_seconds)
            if not self.filled:
                self.filled = True
                refusing.__enter__()
            return result

        def __getattr__(self, name: str) -> Any:
            return getattr(backend, name)

    daemon = Daemon(make_engine(sms=FillsUp()), clock=clock)
    assert daemon.run_tick() is not None  # Mon 07:00
    clock.set(utc(2026, 3, 2, 14, 0, 30))
    assert daemon.run_tick() is None  # the first text reached Twilio; recording it failed
    [first] = sent_to(fake)
    for _ in range(6):
        clock.advance(timedelta(seconds=5))
        assert daemon.run_tick() is None
    refusing.__exit__(None, None, None)
    for _ in range(12):  # past the stale-claim limit
        clock.advance(timedelta(seconds=30))
        assert daemon.run_tick() is not None
    assert sorted(sent_to(fake)) == ["+13125550101", "+13125550199"]  # once each
    [row] = [
        r for r in notifications(team) if r.recipient_phone == first and r.due_at <= clock.now()
    ]
    assert row.status == "delivered"
    assert [a.outcome for a in attempts(team, row.id)][-1] == "reconciled"
