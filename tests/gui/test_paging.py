"""The paging row and the search box shared by the Texts and Audit pages."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence

from whoseonfirst_gui.pages.paging import SEARCH_PAUSE_MS, Pager, SearchBox


def make_pager(qtbot: Any, page_size: int = 100) -> Pager:
    pager = Pager(page_size, newer_name="Newer things", older_name="Older things")
    qtbot.addWidget(pager)
    return pager


def buttons(pager: Pager) -> tuple[bool, bool]:
    return pager.newer_button.isEnabled(), pager.older_button.isEnabled()


# --- Pager ---------------------------------------------------------------------------------


def test_nothing_to_page_before_the_first_page_arrives(qtbot: Any) -> None:
    pager = make_pager(qtbot)
    assert buttons(pager) == (False, False)
    assert pager.offset == 0


def test_label_counts_rows_with_thousands_separators(qtbot: Any) -> None:
    pager = make_pager(qtbot)
    pager.show_page(0, 100, 12_345, "empty")
    assert pager.label.text() == "1–100 of 12,345"
    assert buttons(pager) == (False, True)  # the newest page: nothing newer
    pager.show_page(1_200, 100, 12_345, "empty")
    assert pager.label.text() == "1,201–1,300 of 12,345"
    assert buttons(pager) == (True, True)
    pager.show_page(12_300, 45, 12_345, "empty")
    assert pager.label.text() == "12,301–12,345 of 12,345"
    assert buttons(pager) == (True, False)  # the oldest page: nothing older


def test_one_page_or_none(qtbot: Any) -> None:
    pager = make_pager(qtbot)
    pager.show_page(0, 7, 7, "empty")
    assert pager.label.text() == "1–7 of 7"
    assert buttons(pager) == (False, False)
    pager.show_page(0, 0, 0, "Nothing matches.")
    assert pager.label.text() == "Nothing matches."
    assert buttons(pager) == (False, False)


def test_exactly_full_last_page_has_nothing_older(qtbot: Any) -> None:
    pager = make_pager(qtbot)
    pager.show_page(100, 100, 200, "empty")
    assert pager.label.text() == "101–200 of 200"
    assert buttons(pager) == (True, False)


def test_message_replaces_the_count_and_disables_paging(qtbot: Any) -> None:
    pager = make_pager(qtbot)
    pager.show_page(100, 100, 500, "empty")
    pager.show_message("No team yet")
    assert pager.label.text() == "No team yet"
    assert buttons(pager) == (False, False)


def test_buttons_ask_for_the_neighbouring_pages(qtbot: Any) -> None:
    pager = make_pager(qtbot)
    pager.show_page(0, 100, 250, "empty")
    with qtbot.waitSignal(pager.page_requested):
        pager.older_button.click()
    assert pager.offset == 100
    # A second click before that page arrives asks for the same page again, not one further.
    with qtbot.waitSignal(pager.page_requested):
        pager.older_button.click()
    assert pager.offset == 100
    pager.show_page(100, 100, 250, "empty")
    with qtbot.waitSignal(pager.page_requested):
        pager.older_button.click()
    assert pager.offset == 200
    pager.show_page(200, 50, 250, "empty")
    with qtbot.waitSignal(pager.page_requested):
        pager.newer_button.click()
    assert pager.offset == 100


def test_first_page_and_never_before_it(qtbot: Any) -> None:
    pager = make_pager(qtbot)
    pager.show_page(300, 100, 1_000, "empty")
    with qtbot.waitSignal(pager.page_requested):
        pager.first_page()
    assert pager.offset == 0
    with qtbot.waitSignal(pager.page_requested):
        pager.go(-100)
    assert pager.offset == 0


def test_a_page_past_the_end_asks_for_the_last_page(qtbot: Any) -> None:
    pager = make_pager(qtbot)
    pager.show_page(0, 100, 400, "empty")
    with qtbot.waitSignal(pager.page_requested):
        pager.show_page(300, 0, 150, "empty")  # the list shrank while page 4 was open
    assert pager.offset == 100
    pager.show_page(100, 50, 150, "empty")
    assert pager.label.text() == "101–150 of 150"
    with qtbot.waitSignal(pager.page_requested):
        pager.show_page(100, 0, 0, "Nothing here.")  # everything went
    assert pager.offset == 0


def test_an_empty_first_page_asks_for_nothing(qtbot: Any) -> None:
    pager = make_pager(qtbot)
    with qtbot.assertNotEmitted(pager.page_requested):
        pager.show_page(0, 0, 0, "Nothing here.")
    assert pager.label.text() == "Nothing here."


def test_buttons_have_names_and_mnemonics(qtbot: Any) -> None:
    pager = make_pager(qtbot)
    assert pager.newer_button.accessibleName() == "Newer things"
    assert pager.older_button.accessibleName() == "Older things"
    # The label has no name of its own, so a screen reader reads the rows it shows.
    pager.show_page(0, 100, 205, "")
    assert pager.label.accessibleName() == "" and pager.label.text() == "1–100 of 205"
    assert pager.newer_button.shortcut() == QKeySequence("Alt+N")
    assert pager.older_button.shortcut() == QKeySequence("Alt+O")


# --- SearchBox -----------------------------------------------------------------------------


def make_box(qtbot: Any) -> tuple[SearchBox, list[str]]:
    box = SearchBox("Search  (Ctrl+F)", "Search things")
    qtbot.addWidget(box)
    settled: list[str] = []
    box.settled.connect(lambda: settled.append(box.text()))
    return box, settled


def test_search_waits_for_the_typing_to_pause(qtbot: Any) -> None:
    box, settled = make_box(qtbot)
    assert box.placeholderText() == "Search  (Ctrl+F)"
    assert box.accessibleName() == "Search things"
    assert box.isClearButtonEnabled()
    qtbot.keyClicks(box, "ann")
    assert settled == []  # not one search per key
    assert box.pause.interval() == SEARCH_PAUSE_MS and box.pause.isActive()
    with qtbot.waitSignal(box.settled):
        pass
    assert settled == ["ann"]
    assert not box.pause.isActive()  # so no second search follows


def test_enter_searches_at_once(qtbot: Any) -> None:
    box, settled = make_box(qtbot)
    qtbot.keyClicks(box, "ben")
    qtbot.keyClick(box, Qt.Key.Key_Return)
    assert settled == ["ben"]
    assert not box.pause.isActive()
    qtbot.keyClick(box, Qt.Key.Key_Return)  # nothing new typed: nothing to search again
    assert settled == ["ben"]


def test_clearing_the_box_searches_again(qtbot: Any) -> None:
    box, settled = make_box(qtbot)
    box.setText("cal")
    box.settle_now()
    box.clear()
    with qtbot.waitSignal(box.settled):
        pass
    assert settled == ["cal", ""]


def test_focus_and_select_selects_the_old_text(qtbot: Any) -> None:
    box, _ = make_box(qtbot)
    box.setText("old words")
    box.focus_and_select()
    assert box.selectedText() == "old words"
