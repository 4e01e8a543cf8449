"""Help ▸ Keyboard shortcuts (a sheet built from the window's actions) and Help ▸ User guide (F1).

The sheet is generated, never written by hand: it walks the menu bar, then each page's own
actions, so a shortcut added anywhere shows up in it and a removed one disappears.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib.resources import files
from typing import TypeVar

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QMenu,
    QMenuBar,
    QTableWidget,
    QTableWidgetItem,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

D = TypeVar("D", bound=QDialog)


def show_dialog(dialog: D) -> D:
    """Show ``dialog`` non-modally; it is deleted when closed."""
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.show()
    return dialog


@dataclass(frozen=True, slots=True)
class ShortcutRow:
    where: str  # "Edit" (a menu) or "Calendar" (a page's own keys)
    what: str  # "Undo"
    keys: str  # "Ctrl+Z, Ctrl+Shift+Z" in the platform's spelling


def action_label(action: QAction) -> str:
    """What an action does, in words: its text without the ``&``; a symbol-only text ("◀")
    gives way to its tooltip up to the shortcut in brackets."""
    text = action.text().replace("&&", "\0").replace("&", "").replace("\0", "&").strip()
    if any(ch.isalpha() for ch in text):
        return text
    tip = action.toolTip().split(" (")[0].strip()
    return tip or text


def _keys(action: QAction) -> str:
    return ", ".join(
        s.toString(QKeySequence.SequenceFormat.NativeText) for s in action.shortcuts() if s
    )


def _menu_rows(actions: Iterable[QAction], path: str) -> list[ShortcutRow]:
    rows: list[ShortcutRow] = []
    for action in actions:
        menu = action.menu()
        if isinstance(menu, QMenu):
            label = action_label(action)
            rows += _menu_rows(menu.actions(), f"{path} ▸ {label}" if path else label)
        elif not action.isSeparator() and _keys(action):
            rows.append(ShortcutRow(path, action_label(action), _keys(action)))
    return rows


def shortcut_rows(menu_bar: QMenuBar, pages: Sequence[tuple[str, QWidget]]) -> list[ShortcutRow]:
    """Every shortcut of the window: the menu bar's (by menu), then each page's own
    (``pages``: title and page), each action once."""
    rows = _menu_rows(menu_bar.actions(), "")
    for title, page in pages:
        for action in page.findChildren(QAction):
            keys = _keys(action)
            if keys and action.menu() is None:
                row = ShortcutRow(title, action_label(action), keys)
                if row not in rows:
                    rows.append(row)
    return rows


class ShortcutsDialog(QDialog):
    """A read-only table: where, what, keys."""

    def __init__(self, rows: Sequence[ShortcutRow], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        layout = QVBoxLayout(self)
        self.table = QTableWidget(len(rows), 3)
        self.table.setHorizontalHeaderLabels(["Where", "Action", "Shortcut"])
        self.table.setAccessibleName("Keyboard shortcuts")
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.setTabKeyNavigation(False)
        for r, row in enumerate(rows):
            for c, text in enumerate((row.where, row.what, row.keys)):
                item = QTableWidgetItem(text)
                item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
                self.table.setItem(r, c, item)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        layout.addWidget(self.table)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(560, 520)


def guide_html() -> str:
    """The short user guide shipped with the app (``resources/guide.html``)."""
    return files("whoseonfirst_gui").joinpath("resources/guide.html").read_text(encoding="utf-8")


class GuideDialog(QDialog):
    """The user guide in a browser pane (F1); non-modal, so it can stay open beside the app."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("WhoseOnFirst user guide")
        layout = QVBoxLayout(self)
        self.browser = QTextBrowser()
        self.browser.setOpenExternalLinks(True)
        self.browser.setAccessibleName("User guide")
        self.browser.setHtml(guide_html())
        layout.addWidget(self.browser)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(640, 600)
