"""Calendar chips, days and the week bar tell a screen reader who, when and what state."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAccessible

from whoseonfirst_core.clock import FixedClock
from whoseonfirst_core.db.session import Database
from whoseonfirst_gui import mime
from whoseonfirst_gui.calendar.page import CalendarPage
from whoseonfirst_gui.week_bar import WeekBar

from .conftest import ContextFactory

NAME, DESCRIPTION = Qt.ItemDataRole.AccessibleTextRole, Qt.ItemDataRole.AccessibleDescriptionRole
MON, THU = date(2026, 3, 2), date(2026, 3, 5)


@pytest.fixture
def page(qtbot: Any, make_ctx: ContextFactory, demo_db: Database, clock: FixedClock) -> Any:
    page = CalendarPage(make_ctx(demo_db, clock))
    qtbot.addWidget(page)
    page.resize(1200, 700)
    page.reason_provider = lambda proposal: "dentist"
    page.refresh()
    assert page.ctx.runner.wait_idle(5000)
    return page


def _chip(page: CalendarPage, day: date) -> Any:
    return page.model.index(0, 0, page.model.day_index(day))


def test_chips_have_a_name_and_a_description(page: CalendarPage) -> None:
    thu = _chip(page, THU)
    assert thu.data(NAME) == "Cal Chen on call Thu 08:00 CST → Fri 08:00 CST"
    assert thu.data(DESCRIPTION).startswith("Thursday, 24h")
    ann = next(m.id for m in page.plan.members if m.name == "Ann Archer")
    assert page.model.dropMimeData(mime.member_mime(ann), Qt.DropAction.CopyAction, -1, -1, thu)
    covered = _chip(page, THU)
    assert covered.data(NAME) == "Ann Archer on call Thu 08:00 CST → Fri 08:00 CST (unsaved)"
    description = covered.data(DESCRIPTION)
    assert "cover for Cal Chen, reason: dentist" in description
    assert "unsaved edit" in description


def test_days_have_a_name_and_a_description(page: CalendarPage) -> None:
    day = page.model.day_index(THU)
    assert day.data(NAME) == "Thursday, March 5, 2026"
    assert day.data(DESCRIPTION) == "covered all day"


def test_the_focused_chip_is_what_the_view_says(page: CalendarPage) -> None:
    page.show()
    page.view.setCurrentIndex(_chip(page, THU))
    iface = QAccessible.queryAccessibleInterface(page.view)
    assert iface is not None
    assert iface.text(QAccessible.Text.Name) == "Calendar"
    said = iface.text(QAccessible.Text.Description)
    assert said.startswith("Cal Chen on call Thu 08:00 CST → Fri 08:00 CST. Thursday, 24h")


def test_the_week_bar_has_a_name_and_a_description(qtbot: Any) -> None:
    bar = WeekBar()
    qtbot.addWidget(bar)
    bar.set_blocks([("Monday", 8 * 60, 24 * 60), ("Tuesday", 32 * 60, 48 * 60)])
    iface = QAccessible.queryAccessibleInterface(bar)
    assert iface is not None
    assert iface.text(QAccessible.Text.Name) == "Week bar: the shifts across the week"
    assert iface.text(QAccessible.Text.Description) == (
        "Monday Mon 08:00 for 24 h; Tuesday Tue 08:00 for 48 h"
    )
    bar.set_blocks([("Monday", 8 * 60, 30 * 60), ("Tuesday", 32 * 60, 48 * 60)], overlap=True)
    assert "shifts overlap" in iface.text(QAccessible.Text.Description)
