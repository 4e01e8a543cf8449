"""Popups and dialogs stay on the screen: the reason popup opened at a drop near the screen's
edge, a dialog taller than the screen, the one helper that places them."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QPoint, QRect, QSize
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QDialog, QVBoxLayout, QWidget

from whoseonfirst_core.clock import FixedClock
from whoseonfirst_core.db.session import Database
from whoseonfirst_gui.calendar.page import CalendarPage
from whoseonfirst_gui.on_screen import keep_on_screen, on_screen

from .conftest import ContextFactory
from .test_calendar import THU, chip, drop_member


def _screen() -> QRect:
    return QGuiApplication.primaryScreen().availableGeometry()


def test_on_screen_moves_a_rectangle_back_inside_and_keeps_the_top_left_of_a_huge_one() -> None:
    area = _screen()
    inside = area.topLeft() + QPoint(10, 10)
    assert on_screen(inside, QSize(100, 100)) == inside
    corner = area.bottomRight()
    moved = on_screen(corner, QSize(300, 200))
    assert QRect(moved, QSize(300, 200)) == QRect(
        area.right() + 1 - 300, area.bottom() + 1 - 200, 300, 200
    )
    assert on_screen(corner, area.size() + QSize(50, 50)) == area.topLeft()


def test_the_reason_popup_at_a_drop_near_the_screen_corner_shows_its_buttons(
    qtbot: Any, make_ctx: ContextFactory, demo_db: Database, clock: FixedClock
) -> None:
    page = CalendarPage(make_ctx(demo_db, clock))
    qtbot.addWidget(page)
    page.refresh()
    assert page.ctx.runner.wait_idle(5000)
    page.show()
    qtbot.waitExposed(page)
    page.reason_provider = None
    page.view.anchor_global = _screen().bottomRight() - QPoint(4, 4)
    assert drop_member(page, "Gus", chip(page, THU))
    popup = page.popup
    assert popup.isVisible()
    assert _screen().contains(popup.frameGeometry())
    assert _screen().contains(popup.ok.mapToGlobal(popup.ok.rect().bottomRight()))
    popup.close()


def test_a_dialog_taller_than_the_screen_is_fitted_to_it(qtbot: Any) -> None:
    dialog = QDialog()
    qtbot.addWidget(dialog)
    QVBoxLayout(dialog).addWidget(QWidget())
    dialog.resize(_screen().width() // 2, _screen().height() + 300)
    dialog.move(_screen().center())
    keep_on_screen(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    assert _screen().contains(dialog.frameGeometry())
