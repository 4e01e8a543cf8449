"""Dated team and pattern changes in the app: planned changes survive later ones, the Team
table says "until" / "from", Add member asks the date with the preview, the Shifts page edits
the pattern in effect on a date, and every preview speaks the core's words.

The demo team rotates from Mon 2026-03-02 (Ann, Ben, Cal, Dee, Eve, Fay, Gus); the clock stands
at Mon 07:00 CST, before the first shift, so changes may take effect from that Monday.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from typing import Any

from PySide6.QtWidgets import QMessageBox
from sqlalchemy import select

from tests.gui.helpers import member_id
from whoseonfirst_core.db.models import ScheduleEntry
from whoseonfirst_core.db.session import Database
from whoseonfirst_core.domain.rotation import ShiftDef
from whoseonfirst_core.domain.timeutil import day_start, zone
from whoseonfirst_core.usecases import rotation, schedule
from whoseonfirst_core.usecases.config import get_pattern, set_pattern
from whoseonfirst_core.usecases.team import list_members, set_member_active
from whoseonfirst_gui.context import AppContext
from whoseonfirst_gui.pages.member_dialog import MemberDialog
from whoseonfirst_gui.pages.shifts import ShiftsPage
from whoseonfirst_gui.pages.team import TeamPage
from whoseonfirst_gui.qtmodels.pattern_model import PatternModel
from whoseonfirst_gui.qtmodels.team_model import TeamModel

CHI = zone("America/Chicago")
MON = date(2026, 3, 2)
MON16 = date(2026, 3, 16)


def loaded(qtbot: Any, page: Any) -> Any:
    qtbot.addWidget(page)
    page.refresh()
    qtbot.waitUntil(lambda: page.data is not None, timeout=5000)
    page.ctx.runner.wait_idle()
    return page


def deactivate(db: Database, ctx: AppContext, name: str, day: date) -> None:
    with db.uow("other admin") as uow:
        set_member_active(uow, ctx.clock.now(), member_id(db, name), False, day)
        uow.commit()


def eve_entries(db: Database) -> list[tuple[Any, int]]:
    eve = member_id(db, "Eve Evans")
    with db.reader() as uow:
        return [
            (e.start_at, e.member_id)
            for e in uow.session.scalars(
                select(ScheduleEntry)
                .where(ScheduleEntry.member_id == eve)
                .order_by(ScheduleEntry.start_at)
            )
        ]


def test_the_reported_case_through_the_shifts_page(
    qtbot: Any, ctx: AppContext, demo_db: Database
) -> None:
    """Eve leaves from Mon 3/16; then Monday becomes 20 h from the earliest date: the preview
    says 0 shifts change hands and names Eve's planned leave; after saving, the leave is still
    there and Eve keeps her shifts before it."""
    deactivate(demo_db, ctx, "Eve Evans", MON16)
    eve_before = eve_entries(demo_db)
    page = loaded(qtbot, ShiftsPage(ctx))
    page.model.setData(page.model.index(0, PatternModel.DURATION), 20)
    page.save_button.click()
    dialog = page.impact_dialog
    assert dialog is not None
    with qtbot.waitSignal(dialog.preview_ready, timeout=5000):
        dialog.set_effective_from(MON)
    assert dialog.status.text() == (
        "From Mon 2026-03-02: 0 shifts change hands; 12 shifts keep their person at new times."
    )
    assert dialog.tree.topLevelItemCount() == 0
    assert "Mon 2026-03-16: Eve Evans leaves the rotation" in dialog.details.text()
    assert dialog.details.isVisibleTo(dialog)
    dialog.apply_button.click()
    qtbot.waitUntil(lambda: get_pattern_of(demo_db)[0].duration_hours == 20, timeout=5000)
    ctx.runner.wait_idle()
    cut = day_start(MON16, CHI)
    assert [e for e in eve_entries(demo_db) if e[0] < cut] == [e for e in eve_before if e[0] < cut]
    assert not [e for e in eve_entries(demo_db) if e[0] >= cut]
    with demo_db.reader() as uow:
        assert MON16 in [e.effective_from for e in schedule.epochs(uow)]


def get_pattern_of(db: Database) -> tuple[ShiftDef, ...]:
    with db.reader() as uow:
        return tuple(get_pattern(uow))


def test_the_team_table_says_until_and_the_toggle_follows_today(
    qtbot: Any, ctx: AppContext, demo_db: Database
) -> None:
    deactivate(demo_db, ctx, "Eve Evans", MON16)
    page = loaded(qtbot, TeamPage(ctx))
    row = page.model.row_of(member_id(demo_db, "Eve Evans"))
    cell = page.model.index(row, TeamModel.ACTIVE)
    assert cell.data() == "yes, until Mon 3/16"
    assert "leaves the rotation from Mon 3/16/2026" in cell.data(0x03)  # tooltip
    page.select_member(member_id(demo_db, "Eve Evans"))
    assert page.team_actions["toggle"].text() == "&Deactivate…"  # she is in today
    assert [page.planned_list.item(i).text() for i in range(page.planned_list.count())] == [
        "Mon 2026-03-16: Eve Evans leaves the rotation — by other admin"
    ]


def test_a_planned_change_can_be_cancelled_from_the_team_page(
    qtbot: Any, ctx: AppContext, demo_db: Database
) -> None:
    with demo_db.reader() as uow:
        before = [(e.start_at, e.member_id) for e in uow.session.scalars(select(ScheduleEntry))]
    deactivate(demo_db, ctx, "Eve Evans", MON16)
    page = loaded(qtbot, TeamPage(ctx))
    page.planned_list.setCurrentRow(0)
    assert page.cancel_planned_button.isEnabled()
    ctx.messages.answers.append(QMessageBox.StandardButton.Yes)
    page.cancel_planned_button.click()
    qtbot.waitUntil(lambda: not planned(demo_db, ctx), timeout=5000)
    ctx.runner.wait_idle()
    with demo_db.reader() as uow:
        after = [(e.start_at, e.member_id) for e in uow.session.scalars(select(ScheduleEntry))]
    assert sorted(after) == sorted(before)


def planned(db: Database, ctx: AppContext) -> list[str]:
    with db.reader() as uow:
        return [p.text() for p in rotation.planned_changes(uow, ctx.clock.now())]


def test_add_member_asks_the_date_and_shows_the_preview(
    qtbot: Any, ctx: AppContext, demo_db: Database
) -> None:
    deactivate(demo_db, ctx, "Eve Evans", MON16)
    dialog = MemberDialog(ctx)
    qtbot.addWidget(dialog)
    view = dialog.impact_view
    assert view is not None
    flashed: list[str] = []
    ctx.messages.status.connect(lambda text, _ms: flashed.append(text))
    dialog.name_edit.setText("Zoe Zhang")
    with qtbot.waitSignal(dialog.validated, timeout=5000):
        dialog.phone_edit.setText("(312) 555-0177")
    with qtbot.waitSignal(view.preview_ready, timeout=5000):
        view.set_effective_from(date(2026, 3, 9))
    assert view.impact is not None
    assert view.status.text().startswith("From Mon 2026-03-09: ")
    assert "shifts change hands" in view.status.text()
    names = [view.tree.topLevelItem(i).text(0) for i in range(view.tree.topLevelItemCount())]
    assert "Zoe Zhang" in names
    assert "Eve Evans leaves the rotation" in view.details.text()
    with qtbot.waitSignal(dialog.saved, timeout=5000):
        dialog.ok_button.click()
    ctx.runner.wait_idle()
    with demo_db.reader() as uow:
        zoe = next(m for m in list_members(uow) if m.name == "Zoe Zhang")
        starts = [
            e.start_at
            for e in uow.session.scalars(
                select(ScheduleEntry).where(ScheduleEntry.member_id == zoe.id)
            )
        ]
    assert starts and min(starts) >= day_start(date(2026, 3, 9), CHI)
    assert any("in the rotation from Mon 3/9/2026" in t for t in flashed)


def test_the_shifts_page_edits_the_pattern_in_effect_on_a_date(
    qtbot: Any, ctx: AppContext, demo_db: Database
) -> None:
    with demo_db.uow("other admin") as uow:
        later = list(get_pattern(uow))
        later[0] = replace(later[0], name="Monday (planned)")
        set_pattern(uow, ctx.clock.now(), later, MON16)
        uow.commit()
    page = loaded(qtbot, ShiftsPage(ctx))
    assert page.model.shift_rows()[0].name == "Monday"  # in effect today
    assert page.later_label.isVisibleTo(page)
    assert "Mon 2026-03-16: new shift pattern" in page.later_label.text()
    page.show_pattern_on(MON16 + timedelta(days=1))
    qtbot.waitUntil(lambda: page.model.shift_rows()[0].name == "Monday (planned)", timeout=5000)
    assert not page.later_label.isVisibleTo(page)
    page.ctx.runner.wait_idle()
