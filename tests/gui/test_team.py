"""Team page: drag to reorder (effective date + preview), live validation in the member dialog,
(de)activation with an impact preview.

The demo team rotates from Mon 2026-03-02: Ann, Ben, Cal, Dee, Eve, Fay, Gus; the clock stands at
Mon 07:00 CST, before the first shift.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from PySide6.QtCore import QMimeData, QModelIndex, QPoint, QPointF, Qt
from PySide6.QtGui import QDropEvent

from tests.gui.helpers import member_id
from whoseonfirst_core.clock import FixedClock
from whoseonfirst_core.db.session import Database
from whoseonfirst_core.usecases.schedule import preview
from whoseonfirst_core.usecases.team import list_members
from whoseonfirst_gui import mime
from whoseonfirst_gui.context import AppContext
from whoseonfirst_gui.pages.member_dialog import MemberDialog
from whoseonfirst_gui.pages.team import TeamPage
from whoseonfirst_gui.qtmodels.team_model import TeamModel

MON = date(2026, 3, 2)
NEXT_MON = date(2026, 3, 9)


def open_page(qtbot: Any, ctx: AppContext) -> TeamPage:
    page = TeamPage(ctx)
    qtbot.addWidget(page)
    page.refresh()
    qtbot.waitUntil(lambda: page.data is not None)
    return page


def who_by_day(db: Database, first: date, days: int) -> list[tuple[str, str]]:
    """(local start, member) of every resolved span in the window, through the core."""
    with db.reader() as uow:
        view = preview(uow, first, days)
    return [(s.start.isoformat(), s.member_name) for s in view.spans]


def names_in_order(db: Database) -> list[str]:
    with db.reader() as uow:
        return [m.name for m in list_members(uow) if not m.archived]


def apply_impact(qtbot: Any, page: TeamPage, day: date) -> None:
    dialog = page.impact_dialog
    assert dialog is not None, "the effective-date dialog did not open"
    with qtbot.waitSignal(dialog.preview_ready, timeout=5000):
        dialog.set_effective_from(day)
    assert dialog.apply_button.isEnabled()
    dialog.apply_button.click()


def test_drop_reorders_from_the_chosen_date_not_before(
    qtbot: Any, ctx: AppContext, demo_db: Database
) -> None:
    page = open_page(qtbot, ctx)
    before_week1 = who_by_day(demo_db, MON, 7)
    before_later = who_by_day(demo_db, NEXT_MON, 14)
    model = page.model
    ben_row = model.row_of(member_id(demo_db, "Ben Brooks"))
    data = model.mimeData([model.index(ben_row, TeamModel.NAME)])
    assert data.formats()[0] == mime.MEMBER_MIME
    assert model.canDropMimeData(data, Qt.DropAction.MoveAction, 0, 0, QModelIndex())

    # Drop Ben on Ann's row: Ben moves to the top (pending, nothing written yet).
    assert model.dropMimeData(data, Qt.DropAction.MoveAction, -1, -1, model.index(0, 0))
    assert [r.member.name for r in model.rows()][:3] == ["Ben Brooks", "Ann Archer", "Cal Chen"]
    assert names_in_order(demo_db)[0] == "Ann Archer"

    apply_impact(qtbot, page, NEXT_MON)
    # The preview listed the people whose shifts change.
    qtbot.waitUntil(lambda: names_in_order(demo_db)[0] == "Ben Brooks", timeout=5000)
    ctx.runner.wait_idle()

    assert who_by_day(demo_db, MON, 7) == before_week1  # the week before: untouched
    after_later = who_by_day(demo_db, NEXT_MON, 14)
    assert after_later != before_later
    # From the effective date the rotation follows the new order (Ben, Ann, Cal, …),
    # continuing from whoever was next (Gus, by the core's continuity rule).
    names = [name for _start, name in after_later]
    order = names_in_order(demo_db)
    first = order.index(names[1])  # names[0] is Sunday 3/8's shift (Fay), before the date
    assert names[1:8] == [order[(first + i) % 7] for i in range(7)]
    assert names[1:4] == ["Gus Grant", "Ben Brooks", "Ann Archer"]


def test_preview_lists_people_before_apply_and_cancel_restores(
    qtbot: Any, ctx: AppContext, demo_db: Database
) -> None:
    page = open_page(qtbot, ctx)
    model = page.model
    data = model.mimeData([model.index(model.row_of(member_id(demo_db, "Ann Archer")), 1)])
    model.dropMimeData(data, Qt.DropAction.MoveAction, model.rowCount(), 0, QModelIndex())
    assert model.rows()[-1].member.name == "Ann Archer"
    dialog = page.impact_dialog
    assert dialog is not None
    qtbot.waitUntil(lambda: dialog.diffs is not None, timeout=5000)
    assert dialog.diffs and dialog.tree.topLevelItemCount() == len(dialog.diffs)
    dialog.reject()
    assert model.rows()[0].member.name == "Ann Archer"  # back to the saved order
    assert names_in_order(demo_db)[0] == "Ann Archer"


def test_real_drop_event_on_the_view(qtbot: Any, ctx: AppContext, demo_db: Database) -> None:
    """Offscreen has no drag loop, so deliver the QDropEvent the view would receive."""
    page = open_page(qtbot, ctx)
    page.resize(900, 500)
    page.show()
    qtbot.waitExposed(page)
    view = page.view
    data = QMimeData()
    data.setData(mime.MEMBER_MIME, mime.member_bytes(member_id(demo_db, "Cal Chen")))
    target = view.visualRect(page.proxy.index(0, TeamModel.NAME)).center() + QPoint(0, -2)
    event = QDropEvent(
        QPointF(target),
        Qt.DropAction.MoveAction,
        data,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    view.dropEvent(event)
    assert page.model.rows()[0].member.name == "Cal Chen"
    assert page.impact_dialog is not None
    page.impact_dialog.reject()


def test_malformed_drop_is_refused(qtbot: Any, ctx: AppContext) -> None:
    page = open_page(qtbot, ctx)
    bad = QMimeData()
    bad.setData(mime.MEMBER_MIME, b'{"member_id": true}')
    assert not page.model.canDropMimeData(bad, Qt.DropAction.MoveAction, 0, 0, QModelIndex())
    assert not page.model.dropMimeData(bad, Qt.DropAction.MoveAction, 0, 0, QModelIndex())
    unknown = QMimeData()
    unknown.setData(mime.MEMBER_MIME, mime.member_bytes(9999))
    assert not page.model.dropMimeData(unknown, Qt.DropAction.MoveAction, 0, 0, QModelIndex())
    assert page.impact_dialog is None


def test_keyboard_move_up_uses_the_same_flow(
    qtbot: Any, ctx: AppContext, demo_db: Database
) -> None:
    page = open_page(qtbot, ctx)
    page.select_member(member_id(demo_db, "Ben Brooks"))
    page.team_actions["up"].trigger()
    assert page.model.rows()[0].member.name == "Ben Brooks"
    apply_impact(qtbot, page, NEXT_MON)
    qtbot.waitUntil(lambda: names_in_order(demo_db)[:2] == ["Ben Brooks", "Ann Archer"])


# --- member dialog -------------------------------------------------------------------------


def open_dialog(qtbot: Any, ctx: AppContext, member: Any = None) -> MemberDialog:
    dialog = MemberDialog(ctx, member)
    qtbot.addWidget(dialog)
    return dialog


def test_invalid_phone_disables_ok_and_says_why(qtbot: Any, ctx: AppContext) -> None:
    dialog = open_dialog(qtbot, ctx)
    dialog.name_edit.setText("Hal Hughes")
    dialog.phone_edit.setText("555-12")
    assert not dialog.ok_button.isEnabled()
    assert dialog.field_error("phone") == "'555-12' has the wrong number of digits"
    dialog.phone_edit.setText("(123) 456-7890")
    assert not dialog.ok_button.isEnabled()
    assert "not a valid US number" in dialog.field_error("phone")
    dialog.phone_edit.setText("(312) 555-0177")
    assert dialog.field_error("phone") == ""
    with qtbot.waitSignal(dialog.validated, timeout=5000):
        pass
    assert dialog.ok_button.isEnabled()


def test_duplicate_phone_is_refused_naming_the_other_member(
    qtbot: Any, ctx: AppContext, demo_db: Database
) -> None:
    dialog = open_dialog(qtbot, ctx)
    dialog.name_edit.setText("Hal Hughes")
    with qtbot.waitSignal(dialog.validated, timeout=5000):
        dialog.phone_edit.setText("(312) 555-0102")
    assert dialog.field_error("phone") == "+1 312-555-0102 already belongs to Ben Brooks"
    assert not dialog.ok_button.isEnabled()
    dialog.save()  # a stray Enter does nothing while OK is disabled
    ctx.runner.wait_idle()
    assert "Hal Hughes" not in names_in_order(demo_db)


def test_secondary_duplicate_and_name_clash(qtbot: Any, ctx: AppContext) -> None:
    dialog = open_dialog(qtbot, ctx)
    dialog.phone_edit.setText("(312) 555-0177")
    with qtbot.waitSignal(dialog.validated, timeout=5000):
        dialog.name_edit.setText("ann archer")
    assert dialog.field_error("name") == "Another member is already called Ann Archer"
    with qtbot.waitSignal(dialog.validated, timeout=5000):
        dialog.name_edit.setText("Hal Hughes")
    with qtbot.waitSignal(dialog.validated, timeout=5000):
        dialog.secondary_edit.setText("312 555 0105")
    assert dialog.field_error("secondary phone") == "+1 312-555-0105 already belongs to Eve Evans"


def test_add_member_saves_through_the_use_case(
    qtbot: Any, ctx: AppContext, demo_db: Database
) -> None:
    dialog = open_dialog(qtbot, ctx)
    dialog.name_edit.setText("  Hal   Hughes ")
    with qtbot.waitSignal(dialog.validated, timeout=5000):
        dialog.phone_edit.setText("(312) 555-0177")
    with qtbot.waitSignal(dialog.saved, timeout=5000):
        dialog.ok_button.click()
    assert names_in_order(demo_db)[-1] == "Hal Hughes"


def test_edit_member_keeps_ok_for_own_number(
    qtbot: Any, ctx: AppContext, demo_db: Database
) -> None:
    with demo_db.reader() as uow:
        ben = next(m for m in list_members(uow) if m.name == "Ben Brooks")
    dialog = open_dialog(qtbot, ctx, ben)
    with qtbot.waitSignal(dialog.validated, timeout=5000):
        dialog.notes_edit.setPlainText("prefers texts")
    assert dialog.ok_button.isEnabled()
    with qtbot.waitSignal(dialog.saved, timeout=5000):
        dialog.ok_button.click()
    with demo_db.reader() as uow:
        assert next(m for m in list_members(uow) if m.name == "Ben Brooks").notes == "prefers texts"


# --- activate / deactivate / archive --------------------------------------------------------


def test_deactivate_with_effective_date_and_preview(
    qtbot: Any, ctx: AppContext, demo_db: Database, clock: FixedClock
) -> None:
    page = open_page(qtbot, ctx)
    dee = member_id(demo_db, "Dee Diaz")
    page.select_member(dee)
    assert page.team_actions["toggle"].text() == "&Deactivate…"
    page.team_actions["toggle"].trigger()
    dialog = page.impact_dialog
    assert dialog is not None
    with qtbot.waitSignal(dialog.preview_ready, timeout=5000):
        dialog.set_effective_from(NEXT_MON)
    assert dialog.diffs is not None
    dee_diff = next(d for d in dialog.diffs if d.member_id == dee)
    assert dee_diff.lost and not dee_diff.gained
    dialog.apply_button.click()
    qtbot.waitUntil(lambda: not next(m for m in _members(demo_db) if m.id == dee).active)
    # Dee keeps this week's Friday shift; from the effective date on she has none.
    week1 = who_by_day(demo_db, MON, 7)
    assert any(name == "Dee Diaz" for _s, name in week1)
    assert all(name != "Dee Diaz" for _s, name in who_by_day(demo_db, NEXT_MON, 28))


def test_earliest_effective_date_is_enforced(
    qtbot: Any, ctx: AppContext, demo_db: Database, clock: FixedClock
) -> None:
    clock.advance(timedelta(hours=2))  # Mon 09:00: Ann's shift has started
    page = open_page(qtbot, ctx)
    page.select_member(member_id(demo_db, "Ann Archer"))
    page.team_actions["toggle"].trigger()
    dialog = page.impact_dialog
    assert dialog is not None
    assert dialog.date_edit.minimumDate().toPython() == date(2026, 3, 3)
    dialog.reject()


def test_archive_needs_the_impact_dialog_then_hides_the_member(
    qtbot: Any, ctx: AppContext, demo_db: Database
) -> None:
    page = open_page(qtbot, ctx)
    page.select_member(member_id(demo_db, "Gus Grant"))
    page.team_actions["archive"].trigger()
    apply_impact(qtbot, page, NEXT_MON)
    qtbot.waitUntil(lambda: "Gus Grant" not in names_in_order(demo_db))
    qtbot.waitUntil(lambda: page.proxy.rowCount() == 6)
    page.show_archived.setChecked(True)
    assert page.proxy.rowCount() == 7


def test_read_only_disables_editing(
    qtbot: Any, make_ctx: Any, demo_db: Database, clock: FixedClock
) -> None:
    ro = make_ctx(demo_db, clock, read_only=True)
    page = open_page(qtbot, ro)
    page.apply_read_only(True)
    page.select_member(member_id(demo_db, "Ann Archer"))
    assert not page.team_actions["add"].isEnabled()
    assert not page.team_actions["edit"].isEnabled()
    assert not page.team_actions["toggle"].isEnabled()
    assert not page.model.flags(page.model.index(0, 0)) & Qt.ItemFlag.ItemIsDragEnabled


def _members(db: Database) -> list[Any]:
    with db.reader() as uow:
        return list_members(uow)
