"""A clean stop shows as stopped, not as silent: the daemon says so in the database when it
ends, and a tick afterwards makes it up again (on SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

from whoseonfirst_service.daemon import Daemon

from tests.service.conftest import MakeEngine
from whoseonfirst_core.clock import FixedClock
from whoseonfirst_core.db.session import Database
from whoseonfirst_core.domain.service_state import ServiceState
from whoseonfirst_core.usecases.heartbeat import service_status


def _state(db: Database, clock: FixedClock) -> ServiceState:
    with db.reader() as uow:
        return service_status(uow, clock.now()).state


def test_a_clean_stop_shows_as_stopped_until_the_next_tick(
    team: Database, make_engine: MakeEngine, clock: FixedClock
) -> None:
    engine = make_engine()
    engine.tick()
    assert _state(team, clock) is ServiceState.UP
    clock.advance(timedelta(seconds=20))
    daemon = Daemon(engine, clock=clock)
    daemon.request_stop()
    assert daemon.run(install_signals=False) == 0
    clock.advance(timedelta(minutes=10))
    assert _state(team, clock) is ServiceState.STOPPED
    with team.reader() as uow:
        beat = service_status(uow, clock.now()).heartbeat
    assert beat is not None and beat.stopped_at == clock.now() - timedelta(minutes=10)
    clock.advance(timedelta(seconds=5))
    make_engine().tick()
    assert _state(team, clock) is ServiceState.UP


def test_a_service_that_just_vanished_is_silent_not_stopped(
    team: Database, make_engine: MakeEngine, clock: FixedClock
) -> None:
    make_engine().tick()
    clock.advance(timedelta(minutes=10))
    assert _state(team, clock) is ServiceState.SILENT
