"""Reading a long, newest-first list a page at a time (the Texts and Audit pages).

``Pager`` is the row under the table — ``◀ Newer   1–100 of 12,345   Older ▶`` — and owns the
offset of the page to load. ``SearchBox`` is a filter box that says when the typing has
settled. ``PagedListPage`` wires the two into a page:

- ``pager.page_requested`` → the page's ``refresh()``, which reads the page at ``offset``;
- ``search.settled`` → ``pager.first_page()``: a new filter starts again at the newest rows
  (a page connects its other filters the same way);
- the page's ``_show`` hands what it read to ``pager.show_page(offset, rows, total, empty)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from PySide6.QtCore import QAbstractItemModel, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QLayout,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from whoseonfirst_gui.context import AppContext
from whoseonfirst_gui.pages.base import Page

#: How long the typing must pause before a search runs: one query per word, not per key.
SEARCH_PAUSE_MS = 300

RowT = TypeVar("RowT")


@dataclass(frozen=True)
class ListPageData(Generic[RowT]):
    """One page of a newest-first list as read: ``rows`` from row ``offset`` of ``total``, and
    the team's time zone (IANA name) to show their instants in."""

    rows: tuple[RowT, ...]
    total: int
    offset: int
    tz_name: str


class SearchBox(QLineEdit):
    """A free-text filter: ``settled`` fires once the typing pauses, or at once on Enter."""

    settled = Signal()

    def __init__(
        self, placeholder: str, accessible_name: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setPlaceholderText(placeholder)
        self.setClearButtonEnabled(True)
        self.setAccessibleName(accessible_name)
        self.pause = QTimer(self)
        self.pause.setSingleShot(True)
        self.pause.setInterval(SEARCH_PAUSE_MS)
        self.pause.timeout.connect(self.settled)
        self.textChanged.connect(lambda _text: self.pause.start())
        self.returnPressed.connect(self.settle_now)

    def settle_now(self) -> None:
        """Search for what is typed now, without waiting for the pause (Enter)."""
        if self.pause.isActive():
            self.pause.stop()
            self.settled.emit()

    def focus_and_select(self) -> None:
        """Ctrl+F: put the cursor here with the old text selected, so typing replaces it."""
        self.setFocus()
        self.selectAll()


class Pager(QWidget):
    """The Newer/Older row under a newest-first list read ``page_size`` rows at a time.

    The buttons move from the page on screen (so a second click while a page loads asks for
    the same page, not one further) and are disabled at either end of the list.
    """

    #: Load the page that starts at ``offset`` (rows from the newest, 0-based).
    page_requested = Signal()

    def __init__(
        self, page_size: int, *, newer_name: str, older_name: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.page_size = page_size
        self.offset = 0  # the first row of the page to load
        self._shown_offset = 0  # the first row of the page on screen
        self._shown_rows = 0
        self._total = 0
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)  # lies in the page's layout like a plain row
        self.newer_button = QPushButton("◀ &Newer")
        self.older_button = QPushButton("&Older ▶")
        self.newer_button.setAccessibleName(newer_name)
        self.older_button.setAccessibleName(older_name)
        self.label = QLabel()
        # No accessible name: a screen reader reads the label's own text ("1–100 of 205").
        self.label.setAccessibleDescription("Rows shown")
        layout.addWidget(self.newer_button)
        layout.addWidget(self.label)
        layout.addWidget(self.older_button)
        layout.addStretch(1)
        self.newer_button.clicked.connect(lambda: self.go(self._shown_offset - page_size))
        self.older_button.clicked.connect(lambda: self.go(self._shown_offset + page_size))
        self._update_buttons()

    def go(self, offset: int) -> None:
        """Ask for the page starting at ``offset`` (never before the first row)."""
        self.offset = max(0, offset)
        self.page_requested.emit()

    def first_page(self) -> None:
        """Start again at the newest rows (a filter changed)."""
        self.go(0)

    def show_page(self, offset: int, rows: int, total: int, empty_text: str) -> None:
        """Rows ``offset`` to ``offset + rows`` of ``total`` are on screen; ``empty_text`` says
        why there are none when ``total`` is 0."""
        last_page = max(0, (total - 1) // self.page_size * self.page_size)
        if rows == 0 and offset > last_page:
            # The list shrank under this page (texts purged, a backup restored): show the last
            # page that has rows rather than "201–200 of 150".
            self.go(last_page)
            return
        self._shown_offset, self._shown_rows, self._total = offset, rows, total
        self.label.setText(
            empty_text if total == 0 else f"{offset + 1:,}–{offset + rows:,} of {total:,}"
        )
        self._update_buttons()

    def show_message(self, text: str) -> None:
        """No list to page through (no team yet): say ``text`` instead."""
        self._shown_offset = self._shown_rows = self._total = 0
        self.label.setText(text)
        self._update_buttons()

    def _update_buttons(self) -> None:
        self.newer_button.setEnabled(self._shown_offset > 0)
        self.older_button.setEnabled(self._shown_offset + self._shown_rows < self._total)


class PagedListPage(Page):
    """A page over a long newest-first list: a ``search`` box, a table, a ``pager``.

    The subclass lays them out with :meth:`lay_out`, reads the page at :attr:`offset` in
    ``refresh()`` (it runs again whenever the pager asks) and shows what it read with
    ``pager.show_page``.
    """

    #: Rows read per page.
    page_size = 100
    #: The search box's placeholder and accessible name.
    search_words = ("Search", "Search")
    #: The accessible names of the Newer and Older buttons.
    pager_words = ("Newer page", "Older page")

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.search = SearchBox(*self.search_words)
        newer, older = self.pager_words
        self.pager = Pager(self.page_size, newer_name=newer, older_name=older)
        self.newer_button = self.pager.newer_button
        self.older_button = self.pager.older_button
        self.page_label = self.pager.label
        self.pager.page_requested.connect(self.refresh)
        self.search.settled.connect(self.pager.first_page)

    @property
    def offset(self) -> int:
        """The first row (0 = the newest) of the page shown or being read."""
        return self.pager.offset

    def focus_search(self) -> None:
        self.search.focus_and_select()

    def lay_out(
        self,
        top: Sequence[QWidget | QLayout],
        table: QTableView,
        details: QWidget,
        *,
        details_stretch: int,
    ) -> QSplitter:
        """Lay the page out: the ``top`` rows (title, search and filters), then ``table`` over
        ``details`` in a splitter that shares its height 3 : ``details_stretch``, then the pager.
        Returns the splitter."""
        layout = QVBoxLayout(self)
        for row in top:
            if isinstance(row, QLayout):
                layout.addLayout(row)
            else:
                layout.addWidget(row)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(table)
        split.addWidget(details)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, details_stretch)
        layout.addWidget(split, 1)
        layout.addWidget(self.pager)
        return split


def list_table(model: QAbstractItemModel, accessible_name: str) -> QTableView:
    """The table of a paged list: whole rows, one selected at a time (its details show below)."""
    view = QTableView()
    view.setModel(model)
    view.setAccessibleName(accessible_name)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setAlternatingRowColors(True)
    view.verticalHeader().setVisible(False)
    view.horizontalHeader().setStretchLastSection(True)
    return view
