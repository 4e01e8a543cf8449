"""Fixtures for the service tests: a demo team, the fake Twilio server, an engine factory.

The engine talks to :class:`FakeTwilio` through the real ``twilio`` SDK (``TwilioBackend`` with
``api_url``), and the fake stamps messages with the same :class:`FixedClock` the engine uses, so
reconciliation by listing sees consistent times. Time only moves when a test moves the clock.
"""

from __future__ import annotations

import json
import random
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, update
from whoseonfirst_service.daemon import Daemon
from whoseonfirst_service.delivery import EngineSettings
from whoseonfirst_service.engine import Engine
from whoseonfirst_service.twilio_sms import SmsBackend, TwilioBackend

from tests.conftest import WithDemoTeam
from tests.fakes.fake_twilio import FakeTwilio
from tests.service.backends import backend_factory
from whoseonfirst_core.clock import FixedClock
from whoseonfirst_core.db.models import Member, Notification, NotificationAttempt, TeamSettings
from whoseonfirst_core.db.session import Database

FROM_NUMBER = "+13125550100"
ANCHOR = date(2026, 3, 2)  # a Monday: the demo rotation starts with Ann on Monday 08:00 CST
LEAD_PHONE = "+13125550199"  # the demo team's escalation contact (summary + alerts)

MakeEngine = Callable[..., Engine]


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


@pytest.fixture
def team(db: Database, clock: FixedClock, with_demo_team: WithDemoTeam) -> Database:
    """The demo team (7 members, default pattern, one escalation contact) from Mon 2026-03-02."""
    with_demo_team(db, "test", clock.now(), ANCHOR)
    return db


@pytest.fixture
def quiet(team: Database) -> Database:
    """The demo team without the weekly summary."""
    with team.uow("admin") as uow:
        uow.session.execute(update(TeamSettings).values(weekly_summary_enabled=False))
        uow.commit()
    return team


@pytest.fixture
def fake(clock: FixedClock) -> Iterator[FakeTwilio]:
    before = set(threading.enumerate())
    with FakeTwilio(clock=clock.now) as server:
        server.set_status_script(["delivered"])  # the first status check finds it delivered
        yield server
    leaked = [t for t in threading.enumerate() if t not in before and t.is_alive()]
    assert not leaked, f"threads left running: {leaked}"


@pytest.fixture
def make_backend(fake: FakeTwilio, clock: FixedClock) -> Iterator[Callable[..., TwilioBackend]]:
    with backend_factory(fake, FROM_NUMBER, timeout=5.0, deadline=10.0, clock=clock) as make:
        yield make


@pytest.fixture
def backend(make_backend: Callable[..., TwilioBackend]) -> TwilioBackend:
    return make_backend()


@pytest.fixture
def make_engine(db: Database, clock: FixedClock, backend: TwilioBackend) -> MakeEngine:
    """``make_engine(**overrides)``: an engine on the test database, clock and fake Twilio."""

    def make(**kwargs: Any) -> Engine:
        kwargs.setdefault("rng", random.Random(1234))
        kwargs.setdefault("instance_id", "test-instance")
        kwargs.setdefault("settings", EngineSettings())
        sms: SmsBackend = kwargs.pop("sms", backend)
        return Engine(db, sms, clock, **kwargs)

    return make


@pytest.fixture
def engine(team: Database, make_engine: MakeEngine) -> Engine:
    return make_engine()


# --- helpers --------------------------------------------------------------------------------


def notifications(db: Database, kind: str | None = None) -> list[Notification]:
    """All outbox rows (detached snapshots), oldest first, optionally of one kind."""
    with db.reader() as uow:
        stmt = select(Notification).order_by(Notification.id)
        if kind:
            stmt = stmt.where(Notification.kind == kind)
        rows = list(uow.session.scalars(stmt))
        uow.session.expunge_all()
    return rows


def attempts(db: Database, notification_id: int) -> list[NotificationAttempt]:
    with db.reader() as uow:
        rows = list(
            uow.session.scalars(
                select(NotificationAttempt)
                .where(NotificationAttempt.notification_id == notification_id)
                .order_by(NotificationAttempt.number)
            )
        )
        uow.session.expunge_all()
    return rows


def member(db: Database, name_prefix: str) -> Member:
    with db.reader() as uow:
        m = uow.session.scalars(select(Member).where(Member.name.like(f"{name_prefix}%"))).one()
        uow.session.expunge(m)
    return m


def no_escalation(db: Database) -> None:
    """Unconfirmed shifts do not escalate: for tests that follow other texts past a shift's
    start while nobody replies OK (tests/service/test_escalation.py follows escalation)."""
    with db.uow("admin") as uow:
        uow.session.execute(update(TeamSettings).values(confirm_within_minutes=0))
        uow.commit()


def set_secondary_phone(db: Database, name_prefix: str, phone: str) -> None:
    with db.uow("test") as uow:
        m = uow.session.scalars(select(Member).where(Member.name.like(f"{name_prefix}%"))).one()
        m.secondary_phone = phone
        uow.commit()


def sent_to(fake: FakeTwilio) -> list[str]:
    """The ``To`` of every create request the fake received, in order."""
    return [r.form.get("To", "") for r in fake.create_requests]


class SteppingClock(FixedClock):
    """A clock that moves ``step`` forward after every reading: a tick that takes time, so an
    instant can come due while it runs."""

    def __init__(self, at: datetime, step: timedelta) -> None:
        super().__init__(at)
        self.step = step

    def now(self) -> datetime:
        at = super().now()
        self.advance(self.step)
        return at


def http_get(url: str) -> tuple[int, str]:
    """The status and body of a GET (an error status is an answer too)."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def healthz(daemon: Daemon) -> tuple[int, dict[str, Any]]:
    """The daemon's /healthz answer: status and JSON body."""
    assert daemon.http is not None
    status, body = http_get(daemon.http.url + "/healthz")
    return status, json.loads(body)
