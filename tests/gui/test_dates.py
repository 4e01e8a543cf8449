"""Dates and times in one QLocale family, in the C and en_US locales (and one more), and the
plurals that replaced "(s)"."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QDate, QLocale
from PySide6.QtWidgets import QDateEdit

from whoseonfirst_core.domain.plurals import plural
from whoseonfirst_core.domain.timeutil import zone
from whoseonfirst_gui import format as fmt
from whoseonfirst_gui.calendar.days import day_label, range_title

CHI = zone("America/Chicago")
TUE = datetime(2026, 3, 3, 14, 0, 1, tzinfo=UTC)  # Tue 08:00:01 CST
SUMMER = datetime(2026, 7, 7, 13, 0, tzinfo=UTC)  # Tue 08:00 CDT


@pytest.fixture
def use_locale(qapp: Any) -> Iterator[Any]:
    before = QLocale()

    def use(name: str) -> None:
        QLocale.setDefault(QLocale(name))

    yield use
    QLocale.setDefault(before)


@pytest.mark.parametrize("name", ["C", "en_US"])
def test_c_and_en_us_write_one_family(use_locale: Any, name: str) -> None:
    use_locale(name)
    assert fmt.when(TUE, CHI) == "Tue 3/3/2026 08:00 CST"
    assert fmt.when_compact(TUE, CHI) == "Tue 3/3 08:00 CST"
    assert fmt.when_short(SUMMER, CHI) == "Tue 08:00 CDT"
    assert fmt.when_exact(TUE, CHI) == "Tue 08:00:01 CST"
    assert fmt.day_text(date(2026, 12, 1)) == "Tue 12/1/2026"  # not "1 12 2026"
    assert day_label(date(2026, 3, 3)) == "Tue 3/3"
    assert range_title(date(2026, 3, 2), 7, None) == "Mar 2 – Mar 8, 2026"
    assert range_title(date(2025, 12, 29), 7, None) == "Dec 29, 2025 – Jan 4, 2026"
    assert range_title(date(2026, 2, 23), 35, 3) == "March 2026"
    assert fmt.day_long(date(2026, 3, 3)) == "Tuesday, March 3, 2026"


def test_another_locale_keeps_the_same_shape(use_locale: Any) -> None:
    use_locale("en_GB")
    assert fmt.when(TUE, CHI) == "Tue 03/03/2026 08:00 CST"
    assert fmt.when_compact(TUE, CHI) == "Tue 03/03 08:00 CST"
    assert range_title(date(2026, 3, 2), 7, None) == "2 Mar – 8 Mar 2026"
    use_locale("de_DE")
    assert fmt.when(TUE, CHI) == "Di. 03.03.2026 08:00 CST"  # 24-hour times in every locale


@pytest.mark.parametrize(("name", "shown"), [("C", "Tue 12/1/2026"), ("en_US", "Tue 12/1/2026")])
def test_date_pickers_use_the_family(qtbot: Any, use_locale: Any, name: str, shown: str) -> None:
    use_locale(name)
    edit = QDateEdit(QDate(2026, 12, 1))
    qtbot.addWidget(edit)
    edit.setDisplayFormat(fmt.date_edit_format())
    assert edit.text() == shown


def test_no_strftime_dates_left_in_the_app() -> None:
    """Every date the app shows goes through format.py: no ``%a``/``%b``/``%Y`` elsewhere."""
    root = Path(__file__).parents[2] / "whoseonfirst_gui"
    offenders = [
        f"{path.relative_to(root)}: {line.strip()}"
        for path in root.rglob("*.py")
        for line in path.read_text(encoding="utf-8").splitlines()
        if re.search(r"strftime|:%[aAbBdYmy]", line)
    ]
    assert not offenders, offenders


def test_plurals() -> None:
    assert plural(1, "edit") == "1 edit"
    assert plural(0, "edit") == "0 edits"
    assert plural(3, "unsaved edit") == "3 unsaved edits"
    assert plural(2, "person", "people") == "2 people"


def test_no_parenthesised_plurals_left() -> None:
    root = Path(__file__).parents[2]
    offenders = [
        f"{path.relative_to(root)}: {line.strip()}"
        for folder in ("whoseonfirst_gui", "whoseonfirst_core")
        for path in (root / folder).rglob("*.py")
        for line in path.read_text(encoding="utf-8").splitlines()
        # inside a one-line string literal (messages), not code or docstrings
        if re.search(r'(?<!")"[^"]*\b[a-z]+\(s\)[^"]*"', line) and '"""' not in line
    ]
    assert not offenders, offenders
