"""Reading the texts people send to the team: the SMS adapter's ``list_inbound`` against the fake
Twilio server, through the real twilio SDK (the service polls; it has no public URL)."""

from __future__ import annotations

import base64
import json
import logging
import threading
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from whoseonfirst_service import twilio_sms
from whoseonfirst_service.twilio_sms import DryRunBackend, InboundMessage, SmsError, TwilioBackend

from tests.fakes.fake_twilio import FakeTwilio, Reply
from tests.service.backends import MakeBackend, backend_factory

TEAM = "+13125550000"
ANN = "+13125550101"
BEN = "+13125550102"
SERVICE = "MG" + "1" * 32
DAY = datetime(2026, 3, 3, tzinfo=UTC)  # a Tuesday, midnight UTC


@pytest.fixture
def fake() -> Iterator[FakeTwilio]:
    threads_before = set(threading.enumerate())
    with FakeTwilio(phone_number=TEAM) as server:
        yield server
    leaked = [thread for thread in threading.enumerate() if thread not in threads_before]
    assert not leaked, f"the fake left threads running: {leaked}"


@pytest.fixture
def make_backend(fake: FakeTwilio) -> Iterator[MakeBackend]:
    with backend_factory(fake, TEAM, timeout=2.0) as make:
        yield make


@pytest.fixture
def backend(make_backend: MakeBackend) -> TwilioBackend:
    return make_backend()


def test_every_page_is_read_and_the_texts_come_oldest_first(
    fake: FakeTwilio, backend: TwilioBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(twilio_sms, "_INBOUND_PAGE_SIZE", 2)
    sent = [DAY + timedelta(hours=8, minutes=n) for n in range(5)]
    sids = [fake.receive(ANN, f"reply {n}", sent_at=at) for n, at in enumerate(sent)]

    texts = backend.list_inbound(DAY)

    assert texts == [
        InboundMessage(sid=sid, sender=ANN, to=TEAM, body=f"reply {n}", sent_at=at)
        for n, (sid, at) in enumerate(zip(sids, sent, strict=True))
    ]
    first, *later = fake.list_requests
    assert len(later) == 2  # three pages: 2 + 2 + 1
    assert first.query == {"To": TEAM, "DateSent>": "2026-03-03", "PageSize": "2"}
    assert all(request.query["PageToken"] for request in later)
    assert all(request.query["To"] == TEAM for request in later)


def test_an_idle_poll_is_one_list_request(fake: FakeTwilio, backend: TwilioBackend) -> None:
    assert backend.list_inbound(DAY) == []
    assert len(fake.list_requests) == 1


def test_a_since_in_the_middle_of_the_day_keeps_only_the_later_texts(
    fake: FakeTwilio, backend: TwilioBackend
) -> None:
    since = DAY + timedelta(hours=14, minutes=3, seconds=5)
    fake.receive(ANN, "before", sent_at=since - timedelta(seconds=1))
    at_since = fake.receive(ANN, "at the cursor", sent_at=since)
    later = fake.receive(BEN, "after", sent_at=since + timedelta(hours=1))

    texts = backend.list_inbound(since)

    # Twilio's DateSent filter only narrows to the day; the instant is compared here, inclusive.
    assert [text.sid for text in texts] == [at_since, later]
    [request] = fake.list_requests
    assert request.query["DateSent>"] == "2026-03-03"
    # Twilio dates to the second: a cursor later within that second still lists its text.
    assert backend.list_inbound(since + timedelta(milliseconds=700))[0].sid == at_since


def test_the_day_asked_for_is_the_utc_day_of_since(
    fake: FakeTwilio, backend: TwilioBackend
) -> None:
    # Monday 20:00 in Chicago is already Tuesday 02:00 UTC.
    since = datetime(2026, 3, 2, 20, 0, tzinfo=ZoneInfo("America/Chicago"))
    fake.receive(ANN, "Monday evening", sent_at=since - timedelta(minutes=5))
    late = fake.receive(ANN, "OK", sent_at=since + timedelta(minutes=5))

    texts = backend.list_inbound(since)

    assert [text.sid for text in texts] == [late]
    assert texts[0].sent_at.tzinfo is UTC
    assert fake.list_requests[0].query["DateSent>"] == "2026-03-03"


def test_a_text_from_the_day_before_is_not_listed(fake: FakeTwilio, backend: TwilioBackend) -> None:
    fake.receive(ANN, "yesterday", sent_at=DAY - timedelta(seconds=1))
    today = fake.receive(ANN, "today", sent_at=DAY + timedelta(minutes=30))

    assert [text.sid for text in backend.list_inbound(DAY + timedelta(minutes=1))] == [today]
    # Even with the cursor at the start of the day, the day before stays out.
    assert [text.sid for text in backend.list_inbound(DAY)] == [today]


def test_texts_we_sent_are_not_listed(fake: FakeTwilio, backend: TwilioBackend) -> None:
    since = datetime.now(UTC) - timedelta(minutes=1)
    to_ann = backend.send(ANN, "You are on call", validity_seconds=None)
    to_team = backend.send(TEAM, "a test text to our own number", validity_seconds=None)
    for sid in (to_ann.sid, to_team.sid):
        fake.advance_status(sid, "delivered")
    reply = fake.receive(ANN, "OK")

    assert [text.sid for text in backend.list_inbound(since)] == [reply]


def test_a_messaging_service_team_reads_what_its_service_received(
    fake: FakeTwilio, make_backend: MakeBackend
) -> None:
    backend = make_backend(messaging_service_sid=SERVICE)
    since = datetime.now(UTC) - timedelta(minutes=1)
    sent = backend.send(ANN, "You are on call", validity_seconds=None)
    fake.advance_status(sent.sid, "delivered")
    ours = fake.receive(ANN, "OK", to="+13125550001", messaging_service_sid=SERVICE)
    fake.receive(BEN, "another service's text", messaging_service_sid="MG" + "2" * 32)
    fake.receive(BEN, "to a number in no service")

    texts = backend.list_inbound(since)

    assert [(text.sid, text.to) for text in texts] == [(ours, "+13125550001")]
    [request] = fake.list_requests
    assert "To" not in request.query  # the service has several numbers: listed by day
    assert request.query["DateSent>"] == since.date().isoformat()


def test_a_failing_page_fails_the_whole_list_as_transient(
    fake: FakeTwilio, backend: TwilioBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(twilio_sms, "_INBOUND_PAGE_SIZE", 2)
    for n in range(5):
        fake.receive(ANN, f"reply {n}", sent_at=DAY + timedelta(minutes=n))
    fake.script_list([Reply(), Reply.error(503)])

    with pytest.raises(SmsError) as caught:
        backend.list_inbound(DAY)

    assert (caught.value.kind, caught.value.code) == ("transient", 503)
    assert len(fake.list_requests) == 2
    assert len(backend.list_inbound(DAY)) == 5  # the next poll reads them all


def test_rate_limiting_while_listing_is_transient_with_retry_after(
    fake: FakeTwilio, backend: TwilioBackend
) -> None:
    fake.script_list([Reply.rate_limited(retry_after=20)])

    with pytest.raises(SmsError) as caught:
        backend.list_inbound(DAY)

    assert (caught.value.kind, caught.value.retry_after) == ("transient", 20.0)


@pytest.mark.parametrize(
    "reply", [Reply.slow(1.0), Reply.drop(), Reply.raw(200, "<html>maintenance</html>")]
)
def test_no_answer_to_a_list_is_transient_not_ambiguous(
    fake: FakeTwilio, make_backend: MakeBackend, reply: Reply
) -> None:
    backend = make_backend(timeout=0.3)
    fake.receive(ANN, "OK", sent_at=DAY)
    fake.script_list([reply])

    with pytest.raises(SmsError) as caught:
        backend.list_inbound(DAY)

    # A list creates nothing: there is nothing to reconcile, only to ask again.
    assert caught.value.kind == "transient"
    assert "may have been created" not in caught.value.reason


def test_a_list_that_never_ends_is_refused(
    fake: FakeTwilio, backend: TwilioBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(twilio_sms, "_INBOUND_PAGE_SIZE", 1)
    monkeypatch.setattr(twilio_sms, "_INBOUND_MAX_PAGES", 2)
    for n in range(3):
        fake.receive(ANN, f"reply {n}", sent_at=DAY + timedelta(minutes=n))

    with pytest.raises(SmsError, match="more than 2 pages") as caught:
        backend.list_inbound(DAY)

    assert caught.value.kind == "transient"
    assert len(fake.list_requests) == 2


def test_list_inbound_needs_an_aware_instant(backend: TwilioBackend) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        backend.list_inbound(datetime(2026, 3, 3, 8, 0))  # naive on purpose


def test_listing_logs_no_full_number(
    fake: FakeTwilio, backend: TwilioBackend, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    fake.receive(ANN, f"call me on {BEN}", sent_at=DAY)

    backend.list_inbound(DAY)

    ours = [r.getMessage() for r in caplog.records if not r.name.startswith("urllib3")]
    for number in (TEAM, ANN, BEN, "%2B1312555"):
        assert not any(number in line for line in ours)


def test_the_dry_run_receives_nothing() -> None:
    assert DryRunBackend().list_inbound(DAY) == []


# -- the fake ----------------------------------------------------------------------------------


def test_the_fake_lists_a_received_text_as_twilio_does(fake: FakeTwilio) -> None:
    sid = fake.receive(ANN, "OK", sent_at=DAY + timedelta(hours=8, microseconds=250))
    request = urllib.request.Request(
        f"{fake.base_url}/2010-04-01/Accounts/{fake.account_sid}/Messages.json?To=%2B13125550000"
    )
    request.add_header("Authorization", _basic_auth(fake))

    with urllib.request.urlopen(request, timeout=5) as answer:
        [message] = json.load(answer)["messages"]

    assert sid.startswith("SM") and len(sid) == 34
    assert {key: message[key] for key in ("sid", "direction", "status", "from", "to", "body")} == {
        "sid": sid,
        "direction": "inbound",
        "status": "received",
        "from": ANN,
        "to": TEAM,
        "body": "OK",
    }
    assert message["date_sent"] == message["date_created"] == "Tue, 03 Mar 2026 08:00:00 +0000"
    assert [m.sid for m in fake.received] == [sid]
    assert fake.created == []  # created lists what the API created, not what people sent


def test_the_fake_needs_to_know_which_number_was_texted() -> None:
    with FakeTwilio() as fake, pytest.raises(ValueError, match="which number"):
        fake.receive(ANN, "OK")


def _basic_auth(fake: FakeTwilio) -> str:
    token = base64.b64encode(f"{fake.account_sid}:{fake.auth_token}".encode()).decode()
    return f"Basic {token}"
