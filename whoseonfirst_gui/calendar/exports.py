"""File ▸ Export schedule as CSV…, Print… and Export PDF…: the week or month the Calendar
shows, as saved (pending edits are not on it until Save).

The CSV is the core's :func:`~whoseonfirst_core.usecases.schedule_rows.schedule_csv`, the
same rows as ``whoseonfirst-service preview --csv``; the page is
:mod:`.print_sheet` drawn by :mod:`.printing`. Reading runs on the task runner; drawing on the
GUI thread.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TypeVar

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import QDialog, QFileDialog, QWidget

from whoseonfirst_core.db.session import Database, UnitOfWork
from whoseonfirst_core.domain.plurals import plural
from whoseonfirst_core.domain.timeutil import day_start, local_date
from whoseonfirst_core.usecases.common import has_team, team_zone
from whoseonfirst_core.usecases.schedule import schedule_view
from whoseonfirst_core.usecases.schedule_rows import schedule_csv
from whoseonfirst_gui.calendar.days import ViewMode, range_title, visible_days
from whoseonfirst_gui.calendar.page import CalendarPage
from whoseonfirst_gui.calendar.print_sheet import ScheduleSheet, fetch_sheet
from whoseonfirst_gui.calendar.printing import print_sheet, set_up_page, sheet_image, write_pdf

T = TypeVar("T")
Window = tuple[date, int, int | None]  # first day, number of days, focus month
VIEW_MODES: tuple[ViewMode, ...] = ("week", "month")


def schedule_actions(parent: QWidget, page: CalendarPage) -> tuple[QAction, ...]:
    """The File menu's entries for the Calendar's week or month."""
    tip = "The week or month the Calendar shows, as saved"
    items: tuple[tuple[str, Callable[[], None], QKeySequence | None], ...] = (
        ("Export schedule as &CSV…", lambda: export_csv(page), None),
        ("&Print…", lambda: print_schedule(page), QKeySequence(QKeySequence.StandardKey.Print)),
        ("Export P&DF…", lambda: export_pdf(page), None),
    )
    actions = []
    for text, slot, shortcut in items:
        action = QAction(text, parent)
        if shortcut is not None:
            action.setShortcut(shortcut)
        action.setStatusTip(tip)
        action.setToolTip(tip)
        action.triggered.connect(lambda _checked=False, run=slot: run())
        actions.append(action)
    return tuple(actions)


def export_csv(page: CalendarPage, path: str | None = None) -> None:
    """Write the shown range's resolved schedule as CSV to ``path`` (None: ask)."""
    path = path if path is not None else _ask_path(page, "Export schedule as CSV", "csv")
    if not path:
        return

    def task(uow: UnitOfWork, window: Window) -> str:
        first_day, days, _focus = window
        tz = team_zone(uow)
        view = schedule_view(
            uow, day_start(first_day, tz), day_start(first_day + timedelta(days=days), tz)
        )
        Path(path).write_text(schedule_csv(view), encoding="utf-8", newline="")
        return range_title(*window)

    _read(page, task, lambda title: _done(page, f"Exported {title} to {path}."))


def export_pdf(page: CalendarPage, path: str | None = None) -> None:
    """Write the shown week or month as a one-page PDF to ``path`` (None: ask)."""
    path = path if path is not None else _ask_path(page, "Export PDF", "pdf")
    if not path:
        return

    def done(sheet: ScheduleSheet) -> None:
        try:
            write_pdf(path, sheet)
        except OSError as exc:
            page.ctx.messages.exception(exc)
            return
        _done(page, f"Exported {sheet.range_text} to {path}.")

    _read(page, _sheet_task(page.ctx.clock.now()), done)


def print_schedule(page: CalendarPage, printer: QPrinter | None = None) -> None:
    """Print the shown week or month: ``printer`` as given (tests, a PDF-format printer), or
    the one the user picks in the print dialog."""
    if printer is None:
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        set_up_page(printer)
        dialog = QPrintDialog(printer, page.window())
        dialog.setWindowTitle("Print the schedule")
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
    chosen = printer

    def done(sheet: ScheduleSheet) -> None:
        try:
            print_sheet(chosen, sheet)
        except OSError as exc:
            page.ctx.messages.exception(exc)
            return
        _done(page, f"Printed {sheet.range_text}.")

    _read(page, _sheet_task(page.ctx.clock.now()), done)


# --- plumbing -------------------------------------------------------------------------------


def _sheet_task(now: datetime) -> Callable[[UnitOfWork, Window], ScheduleSheet]:
    return lambda uow, window: fetch_sheet(uow, now, *window)


def shown_window(uow: UnitOfWork, now: datetime, anchor: date | None, mode: ViewMode) -> Window:
    """The week or month around ``anchor`` (None: today's, in the team's zone)."""
    return visible_days(anchor if anchor is not None else local_date(now, team_zone(uow)), mode)


def _read(
    page: CalendarPage, query: Callable[[UnitOfWork, Window], T], on_done: Callable[[T], None]
) -> None:
    """Run ``query`` for the range the page shows (this week before the first load)."""
    anchor, mode, now = page.anchor, page.mode, page.ctx.clock.now()
    page.read(lambda uow: query(uow, shown_window(uow, now, anchor, mode)), on_done, key="export")


def write_printed_pages(db: Database, now: datetime, directory: Path) -> list[Path]:
    """This week and this month as File ▸ Print… lays them out, to ``directory/print-week.png``
    and ``print-month.png`` (``whoseonfirst --screenshots``); none without a team."""
    with db.reader() as uow:
        if not has_team(uow):
            return []
        sheets = [
            (mode, fetch_sheet(uow, now, *shown_window(uow, now, None, mode)))
            for mode in VIEW_MODES
        ]
    written = []
    for mode, sheet in sheets:
        path = directory / f"print-{mode}.png"
        if not sheet_image(sheet).save(str(path)):
            raise OSError(f"could not write {path}")
        written.append(path)
    return written


def _ask_path(page: CalendarPage, title: str, suffix: str) -> str:
    first = page.model.first_day
    name = f"schedule-{first.isoformat()}.{suffix}" if first is not None else f"schedule.{suffix}"
    path, _ = QFileDialog.getSaveFileName(
        page.window(), title, name, f"{suffix.upper()} files (*.{suffix})"
    )
    return path


def _done(page: CalendarPage, text: str) -> None:
    pending = page.pending_count()
    if pending:
        edits = plural(pending, "unsaved edit")
        one = pending == 1
        text += (
            f" Your {edits} {'is' if one else 'are'} not in it: "
            f"Save first to include {'it' if one else 'them'}."
        )
    page.ctx.messages.flash(text, 10_000)
