"""A shift whose person confirmed it by text says so: "confirmed 08:03 CST" on the Dashboard's
now and next cards, on the Calendar chip (a ✓ after the name, the note under it in the week view,
its accessible name) and in its tooltip."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt

from whoseonfirst_core.clock import FixedClock
from whoseonfirst_core.db.session import Database
from whoseonfirst_core.domain.replies import InboundText
from whoseonfirst_core.usecases import inbound
from whoseonfirst_gui.calendar.page import CalendarPage
from whoseonfirst_gui.calendar.roles import Roles
from whoseonfirst_gui.context import AppContext
from whoseonfirst_gui.pages.dashboard import DashboardPage

MON, TUE = date(2026, 3, 2), date(2026, 3, 3)
MON_0803 = datetime(2026, 3, 2, 14, 3, tzinfo=UTC)
MON_2015 = datetime(2026, 3, 3, 2, 15, tzinfo=UTC)  # Mon 20:15 CST: Ben confirms his Tue shift


def confirm(db: Database, sender: str, at: datetime) -> None:
    with db.uow("service") as uow:
        message = InboundText(f"SM{sender}{at:%H%M}", sender, "+13125550100", "ok", at)
        inbound.record_inbound(uow, at + timedelta(seconds=5), [message])
        uow.commit()


def test_dashboard_cards_say_when_the_shift_was_confirmed(
    qtbot: Any, ctx: AppContext, demo_db: Database, clock: FixedClock, tmp_path: Path
) -> None:
    confirm(demo_db, "+13125550101", MON_0803)
    confirm(demo_db, "+13125550102", MON_2015)
    clock.set(MON_2015 + timedelta(minutes=5))
    page = DashboardPage(ctx)
    qtbot.addWidget(page)
    page.refresh()
    qtbot.waitUntil(lambda: page.data is not None, timeout=5000)
    ctx.runner.wait_idle()
    assert "confirmed 08:03 CST</span> ✓" in page.now_label.text()
    first, second = page.next_label.text().split("<br>")[:2]
    assert "Ben" in first and "confirmed Mon 20:15 CST" in first  # the evening before
    assert "confirmed" not in second
    page.resize(1100, 700)
    page.grab().save(str(tmp_path / "dashboard-confirmed.png"))


def test_the_calendar_chip_tooltip_says_when_the_shift_was_confirmed(
    qtbot: Any, ctx: AppContext, demo_db: Database
) -> None:
    confirm(demo_db, "+13125550101", MON_0803)
    page = CalendarPage(ctx)
    qtbot.addWidget(page)
    page.refresh()
    assert ctx.runner.wait_idle(5000) and page.plan.loaded

    def tip(day: date) -> str:
        parent = page.model.day_index(day)
        return str(page.model.index(0, 0, parent).data(Qt.ItemDataRole.ToolTipRole))

    assert "Confirmed 08:03 CST ✓" in tip(MON)
    assert "onfirmed" not in tip(TUE)


def test_the_calendar_chip_itself_shows_the_confirmation(
    qtbot: Any, ctx: AppContext, demo_db: Database, tmp_path: Path
) -> None:
    confirm(demo_db, "+13125550101", MON_0803)
    page = CalendarPage(ctx)
    qtbot.addWidget(page)
    page.resize(1200, 700)
    page.refresh()
    assert ctx.runner.wait_idle(5000) and page.plan.loaded

    def chip(day: date, role: int) -> object:
        return page.model.index(0, 0, page.model.day_index(day)).data(role)

    assert chip(MON, Roles.CONFIRMED) == "confirmed 08:03 CST"
    assert chip(TUE, Roles.CONFIRMED) is None
    assert str(chip(MON, Qt.ItemDataRole.AccessibleTextRole)).endswith(", confirmed 08:03 CST")
    page.show()
    page.grab().save(str(tmp_path / "calendar-confirmed.png"))
