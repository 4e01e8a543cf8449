"""SPEC §4 point 8: phone numbers are masked in logs and secrets appear nowhere.

The busiest scenario (sends, a permanent error whose Twilio message quotes the number, an
ambiguous send reconciled by listing, a failure alert, the weekly summary through the dry-run
backend, a database error) is run with every logger at DEBUG; then (1) the service's own log
messages are checked raw, and (2) everything, third-party libraries included, is checked as
written by the service's log handler.
"""

from __future__ import annotations

import base64
import io
import json
import logging
import re
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from sqlalchemy import update
from whoseonfirst_service.daemon import Daemon
from whoseonfirst_service.logging_setup import SafeFormatter, setup_logging
from whoseonfirst_service.twilio_sms import DryRunBackend, TwilioBackend

from tests.fakes.fake_twilio import FakeTwilio, Reply
from tests.service.conftest import MakeEngine, utc
from whoseonfirst_core.clock import FixedClock
from whoseonfirst_core.db.models import Member
from whoseonfirst_core.db.session import Database
from whoseonfirst_core.usecases.notifications import queue_text

# Every number in these tests starts +1312555; a masked one ends in XXXX.
UNMASKED = re.compile(r"1312555\d{4}")


@pytest.fixture
def log_output() -> Iterator[io.StringIO]:
    """What the service's own handler writes (JSON), with every logger at DEBUG."""
    stream = io.StringIO()
    handler = setup_logging(
        "json", secrets=["fake-auth-token-0123456789abcdef"], stream=stream, level=logging.DEBUG
    )
    for name in ("urllib3", "twilio", "apscheduler"):
        logging.getLogger(name).setLevel(logging.DEBUG)  # louder than production, on purpose
    yield stream
    logging.getLogger().removeHandler(handler)
    logging.getLogger().setLevel(logging.WARNING)


def test_no_unmasked_phone_or_secret_in_any_log_line(
    team: Database,
    make_engine: MakeEngine,
    make_backend: Callable[..., TwilioBackend],
    clock: FixedClock,
    fake: FakeTwilio,
    log_output: io.StringIO,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    engine = make_engine(sms=make_backend(timeout=1.0))
    engine.tick()
    with team.uow("admin") as uow:
        queue_text(uow, clock.now(), to="+13125550166", body="call +13125550155 now")
        uow.commit()
    # Ann's number is invalid (the error text quotes it), the summary's reply is lost.
    fake.script_create([Reply.error(400, 21211), Reply.slow(30, create=True)])
    clock.set(utc(2026, 3, 2, 14, 0, 30))
    engine.tick()
    clock.advance(timedelta(minutes=11))
    engine.tick()  # reconciles the lost reply by listing messages To=+1312555…
    dry = make_engine(sms=DryRunBackend())  # logs the weekly summary body, full of numbers
    clock.set(utc(2026, 3, 9, 14, 0, 30))
    dry.tick()
    with team.uow("admin") as uow:  # a database error whose SQL parameters hold a number
        uow.session.execute(update(Member).values(phone="+13125550144"))
        uow.commit()
    broken = Daemon(make_engine(), clock=clock)
    original = broken.engine.tick

    def failing_tick() -> object:
        with team.uow("x") as uow:
            # NOT NULL violated: the traceback quotes the SQL parameters, a number among them
            uow.session.execute(update(Member).values(position=None, phone="+13125550133"))
            uow.flush()
        return original()

    broken.engine.tick = failing_tick
    assert broken.run_tick() is None

    ours = [r for r in caplog.records if r.name.startswith("whoseonfirst")]
    assert any("+1312555XXXX" in r.getMessage() for r in ours), "the scenario logged numbers"
    for record in ours:
        assert not UNMASKED.search(record.getMessage()), record.getMessage()

    written = log_output.getvalue()
    lines = written.splitlines()
    assert len(lines) > 20 and all(json.loads(line) for line in lines)
    assert "%2B1312555XXXX" in written or "To=1312555XXXX" in written or "urllib3" not in written
    assert not UNMASKED.search(written), [line for line in lines if UNMASKED.search(line)][:3]
    tracebacks = [json.loads(line)["exc"] for line in lines if '"exc"' in line]
    assert any("+1312555XXXX" in tb for tb in tracebacks), "the bug's traceback was logged"
    secret = fake.auth_token
    basic = base64.b64encode(f"{fake.account_sid}:{secret}".encode()).decode()
    assert secret not in written and basic not in written
    assert secret not in caplog.text


def test_the_formatter_masks_messages_extras_and_tracebacks_and_redacts_secrets() -> None:
    formatter = SafeFormatter("json", secrets=["hunter2-secret"])
    try:
        raise ValueError("INSERT … ('+13125550101', 'hunter2-secret')")
    except ValueError:
        import sys

        exc_info = sys.exc_info()
    record = logging.LogRecord(
        "lib",
        logging.ERROR,
        __file__,
        1,
        "texting %s (token %s)",
        ("+13125550101", "hunter2-secret"),
        exc_info,
    )
    record.key = "shift_start:2026-03-02T14:00:00+00:00:m1:+13125550101:2026-03-02"
    record.count = 3
    line = formatter.format(record)
    payload = json.loads(line)
    assert payload["msg"] == "texting +1312555XXXX (token [REDACTED])"
    assert payload["key"].endswith(":m1:+1312555XXXX:2026-03-02")
    assert payload["count"] == 3
    assert "'+1312555XXXX', '[REDACTED]'" in payload["exc"]
    assert "hunter2" not in line and not UNMASKED.search(line)

    text = SafeFormatter("text", secrets=["hunter2-secret"]).format(record)
    assert "texting +1312555XXXX (token [REDACTED])" in text and not UNMASKED.search(text)
