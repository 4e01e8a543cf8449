"""The service's round trips to PostgreSQL per tick, counted by the loopback proxy and pinned:
a statement more in the idle tick or in the tick that sends fails here."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import timedelta

from whoseonfirst_service.delivery import EngineSettings
from whoseonfirst_service.engine import Engine
from whoseonfirst_service.twilio_sms import TwilioBackend

from tests.fakes.fake_twilio import FakeTwilio
from tests.round_trips import proxied
from tests.service.conftest import utc
from whoseonfirst_core.clock import FixedClock
from whoseonfirst_core.db.session import Database
from whoseonfirst_core.roster import create_demo_team

#: An idle tick (nothing due) on the demo team; 121 with a ping and BEGIN/ROLLBACK per unit.
IDLE_TICK = 90
#: The tick that sends Monday's two 08:00 texts and polls their status; about 200 with
#: a ping and BEGIN/ROLLBACK per unit (2 of them: whether the spans just asked to confirm are
#: still their members', which decides the fast polling).
SENDING_TICK = 157


def test_idle_and_sending_ticks_cost_their_pinned_round_trips(
    pg_url: str, clock: FixedClock, fake: FakeTwilio, make_backend: Callable[[], TwilioBackend]
) -> None:
    setup = Database(pg_url)
    with setup.uow("test") as uow:
        create_demo_team(uow, clock.now(), utc(2026, 3, 2).date())
        uow.commit()
    setup.dispose()
    with proxied(pg_url) as (db, proxy):
        engine = Engine(
            db,
            make_backend(),
            clock,
            instance_id="trips",
            rng=random.Random(1),
            settings=EngineSettings(),
        )
        engine.tick()  # the first tick: connects, extends the horizon
        idle = []
        for _ in range(2):
            clock.advance(timedelta(seconds=30))
            proxy.reset_count()
            engine.tick()
            idle.append(proxy.round_trips)
        clock.set(utc(2026, 3, 2, 14, 0, 30))
        proxy.reset_count()
        summary = engine.tick()
        sending = proxy.round_trips
    assert summary.sent == 2 and summary.delivered == 2
    assert max(idle) <= IDLE_TICK, idle
    assert sending <= SENDING_TICK, sending
