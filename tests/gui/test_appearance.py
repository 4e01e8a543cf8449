"""Dark mode: View ▸ Appearance (System / Light / Dark, remembered), the desktop's scheme
followed under System, and chip colours with WCAG contrast of at least 4.5:1 in both."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QColor, QGuiApplication, QImage, QPalette
from PySide6.QtWidgets import QApplication

from whoseonfirst_core.db.session import Database
from whoseonfirst_core.usecases.common import ARCHIVED_COLOR, PALETTE
from whoseonfirst_gui import appearance
from whoseonfirst_gui import format as fmt
from whoseonfirst_gui.app import main
from whoseonfirst_gui.appearance import SETTINGS_KEY, dark_palette, is_dark, light_palette
from whoseonfirst_gui.calendar.chip_delegate import chip_colors
from whoseonfirst_gui.context import AppContext
from whoseonfirst_gui.field_error import FieldError
from whoseonfirst_gui.format import OVERRIDE_ACCENT, contrast
from whoseonfirst_gui.main_window import MainWindow

AA = 4.5


def test_contrast_formula_matches_wcag() -> None:
    assert contrast(QColor("#FFFFFF"), QColor("#000000")) == pytest.approx(21.0)
    assert contrast(QColor("#FFFFFF"), QColor("#767676")) == pytest.approx(4.54, abs=0.01)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_chip_colour_pair_keeps_aa_contrast(qapp: Any, scheme: str) -> None:
    palette = light_palette() if scheme == "light" else dark_palette()
    assert is_dark(palette) == (scheme == "dark")
    low = []
    for color in (*PALETTE, ARCHIVED_COLOR):
        for past in (False, True):
            fill, text = chip_colors(color, past, palette)
            ratio = contrast(fill, text)
            if ratio < AA:
                low.append(f"{color} past={past}: {ratio:.2f}")
    # The palette list and the week view's text on the view background.
    base, text = palette.color(QPalette.ColorRole.Base), palette.color(QPalette.ColorRole.Text)
    if contrast(base, text) < AA:
        low.append(f"text on base: {contrast(base, text):.2f}")
    assert not low, low
    # The override accent is an edge beside white text, never under it; it must still stand
    # out against the view's background.
    assert contrast(QColor(OVERRIDE_ACCENT), base) >= 2.0


@pytest.fixture
def window(qtbot: Any, ctx: AppContext) -> Iterator[MainWindow]:
    w = MainWindow(ctx, poll=False)
    qtbot.addWidget(w)
    yield w
    w.appearance.set_choice("system")  # leave the app's palette as the platform gives it
    w.shutdown()


def _appearance_actions(window: MainWindow) -> dict[str, Any]:
    view = next(a.menu() for a in window.menuBar().actions() if a.text() == "&View")
    sub = next(a.menu() for a in view.actions() if a.text() == "&Appearance")
    return {a.text().replace("&", ""): a for a in sub.actions()}


TEXT_COLORS = (fmt.ERROR_COLOR, fmt.WARNING_COLOR, fmt.CONFIRMED_COLOR, *fmt.STATUS_COLORS.values())


def test_coloured_text_stays_readable_in_dark_mode(window: MainWindow, qtbot: Any) -> None:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    error = FieldError()
    qtbot.addWidget(error)
    assert fmt.ERROR_COLOR in error.styleSheet()
    assert [fmt.readable(c) for c in TEXT_COLORS] == list(TEXT_COLORS)  # light: as chosen
    window.appearance.set_choice("dark")
    QApplication.processEvents()  # Qt posts the palette change to the widgets
    background = app.palette().color(QPalette.ColorRole.Window)
    low = [c for c in TEXT_COLORS if contrast(QColor(fmt.readable(c)), background) < AA]
    assert not low, low
    assert fmt.readable(fmt.ERROR_COLOR) in error.styleSheet()  # restyled on the switch
    assert fmt.ERROR_COLOR not in error.styleSheet()


def test_view_appearance_switches_and_is_remembered(window: MainWindow, qtbot: Any) -> None:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    actions = _appearance_actions(window)
    assert list(actions) == ["System", "Light", "Dark"]
    assert actions["System"].isChecked()
    actions["Dark"].trigger()
    assert is_dark(app.palette()) and actions["Dark"].isChecked()
    assert window.settings.value(SETTINGS_KEY) == "dark"
    actions["Light"].trigger()
    assert not is_dark(app.palette())
    assert QSettings().value(SETTINGS_KEY) == "light"
    actions["Dark"].trigger()
    # A new window (the next start) comes up dark, with Dark checked.
    again = MainWindow(window.ctx, poll=False)
    qtbot.addWidget(again)
    try:
        assert _appearance_actions(again)["Dark"].isChecked()
        assert is_dark(app.palette())
    finally:
        again.shutdown()


def test_system_follows_the_desktops_scheme(
    window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    assert window.appearance.choice == "system"
    monkeypatch.setattr(appearance, "desktop_scheme", lambda: Qt.ColorScheme.Dark)
    QGuiApplication.styleHints().colorSchemeChanged.emit(Qt.ColorScheme.Dark)
    assert is_dark(app.palette())
    monkeypatch.setattr(appearance, "desktop_scheme", lambda: Qt.ColorScheme.Light)
    QGuiApplication.styleHints().colorSchemeChanged.emit(Qt.ColorScheme.Light)
    assert not is_dark(app.palette())


def test_screenshots_in_dark_mode_at_1024x700(tmp_path: Path, demo_db: Database) -> None:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    out = tmp_path / "dark"
    args = ["--database", demo_db.url, "--screenshots", str(out)]
    assert main([*args, "--size", "1024x700", "--appearance", "dark"]) == 0
    image = QImage(str(out / "calendar.png"))
    assert (image.width(), image.height()) == (1024, 700)
    # The window background (a corner of the sidebar) is dark.
    assert QColor(image.pixel(4, image.height() // 2)).lightness() < 80
    assert not is_dark(app.palette())  # the app is back to the platform's palette
