"""Each page's read costs a pinned number of round trips to PostgreSQL, counted by the loopback
proxy: no ping when a connection leaves the pool, no BEGIN/ROLLBACK around a read, so a page
costs its statements. A statement more on any page fails here."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from tests.conftest import WithDemoTeam
from tests.round_trips import page_reads, proxied, trips
from whoseonfirst_core.db.session import Database

NOW = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)

#: The round trips each read may cost; the live-refresh poll is one trip.
ALLOWED = {
    "revision poll": 1,
    "Dashboard": 14,  # 13, and the clean-stop mark the service state reads
    "Calendar (month)": 6,
    "Team": 7,
    "Shifts": 4,
    "Send a test": 4,  # 3, and whether there is a team yet
    "Audit": 3,
    "Texts": 4,
    "Settings": 11,
}


def test_every_page_is_pinned() -> None:
    assert ALLOWED.keys() == page_reads(NOW).keys()


@pytest.mark.parametrize("page", list(ALLOWED))
def test_a_page_read_costs_its_pinned_round_trips(
    page: str, pg_url: str, with_demo_team: WithDemoTeam
) -> None:
    setup = Database(pg_url)
    with_demo_team(setup, "test", NOW, date(2026, 3, 2))
    query = page_reads(NOW)[page]
    with proxied(pg_url) as (db, proxy):
        assert trips(proxy, lambda: db.read(query)) <= ALLOWED[page]
