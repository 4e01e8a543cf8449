"""Help ▸ Keyboard shortcuts (generated from the window's actions) and F1 ▸ the user guide."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtGui import QAction, QKeySequence

from whoseonfirst_gui.context import AppContext
from whoseonfirst_gui.help import GuideDialog, ShortcutsDialog, guide_html
from whoseonfirst_gui.main_window import MainWindow


@pytest.fixture
def window(qtbot: Any, ctx: AppContext) -> Iterator[MainWindow]:
    w = MainWindow(ctx, poll=False)
    qtbot.addWidget(w)
    yield w
    w.shutdown()


def _sheet(window: MainWindow) -> list[tuple[str, str, str]]:
    dialog = window.show_shortcuts()
    assert isinstance(dialog, ShortcutsDialog) and dialog.isVisible()
    table = dialog.table
    rows = [
        tuple(table.item(r, c).text() for c in range(3))  # type: ignore[union-attr]
        for r in range(table.rowCount())
    ]
    dialog.close()
    return rows  # type: ignore[return-value]


def _native(keys: str) -> str:
    return QKeySequence(keys).toString(QKeySequence.SequenceFormat.NativeText)


def test_the_sheet_lists_every_shortcut_of_the_window(window: MainWindow) -> None:
    rows = _sheet(window)
    assert ("Edit", "Undo", _native("Ctrl+Z")) in rows
    assert ("Help", "User guide", _native("F1")) in rows
    assert ("View", "2 Calendar", _native("Ctrl+2")) in rows
    assert ("Calendar", "Previous week", _native("Alt+Left")) in rows  # a page's own key
    assert ("Calendar", "Go to this week", _native("Alt+Home")) in rows
    assert all(where and what and keys for where, what, keys in rows), rows
    # Every action with a shortcut anywhere in the window is in the sheet.
    listed = {keys for _where, _what, keys in rows}
    for action in window.findChildren(QAction):
        for sequence in action.shortcuts():
            native = sequence.toString(QKeySequence.SequenceFormat.NativeText)
            assert any(native in keys.split(", ") for keys in listed), action.text()


def test_a_new_action_shows_up_in_the_sheet(window: MainWindow) -> None:
    extra = QAction("&Frobnicate", window)
    extra.setShortcut(QKeySequence("Ctrl+Alt+F"))
    window.menuBar().actions()[0].menu().addAction(extra)  # type: ignore[union-attr]
    assert ("File", "Frobnicate", _native("Ctrl+Alt+F")) in _sheet(window)


def test_f1_opens_the_user_guide(window: MainWindow) -> None:
    assert window.guide_action.shortcut() == QKeySequence(QKeySequence.StandardKey.HelpContents)
    assert window.guide_action.shortcut().toString() == "F1"
    window.guide_action.trigger()
    guide = window.findChild(GuideDialog)
    assert isinstance(guide, GuideDialog) and guide.isVisible()
    text = guide.browser.toPlainText()
    for task in ("Cover a shift", "Swap two shifts", "Cover some hours", "Saving", "Keys"):
        assert task in text
    guide.close()


def test_the_guide_ships_as_package_data() -> None:
    assert guide_html().count("<h3>") >= 5
    pyproject = Path(__file__).parents[2] / "pyproject.toml"
    assert 'whoseonfirst_gui = ["resources/*.html"]' in pyproject.read_text(encoding="utf-8")
