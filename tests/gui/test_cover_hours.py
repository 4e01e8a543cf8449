"""Cover from … until …: a cover for any hours from a chip's menu, with quarter-hour pickers,
the refusal next to the fields, and the same plan/undo path as a drop."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from PySide6.QtCore import QDate, QDateTime, QTime
from PySide6.QtWidgets import QDateTimeEdit, QDialogButtonBox

from whoseonfirst_core.clock import FixedClock
from whoseonfirst_core.db.session import Database
from whoseonfirst_core.domain.overrides import Cover
from whoseonfirst_core.domain.timeutil import iso_local, zone
from whoseonfirst_core.usecases import schedule
from whoseonfirst_gui.calendar.cover_dialog import CoverHoursDialog, snap
from whoseonfirst_gui.calendar.page import CalendarPage
from whoseonfirst_gui.calendar.roles import Roles

from .conftest import ContextFactory

CHI = zone("America/Chicago")
THU = date(2026, 3, 5)


@pytest.fixture
def page(qtbot: Any, make_ctx: ContextFactory, demo_db: Database, clock: FixedClock) -> Any:
    page = CalendarPage(make_ctx(demo_db, clock))
    qtbot.addWidget(page)
    page.resize(1200, 700)
    page.refresh()
    assert page.ctx.runner.wait_idle(5000)
    return page


def _chip(page: CalendarPage, day: date) -> Any:
    found = page.model.index(0, 0, page.model.day_index(day))
    assert found.isValid()
    return found


def _open_dialog(page: CalendarPage, day: date) -> CoverHoursDialog:
    menu = page.chip_menu(_chip(page, day))
    action = next(a for a in menu.actions() if a.text() == "Cover &from … until …")
    assert action.isEnabled()
    action.trigger()
    dialog = page.findChild(CoverHoursDialog)
    assert isinstance(dialog, CoverHoursDialog) and dialog.isVisible()
    return dialog


def _set(edit: QDateTimeEdit, day: date, hour: int, minute: int) -> None:
    edit.setDateTime(QDateTime(QDate(day.year, day.month, day.day), QTime(hour, minute)))


def _ok(dialog: CoverHoursDialog) -> Any:
    return dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)


def test_snap_rounds_to_the_nearest_quarter_hour() -> None:
    assert snap(datetime(2026, 3, 5, 12, 7)) == datetime(2026, 3, 5, 12, 0)
    assert snap(datetime(2026, 3, 5, 12, 8)) == datetime(2026, 3, 5, 12, 15)
    assert snap(datetime(2026, 3, 5, 23, 53)) == datetime(2026, 3, 6, 0, 0)


def test_the_dialog_opens_on_the_chips_times_and_steps_in_quarters(page: CalendarPage) -> None:
    dialog = _open_dialog(page, THU)
    assert dialog.start_edit.wall() == datetime(2026, 3, 5, 8, 0)
    assert dialog.end_edit.wall() == datetime(2026, 3, 6, 8, 0)
    on_call = _chip(page, THU).data(Roles.MEMBER_ID)
    assert dialog.member.currentData() != on_call  # someone else covers by default
    dialog.start_edit.setCurrentSection(QDateTimeEdit.Section.MinuteSection)
    dialog.start_edit.stepBy(1)
    assert dialog.start_edit.wall() == datetime(2026, 3, 5, 8, 15)
    _set(dialog.start_edit, THU, 12, 7)  # typed off the quarter
    dialog.start_edit.editingFinished.emit()
    assert dialog.start_edit.wall() == datetime(2026, 3, 5, 12, 0)
    dialog.reject()


def test_the_refusal_shows_next_to_the_fields_without_moving_them(page: CalendarPage) -> None:
    dialog = _open_dialog(page, THU)
    dialog.adjustSize()
    assert dialog.problem.text() == "" and _ok(dialog).isEnabled()
    before = (dialog.size(), dialog.reason.geometry(), dialog.problem.geometry())
    _set(dialog.end_edit, THU, 6, 0)  # before From
    assert dialog.problem.text() == "Until must be after From."
    assert not _ok(dialog).isEnabled()
    assert (dialog.size(), dialog.reason.geometry(), dialog.problem.geometry()) == before
    _set(dialog.start_edit, date(2026, 3, 1), 10, 0)  # Sunday: before now, and Until is later
    _set(dialog.end_edit, date(2026, 3, 1), 12, 0)
    assert dialog.problem.text() and not _ok(dialog).isEnabled()  # the core's refusal
    dialog.reject()


def test_ok_pushes_a_pending_cover_that_undo_drops_and_save_applies(
    page: CalendarPage, demo_db: Database
) -> None:
    dialog = _open_dialog(page, THU)
    dialog.member.setCurrentIndex(dialog.member.findText("Ann Archer"))
    _set(dialog.start_edit, THU, 12, 0)
    _set(dialog.end_edit, THU, 18, 30)
    dialog.reason.setText("dentist")
    assert _ok(dialog).isEnabled(), dialog.problem.text()
    _ok(dialog).click()
    (edit,) = page.plan.edits
    assert isinstance(edit, Cover) and edit.reason == "dentist"
    assert (edit.start, edit.end) == (
        datetime(2026, 3, 5, 18, 0, tzinfo=UTC),
        datetime(2026, 3, 6, 0, 30, tzinfo=UTC),
    )
    assert page.undo_stack.count() == 1 and page.pending_count() == 1
    page.undo_stack.undo()
    assert page.pending_count() == 0
    page.undo_stack.redo()
    page.save()
    assert page.ctx.runner.wait_idle(5000)
    with demo_db.reader() as uow:
        view = schedule.preview(uow, THU, 1)
    covers = [
        (iso_local(s.start, CHI), iso_local(s.end, CHI), s.member_name)
        for s in view.spans
        if s.is_override
    ]
    assert covers == [("2026-03-05T12:00:00-06:00", "2026-03-05T18:30:00-06:00", "Ann Archer")]


def test_every_chip_and_day_menu_entry_has_a_unique_accelerator(page: CalendarPage) -> None:
    for index in (_chip(page, THU), page.model.day_index(THU)):
        menu = page.chip_menu(index)
        keys = [_accelerator(a.text()) for a in menu.actions() if not a.isSeparator()]
        assert keys and all(keys), [a.text() for a in menu.actions()]
        assert len(set(keys)) == len(keys), keys


def _accelerator(text: str) -> str:
    """The letter after the single ``&`` of a menu text ("" for none)."""
    plain = text.replace("&&", "")
    at = plain.find("&")
    return plain[at + 1].lower() if 0 <= at < len(plain) - 1 else ""
