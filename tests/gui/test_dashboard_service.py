"""The Dashboard's word on the service ages with the clock and agrees with the status bar:
"up" turns "silent" when the ticks stop, and a clean stop says "stopped". Heartbeats here are
written as the service writes them, without bumping the revision (no page reload)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from whoseonfirst_core.clock import FixedClock
from whoseonfirst_core.db.session import Database
from whoseonfirst_core.usecases.dto import HeartbeatDTO
from whoseonfirst_core.usecases.heartbeat import mark_stopped, write_heartbeat
from whoseonfirst_gui.context import AppContext
from whoseonfirst_gui.main_window import MainWindow
from whoseonfirst_gui.pages.dashboard import DashboardPage


@pytest.fixture
def window(qtbot: Any, ctx: AppContext) -> Iterator[MainWindow]:
    w = MainWindow(ctx, poll=False)
    qtbot.addWidget(w)
    w.refresh_all()
    ctx.runner.wait_idle()
    yield w
    w.shutdown()


def _tick(db: Database, clock: FixedClock) -> None:
    now = clock.now()
    beat = HeartbeatDTO("vm1", "rhel-vm-01", "1.0.0", "twilio", now, now, None, None)
    with db.uow("service") as uow:
        write_heartbeat(uow.session, beat, prune_before=now - timedelta(days=7))
        uow.commit(bump_revision=False)


def _poll(qtbot: Any, window: MainWindow) -> None:
    with qtbot.waitSignal(window.poller.polled, timeout=5000):
        window.poller.poll_now()


def _dashboard(window: MainWindow) -> DashboardPage:
    page = window.page("dashboard")
    assert isinstance(page, DashboardPage)
    return page


def test_the_dashboard_ages_with_the_clock_and_turns_silent_with_the_status_bar(
    qtbot: Any, window: MainWindow, demo_db: Database, clock: FixedClock
) -> None:
    dashboard = _dashboard(window)
    _tick(demo_db, clock)
    clock.advance(timedelta(seconds=22))
    _poll(qtbot, window)
    assert window.service_label.text() == "Service: up, last tick 22 s ago"
    assert dashboard.service_label.text().startswith("up on rhel-vm-01")
    assert "last tick 22 s ago" in dashboard.service_label.text()
    clock.advance(timedelta(seconds=20))
    dashboard.age_timer.timeout.emit()  # the page's own clock, no poll in between
    assert "last tick 42 s ago" in dashboard.service_label.text()
    clock.advance(timedelta(minutes=5))
    dashboard.age_timer.timeout.emit()
    assert dashboard.service_label.text().startswith("silent on rhel-vm-01")
    assert "last tick 5 min ago" in dashboard.service_label.text()
    _poll(qtbot, window)
    assert window.service_label.text().startswith("Service: silent since")


def test_a_clean_stop_shows_as_stopped_on_the_dashboard_and_the_status_bar(
    qtbot: Any, window: MainWindow, demo_db: Database, clock: FixedClock
) -> None:
    dashboard = _dashboard(window)
    _tick(demo_db, clock)
    clock.advance(timedelta(seconds=3))
    with demo_db.uow("service") as uow:
        mark_stopped(uow.session, "vm1", clock.now())
        uow.commit(bump_revision=False)
    _poll(qtbot, window)
    assert window.service_label.text() == "Service: stopped at Mon 07:00 CST"
    assert dashboard.service_label.text().startswith("stopped on rhel-vm-01")
    clock.advance(timedelta(minutes=10))
    dashboard.age_timer.timeout.emit()
    assert dashboard.service_label.text().startswith("stopped on rhel-vm-01")


def test_the_attention_card_follows_the_state_the_page_shows(
    qtbot: Any, window: MainWindow, demo_db: Database, clock: FixedClock
) -> None:
    dashboard = _dashboard(window)
    _tick(demo_db, clock)
    _poll(qtbot, window)
    window.ctx.runner.wait_idle()
    assert dashboard.data is not None and not any(
        "service" in a.text.lower() for a in dashboard.data.attention
    )
    with demo_db.uow("service") as uow:
        mark_stopped(uow.session, "vm1", clock.now())
        uow.commit(bump_revision=False)
    _poll(qtbot, window)
    assert window.ctx.runner.wait_idle()  # the page reloads when the state it shows changes
    assert dashboard.data is not None
    assert any("The service was stopped on" in a.text for a in dashboard.data.attention)
