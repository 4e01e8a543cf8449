"""On PostgreSQL, B hears A's commit pushed (LISTEN/NOTIFY): the page reloads with no poll due,
and the poll slows to the heartbeat's pace while the listener is connected."""

from __future__ import annotations

from typing import Any

from tests.conftest import WithDemoTeam
from tests.gui.conftest import DEMO_ANCHOR
from tests.gui.test_live import rename
from whoseonfirst_core.clock import FixedClock
from whoseonfirst_core.db.session import Database
from whoseonfirst_gui.live import LISTENING_POLL_INTERVAL_MS, POLL_INTERVAL_MS, RevisionPoller
from whoseonfirst_gui.pages.team import TeamPage

NEVER_MS = 3_600_000  # a poll timer that never fires within the test


def test_b_reloads_on_a_pushed_change_without_polling(
    qtbot: Any, make_ctx: Any, pg_url: str, clock: FixedClock, with_demo_team: WithDemoTeam
) -> None:
    db = Database(pg_url)
    with_demo_team(db, "setup", clock.now(), DEMO_ANCHOR)
    b = make_ctx(db, clock, actor="bob@ws2")
    page_b = TeamPage(b)
    qtbot.addWidget(page_b)
    page_b.refresh()
    qtbot.waitUntil(lambda: page_b.data is not None)
    poller = RevisionPoller(b, interval_ms=NEVER_MS)
    with qtbot.waitSignal(poller.polled, timeout=10_000):  # connected: it catches up once
        poller.start()
    assert poller.timer.interval() == LISTENING_POLL_INTERVAL_MS
    try:
        with qtbot.waitSignal(b.events.data_changed, timeout=10_000):
            rename(db, clock, "Ann Archer", "Ann Archer-Lee")
        qtbot.waitUntil(
            lambda: any(r.member.name == "Ann Archer-Lee" for r in page_b.model.rows()),
            timeout=5000,
        )
    finally:
        poller.stop()
    assert LISTENING_POLL_INTERVAL_MS > POLL_INTERVAL_MS
