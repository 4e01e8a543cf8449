"""Each page's read costs a pinned number of round trips to PostgreSQL, counted by the loopback
proxy: no ping when a connection leaves the pool, no BEGIN/ROLLBACK around a read, so a page
costs its statements. A statement more on any page fails here."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

import pytest

from tests.conftest import WithDemoTeam
from tests.round_trips import proxied, trips
from whoseonfirst_core.db.session import Database, UnitOfWork, read_revision
from whoseonfirst_core.usecases.dashboard import load_dashboard
from whoseonfirst_core.usecases.notifications import HistoryFilter
from whoseonfirst_gui.calendar.store import fetch_calendar
from whoseonfirst_gui.pages.audit import load_audit
from whoseonfirst_gui.pages.notifications import load_history
from whoseonfirst_gui.pages.settings.page import load_settings_view
from whoseonfirst_gui.pages.shifts import load_pattern
from whoseonfirst_gui.pages.team import load_team
from whoseonfirst_gui.pages.test_send import load_test_send

NOW = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)

#: page → (its read, the round trips it may cost); the live-refresh poll is one trip.
PAGES: dict[str, tuple[Callable[[UnitOfWork], object], int]] = {
    "revision poll": (lambda uow: read_revision(uow.session), 1),
    "Dashboard": (lambda uow: load_dashboard(uow, NOW), 13),
    "Calendar (month)": (lambda uow: fetch_calendar(uow, NOW, None, "month"), 6),
    "Team": (lambda uow: load_team(uow, NOW), 7),
    "Shifts": (lambda uow: load_pattern(uow, NOW), 4),
    "Send a test": (lambda uow: load_test_send(uow, NOW, None), 3),
    "Audit": (lambda uow: load_audit(uow, "", 0), 3),
    "Texts": (lambda uow: load_history(uow, HistoryFilter(), 0, NOW, None), 4),
    "Settings": (lambda uow: load_settings_view(uow, NOW), 11),
}


@pytest.mark.parametrize("page", list(PAGES))
def test_a_page_read_costs_its_pinned_round_trips(
    page: str, pg_url: str, with_demo_team: WithDemoTeam
) -> None:
    setup = Database(pg_url)
    with_demo_team(setup, "test", NOW, date(2026, 3, 2))
    query, allowed = PAGES[page]
    with proxied(pg_url) as (db, proxy):
        assert trips(proxy, lambda: db.read(query)) <= allowed
