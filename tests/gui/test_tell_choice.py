"""The "Tell the people affected" box on every save that can change who is on call, and the
Dashboard's waiting notices (issue 12), offscreen.

The demo team rotates from Mon 2026-03-02 (Ann Mon, Ben Tue–Wed, Cal Thu, Dee Fri, Eve Sat, Fay
Sun, Gus next Mon); the clock stands at Mon 07:00 CST and a first tick has recorded everyone's
on-call as told. Ticked, a save leaves notices for the people it affects (waiting for the
bundling delay); unticked, it leaves none and the audit log says so.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox
from sqlalchemy import select

from tests.gui.helpers import member_id
from whoseonfirst_core.clock import FixedClock
from whoseonfirst_core.db.models import AuditEntry
from whoseonfirst_core.db.session import Database
from whoseonfirst_core.roster import dumps_roster, export_roster_data
from whoseonfirst_core.usecases.notices import decide, plan_notices
from whoseonfirst_core.usecases.team import set_member_active
from whoseonfirst_gui import mime
from whoseonfirst_gui.calendar.page import CalendarPage
from whoseonfirst_gui.context import AppContext
from whoseonfirst_gui.main_window import MainWindow
from whoseonfirst_gui.pages.dashboard import DashboardPage
from whoseonfirst_gui.pages.impact_dialog import ImpactDialog
from whoseonfirst_gui.pages.member_dialog import MemberDialog
from whoseonfirst_gui.pages.shifts import ShiftsPage
from whoseonfirst_gui.pages.team import TeamPage
from whoseonfirst_gui.qtmodels.pattern_model import PatternModel
from whoseonfirst_gui.tell import TELL_LABEL

THU = date(2026, 3, 5)
COPY = Qt.DropAction.CopyAction
QUIET = "saved without telling the people affected"


@pytest.fixture
def told(ctx: AppContext, demo_db: Database, clock: FixedClock) -> AppContext:
    with demo_db.uow("service") as uow:
        plan_notices(uow, clock.now(), actor="service")
        uow.commit()
    return ctx


def _waiting(db: Database, now: datetime) -> set[str]:
    """Who the saved changes leave a notice for."""
    with db.reader() as uow:
        return {d.member.name for d in decide(uow, now) if d.texts}


def _skipped(db: Database) -> list[str]:
    with db.reader() as uow:
        return list(
            uow.session.scalars(
                select(AuditEntry.summary).where(AuditEntry.action == "notices.skipped")
            )
        )


def _loaded(qtbot: Any, page: Any) -> Any:
    qtbot.addWidget(page)
    page.refresh()
    assert page.ctx.runner.wait_idle(5000)
    return page


def _check(db: Database, now: datetime, tell: bool, people: set[str]) -> None:
    if tell:
        assert _waiting(db, now) == people
        assert _skipped(db) == []
    else:
        assert _waiting(db, now) == set()
        [summary] = _skipped(db)
        assert summary == f"{QUIET}: " + ", ".join(sorted(people))


def _apply(qtbot: Any, dialog: ImpactDialog | None, day: date, tell: bool) -> None:
    assert dialog is not None
    assert dialog.tell_box.isChecked() and dialog.tell_box.text() == TELL_LABEL
    with qtbot.waitSignal(dialog.preview_ready, timeout=5000):
        dialog.set_effective_from(day)
    dialog.tell_box.setChecked(tell)
    dialog.apply_button.click()


@pytest.mark.parametrize("tell", [True, False])
def test_the_calendars_save_tells_or_not_and_the_box_is_ticked_again(
    qtbot: Any, told: AppContext, demo_db: Database, clock: FixedClock, tell: bool
) -> None:
    page = CalendarPage(told)
    page.reason_provider = lambda _proposal: "sick"
    _loaded(qtbot, page)
    assert not page.tell_box.isEnabled()  # nothing to save yet
    thursday = page.model.index(0, 0, page.model.day_index(THU))
    ann = next(m.id for m in page.plan.members if m.name == "Ann Archer")
    assert page.model.dropMimeData(mime.member_mime(ann), COPY, -1, -1, thursday)
    assert page.tell_box.isEnabled() and page.tell_box.isChecked()
    page.tell_box.setChecked(tell)
    page.save()
    assert told.runner.wait_idle(5000)
    assert page.pending_count() == 0
    _check(demo_db, clock.now(), tell, {"Ann Archer", "Cal Chen"})
    assert page.tell_box.isChecked()  # the next save starts ticked


@pytest.mark.parametrize("tell", [True, False])
def test_a_team_reorder_through_the_impact_dialog_tells_or_not(
    qtbot: Any, told: AppContext, demo_db: Database, clock: FixedClock, tell: bool
) -> None:
    page = _loaded(qtbot, TeamPage(told))
    order = [r.member.id for r in page.data.rows]
    order[0], order[1] = order[1], order[0]  # Ben before Ann
    page.request_reorder(order)
    _apply(qtbot, page.impact_dialog, date(2026, 3, 9), tell)
    assert told.runner.wait_idle(5000)
    moved = _waiting(demo_db, clock.now())
    if tell:
        assert {"Ann Archer", "Ben Brooks"} <= moved and _skipped(demo_db) == []
    else:
        assert moved == set()
        [summary] = _skipped(demo_db)
        assert summary.startswith(f"{QUIET}: Ann Archer, Ben Brooks")


def test_deactivating_untold_is_audited(
    qtbot: Any, told: AppContext, demo_db: Database, clock: FixedClock
) -> None:
    page = _loaded(qtbot, TeamPage(told))
    page.select_member(member_id(demo_db, "Gus Grant"))
    page.toggle_active_selected()
    _apply(qtbot, page.impact_dialog, date(2026, 3, 9), False)
    assert told.runner.wait_idle(5000)
    assert _waiting(demo_db, clock.now()) == set()
    assert _skipped(demo_db)[0].startswith(f"{QUIET}: ")
    assert "Gus Grant" in _skipped(demo_db)[0]


def test_a_shift_pattern_change_saved_untold(
    qtbot: Any, told: AppContext, demo_db: Database, clock: FixedClock
) -> None:
    page = _loaded(qtbot, ShiftsPage(told))
    page.model.setData(page.model.index(0, PatternModel.DURATION), 20)
    page.save_button.click()
    _apply(qtbot, page.impact_dialog, date(2026, 3, 9), False)
    assert told.runner.wait_idle(5000)
    assert _waiting(demo_db, clock.now()) == set()
    assert len(_skipped(demo_db)) == 1


@pytest.mark.parametrize("tell", [True, False])
def test_cancelling_a_planned_change_asks_whether_to_tell(
    qtbot: Any, told: AppContext, demo_db: Database, clock: FixedClock, tell: bool
) -> None:
    with demo_db.uow("other admin") as uow:
        set_member_active(
            uow, clock.now(), member_id(demo_db, "Gus Grant"), False, date(2026, 3, 9)
        )
        uow.commit()
    for minutes in (1, 5):  # that change was told already (after the bundling delay)
        with demo_db.uow("service") as uow:
            plan_notices(uow, clock.now() + timedelta(minutes=minutes), actor="service")
            uow.commit()
    clock.advance(timedelta(minutes=6))
    page = _loaded(qtbot, TeamPage(told))
    page.planned_list.setCurrentRow(0)
    told.messages.answers.append(QMessageBox.StandardButton.Yes)
    told.messages.tell_answers.append(tell)
    page.cancel_planned_button.click()
    assert told.runner.wait_idle(5000)
    assert "Cancel the planned change?" in told.messages.asked
    later = clock.now() + timedelta(minutes=1)
    if tell:
        assert "Gus Grant" in _waiting(demo_db, later) and _skipped(demo_db) == []
    else:
        assert _waiting(demo_db, later) == set()
        assert "Gus Grant" in _skipped(demo_db)[0]


@pytest.mark.parametrize("tell", [True, False])
def test_importing_a_roster_over_the_team_asks_whether_to_tell(
    qtbot: Any, told: AppContext, demo_db: Database, clock: FixedClock, tmp_path: Path, tell: bool
) -> None:
    with demo_db.reader() as uow:
        data = json.loads(dumps_roster(export_roster_data(uow)))
    data["overrides"] = [
        {
            "member": "Fay Fisher",
            "start": "2026-03-05T08:00:00-06:00",
            "end": "2026-03-06T08:00:00-06:00",
            "reason": "swap",
        }
    ]
    path = tmp_path / "roster.json"
    path.write_text(json.dumps(data))
    window = MainWindow(told, poll=False)
    qtbot.addWidget(window)
    window.refresh_all()
    assert told.runner.wait_idle(5000)
    told.messages.answers.append(QMessageBox.StandardButton.Yes)
    told.messages.tell_answers.append(tell)
    window.import_roster(str(path))
    assert told.runner.wait_idle(5000)
    _check(demo_db, clock.now(), tell, {"Cal Chen", "Fay Fisher"})


def test_the_dashboard_shows_the_notices_waiting(
    qtbot: Any, told: AppContext, demo_db: Database, clock: FixedClock
) -> None:
    page = _loaded(qtbot, DashboardPage(told))
    assert not page.waiting_card.isVisibleTo(page)
    cal = CalendarPage(told)
    cal.reason_provider = lambda _proposal: "sick"
    _loaded(qtbot, cal)
    thursday = cal.model.index(0, 0, cal.model.day_index(THU))
    ann = next(m.id for m in cal.plan.members if m.name == "Ann Archer")
    assert cal.model.dropMimeData(mime.member_mime(ann), COPY, -1, -1, thursday)
    cal.save()
    assert told.runner.wait_idle(5000)  # the save reloads every page
    assert page.waiting_card.isVisibleTo(page)
    assert page.waiting_label.text().splitlines() == [
        "Change notice to Ann Archer at 07:02 CST (bundling delay)",
        "Change notice to Cal Chen at 07:02 CST (bundling delay)",
    ]


def test_adding_a_member_untold_from_the_member_dialog(
    qtbot: Any, told: AppContext, demo_db: Database, clock: FixedClock
) -> None:
    dialog = MemberDialog(told)
    qtbot.addWidget(dialog)
    view = dialog.impact_view
    assert view is not None and view.tell_box.isChecked()
    dialog.name_edit.setText("Zoe Zhang")
    with qtbot.waitSignal(dialog.validated, timeout=5000):
        dialog.phone_edit.setText("(312) 555-0177")
    with qtbot.waitSignal(view.preview_ready, timeout=5000):
        view.set_effective_from(date(2026, 3, 9))
    view.tell_box.setChecked(False)
    with qtbot.waitSignal(dialog.saved, timeout=5000):
        dialog.ok_button.click()
    assert told.runner.wait_idle(5000)
    assert _waiting(demo_db, clock.now()) == set()
    [summary] = _skipped(demo_db)
    assert summary.startswith(f"{QUIET}: ") and "Zoe Zhang" in summary
