"""The Calendar's week and month on paper (File ▸ Print…, Export PDF…) and as CSV (File ▸
Export schedule as CSV…), offscreen.

The demo team (anchor Mon 2026-03-02, shifts at 08:00 America/Chicago; clocks spring forward on
Sun 3/8); Gus Grant covers Sat 3/7 20:00 CST → Sun 3/8 12:00 CDT (Eve's and then Fay's shift).
"""

from __future__ import annotations

import dataclasses
import io
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pypdf
import pytest
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtPrintSupport import QPrinter

from whoseonfirst_core.clock import FixedClock
from whoseonfirst_core.db.session import Database
from whoseonfirst_core.usecases.calendar import Cover, add_override
from whoseonfirst_core.usecases.common import find_member
from whoseonfirst_core.usecases.schedule import preview
from whoseonfirst_core.usecases.schedule_rows import schedule_csv
from whoseonfirst_gui import mime
from whoseonfirst_gui.calendar.days import ViewMode, visible_days
from whoseonfirst_gui.calendar.exports import export_csv, export_pdf, print_schedule
from whoseonfirst_gui.calendar.page import CalendarPage
from whoseonfirst_gui.calendar.print_sheet import ScheduleSheet, SheetChip, fetch_sheet
from whoseonfirst_gui.calendar.printing import SheetPainter, set_up_page, sheet_image
from whoseonfirst_gui.main_window import MainWindow

from .conftest import ContextFactory

MON, SAT, SUN = date(2026, 3, 2), date(2026, 3, 7), date(2026, 3, 8)
DEMO = ["Ann Archer", "Ben Brooks", "Cal Chen", "Dee Diaz", "Eve Evans", "Fay Fisher", "Gus Grant"]


@pytest.fixture
def covered(demo_db: Database, clock: FixedClock) -> Database:
    with demo_db.uow("admin") as uow:
        gus = find_member(uow, "Gus Grant")
        assert gus is not None
        start, end = datetime(2026, 3, 8, 2, tzinfo=UTC), datetime(2026, 3, 8, 17, tzinfo=UTC)
        add_override(uow, clock.now(), Cover(gus.id, start, end, "swap"))
        uow.commit()
    return demo_db


@pytest.fixture
def page(
    qtbot: Any, make_ctx: ContextFactory, covered: Database, clock: FixedClock
) -> CalendarPage:
    p = CalendarPage(make_ctx(covered, clock))
    qtbot.addWidget(p)
    p.go_to(MON, "week")
    assert p.ctx.runner.wait_idle(5000)
    return p


def sheet(
    db: Database, clock: FixedClock, first: date, days: int, focus: int | None
) -> ScheduleSheet:
    with db.reader() as uow:
        return fetch_sheet(uow, clock.now(), first, days, focus)


def read_pdf(path: Path) -> str:
    """The text of a one-page, landscape Letter PDF, read back by pypdf (not Qt), with runs
    of white space as one space."""
    data = path.read_bytes()
    assert data.startswith(b"%PDF-1.")
    assert data.rstrip().endswith(b"%%EOF")
    reader = pypdf.PdfReader(io.BytesIO(data))
    [page] = reader.pages
    assert (float(page.mediabox.width), float(page.mediabox.height)) == (792, 612)
    return " ".join(page.extract_text().split())


def assert_the_covered_week_is_on_it(text: str) -> None:
    assert text.startswith("Support (demo) — on call Mar 2 – Mar 8, 2026")
    assert "Times in America/Chicago (CST, CDT)" in text
    for name in DEMO:
        assert name in text
    assert "⇄ Gus Grant 20:00 CST → Sun 08:00 CDT covers Eve Evans" in text
    assert "Clocks change: CST → CDT" in text
    assert "Printed Mon 3/2/2026 07:00 CST from WhoseOnFirst" in text


def ink(image: QImage) -> int:
    """How many sampled pixels are not white."""
    white = QColor("white").rgb()
    return sum(
        image.pixel(x, y) != white
        for x in range(0, image.width(), 4)
        for y in range(0, image.height(), 4)
    )


def test_the_week_sheet_says_everything_in_words(covered: Database, clock: FixedClock) -> None:
    week = sheet(covered, clock, MON, 7, None)
    assert week.title == "Support (demo) — on call"
    assert week.range_text == "Mar 2 – Mar 8, 2026"
    assert week.zone_text == "Times in America/Chicago (CST, CDT)"
    assert week.printed_text == "Printed Mon 3/2/2026 07:00 CST from WhoseOnFirst"
    [days] = week.weeks
    assert [d.label for d in days] == [
        f"{w} 3/{n}"
        for w, n in zip(("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"), range(2, 9), strict=True)
    ]
    assert {c.name for d in days for c in d.chips} == set(DEMO)  # all seven: Gus by his cover
    sat, sun = days[5], days[6]
    assert [(c.name, c.when, c.note, c.override) for c in sat.chips] == [
        ("Eve Evans", "08:00 CST →\nSat 20:00 CST", "Saturday", False),
        ("Gus Grant", "20:00 CST →\nSun 08:00 CDT", "covers Eve Evans", True),
    ]
    assert [(c.name, c.note, c.override) for c in sun.chips] == [
        ("Gus Grant", "covers Fay Fisher", True),
        ("Fay Fisher", "Sunday", False),
    ]
    assert sun.dst_change == "CST → CDT" and sat.dst_change is None
    # The Monday before the first shift (00:00–08:00) had nobody: the rotation starts at 08:00.
    assert days[0].gaps == ("00:00–08:00 CST",)


def test_the_month_sheet_has_whole_weeks(covered: Database, clock: FixedClock) -> None:
    month = sheet(covered, clock, *visible_days(SUN, "month"))
    assert month.mode == "month" and month.range_text == "March 2026"
    assert len(month.weeks) == 6 and all(len(w) == 7 for w in month.weeks)
    first, last = month.weeks[0], month.weeks[-1]
    assert [d.label for d in first] == ["23", "24", "25", "26", "27", "28", "Mar 1"]
    assert [d.in_focus for d in first] == [False] * 6 + [True]
    assert [d.label for d in last] == ["30", "31", "Apr 1", "2", "3", "4", "5"]
    assert first[0].gaps == ("all day",)  # before the rotation's first day
    sat = month.weeks[1][5]
    assert [(c.when, c.name, c.override) for c in sat.chips] == [
        ("08:00", "Eve Evans", False),
        ("20:00", "Gus Grant", True),
    ]


@pytest.mark.parametrize("mode", ["week", "month"])
def test_every_name_is_drawn_whole_in_ink(
    qapp: Any, covered: Database, clock: FixedClock, mode: ViewMode
) -> None:
    printed = sheet(covered, clock, *visible_days(SUN, mode))
    image = QImage(1100, 850, QImage.Format.Format_RGB32)
    image.fill(QColor("white"))
    painter = QPainter(image)
    drawer = SheetPainter(painter, 100)
    drawer.paint(QRectF(0, 0, image.width(), image.height()), printed)
    painter.end()
    drawn = "\n".join(drawer.drawn)
    for name in DEMO:
        assert name in drawn, name  # not elided away
    assert "covers" in drawn and "⇄" in drawn and "No one on call" in drawn
    assert printed.printed_text in drawer.drawn and printed.zone_text in drawer.drawn
    assert ink(image) > 2000  # grid, words and patterns, not a blank page
    assert ink(sheet_image(printed)) > 2000


def test_a_crowded_day_says_how_many_more(qapp: Any, covered: Database, clock: FixedClock) -> None:
    month = sheet(covered, clock, *visible_days(SUN, "month"))
    chip = SheetChip("Zed Zulu", "08:00", "Monday", False, "#1F5FAD")
    crowded = dataclasses.replace(month.weeks[1][0], chips=(chip,) * 40)
    weeks = (month.weeks[0], (crowded, *month.weeks[1][1:]), *month.weeks[2:])
    image = QImage(1100, 850, QImage.Format.Format_RGB32)
    painter = QPainter(image)
    drawer = SheetPainter(painter, 100)
    drawer.paint(QRectF(0, 0, 1100, 850), dataclasses.replace(month, weeks=weeks))
    painter.end()
    [more] = [t for t in drawer.drawn if t.endswith(" more")]
    shown = drawer.drawn.count("08:00 Zed Zulu")
    assert 0 < shown < 40 and more == f"+{40 - shown} more"


def test_saving_first_is_suggested_when_edits_are_pending(
    page: CalendarPage, tmp_path: Path
) -> None:
    page.reason_provider = lambda proposal: "sick"
    day = page.model.day_index(date(2026, 3, 5))
    chip_index = page.model.index(0, 0, day)
    gus = next(m.id for m in page.plan.members if m.name == "Gus Grant")
    assert page.model.dropMimeData(
        mime.member_mime(gus), Qt.DropAction.CopyAction, -1, -1, chip_index
    )
    assert page.pending_count() == 1
    flashed: list[str] = []
    page.ctx.messages.status.connect(lambda text, _ms: flashed.append(text))
    export_pdf(page, str(tmp_path / "week.pdf"))
    assert page.ctx.runner.wait_idle(5000)
    assert flashed == [
        f"Exported Mar 2 – Mar 8, 2026 to {tmp_path / 'week.pdf'}. Your 1 unsaved edit is "
        "not in it: Save first to include it."
    ]


@pytest.mark.parametrize("mode", ["week", "month"])
def test_export_pdf_writes_one_page(page: CalendarPage, tmp_path: Path, mode: ViewMode) -> None:
    page.set_mode(mode)
    assert page.ctx.runner.wait_idle(5000)
    path = tmp_path / f"{mode}.pdf"
    export_pdf(page, str(path))
    assert page.ctx.runner.wait_idle(5000)
    text = read_pdf(path)
    if mode == "week":
        assert_the_covered_week_is_on_it(text)
    else:
        assert text.startswith("Support (demo) — on call March 2026")
        assert "⇄ 20:00 Gus Grant covers Eve Evans" in text
        assert "Apr 1" in text and "No one on call all day" in text


def test_export_pdf_into_a_missing_folder_says_so(page: CalendarPage, tmp_path: Path) -> None:
    export_pdf(page, str(tmp_path / "nowhere" / "week.pdf"))
    assert page.ctx.runner.wait_idle(5000)
    [message] = page.ctx.messages.sink
    assert "No such file or directory" in f"{message.text} {message.details}"
    page.ctx.messages.sink.clear()


def test_print_renders_to_a_pdf_printer(page: CalendarPage, tmp_path: Path) -> None:
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    set_up_page(printer)
    path = tmp_path / "printed.pdf"
    printer.setOutputFileName(str(path))
    print_schedule(page, printer)
    assert page.ctx.runner.wait_idle(5000)
    assert_the_covered_week_is_on_it(read_pdf(path))


def test_export_csv_is_the_core_csv_of_the_week_shown(
    page: CalendarPage, covered: Database, tmp_path: Path
) -> None:
    path = tmp_path / "week.csv"
    export_csv(page, str(path))
    assert page.ctx.runner.wait_idle(5000)
    with covered.reader() as uow:
        expected = schedule_csv(preview(uow, MON, 7))
    assert path.read_bytes() == expected.encode()
    assert "Gus Grant,Eve Evans,true" in expected


def test_file_menu_offers_print_pdf_and_csv(qtbot: Any, page: CalendarPage) -> None:
    window = MainWindow(page.ctx, poll=False)
    qtbot.addWidget(window)
    [file_menu] = [a.menu() for a in window.menuBar().actions() if a.text() == "&File"]
    texts = [a.text() for a in file_menu.actions()]
    for text in ("Export schedule as &CSV…", "&Print…", "Export P&DF…"):
        assert text in texts
    window.shutdown()
