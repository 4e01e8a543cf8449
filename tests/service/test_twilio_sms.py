"""The SMS adapter against the fake Twilio server, through the real twilio SDK."""

from __future__ import annotations

import contextlib
import json
import logging
import pickle
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from whoseonfirst_service.twilio_sms import (
    DryRunBackend,
    MessageStatus,
    SendResult,
    SmsBackend,
    SmsError,
    TwilioBackend,
)

from tests.fakes.fake_twilio import FakeTwilio, Reply
from tests.service.backends import MakeBackend, backend_factory
from whoseonfirst_core.domain.masking import mask_phone

TO = "+13125550101"
TO_MASKED = "+1312555XXXX"
FROM = "+13125550000"
BODY = "WhoseOnFirst: Hi Ann, you are on call from Tue 08:00 CST until Thu 08:00 CST (48h)."


@pytest.fixture
def fake() -> Iterator[FakeTwilio]:
    threads_before = set(threading.enumerate())
    with FakeTwilio() as server:
        yield server
    leaked = [thread for thread in threading.enumerate() if thread not in threads_before]
    assert not leaked, f"the fake left threads running: {leaked}"


@pytest.fixture
def make_backend(fake: FakeTwilio) -> Iterator[MakeBackend]:
    with backend_factory(fake, FROM, timeout=2.0, deadline=10.0) as make:
        yield make


@pytest.fixture
def backend(make_backend: MakeBackend) -> TwilioBackend:
    return make_backend()


def _send_expecting_error(backend: TwilioBackend) -> SmsError:
    with pytest.raises(SmsError) as caught:
        backend.send(TO, BODY, validity_seconds=600)
    return caught.value


def _assert_safe(error: SmsError, secret: str) -> None:
    for text in (str(error), repr(error), error.reason):
        assert TO not in text
        assert secret not in text


# -- sending ---------------------------------------------------------------------------------


def test_send_creates_one_message_and_returns_its_sid(
    fake: FakeTwilio, backend: TwilioBackend
) -> None:
    result = backend.send(TO, BODY, validity_seconds=None)

    [message] = fake.created
    assert result == SendResult(sid=message.sid, status="queued")
    [request] = fake.requests
    assert request.authorized
    assert request.form == {"To": TO, "From": FROM, "Body": BODY}


def test_send_through_a_messaging_service(fake: FakeTwilio, make_backend: MakeBackend) -> None:
    backend = make_backend(messaging_service_sid="MG" + "1" * 32)

    result = backend.send(TO, BODY, validity_seconds=None)

    assert result.status == "accepted"
    [request] = fake.create_requests
    assert request.form["MessagingServiceSid"] == "MG" + "1" * 32
    assert "From" not in request.form


def test_an_api_url_with_a_trailing_slash_reaches_the_same_paths(
    fake: FakeTwilio, make_backend: MakeBackend
) -> None:
    backend = make_backend(api_url=fake.base_url + "/")

    backend.send(TO, BODY, validity_seconds=None)

    [request] = fake.requests
    assert request.path == f"/2010-04-01/Accounts/{fake.account_sid}/Messages.json"


@pytest.mark.parametrize(
    ("validity_seconds", "sent"),
    [(900, "900"), (0, "1"), (36_000, "36000"), (7 * 24 * 3600, "36000")],
)
def test_validity_is_sent_as_validity_period_within_twilios_range(
    fake: FakeTwilio, backend: TwilioBackend, validity_seconds: int, sent: str
) -> None:
    backend.send(TO, BODY, validity_seconds=validity_seconds)

    [request] = fake.create_requests
    assert request.form["ValidityPeriod"] == sent
    assert fake.created[0].validity_period == int(sent)


@pytest.mark.parametrize(
    ("status", "code", "words"),
    [
        (400, 21211, "invalid"),
        (400, 21610, "STOP"),
        (400, 21614, "not a mobile number"),
        (400, 21408, "country"),
        (401, 20003, "auth token"),
        (404, 20404, "no such"),
    ],
)
def test_permanent_twilio_errors_fail_at_once_with_a_plain_reason(
    fake: FakeTwilio, backend: TwilioBackend, status: int, code: int, words: str
) -> None:
    fake.script_create([Reply.error(status, code)])

    error = _send_expecting_error(backend)

    assert (error.kind, error.code, error.retry_after) == ("permanent", code, None)
    assert words in error.reason
    assert error.reason.endswith(f"({code})")
    assert len(fake.requests) == 1
    assert fake.created == []
    _assert_safe(error, fake.auth_token)


def test_an_unknown_4xx_is_permanent_and_quotes_twilio_with_the_number_masked(
    fake: FakeTwilio, backend: TwilioBackend
) -> None:
    fake.script_create([Reply.error(400, 21999, message="The number {to} is not allowed.")])

    error = _send_expecting_error(backend)

    assert (error.kind, error.code) == ("permanent", 21999)
    assert "HTTP 400" in error.reason
    assert f"The number {TO_MASKED} is not allowed." in error.reason
    _assert_safe(error, fake.auth_token)


def test_rate_limiting_is_transient_and_carries_retry_after(
    fake: FakeTwilio, backend: TwilioBackend
) -> None:
    fake.script_create([Reply.rate_limited(retry_after=30)])

    error = _send_expecting_error(backend)

    assert (error.kind, error.code, error.retry_after) == ("transient", 20429, 30.0)
    assert len(fake.requests) == 1


def test_a_bare_429_is_transient_with_the_http_status_as_code(
    fake: FakeTwilio, backend: TwilioBackend
) -> None:
    fake.script_create([Reply.rate_limited(retry_after=5, code=None)])

    error = _send_expecting_error(backend)

    assert (error.kind, error.code, error.retry_after) == ("transient", 429, 5.0)


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_are_transient(fake: FakeTwilio, backend: TwilioBackend, status: int) -> None:
    fake.script_create([Reply.error(status)])

    error = _send_expecting_error(backend)

    assert (error.kind, error.code) == ("transient", status)
    assert len(fake.requests) == 1


def test_rfc_9457_problem_details_are_classified_by_their_code(
    fake: FakeTwilio, backend: TwilioBackend
) -> None:
    problem = {
        "type": "https://www.twilio.com/docs/errors/21610",
        "title": "Attempt to send to unsubscribed recipient",
        "status": 400,
        "code": 21610,
        "detail": f"The number {TO} has replied STOP.",
    }
    unknown = {**problem, "code": 21999, "detail": f"The number {TO} is not allowed here."}
    fake.script_create([Reply.raw(400, json.dumps(problem)), Reply.raw(400, json.dumps(unknown))])

    stop, other = _send_expecting_error(backend), _send_expecting_error(backend)

    assert (stop.kind, stop.code) == ("permanent", 21610)
    assert "replied STOP" in stop.reason
    assert (other.kind, other.code) == ("permanent", 21999)
    assert f"The number {TO_MASKED} is not allowed here." in other.reason
    _assert_safe(other, fake.auth_token)


def test_a_5xx_page_that_is_not_json_is_transient(fake: FakeTwilio, backend: TwilioBackend) -> None:
    fake.script_create([Reply.raw(502, "<html><body>Bad Gateway</body></html>")])

    error = _send_expecting_error(backend)

    assert (error.kind, error.code) == ("transient", 502)


@pytest.mark.parametrize(
    "body",
    ["<html>OK</html>", "[]", json.dumps({"status": "queued"}), json.dumps({"sid": "SM1"})],
    ids=["not-json", "not-an-object", "no-sid", "no-status"],
)
def test_an_accepted_reply_without_a_message_is_ambiguous(
    fake: FakeTwilio, backend: TwilioBackend, body: str
) -> None:
    fake.script_create([Reply.raw(201, body)])

    error = _send_expecting_error(backend)

    # Twilio said yes but not what it created: the engine must look before it sends again.
    assert error.kind == "ambiguous"
    assert len(fake.create_requests) == 1


def test_requests_carry_the_sdk_headers_and_the_account_credentials(
    fake: FakeTwilio, backend: TwilioBackend
) -> None:
    backend.send(TO, BODY, validity_seconds=60)

    request = fake.create_requests[0]
    assert request.authorized
    assert request.path == f"/2010-04-01/Accounts/{fake.account_sid}/Messages.json"
    assert request.form == {"To": TO, "From": FROM, "Body": BODY, "ValidityPeriod": "60"}


def test_the_adapter_does_not_load_the_sdks_generated_resources(fake: FakeTwilio) -> None:
    """The service stays small: sending, fetching, listing and the account check use the SDK's
    client and HTTP layer, never its ~95 generated REST resource modules (about 7 MB)."""
    script = f"""
import sys
from datetime import UTC, datetime
from whoseonfirst_service.twilio_sms import TwilioBackend
backend = TwilioBackend({fake.account_sid!r}, {fake.auth_token!r}, from_number={FROM!r},
                        api_url={fake.base_url!r})
sid = backend.send({TO!r}, "hello", validity_seconds=60).sid
backend.fetch_status(sid)
backend.find_recent({TO!r}, "hello", datetime.now(UTC))
backend.check()
print(sorted(name for name in sys.modules if name.startswith("twilio.rest.")))
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )

    assert done.stdout.strip() == "[]", done.stdout
    assert len(fake.created) == 1


def test_the_script_is_consumed_in_order_then_sends_succeed(
    fake: FakeTwilio, backend: TwilioBackend
) -> None:
    fake.script_create([Reply.error(503), Reply.rate_limited(retry_after=1)])

    kinds = [_send_expecting_error(backend).code, _send_expecting_error(backend).code]
    result = backend.send(TO, BODY, validity_seconds=60)

    assert kinds == [503, 20429]
    assert [message.sid for message in fake.created] == [result.sid]
    assert len(fake.create_requests) == 3


def test_connection_refused_is_transient(make_backend: MakeBackend) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    backend = make_backend(api_url=f"http://127.0.0.1:{closed_port}")

    error = _send_expecting_error(backend)

    assert (error.kind, error.code) == ("transient", None)
    assert "connection refused" in error.reason


def test_no_answer_after_sending_is_ambiguous(fake: FakeTwilio, make_backend: MakeBackend) -> None:
    backend = make_backend(timeout=0.3)
    fake.script_create([Reply.slow(1.0, create=True)])

    error = _send_expecting_error(backend)

    assert (error.kind, error.code) == ("ambiguous", None)
    assert "may have been created" in error.reason
    assert len(fake.create_requests) == 1


@pytest.mark.parametrize("created", [True, False])
def test_a_dropped_connection_is_ambiguous(
    fake: FakeTwilio, backend: TwilioBackend, created: bool
) -> None:
    fake.script_create([Reply.drop(create=created)])

    error = _send_expecting_error(backend)

    assert error.kind == "ambiguous"
    assert len(fake.created) == (1 if created else 0)
    assert len(fake.create_requests) == 1


# -- reconciliation --------------------------------------------------------------------------


def test_find_recent_finds_a_message_created_by_a_timed_out_send(
    fake: FakeTwilio, make_backend: MakeBackend
) -> None:
    backend = make_backend(timeout=0.3)
    attempt_started = datetime.now(UTC)
    fake.script_create([Reply.slow(1.0, create=True)])
    assert _send_expecting_error(backend).kind == "ambiguous"

    found = backend.find_recent(TO, BODY, attempt_started)

    [message] = fake.created
    assert found == SendResult(sid=message.sid, status="queued")
    # Still queued, so it has no send date: a DateSent filter would never find it.
    [listing] = [r for r in fake.requests if r.method == "GET"]
    assert listing.query["To"] == TO and "From" not in listing.query
    assert not any(key.startswith("DateSent") for key in listing.query)


def test_find_recent_finds_a_sent_message_with_one_list_request(
    fake: FakeTwilio, backend: TwilioBackend
) -> None:
    since = datetime.now(UTC)
    sent = backend.send(TO, BODY, validity_seconds=None)
    fake.advance_status(sent.sid, "sent")

    found = backend.find_recent(TO, BODY, since)

    assert found == SendResult(sid=sent.sid, status="sent")
    assert len([r for r in fake.requests if r.method == "GET"]) == 1


def test_find_recent_ignores_other_bodies_other_numbers_and_older_messages(
    fake: FakeTwilio, backend: TwilioBackend
) -> None:
    backend.send(TO, BODY, validity_seconds=None)
    backend.send("+13125550102", "other body", validity_seconds=None)
    now = datetime.now(UTC)

    assert backend.find_recent(TO, "other body", now) is None
    assert backend.find_recent("+13125550102", BODY, now) is None
    assert backend.find_recent(TO, BODY, now + timedelta(minutes=10)) is None
    assert backend.find_recent(TO, BODY, now) is not None


def test_find_recent_needs_an_aware_instant(backend: TwilioBackend) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        backend.find_recent(TO, BODY, datetime(2026, 3, 2, 8, 0))  # naive on purpose


# -- status polling --------------------------------------------------------------------------


def test_fetch_status_reflects_a_delivery_failure(fake: FakeTwilio, backend: TwilioBackend) -> None:
    sent = backend.send(TO, BODY, validity_seconds=None)
    fake.advance_status(sent.sid, "undelivered", error_code=30003, error_message="Unreachable")

    assert backend.fetch_status(sent.sid) == MessageStatus(
        sid=sent.sid, status="undelivered", error_code=30003, error_message="Unreachable"
    )


def test_fetch_status_steps_through_the_status_script(
    fake: FakeTwilio, backend: TwilioBackend
) -> None:
    fake.set_status_script(["sent", "delivered"])
    sent = backend.send(TO, BODY, validity_seconds=None)

    statuses = [backend.fetch_status(sent.sid).status for _ in range(3)]

    assert statuses == ["sent", "delivered", "delivered"]
    assert fake.message(sent.sid).date_sent is not None


def test_fetch_status_of_an_unknown_message_is_permanent(backend: TwilioBackend) -> None:
    with pytest.raises(SmsError) as caught:
        backend.fetch_status("SM" + "f" * 32)

    assert (caught.value.kind, caught.value.code) == ("permanent", 20404)


# -- check -----------------------------------------------------------------------------------


def test_check_fetches_the_account(fake: FakeTwilio, backend: TwilioBackend) -> None:
    summary = backend.check()

    assert "'WhoseOnFirst test account' is active" in summary
    [request] = fake.requests
    assert (request.method, request.path) == (
        "GET",
        f"/2010-04-01/Accounts/{fake.account_sid}.json",
    )


def test_check_with_a_wrong_token_is_a_permanent_20003(
    fake: FakeTwilio, make_backend: MakeBackend
) -> None:
    wrong_token = "wrong-token-abcdef0123456789"
    backend = make_backend(auth_token=wrong_token)

    with pytest.raises(SmsError) as caught:
        backend.check()

    assert (caught.value.kind, caught.value.code) == ("permanent", 20003)
    assert "TWILIO_AUTH_TOKEN" in caught.value.reason
    _assert_safe(caught.value, wrong_token)
    assert not fake.requests[0].authorized


def test_check_reports_a_suspended_account(fake: FakeTwilio, backend: TwilioBackend) -> None:
    fake.account_status = "suspended"

    with pytest.raises(SmsError, match="suspended") as caught:
        backend.check()

    assert caught.value.kind == "permanent"


# -- construction ----------------------------------------------------------------------------


def test_is_real_twilio_only_without_an_api_url(fake: FakeTwilio, backend: TwilioBackend) -> None:
    real = TwilioBackend(fake.account_sid, fake.auth_token, from_number=FROM)
    try:
        assert real.is_real_twilio
        assert not backend.is_real_twilio
        assert not DryRunBackend().is_real_twilio
    finally:
        real.close()


def test_every_backend_closes_through_the_protocol(fake: FakeTwilio) -> None:
    """``close()`` is part of :class:`SmsBackend`: callers close any backend with
    ``contextlib.closing`` instead of asking whether it has the method."""
    backends: list[SmsBackend] = [
        DryRunBackend(),
        TwilioBackend(fake.account_sid, fake.auth_token, from_number=FROM, api_url=fake.base_url),
    ]
    for made in backends:
        with contextlib.closing(made) as sms:
            assert sms.send(TO, BODY, validity_seconds=60).sid
    assert len(fake.created) == 1  # the dry run sent nothing


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"from_number": FROM, "messaging_service_sid": "MG" + "1" * 32},
        {"from_number": FROM, "api_url": "127.0.0.1:8123"},
        {"from_number": FROM, "timeout": 0},
    ],
)
def test_bad_configuration_is_refused(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        TwilioBackend("AC" + "0" * 32, "token", **kwargs)


# -- secrets and numbers stay out of logs ----------------------------------------------------


def test_the_twilio_backend_logs_no_full_number_or_token(
    fake: FakeTwilio, backend: TwilioBackend, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    sent = backend.send(TO, BODY, validity_seconds=60)
    backend.fetch_status(sent.sid)
    backend.find_recent(TO, BODY, datetime.now(UTC) - timedelta(minutes=1))

    # urllib3 logs request URLs (with To=) at DEBUG; the service's logging setup keeps urllib3
    # at WARNING. Everything from our code and the SDK must be clean at any level.
    ours = [r.getMessage() for r in caplog.records if not r.name.startswith("urllib3")]
    assert any("+1312555XXXX" in line for line in ours)
    for line in ours:
        assert TO not in line
        assert "%2B13125550101" not in line
        assert fake.auth_token not in line


def test_dry_run_logs_the_text_with_numbers_masked(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="whoseonfirst_service.sms")
    backend = DryRunBackend()

    result = backend.send(TO, f"Mon 3/2: Ann {TO}", validity_seconds=3600)

    assert result.status == "simulated"
    assert result.sid.startswith("DRY")
    assert TO not in caplog.text
    assert caplog.text.count(TO_MASKED) == 2
    assert "3600 s" in caplog.text


def test_dry_run_reports_simulated_and_never_finds_anything() -> None:
    backend = DryRunBackend()

    assert backend.fetch_status("DRYabc") == MessageStatus("DRYabc", "simulated", None, None)
    assert backend.find_recent(TO, BODY, datetime.now(UTC)) is None
    assert backend.check() == "dry-run backend: no texts leave this machine"
    assert backend.name == "dry-run"


def test_sms_error_survives_pickling() -> None:
    error = SmsError("transient", "Twilio is rate-limiting requests (20429)", 20429, 30.0)

    copy = pickle.loads(pickle.dumps(error))

    assert (copy.kind, copy.reason, copy.code, copy.retry_after) == (
        "transient",
        "Twilio is rate-limiting requests (20429)",
        20429,
        30.0,
    )


# -- masking ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("+13125550101", "+1312555XXXX"),
        ("+447700900123", "+44770090XXXX"),
        ("(312) 555-0101", "(312) 555-XXXX"),
        ("+1312", "+XXXX"),
        ("555-0101", "XXX-XXXX"),
        ("12345", "XXXXX"),
        ("+1234567890123456789", "+XXXXXXXXXXXXXXXXXXX"),
        ("whatsapp:+13125550101", "whatsapp:+XXXXXXXXXXX"),
        ("", ""),
        ("not a number", "not a number"),
    ],
)
def test_mask_phone(phone: str, masked: str) -> None:
    assert mask_phone(phone) == masked


# -- a reply that trickles in ----------------------------------------------------------------


def test_a_trickling_reply_is_cut_at_the_deadline_and_is_ambiguous(
    fake: FakeTwilio, make_backend: MakeBackend
) -> None:
    """Each header line comes well within the read timeout; the whole answer would take 60 s."""
    backend = make_backend(deadline=1.0)
    fake.script_create([Reply.trickle(every=0.2, lasting=60, create=True)])
    started = time.monotonic()

    error = _send_expecting_error(backend)

    assert time.monotonic() - started < 3  # the deadline, not the 60 s trickle
    assert error.kind == "ambiguous"
    assert "after 1 s" in error.reason and "may have been created" in error.reason
    assert len(fake.create_requests) == 1 and len(fake.created) == 1
    # The connection was dropped: the next request gets a fresh one and its own answer.
    assert backend.send(TO, BODY, validity_seconds=None).sid == fake.created[1].sid


def test_a_trickling_reply_that_finishes_within_the_deadline_is_a_normal_answer(
    fake: FakeTwilio, make_backend: MakeBackend
) -> None:
    backend = make_backend(deadline=5.0)
    fake.script_create([Reply.trickle(every=0.05, lasting=0.3, create=True)])

    result = backend.send(TO, BODY, validity_seconds=None)

    assert result.sid == fake.created[0].sid


def test_the_deadline_must_be_positive(fake: FakeTwilio) -> None:
    with pytest.raises(ValueError, match="deadline must be more than 0 seconds, not 0"):
        TwilioBackend(fake.account_sid, fake.auth_token, from_number=FROM, deadline=0)
