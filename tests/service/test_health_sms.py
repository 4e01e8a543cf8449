"""``/healthz``, ``/metrics``, ``check`` and the heartbeat cover the SMS side: credentials
refused, the last sends all failing for good, or nothing sent while texts are overdue turn
health 503 from the first tick that sees it, and it recovers once texts go out again."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from whoseonfirst_service.cli import main
from whoseonfirst_service.daemon import Daemon
from whoseonfirst_service.twilio_sms import TwilioBackend

from tests.fakes.fake_twilio import FakeTwilio, Reply
from tests.service.conftest import FROM_NUMBER, MakeEngine, healthz, http_get, utc
from whoseonfirst_core.clock import FixedClock
from whoseonfirst_core.db.session import Database
from whoseonfirst_core.domain.notification import Kind
from whoseonfirst_core.domain.service_state import FAILED_IN_A_ROW, OVERDUE_AFTER
from whoseonfirst_core.usecases.heartbeat import heartbeats
from whoseonfirst_core.usecases.notifications import queue_text

MONDAY_0800_30 = utc(2026, 3, 2, 14, 0, 30)
AUTH = (
    "texts cannot be sent: Twilio refused the account SID and auth token "
    "(check TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN) (20003)"
)


def sms_up(daemon: Daemon) -> str:
    assert daemon.http is not None
    text = http_get(daemon.http.url + "/metrics")[1]
    [line] = [x for x in text.splitlines() if x.startswith("whoseonfirst_sms_up ")]
    return line.split()[1]


def stored_problem(db: Database) -> str | None:
    with db.reader() as uow:
        [beat] = heartbeats(uow)
    return beat.sms_problem


@pytest.fixture
def start_daemon(make_engine: MakeEngine, clock: FixedClock) -> Iterator[Any]:
    started: list[Daemon] = []

    def start(**engine_kwargs: Any) -> Daemon:
        d = Daemon(make_engine(**engine_kwargs), clock=clock, http_bind=("127.0.0.1", 0))
        d.start_http()
        started.append(d)
        return d

    yield start
    for d in started:
        d.shutdown()


def queue_test_texts(db: Database, clock: FixedClock, n: int) -> None:
    with db.uow("admin") as uow:
        for i in range(n):
            queue_text(uow, clock.now(), to=f"+1312555020{i}", body="test", kind=Kind.TEST)
        uow.commit()


def test_refused_credentials_turn_health_503_from_the_first_tick_and_recover(
    quiet: Database, start_daemon: Any, clock: FixedClock, fake: FakeTwilio
) -> None:
    wrong = TwilioBackend(
        fake.account_sid, "wrong-token", from_number=FROM_NUMBER, api_url=fake.base_url
    )
    try:
        daemon = start_daemon(sms=wrong)
        daemon.run_tick()  # 07:00: nothing sent yet, nothing known
        assert healthz(daemon)[0] == 200 and sms_up(daemon) == "1.0"
        clock.set(MONDAY_0800_30)
        summary = daemon.run_tick()  # Ann's text and the failure alert both get 20003
        assert summary is not None and summary.failed == 2
        status, body = healthz(daemon)
        assert status == 503 and body["status"] == "unhealthy"
        assert body["checks"]["sms"] == {"ok": False, "reason": AUTH}
        assert sms_up(daemon) == "0.0"
        assert stored_problem(quiet) == AUTH  # the app reads it from the heartbeat
        assert "wrong-token" not in json.dumps(body)
    finally:
        wrong.close()

    fixed = start_daemon()  # the operator fixed the token and restarted
    queue_test_texts(quiet, clock, 1)
    fixed.run_tick()
    status, body = healthz(fixed)
    assert status == 200 and body["checks"]["sms"] == {"ok": True, "reason": None}
    assert sms_up(fixed) == "1.0" and stored_problem(quiet) is None


def test_the_last_sends_all_failing_for_good_turn_health_503(
    quiet: Database, start_daemon: Any, clock: FixedClock, fake: FakeTwilio
) -> None:
    daemon = start_daemon()
    fake.script_create([Reply.error(400, 21211)] * FAILED_IN_A_ROW)
    queue_test_texts(quiet, clock, FAILED_IN_A_ROW - 1)
    daemon.run_tick()
    assert healthz(daemon)[0] == 200  # a few bad numbers are the numbers' problem
    queue_test_texts(quiet, clock, 1)
    daemon.run_tick()
    status, body = healthz(daemon)
    assert status == 503
    assert body["checks"]["sms"]["reason"] == (
        f"the last {FAILED_IN_A_ROW} texts all failed permanently "
        "(the newest: Twilio rejected the number as invalid (21211))"
    )
    queue_test_texts(quiet, clock, 1)  # the next one goes out: recovered
    daemon.run_tick()
    assert healthz(daemon)[0] == 200 and stored_problem(quiet) is None


def test_nothing_sent_while_texts_are_overdue_turns_health_503(
    quiet: Database, start_daemon: Any, clock: FixedClock, fake: FakeTwilio
) -> None:
    daemon = start_daemon()
    daemon.run_tick()
    clock.set(MONDAY_0800_30)
    fake.script_create([Reply.error(503)] * 5)  # Twilio down for the first five tries
    daemon.run_tick()
    assert healthz(daemon)[0] == 200  # a blip so far: retried with backoff
    while clock.now() < utc(2026, 3, 2, 14) + OVERDUE_AFTER - timedelta(seconds=30):
        clock.advance(timedelta(seconds=30))
        daemon.run_tick()
        assert healthz(daemon)[0] == 200
    clock.set(utc(2026, 3, 2, 14) + OVERDUE_AFTER)
    daemon.run_tick()
    status, body = healthz(daemon)
    assert status == 503
    assert body["checks"]["sms"]["reason"] == (
        "nothing was handed to Twilio while 1 text is overdue (the oldest by 5 min)"
    )
    for _ in range(40):  # Twilio is back: the next retry (backoff up to 10 min) gets through
        clock.advance(timedelta(seconds=30))
        daemon.run_tick()
        if healthz(daemon)[0] == 200:
            break
    assert healthz(daemon)[0] == 200 and stored_problem(quiet) is None


def test_check_shows_the_sms_problem_from_the_heartbeat(
    quiet: Database,
    db_url: str,
    start_daemon: Any,
    clock: FixedClock,
    fake: FakeTwilio,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("WHOSEONFIRST_DATABASE_URL", db_url)
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", fake.account_sid)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", fake.auth_token)
    monkeypatch.setenv("TWILIO_FROM_NUMBER", FROM_NUMBER)
    monkeypatch.setenv("WHOSEONFIRST_TWILIO_API_URL", fake.base_url)
    daemon = start_daemon()
    daemon.run_tick()

    def check() -> tuple[int, str]:
        out = io.StringIO()
        code = main(["check"], clock=clock, out=out, err=io.StringIO())
        return code, out.getvalue()

    code, out = check()
    assert code == 0 and "ok    sending: texts are going out" in out
    fake.script_create([Reply.error(400, 21211)] * FAILED_IN_A_ROW)
    queue_test_texts(quiet, clock, FAILED_IN_A_ROW)
    daemon.run_tick()
    code, out = check()
    assert code == 1
    assert (
        f"FAIL  sending: the last {FAILED_IN_A_ROW} texts all failed permanently" in out
        and "(seen by the service's last tick)" in out
    )
    clock.advance(timedelta(minutes=3))  # the service stopped: its last word is stale
    code, out = check()
    assert "      sending: unknown while the service is not ticking" in out
    assert "sending: the last" not in out


def test_the_log_says_once_when_texts_stop_and_once_when_they_go_out_again(
    quiet: Database,
    start_daemon: Any,
    clock: FixedClock,
    fake: FakeTwilio,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="whoseonfirst_service.engine")
    daemon = start_daemon()
    daemon.run_tick()
    clock.set(MONDAY_0800_30)
    fake.script_create([Reply.error(503)] * 5)
    for _ in range(40):
        daemon.run_tick()
        clock.advance(timedelta(seconds=30))
    events = [getattr(r, "event", None) for r in caplog.records]
    assert [e for e in events if e in ("sms_unhealthy", "sms_ok")] == ["sms_unhealthy", "sms_ok"]
