"""The daemon around the engine: /healthz and /metrics, a database outage, the APScheduler jobs,
systemd notifications. Ticks are driven by hand (``run_tick``) on a fixed clock, except where
the scheduler itself is under test."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.engine import make_url
from whoseonfirst_service.daemon import (
    CATCH_UP_TICKS,
    DUE_MISFIRE_GRACE,
    INTERVAL_MISFIRE_GRACE,
    Daemon,
    SystemdNotifier,
)
from whoseonfirst_service.engine import Engine
from whoseonfirst_service.twilio_sms import DryRunBackend

from tests.fakes.fake_twilio import FakeTwilio
from tests.loopback_proxy import LoopbackProxy
from tests.service.conftest import (
    MakeEngine,
    SteppingClock,
    healthz,
    http_get,
    notifications,
    sent_to,
    utc,
)
from whoseonfirst_core.clock import FixedClock
from whoseonfirst_core.db.session import Database, make_engine
from whoseonfirst_core.roster import create_demo_team


@pytest.fixture
def daemon(team: Database, make_engine: MakeEngine, clock: FixedClock) -> Iterator[Daemon]:
    d = Daemon(make_engine(), clock=clock, http_bind=("127.0.0.1", 0))
    d.start_http()
    yield d
    d.shutdown()


def test_healthz_reports_real_checks(daemon: Daemon, clock: FixedClock) -> None:
    status, body = healthz(daemon)
    assert status == 503  # no tick yet
    assert body["checks"]["database"] == {"ok": True}
    assert body["checks"]["last_tick"]["ok"] is False
    daemon.run_tick()
    status, body = healthz(daemon)
    assert status == 200 and body["status"] == "ok"
    checks = body["checks"]
    assert checks["sms_backend"] == "twilio"
    assert checks["pending"] == 0 and checks["problems_24h"] == 0
    assert checks["last_tick"]["age_seconds"] == 0
    clock.advance(timedelta(minutes=2))  # the loop stalled: no tick for 2 minutes
    status, body = healthz(daemon)
    assert status == 503 and body["checks"]["last_tick"]["ok"] is False
    assert daemon.http is not None
    assert http_get(daemon.http.url + "/nope")[0] == 404


def test_metrics_in_prometheus_text(daemon: Daemon, clock: FixedClock, fake: FakeTwilio) -> None:
    daemon.run_tick()
    clock.set(utc(2026, 3, 2, 14, 0, 30))
    daemon.run_tick()
    healthz(daemon)
    assert daemon.http is not None
    status, text = http_get(daemon.http.url + "/metrics")
    assert status == 200
    assert 'whoseonfirst_ticks_total{result="ok"} 2.0' in text
    assert 'whoseonfirst_texts_total{outcome="sent"} 2.0' in text
    assert 'whoseonfirst_texts_total{outcome="delivered"} 2.0' in text
    values = dict(line.rsplit(" ", 1) for line in text.splitlines() if not line.startswith("#"))
    assert float(values["whoseonfirst_last_tick_timestamp_seconds"]) == clock.now().timestamp()
    assert "whoseonfirst_pending_texts 0.0" in text
    assert "whoseonfirst_database_up 1.0" in text


def test_a_database_outage_turns_healthz_503_and_the_daemon_catches_up_after_it(
    pg_url: str, clock: FixedClock, fake: FakeTwilio, make_backend: Any
) -> None:
    """PostgreSQL behind a proxy the test cuts: no restart of anything in between."""
    setup = Database(pg_url)
    with setup.uow("test") as uow:
        create_demo_team(uow, clock.now(), utc(2026, 3, 2).date())
        uow.commit()
    fake.set_status_script(["delivered"])
    parsed = make_url(pg_url)
    with LoopbackProxy(parsed.host or "127.0.0.1", parsed.port or 5432) as proxy:
        url = parsed.set(port=proxy.port).render_as_string(hide_password=False)
        db = Database(url, engine=make_engine(url, connect_args={"connect_timeout": 5}))
        daemon = Daemon(
            Engine(db, make_backend(), clock, instance_id="outage"),
            clock=clock,
            http_bind=("127.0.0.1", 0),
        )
        daemon.start_http()
        try:
            assert daemon.run_tick() is not None  # Mon 07:00
            assert healthz(daemon)[0] == 200

            proxy.cut()
            status, body = healthz(daemon)
            assert status == 503 and body["checks"]["database"]["ok"] is False
            assert "OperationalError" in body["checks"]["database"]["error"]
            clock.set(utc(2026, 3, 2, 14, 0, 30))  # the 08:00 texts fall due during the outage
            assert daemon.run_tick() is None  # logged, not raised: the loop goes on
            assert daemon.run_tick() is None
            status, body = healthz(daemon)
            assert status == 503 and body["checks"]["last_error"].startswith("database unreachable")
            assert fake.create_requests == []

            proxy.restore()
            clock.set(utc(2026, 3, 2, 14, 2))
            summary = daemon.run_tick()
            assert summary is not None and summary.sent == 2  # caught up: Ann + the summary
            assert healthz(daemon)[0] == 200
            assert sorted(sent_to(fake)) == ["+13125550101", "+13125550199"]
            metrics = daemon.metrics.render().decode()
            assert 'whoseonfirst_ticks_total{result="error"} 2.0' in metrics
        finally:
            daemon.shutdown()
            db.dispose()
    assert {r.status for r in notifications(setup)} == {"delivered"}
    setup.dispose()


def test_the_scheduler_ticks_every_30_s_and_at_the_exact_next_due_instant(
    db: Database, make_engine: MakeEngine, clock: FixedClock
) -> None:
    # Real time here: APScheduler plans on the wall clock.
    now = datetime.now(UTC).replace(microsecond=0)
    clock.set(now)
    with db.uow("test") as uow:  # a team whose next shift starts in the future
        create_demo_team(uow, now, (now + timedelta(days=2)).date())
        uow.commit()
    daemon = Daemon(make_engine(), clock=clock)
    daemon.start_scheduler(tick_now=False)
    try:
        assert daemon.scheduler is not None
        interval = daemon.scheduler.get_job("tick-interval")
        assert interval.trigger.interval == timedelta(seconds=30)
        assert (interval.coalesce, interval.max_instances) == (True, 1)
        assert interval.misfire_grace_time == INTERVAL_MISFIRE_GRACE
        summary = daemon.run_tick()
        assert summary is not None and summary.next_due_at is not None
        due = daemon.scheduler.get_job("tick-due")
        assert due.next_run_time == summary.next_due_at
        assert (due.coalesce, due.max_instances, due.misfire_grace_time) == (
            True,
            1,
            DUE_MISFIRE_GRACE,
        )
    finally:
        daemon.shutdown()
    assert daemon.scheduler is not None and not daemon.scheduler.running


def test_a_tick_that_outlasts_a_due_instant_ticks_again_at_once(
    team: Database, make_backend: Any, fake: FakeTwilio
) -> None:
    """08:00 comes due while the 07:59:59.9 tick runs: the texts go out from a second tick
    straight away, not from the next 30 s interval tick (a cover shorter than that would be
    missed)."""
    clock = SteppingClock(
        utc(2026, 3, 2, 13, 59, 59) + timedelta(milliseconds=900), timedelta(milliseconds=20)
    )
    backend = make_backend()
    daemon = Daemon(Engine(team, backend, clock, instance_id="slow"), clock=clock)

    summary = daemon.run_tick()

    assert summary is not None and summary.next_due_at is not None
    assert summary.next_due_at > utc(2026, 3, 2, 14)  # the second tick handled 08:00
    assert sorted(set(sent_to(fake))) == ["+13125550101", "+13125550199"]  # Ann, the summary
    assert {r.status for r in notifications(team)} <= {"sent", "delivered"}


def test_catching_up_stops_after_a_few_ticks(team: Database, clock: FixedClock) -> None:
    """Instants that keep coming due during every tick (a clock far ahead of the schedule's
    pace) do not keep one job ticking forever: the rest waits for the next wake-up."""
    engine = Engine(team, DryRunBackend(), clock, instance_id="busy")
    ticks: list[datetime] = []
    real_tick = engine.tick

    def slow_tick() -> Any:
        summary = real_tick()
        ticks.append(summary.started_at)
        clock.advance(timedelta(days=1))  # each tick "takes" a day: the next shift came due
        return summary

    engine.tick = slow_tick  # type: ignore[method-assign]
    Daemon(engine, clock=clock).run_tick()
    assert len(ticks) == CATCH_UP_TICKS


def test_sd_notify_ready_watchdog_and_stopping(
    team: Database, clock: FixedClock, notify_socket: tuple[socket.socket, str]
) -> None:
    sock, path = notify_socket
    notifier = SystemdNotifier(path, watchdog=timedelta(milliseconds=200))
    daemon = Daemon(
        Engine(team, DryRunBackend(), clock),
        clock=clock,
        notifier=notifier,
        http_bind=("127.0.0.1", 0),
    )
    result: list[int] = []
    thread = threading.Thread(target=lambda: result.append(daemon.run(install_signals=False)))
    thread.start()
    try:
        ready = sock.recv(1024).decode()
        assert ready.startswith("READY=1\nSTATUS=serving /healthz on http://127.0.0.1:")
        assert sock.recv(1024) == b"WATCHDOG=1"
    finally:
        daemon.request_stop()
        thread.join(timeout=30)
    messages = []
    while True:
        message = sock.recv(1024)
        messages.append(message)
        if message == b"STOPPING=1":
            break
    assert result == [0]
    assert daemon.scheduler is not None and not daemon.scheduler.running


def test_sd_notify_from_the_environment() -> None:
    notifier = SystemdNotifier.from_env({"NOTIFY_SOCKET": "@wof-test", "WATCHDOG_USEC": "90000000"})
    assert notifier.address == "@wof-test" and notifier.watchdog == timedelta(seconds=90)
    assert SystemdNotifier.from_env({"WATCHDOG_USEC": "1", "WATCHDOG_PID": "1"}).watchdog is None
    assert SystemdNotifier.from_env({}).notify("READY=1") is False  # not under systemd: no-op


def test_sd_notify_abstract_socket() -> None:
    name = f"wof-test-{id(object())}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind("\0" + name)
        sock.settimeout(5)
        assert SystemdNotifier("@" + name).notify("READY=1")
        assert sock.recv(64) == b"READY=1"
