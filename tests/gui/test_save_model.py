"""The save model the user sees: `[*]` in the title and a "•" on each page with unsaved edits;
Quit offers Save, Discard and Cancel, and Save saves every page that has edits, then quits."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QStyleOptionViewItem

from whoseonfirst_core.db.session import Database
from whoseonfirst_core.usecases.config import get_settings
from whoseonfirst_gui.context import AppContext
from whoseonfirst_gui.main_window import MainWindow
from whoseonfirst_gui.pages.settings import SettingsPage
from whoseonfirst_gui.sidebar import UNSAVED_MARK, BadgeDelegate, UnsavedRole

S = QMessageBox.StandardButton


@pytest.fixture
def window(qtbot: Any, ctx: AppContext) -> Any:
    w = MainWindow(ctx, poll=False)
    qtbot.addWidget(w)
    w.refresh_all()
    ctx.runner.wait_idle()
    yield w
    w.shutdown()


def _horizon(db: Database) -> int:
    with db.reader() as uow:
        return get_settings(uow).horizon_weeks


def _edit_settings(qtbot: Any, window: MainWindow) -> SettingsPage:
    page = window.page("settings")
    assert isinstance(page, SettingsPage)
    page.horizon.setValue(page.horizon.value() + 3)
    qtbot.waitUntil(page.save_button.isEnabled)
    return page


def _sidebar_text(window: MainWindow, slug: str) -> str:
    row = window.slugs.index(slug)
    delegate = window.sidebar.itemDelegate()
    assert isinstance(delegate, BadgeDelegate)
    option = QStyleOptionViewItem()
    delegate.initStyleOption(option, window.sidebar.model().index(row, 0))
    return option.text.strip()


def test_unsaved_edits_mark_the_title_and_the_page(qtbot: Any, window: MainWindow) -> None:
    assert window.windowTitle().endswith("[*]") and not window.isWindowModified()
    assert _sidebar_text(window, "settings") == "Settings"
    page = _edit_settings(qtbot, window)
    assert window.isWindowModified()
    assert _sidebar_text(window, "settings") == "Settings" + UNSAVED_MARK
    item = window.sidebar.item(window.slugs.index("settings"))
    assert item is not None and item.data(UnsavedRole)
    assert item.data(Qt.ItemDataRole.AccessibleTextRole) == "Settings, unsaved edits"
    assert _sidebar_text(window, "calendar") == "Calendar"  # only the page that has them
    page.revert_button.click()
    assert not window.isWindowModified()
    assert _sidebar_text(window, "settings") == "Settings"


def test_quit_offers_save_discard_cancel_naming_each_page(
    qtbot: Any, window: MainWindow, ctx: AppContext, demo_db: Database
) -> None:
    before = _horizon(demo_db)
    _edit_settings(qtbot, window)
    window.show()
    ctx.messages.answers.append(S.Cancel)
    window.close()
    assert window.isVisible() and ctx.messages.asked[-1] == "Unsaved edits"
    assert _horizon(demo_db) == before


def test_quit_save_saves_every_dirty_page_then_closes(
    qtbot: Any, window: MainWindow, ctx: AppContext, demo_db: Database
) -> None:
    before = _horizon(demo_db)
    _edit_settings(qtbot, window)
    window.show()
    ctx.messages.answers.append(S.Save)
    window.close()
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=5000)
    assert _horizon(demo_db) == before + 3
    assert ctx.dirty_count == 0


def test_quit_discard_closes_without_saving(
    qtbot: Any, window: MainWindow, ctx: AppContext, demo_db: Database
) -> None:
    before = _horizon(demo_db)
    _edit_settings(qtbot, window)
    window.show()
    ctx.messages.answers.append(S.Discard)
    window.close()
    assert not window.isVisible()
    assert _horizon(demo_db) == before


def test_quit_save_stays_open_when_a_page_cannot_save(
    qtbot: Any, window: MainWindow, ctx: AppContext
) -> None:
    page = window.page("settings")
    assert isinstance(page, SettingsPage)
    page.timezone.setCurrentText("Mars/Olympus")  # a problem: Save is refused on the page
    qtbot.waitUntil(lambda: ctx.dirty_count > 0)
    assert not page.save_button.isEnabled()
    window.show()
    ctx.messages.answers.append(S.Save)
    with qtbot.waitSignal(ctx.messages.status) as said:
        window.close()
    assert window.isVisible() and ctx.dirty_count > 0
    assert said.args[0].startswith("Not quitting: 1 edit could not be saved")
