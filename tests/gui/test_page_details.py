"""Small things a careful user trips over: Add member with no team, Test send's stale "No
team yet", the Team table after a dated deactivation, Find where there is nothing to search,
Tab through the contacts table, and Qt's warning on every edit."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from tests.gui.helpers import member_id
from whoseonfirst_core.clock import FixedClock
from whoseonfirst_core.db.session import Database
from whoseonfirst_gui.context import AppContext
from whoseonfirst_gui.main_window import MainWindow
from whoseonfirst_gui.pages.base import NO_TEAM_TEXT
from whoseonfirst_gui.pages.settings import SettingsPage
from whoseonfirst_gui.pages.team import TeamPage
from whoseonfirst_gui.pages.test_send import TestSendPage
from whoseonfirst_gui.qtmodels.team_model import TeamModel

from .conftest import DEMO_ANCHOR, ContextFactory, add_demo_team

MON16 = date(2026, 3, 16)


@pytest.fixture
def open_window(qtbot: Any) -> Iterator[Callable[[AppContext], MainWindow]]:
    opened: list[MainWindow] = []

    def open_(ctx: AppContext) -> MainWindow:
        w = MainWindow(ctx, poll=False)
        qtbot.addWidget(w)
        w.refresh_all()
        assert ctx.runner.wait_idle()
        opened.append(w)
        return w

    yield open_
    for w in opened:
        w.shutdown()


def test_add_member_is_disabled_until_there_is_a_team_and_says_why(
    open_window: Callable[[AppContext], MainWindow],
    make_ctx: ContextFactory,
    sqlite_db: Database,
    clock: FixedClock,
) -> None:
    ctx = make_ctx(sqlite_db, clock)
    window = open_window(ctx)
    action = window.add_member_action
    assert not action.isEnabled()
    assert "New team" in action.toolTip()
    team_page = window.page("team")
    assert isinstance(team_page, TeamPage) and not team_page.team_actions["add"].isEnabled()
    add_demo_team(sqlite_db, clock)
    ctx.events.data_changed.emit()
    assert ctx.runner.wait_idle()
    assert action.isEnabled() and team_page.team_actions["add"].isEnabled()


def test_test_send_drops_no_team_yet_once_a_team_exists(
    qtbot: Any, make_ctx: ContextFactory, sqlite_db: Database, clock: FixedClock
) -> None:
    ctx = make_ctx(sqlite_db, clock)
    page = TestSendPage(ctx)
    qtbot.addWidget(page)
    page.refresh()
    assert ctx.runner.wait_idle()
    assert page.status_label.text() == NO_TEAM_TEXT
    add_demo_team(sqlite_db, clock)
    ctx.events.data_changed.emit()  # what the poller does when the revision moves
    assert ctx.runner.wait_idle()
    assert page.status_label.text() == "Nothing sent yet."


def test_a_future_dated_deactivation_from_the_team_page_says_until(
    qtbot: Any, ctx: AppContext, demo_db: Database
) -> None:
    page = TeamPage(ctx)
    qtbot.addWidget(page)
    page.refresh()
    assert ctx.runner.wait_idle()
    eve = member_id(demo_db, "Eve Evans")
    page.select_member(eve)
    page.toggle_active_selected()
    dialog = page.impact_dialog
    assert dialog is not None
    with qtbot.waitSignal(dialog.preview_ready, timeout=5000):
        dialog.set_effective_from(MON16)
    dialog.apply_button.click()
    assert ctx.runner.wait_idle()
    cell = page.model.index(page.model.row_of(eve), TeamModel.ACTIVE)
    assert cell.data() == "yes, until Mon 3/16"
    assert DEMO_ANCHOR < MON16


def test_find_is_enabled_only_on_pages_with_a_search_box(
    open_window: Callable[[AppContext], MainWindow], ctx: AppContext
) -> None:
    window = open_window(ctx)
    searchable = {"notifications", "audit"}
    for slug in window.slugs:
        window.show_page(slug)
        assert window.find_action.isEnabled() == (slug in searchable), slug


def test_tab_leaves_the_contacts_table_in_one_step(
    qtbot: Any, ctx: AppContext, demo_db: Database
) -> None:
    page = SettingsPage(ctx)
    qtbot.addWidget(page)
    page.refresh()
    assert ctx.runner.wait_idle()
    page.show()
    qtbot.waitExposed(page)
    view = page.contacts_view
    assert page.contacts_model.rowCount() >= 1
    view.setFocus()
    view.setCurrentIndex(page.contacts_model.index(0, 0))
    qtbot.keyClick(view, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is not view
    assert not view.tabKeyNavigation()


def test_an_edit_in_the_window_prints_no_qt_warning(
    qtbot: Any, qtlog: Any, open_window: Callable[[AppContext], MainWindow], ctx: AppContext
) -> None:
    window = open_window(ctx)
    window.show_page("settings")
    page = window.page("settings")
    assert isinstance(page, SettingsPage)
    page.team_name.setText("Support (edited)")
    qtbot.waitUntil(lambda: window.isWindowModified())
    warnings = [
        r for r in qtlog.records if r.type.name != "QtDebugMsg" and r.type.name != "QtInfoMsg"
    ]
    assert warnings == []
    assert "[*]" in window.windowTitle()
