"""A heartbeat stamped in the future (a clock set wrong, or a pretended-time tick kept on this
database) says nothing about now: not "up · last tick 0 s ago", not "ticked −2969014 s ago"."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from whoseonfirst_core.clock import FixedClock
from whoseonfirst_core.db.models import ServiceHeartbeat
from whoseonfirst_core.db.session import Database
from whoseonfirst_core.domain.service_state import (
    CLOCK_SKEW_ALLOWED,
    ServiceState,
    is_alive,
    service_state,
    tick_age,
)
from whoseonfirst_core.roster import create_demo_team
from whoseonfirst_core.usecases.dashboard import load_dashboard
from whoseonfirst_core.usecases.heartbeat import service_status

NOW = datetime(2026, 12, 2, 16, tzinfo=UTC)
REHEARSED = datetime(2027, 1, 5, 14, 0, 30, tzinfo=UTC)  # the tick --now instant


def test_a_tick_stamped_in_the_future_is_not_alive() -> None:
    assert service_state(REHEARSED, NOW) is ServiceState.AHEAD
    assert not is_alive(REHEARSED, NOW)
    # A little skew between the service's clock and the app's still counts as up.
    assert service_state(NOW + CLOCK_SKEW_ALLOWED, NOW) is ServiceState.UP
    assert service_state(NOW + CLOCK_SKEW_ALLOWED + timedelta(seconds=1), NOW) is (
        ServiceState.AHEAD
    )


def test_the_age_of_a_future_tick_says_so() -> None:
    assert tick_age(NOW - timedelta(seconds=12), NOW) == "ticked 12 s ago"
    assert tick_age(NOW + timedelta(seconds=5), NOW) == "ticked 0 s ago"
    words = tick_age(REHEARSED, NOW)
    assert words.startswith("ticked 33 days in the future (a clock is wrong")
    assert not any(f"-{digit}" in words for digit in "0123456789")


def test_the_dashboard_and_status_bar_do_not_call_it_up(db: Database, clock: FixedClock) -> None:
    from whoseonfirst_core.domain.timeutil import zone
    from whoseonfirst_gui.service_label import service_text

    with db.uow("setup") as uow:
        create_demo_team(uow, clock.now(), date(2026, 3, 2))
        uow.session.add(
            ServiceHeartbeat(
                instance_id="host",
                host="host",
                version="1",
                sms_backend="dry-run",
                started_at=REHEARSED,
                last_tick_at=REHEARSED,
                next_due_at=None,
                last_error=None,
            )
        )
        uow.commit()
    with db.reader() as uow:
        status = service_status(uow, NOW)
        data = load_dashboard(uow, NOW)
    assert status.state is ServiceState.AHEAD and not status.alive
    assert any("in the future" in a.text for a in data.attention)
    assert status.heartbeat is not None
    text, up = service_text(status.heartbeat, NOW, zone("America/Chicago"))
    assert not up
    assert "up" not in text.split(",")[0] and "in the future" in text
