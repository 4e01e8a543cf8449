"""The Settings page fits a small screen: one emoji in the template (UCS-2: the segment line
grows) neither widens the page nor pushes the weekly summary and the escalation contacts
out of reach. At 1024×700 the whole window fits (no page asks for more) with both columns
side by side; narrower (a 1.5 scale factor leaves 683 logical pixels of 1024) the columns
stack and nothing scrolls sideways."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtWidgets import QGroupBox, QScrollArea, QWidget

from whoseonfirst_gui.context import AppContext
from whoseonfirst_gui.main_window import MainWindow
from whoseonfirst_gui.pages.settings import SettingsPage

EMOJI_TEMPLATE = "📟 {name}, you are on call from {start} to {end}. Reply OK."


@pytest.fixture
def window(qtbot: Any, ctx: AppContext) -> Iterator[MainWindow]:
    w = MainWindow(ctx, poll=False)
    qtbot.addWidget(w)
    w.refresh_all()
    assert ctx.runner.wait_idle()
    w.show_page("settings")
    yield w
    w.shutdown()


def _box(page: SettingsPage, title: str) -> QGroupBox:
    return next(b for b in page.findChildren(QGroupBox) if b.title() == title)


def _x_span(widget: QWidget, viewport: QWidget) -> tuple[int, int]:
    left = widget.mapTo(viewport, widget.rect().topLeft()).x()
    return left, left + widget.width()


def _emoji_and_check(qtbot: Any, page: SettingsPage) -> QWidget:
    """Type the emoji template; the summary and contacts stay within the viewport's width."""
    page.template.setPlainText(EMOJI_TEMPLATE)
    qtbot.waitUntil(lambda: "Unicode" in page.segments.text())
    scroll = page.findChild(QScrollArea)
    assert scroll is not None
    viewport = scroll.viewport()
    qtbot.waitUntil(lambda: scroll.horizontalScrollBar().maximum() == 0)
    for title in ("Weekly summary", "Escalation contacts"):
        left, right = _x_span(_box(page, title), viewport)
        assert left >= 0 and right <= viewport.width(), (title, left, right, viewport.width())
    return viewport


def test_at_1024_by_700_the_window_fits_and_shows_both_columns(
    qtbot: Any, window: MainWindow
) -> None:
    page = window.page("settings")
    assert isinstance(page, SettingsPage)
    window.resize(1024, 700)
    window.show()
    qtbot.waitExposed(window)
    assert window.width() == 1024  # no page is wider than a 1024-pixel screen allows
    viewport = _emoji_and_check(qtbot, page)
    summary = _box(page, "Weekly summary")
    team = _box(page, "Team")
    assert summary.mapTo(viewport, summary.rect().topLeft()).x() >= team.width()  # beside it


@pytest.mark.parametrize("width", [683, 520])
def test_narrower_the_columns_stack_and_nothing_scrolls_sideways(
    qtbot: Any, ctx: AppContext, width: int
) -> None:
    page = SettingsPage(ctx)
    qtbot.addWidget(page)
    page.refresh()
    assert ctx.runner.wait_idle()
    page.resize(width, 467)
    page.show()
    qtbot.waitExposed(page)
    viewport = _emoji_and_check(qtbot, page)
    summary = _box(page, "Weekly summary")
    team = _box(page, "Team")
    assert summary.mapTo(viewport, summary.rect().topLeft()).y() > team.height()  # below it
