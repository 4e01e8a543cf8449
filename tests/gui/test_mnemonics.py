"""Every page's keyboard accelerators (``&x``) are unique, and none takes a menu bar's letter:
Alt+letter does one thing wherever the user is. Collected from what is visible on the page:
buttons and check boxes, labels with a buddy, group boxes' titles; and the menu bar's titles."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtWidgets import QAbstractButton, QGroupBox, QLabel, QWidget

from whoseonfirst_gui.context import AppContext
from whoseonfirst_gui.main_window import PAGES, MainWindow

_MNEMONIC = re.compile(r"&([^&\s])")


def mnemonic(text: str) -> str | None:
    """The accelerator letter of ``text`` (lower case), None without one; ``&&`` is a ``&``."""
    found = _MNEMONIC.search(text.replace("&&", ""))
    return found.group(1).lower() if found else None


def accelerators(page: QWidget) -> dict[str, list[str]]:
    """Letter → the texts on ``page`` that use it (only widgets visible on the page)."""
    found: dict[str, list[str]] = defaultdict(list)
    texts: list[str] = []
    for button in page.findChildren(QAbstractButton):
        if button.isVisibleTo(page):
            texts.append(button.text())
    for label in page.findChildren(QLabel):
        if label.isVisibleTo(page) and label.buddy() is not None:
            texts.append(label.text())
    for box in page.findChildren(QGroupBox):
        if box.isVisibleTo(page):
            texts.append(box.title())
    for text in texts:
        letter = mnemonic(text)
        if letter is not None:
            found[letter].append(text)
    return found


@pytest.fixture
def window(qtbot: Any, ctx: AppContext) -> Iterator[MainWindow]:
    w = MainWindow(ctx, poll=False)
    qtbot.addWidget(w)
    w.refresh_all()
    assert ctx.runner.wait_idle()
    w.show()
    qtbot.waitExposed(w)
    yield w
    w.shutdown()


def test_mnemonic_reads_the_letter_after_the_ampersand() -> None:
    assert mnemonic("Re&vert") == "v"
    assert mnemonic("Save && &quit") == "q"
    assert mnemonic("Plain") is None


@pytest.mark.parametrize("slug", [spec.slug for spec in PAGES])
def test_every_pages_accelerators_are_unique_against_the_menu_bar(
    window: MainWindow, slug: str
) -> None:
    window.show_page(slug)
    assert window.ctx.runner.wait_idle()
    page = window.page(slug)
    menus = {mnemonic(a.text()): a.text() for a in window.menuBar().actions()}
    assert None not in menus and len(menus) == len(window.menuBar().actions())
    clashes = {
        letter: texts + ([f"menu {menus[letter]}"] if letter in menus else [])
        for letter, texts in accelerators(page).items()
        if len(texts) > 1 or letter in menus
    }
    assert not clashes, clashes
