"""The Calendar page: drag and drop → pending edits → undo/redo → one Save (pytest-qt, offscreen).

Drops are driven through the model's ``mimeData``/``dropMimeData`` (and once through a real
``QDropEvent`` on the view), since offscreen Qt has no drag loop. The database is checked through
the core (``schedule.preview``, the override table), never through the widgets.

The demo team (anchor Mon 2026-03-02, all shifts at 08:00 America/Chicago): Mon Ann, Tue–Wed Ben
(48 h), Thu Cal, Fri Dee, Sat Eve, Sun Fay (the DST change day). The clock stands at Mon 07:00 CST.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from PySide6.QtCore import QMimeData, QModelIndex, QPoint, QPointF, Qt
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QMenu, QWidget
from sqlalchemy import func, select

from whoseonfirst_core.clock import FixedClock
from whoseonfirst_core.db.models import Member, Override
from whoseonfirst_core.db.session import Database
from whoseonfirst_core.domain.timeutil import iso_local, zone
from whoseonfirst_core.usecases import schedule
from whoseonfirst_core.usecases.calendar import (
    CalendarEdit,
    CancelOverride,
    Cover,
    Swap,
    apply_calendar_plan,
)
from whoseonfirst_core.usecases.notifications import HistoryFilter, history_page
from whoseonfirst_gui import mime
from whoseonfirst_gui.calendar.days import layout_days
from whoseonfirst_gui.calendar.model import CalendarModel
from whoseonfirst_gui.calendar.page import CalendarPage
from whoseonfirst_gui.calendar.palette import MemberPaletteModel
from whoseonfirst_gui.calendar.plan import CalendarPlan, PlanError
from whoseonfirst_gui.calendar.proposals import Proposal
from whoseonfirst_gui.calendar.roles import Roles
from whoseonfirst_gui.context import AppContext

from .conftest import ContextFactory, add_demo_team

CHI = zone("America/Chicago")
MON, TUE, WED, THU, FRI, SAT, SUN = (date(2026, 3, d) for d in range(2, 9))
COPY = Qt.DropAction.CopyAction


# --- fixtures (make_ctx, demo_db, shared_demo_db come from tests/gui/conftest.py) -----------


def _open_page(qtbot: Any, ctx: AppContext) -> CalendarPage:
    page = CalendarPage(ctx)
    qtbot.addWidget(page)
    page.resize(1200, 700)
    page.reason_provider = lambda proposal: "sick"
    page.refresh()
    assert ctx.runner.wait_idle(5000)
    assert page.plan.loaded
    return page


@pytest.fixture
def page(
    qtbot: Any, make_ctx: ContextFactory, shared_demo_db: Database, clock: FixedClock
) -> CalendarPage:
    """The calendar on the demo team, on SQLite and on PostgreSQL."""
    return _open_page(qtbot, make_ctx(shared_demo_db, clock))


@pytest.fixture
def sqlite_page(
    qtbot: Any, make_ctx: ContextFactory, demo_db: Database, clock: FixedClock
) -> CalendarPage:
    return _open_page(qtbot, make_ctx(demo_db, clock))


# --- helpers -----------------------------------------------------------------------------


def member_id(page: CalendarPage, first_name: str) -> int:
    return next(m.id for m in page.plan.members if m.name.split()[0] == first_name)


def chip(page: CalendarPage, day: date, index: int = 0) -> QModelIndex:
    parent = page.model.day_index(day)
    assert parent.isValid(), day
    found = page.model.index(index, 0, parent)
    assert found.isValid(), (day, index)
    return found


def who(page: CalendarPage, day: date, index: int = 0) -> str:
    return str(chip(page, day, index).data(Roles.MEMBER_NAME)).split()[0]


def override_count(db: Database) -> int:
    with db.reader() as uow:
        return int(uow.session.scalar(select(func.count()).select_from(Override)) or 0)


def another_admin_saves(page: CalendarPage, *edits: CalendarEdit) -> None:
    """Someone else saves ``edits`` in the same database meanwhile."""
    with page.ctx.db.uow("other admin") as uow:
        apply_calendar_plan(uow, page.ctx.clock.now(), list(edits))
        uow.commit()


def cover(page: CalendarPage, first_name: str, day: int, reason: str) -> Cover:
    """``first_name`` covers Mar ``day`` 08:00 CST to the next day 08:00 CST."""
    start = datetime(2026, 3, day, 14, tzinfo=UTC)
    return Cover(member_id(page, first_name), start, start + timedelta(days=1), reason)


def resolved(db: Database, first: date, days: int) -> list[tuple[str, str, str, str | None, bool]]:
    """(local start, local end, member, scheduled member, override?) from the core's preview,
    for the spans that start in the window (the preview also lists the one running into it)."""
    with db.reader() as uow:
        view = schedule.preview(uow, first, days)
    return [
        (
            iso_local(s.start, CHI),
            iso_local(s.end, CHI),
            s.member_name.split()[0],
            (s.scheduled_member_name or "").split()[0] or None,
            s.is_override,
        )
        for s in view.spans
        if s.start >= view.start
    ]


def save(page: CalendarPage) -> None:
    page.save()
    assert page.ctx.runner.wait_idle(5000)


def drop_member(page: CalendarPage, first_name: str, target: QModelIndex) -> bool:
    return page.model.dropMimeData(
        mime.member_mime(member_id(page, first_name)), COPY, -1, -1, target
    )


# --- the model -----------------------------------------------------------------------------


def test_models_pass_qtmodeltester(page: CalendarPage, qtmodeltester: Any) -> None:
    qtmodeltester.check(page.model)
    assert page.model.rowCount() == 7
    assert [who(page, d) for d in (MON, TUE, WED, THU, FRI, SAT, SUN)] == [
        "Ann",
        "Ben",
        "Ben",
        "Cal",
        "Dee",
        "Eve",
        "Fay",
    ]
    # With a pending edit (dashed) and in the month layout.
    assert drop_member(page, "Gus", chip(page, WED))
    qtmodeltester.check(page.model)
    page.set_mode("month")
    assert page.ctx.runner.wait_idle(5000)
    assert page.model.rowCount() == 42  # Mon Feb 23 .. Sun Apr 5
    qtmodeltester.check(page.model)
    qtmodeltester.check(page.palette_model)


def test_roles_expose_times_with_the_zone_of_each_instant(page: CalendarPage) -> None:
    sat, sun = chip(page, SAT), chip(page, SUN)
    assert sat.data(Roles.TIMES) == "Sat 08:00 CST → Sun 08:00 CDT"
    assert sun.data(Roles.TIMES) == "Sun 08:00 CDT → Mon 08:00 CDT"
    assert page.model.day_index(SUN).data(Roles.DST) == "CST → CDT"
    assert page.model.day_index(SAT).data(Roles.DST) is None
    tue = chip(page, TUE)
    assert tue.data(Roles.SLICE) == (0, 2)
    assert chip(page, WED).data(Roles.SLICE) == (1, 2)
    tip = str(tue.data(Qt.ItemDataRole.ToolTipRole))
    assert "Ben Brooks" in tip and "Tue 08:00 CST → Thu 08:00 CST" in tip
    for role in (Roles.OVERRIDE, Roles.PENDING, Roles.PAST):
        assert tue.data(role) is False
    assert tue.data(Roles.COLOR).startswith("#")


def test_drop_member_on_thursday_then_undo_redo_and_save(page: CalendarPage) -> None:
    db = page.ctx.db
    thu = chip(page, THU)
    assert page.model.canDropMimeData(mime.member_mime(member_id(page, "Ann")), COPY, -1, -1, thu)
    assert drop_member(page, "Ann", thu)

    edit = page.plan.edits[0]
    assert isinstance(edit, Cover)
    assert (edit.member_id, edit.reason) == (member_id(page, "Ann"), "sick")
    assert (edit.start, edit.end) == (
        datetime(2026, 3, 5, 14, tzinfo=UTC),
        datetime(2026, 3, 6, 14, tzinfo=UTC),
    )
    assert who(page, THU) == "Ann"
    assert chip(page, THU).data(Roles.PENDING) is True
    assert chip(page, THU).data(Roles.OVERRIDE) is True
    assert page.pending_count() == 1 and page.save_button.text() == "Save 1 edit"
    assert page.ctx.dirty_count == 1
    assert override_count(db) == 0  # nothing reaches the database before Save

    page.undo_stack.undo()
    assert page.pending_count() == 0 and page.undo_stack.isClean()
    assert who(page, THU) == "Cal" and chip(page, THU).data(Roles.PENDING) is False
    assert page.ctx.dirty_count == 0

    page.undo_stack.redo()
    assert page.plan.edits == (edit,) and who(page, THU) == "Ann"
    assert not page.undo_stack.isClean()
    assert override_count(db) == 0

    save(page)
    assert override_count(db) == 1
    thursday = resolved(db, THU, 1)
    assert (
        "2026-03-05T08:00:00-06:00",
        "2026-03-06T08:00:00-06:00",
        "Ann",
        "Cal",
        True,
    ) in thursday
    assert page.pending_count() == 0
    assert page.undo_stack.count() == 0 and page.undo_stack.isClean()
    # The reload after the save shows the stored override, no longer pending.
    assert who(page, THU) == "Ann"
    assert chip(page, THU).data(Roles.PENDING) is False
    assert chip(page, THU).data(Roles.OVERRIDE) is True
    assert chip(page, THU).data(Roles.REASON) == "sick"


def test_swap_two_entries_by_drop_gives_two_overrides(page: CalendarPage) -> None:
    db = page.ctx.db
    payload = page.model.mimeData([chip(page, THU)])
    assert payload is not None and payload.hasFormat(mime.SPAN_MIME)
    decoded = mime.decode_span(payload)
    assert decoded is not None and decoded.member_id == member_id(page, "Cal")

    assert page.model.dropMimeData(payload, COPY, -1, -1, chip(page, FRI))
    edit = page.plan.edits[0]
    assert isinstance(edit, Swap)
    assert (who(page, THU), who(page, FRI)) == ("Dee", "Cal")
    assert override_count(db) == 0

    save(page)
    assert override_count(db) == 2
    rows = resolved(db, THU, 2)
    assert rows == [
        ("2026-03-05T08:00:00-06:00", "2026-03-06T08:00:00-06:00", "Dee", "Cal", True),
        ("2026-03-06T08:00:00-06:00", "2026-03-07T08:00:00-06:00", "Cal", "Dee", True),
    ]


def test_drop_on_one_day_of_the_48h_chip_covers_that_day_only(page: CalendarPage) -> None:
    db = page.ctx.db
    wed = chip(page, WED)
    assert wed.data(Roles.SLICE) == (1, 2)
    proposals: list[Proposal] = []
    page.reason_provider = lambda p: proposals.append(p) or "dentist"  # type: ignore[func-returns-value]
    assert drop_member(page, "Gus", wed)

    edit = page.plan.edits[0]
    assert isinstance(edit, Cover)
    assert (edit.start, edit.end) == (
        datetime(2026, 3, 4, 14, tzinfo=UTC),
        datetime(2026, 3, 5, 14, tzinfo=UTC),
    )
    # The popup would also offer the whole shift.
    assert len(proposals[0].alternatives) == 2
    whole = proposals[0].alternatives[1].edit
    assert isinstance(whole, Cover) and whole.start == datetime(2026, 3, 3, 14, tzinfo=UTC)

    assert (who(page, TUE), who(page, WED)) == ("Ben", "Gus")
    save(page)
    assert resolved(db, TUE, 2) == [
        ("2026-03-03T08:00:00-06:00", "2026-03-04T08:00:00-06:00", "Ben", "Ben", False),
        ("2026-03-04T08:00:00-06:00", "2026-03-05T08:00:00-06:00", "Gus", "Ben", True),
    ]


def test_drop_on_a_past_shift_is_refused_with_a_message(
    qtbot: Any, make_ctx: ContextFactory, demo_db: Database, clock: FixedClock
) -> None:
    clock.set(datetime(2026, 3, 5, 18, tzinfo=UTC))  # Thu 12:00 CST
    page = _open_page(qtbot, make_ctx(demo_db, clock))
    mon = chip(page, MON)
    assert mon.data(Roles.PAST) is True
    assert not page.model.flags(mon) & Qt.ItemFlag.ItemIsDropEnabled
    payload = mime.member_mime(member_id(page, "Gus"))
    assert not page.model.canDropMimeData(payload, COPY, -1, -1, mon)
    with qtbot.waitSignal(page.model.drop_refused) as refused:
        assert not page.model.dropMimeData(payload, COPY, -1, -1, mon)
    assert "past shifts are read-only" in refused.args[0]
    assert "past shifts are read-only" in page.notice.text() and page.notice.isVisibleTo(page)
    assert page.pending_count() == 0 and page.undo_stack.count() == 0
    # Swapping a past shift is refused too; the running Thursday shift can still be covered,
    # from now on (the morning stays with Cal).
    assert page.model.mimeData([mon]) is None
    assert drop_member(page, "Gus", chip(page, THU))
    edit = page.plan.edits[0]
    assert isinstance(edit, Cover) and edit.start == datetime(2026, 3, 5, 18, tzinfo=UTC)


def test_context_menu_cover_makes_the_same_edit_as_the_drop(page: CalendarPage) -> None:
    thu = chip(page, THU)
    assert drop_member(page, "Ann", thu)
    dropped = page.plan.edits[0]
    page.undo_stack.undo()
    assert page.pending_count() == 0

    menu = page.chip_menu(thu)
    titles = [_plain(a.text()) for a in menu.actions()]
    assert titles[:4] == ["Cover with", "Cover from … until …", "Swap with", "Cancel override"]
    assert "Show texts for this shift" in titles
    cover = _submenu(menu, "Cover with")
    assert "Cal Chen" not in [_plain(a.text()) for a in cover.actions()]  # already on call
    _action(cover, "Ann Archer").trigger()
    assert page.plan.edits == (dropped,)
    assert page.undo_stack.count() == 1


def test_context_menu_swap_cancel_and_show_texts(page: CalendarPage, qtbot: Any) -> None:
    db = page.ctx.db
    another_admin_saves(page, cover(page, "Eve", 6, "training"))
    page.refresh()
    assert page.ctx.runner.wait_idle(5000)
    fri = chip(page, FRI)
    assert fri.data(Roles.OVERRIDE) is True and who(page, FRI) == "Eve"

    swap = _submenu(page.chip_menu(chip(page, MON)), "Swap with")
    labels = [a.text() for a in swap.actions()]
    assert "Thu 3/5 08:00 CST · Cal Chen" in labels
    _action(swap, "Thu 3/5 08:00 CST · Cal Chen").trigger()
    assert isinstance(page.plan.edits[-1], Swap)
    assert (who(page, MON), who(page, THU)) == ("Cal", "Ann")

    _action(page.chip_menu(fri), "Cancel override").trigger()
    assert who(page, FRI) == "Dee" and chip(page, FRI).data(Roles.PENDING) is True

    with qtbot.waitSignal(page.show_texts_requested) as shown:
        _action(page.chip_menu(chip(page, SAT)), "Show texts for this shift").trigger()
    assert shown.args[0].member_name == "Eve Evans"

    save(page)
    rows = resolved(db, MON, 7)
    assert [r[2] for r in rows] == ["Cal", "Ben", "Ann", "Dee", "Eve", "Fay"]
    assert [r[4] for r in rows] == [True, False, True, False, False, False]
    with db.reader() as uow:
        statuses = sorted(o.status for o in uow.session.scalars(select(Override)))
    assert statuses == ["active", "active", "cancelled"]


def deliver_drop(widget: QWidget, pos: QPoint, data: QMimeData) -> tuple[bool, QDropEvent]:
    """What a real drag does at the end: DragEnter, DragMove, then Drop, to ``widget`` at ``pos``.

    Qt delivers a Drop only to the widget that accepted the DragEnter (the drag manager's current
    target), so the enter and move are part of the test, not ceremony. Returns whether the move
    was accepted (the drop cursor) and the drop event.
    """
    buttons, mods = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    enter = QDragEnterEvent(QPointF(pos).toPoint(), COPY, data, buttons, mods)
    QApplication.sendEvent(widget, enter)
    assert enter.isAccepted()
    move = QDragMoveEvent(QPointF(pos).toPoint(), COPY, data, buttons, mods)
    QApplication.sendEvent(widget, move)
    drop = QDropEvent(QPointF(pos), COPY, data, buttons, mods)
    QApplication.sendEvent(widget, drop)
    return move.isAccepted(), drop


def test_a_real_drop_event_on_the_view(page: CalendarPage, qtbot: Any) -> None:
    page.show()
    qtbot.waitExposed(page)
    view = page.view
    thu = chip(page, THU)
    rect = view.visualRect(thu)
    assert rect.isValid() and view.indexAt(rect.center()) == thu
    data = mime.member_mime(member_id(page, "Gus"), "Gus Grant")
    move_ok, drop = deliver_drop(view.viewport(), rect.center(), data)
    assert move_ok and drop.isAccepted()
    assert who(page, THU) == "Gus" and page.pending_count() == 1
    # A drop on the day below the chips covers that day's on-call time too.
    day_rect = view.visualRect(page.model.day_index(FRI))
    below = QPoint(day_rect.center().x(), day_rect.bottom() - 30)
    assert not view.indexAt(below).parent().isValid()
    move_ok, drop = deliver_drop(view.viewport(), below, mime.member_mime(member_id(page, "Ann")))
    assert move_ok and drop.isAccepted()
    assert who(page, FRI) == "Ann" and page.pending_count() == 2
    # Dragging a chip onto another swaps them.
    swap = page.model.mimeData([chip(page, SAT)])
    assert swap is not None
    _, drop = deliver_drop(view.viewport(), view.visualRect(chip(page, SUN)).center(), swap)
    assert drop.isAccepted() and (who(page, SAT), who(page, SUN)) == ("Fay", "Eve")
    assert override_count(page.ctx.db) == 0


def test_a_drag_over_a_past_shift_shows_why_it_is_refused(
    qtbot: Any, make_ctx: ContextFactory, demo_db: Database, clock: FixedClock
) -> None:
    clock.set(datetime(2026, 3, 5, 18, tzinfo=UTC))  # Thu 12:00 CST
    page = _open_page(qtbot, make_ctx(demo_db, clock))
    page.show()
    qtbot.waitExposed(page)
    view = page.view
    pos = view.visualRect(chip(page, TUE)).center()
    hints: list[str] = []
    view.drop_hint.connect(hints.append)
    move_ok, drop = deliver_drop(view.viewport(), pos, mime.member_mime(member_id(page, "Gus")))
    assert not move_ok and not drop.isAccepted()
    assert "past shifts are read-only" in hints[0]  # shown under the grid while dragging
    assert hints[-1] == "" and "Can't drop" not in page.legend.text()
    assert "past shifts are read-only" in page.notice.text()
    assert page.pending_count() == 0


def test_reason_popup_enter_accepts(page: CalendarPage, qtbot: Any) -> None:
    page.show()
    qtbot.waitExposed(page)
    page.reason_provider = None
    assert drop_member(page, "Gus", chip(page, THU))
    assert page.pending_count() == 0 and page.popup.isVisible()
    assert "Gus Grant covers Thu 3/5 08:00 CST" in page.popup.summary.text()
    qtbot.keyClicks(page.popup.reason, "dentist")
    qtbot.keyClick(page.popup.reason, Qt.Key.Key_Return)
    assert not page.popup.isVisible()
    edit = page.plan.edits[0]
    assert isinstance(edit, Cover) and edit.reason == "dentist"
    # Esc cancels: nothing is added.
    assert drop_member(page, "Ann", chip(page, FRI))
    qtbot.keyClick(page.popup.reason, Qt.Key.Key_Escape)
    assert not page.popup.isVisible() and page.pending_count() == 1


def test_live_refresh_keeps_pending_edits(page: CalendarPage) -> None:
    db = page.ctx.db
    assert drop_member(page, "Ann", chip(page, THU))
    sat = datetime(2026, 3, 7, 14, tzinfo=UTC)
    sun = datetime(2026, 3, 8, 13, tzinfo=UTC)  # 08:00 CDT
    another_admin_saves(page, Cover(member_id(page, "Gus"), sat, sun, "swap with a friend"))
    page.ctx.events.data_changed.emit()
    assert page.ctx.runner.wait_idle(5000)
    assert page.pending_count() == 1 and who(page, THU) == "Ann"
    assert who(page, SAT) == "Gus" and chip(page, SAT).data(Roles.PENDING) is False
    assert override_count(db) == 1


@pytest.mark.parametrize("choice", ["theirs", "mine", "review"])
def test_saving_over_a_newer_change_asks(sqlite_page: CalendarPage, choice: str) -> None:
    page = sqlite_page
    db = page.ctx.db
    assert drop_member(page, "Ann", chip(page, THU))  # planned while Cal was on call
    another_admin_saves(page, cover(page, "Ben", 5, "theirs"))
    page.ctx.messages.choices.append(choice)
    save(page)
    assert page.ctx.messages.asked == ["Changed by someone else"]
    thursday = [r[2] for r in resolved(db, THU, 1)]
    if choice == "theirs":
        assert thursday == ["Ben"] and page.pending_count() == 0
        assert who(page, THU) == "Ben"
    elif choice == "mine":
        assert thursday == ["Ann"] and page.pending_count() == 0
        assert override_count(db) == 2
    else:
        assert thursday == ["Ben"] and page.pending_count() == 1
        assert "you saw Cal Chen, now Ben Brooks is on call" in page.notice.text()
        assert who(page, THU) == "Ann"  # still planned, dashed, over the reloaded calendar


def test_read_only_database_refuses_drops(
    qtbot: Any, make_ctx: ContextFactory, demo_db: Database, clock: FixedClock
) -> None:
    page = _open_page(qtbot, make_ctx(demo_db, clock, read_only=True))
    assert not drop_member(page, "Gus", chip(page, THU))
    assert "read-only" in page.notice.text()
    assert not page.save_button.isEnabled()
    assert not page.palette_model.flags(page.palette_model.index(0)) & Qt.ItemFlag.ItemIsDragEnabled


def test_navigation_and_month_view(page: CalendarPage) -> None:
    assert page.range_label.text() == "Mar 2 – Mar 8, 2026"
    page.step_range(1)
    assert page.ctx.runner.wait_idle(5000)
    assert page.range_label.text() == "Mar 9 – Mar 15, 2026"
    assert who(page, date(2026, 3, 9)) == "Gus"
    page.set_mode("month")
    assert page.ctx.runner.wait_idle(5000)
    assert page.range_label.text() == "March 2026"
    assert page.model.day_index(date(2026, 2, 23)).data(Roles.IN_FOCUS) is False
    assert who(page, date(2026, 3, 26)) in {m.name.split()[0] for m in page.plan.members}
    page.go_today()
    assert page.ctx.runner.wait_idle(5000)
    assert page.model.day_index(MON).data(Roles.TODAY) is True


# --- payloads and the plan, without widgets -----------------------------------------------


def test_mime_payloads_round_trip_and_reject_junk() -> None:
    start, end = datetime(2026, 3, 5, 14, tzinfo=UTC), datetime(2026, 3, 6, 14, tzinfo=UTC)
    assert mime.decode_member(mime.member_mime(3)) == mime.MemberPayload(3)
    span = mime.decode_span(mime.span_mime(12, start, end, 3))
    assert span == mime.SpanPayload(12, start, end, 3)
    assert mime.decode_member(QMimeData()) is None
    for raw in (
        b'{"member_id": true}',
        b'{"member_id": "3"}',
        b'{"member_id": 3, "extra": 1}',
        b"[3]",
        b"\x80\x04K\x03.",  # a pickle
        b'{"member_id": ' + b"9" * 5000 + b"}",
    ):
        with pytest.raises(mime.PayloadError):
            mime.parse_member(raw)
    with pytest.raises(mime.PayloadError):
        mime.parse_span(
            b'{"entry_id": 1, "start": "2026-03-05T08:00:00", '
            b'"end": "2026-03-06T08:00:00-06:00", "member_id": 3}'
        )  # naive start
    with pytest.raises(mime.PayloadError):
        mime.parse_span(
            b'{"entry_id": 1, "start": "2026-03-06T08:00:00-06:00", '
            b'"end": "2026-03-05T08:00:00-06:00", "member_id": 3}'
        )


def test_malformed_drop_is_refused(page: CalendarPage) -> None:
    data = QMimeData()
    data.setData(mime.MEMBER_MIME, b'{"member_id": "1; DROP TABLE"}')
    assert not page.model.dropMimeData(data, COPY, -1, -1, chip(page, THU))
    assert "not something the calendar understands" in page.notice.text()
    assert page.pending_count() == 0


def test_plan_validation_messages(sqlite_db: Database, clock: FixedClock) -> None:
    add_demo_team(sqlite_db, clock)
    with sqlite_db.reader() as uow:
        view = schedule.preview(uow, MON, 7)
    plan = CalendarPlan(clock, view)
    thu = datetime(2026, 3, 5, 14, tzinfo=UTC)
    ann = next(m.id for m in view.members if m.name == "Ann Archer")
    with pytest.raises(PlanError, match="must end after it starts"):
        plan.add(Cover(ann, thu, thu))
    with pytest.raises(PlanError, match="past shifts are read-only"):
        plan.add(
            Cover(ann, datetime(2026, 3, 1, 14, tzinfo=UTC), datetime(2026, 3, 2, 12, tzinfo=UTC))
        )
    thu_entry = next(e.id for e in view.entries if e.shift_name == "Thursday")
    with pytest.raises(PlanError, match="cannot be swapped with itself"):
        plan.add(Swap(thu_entry, thu_entry))
    mon_entry = next(e.id for e in view.entries if e.shift_name == "Monday")
    with pytest.raises(PlanError, match="already on call"):
        plan.add(
            Cover(ann, datetime(2026, 3, 2, 14, tzinfo=UTC), datetime(2026, 3, 3, 14, tzinfo=UTC))
        )
    plan.add(Swap(mon_entry, thu_entry))
    assert plan.pending_count == 1
    # Pending spans resolve in order: the swap shows Cal on Monday and Ann on Thursday.
    spans = {(s.start, s.member_name) for s in plan.pending_view().spans if s.pending}
    assert (datetime(2026, 3, 2, 14, tzinfo=UTC), "Cal Chen") in spans
    assert (thu, "Ann Archer") in spans
    days = layout_days(plan.pending_view().spans, (), MON, 7, CHI, clock.now())
    assert [len(d.chips) for d in days] == [1] * 7


def test_the_plan_refuses_what_save_would_refuse(sqlite_db: Database, clock: FixedClock) -> None:
    """The plan asks the rules Save applies: a reason with control characters, or a swap that
    would hand a shift to an archived member, is refused while planning, not only at Save."""
    add_demo_team(sqlite_db, clock)
    fri = datetime(2026, 3, 6, 14, tzinfo=UTC)
    with sqlite_db.uow("other admin") as uow:
        gus = uow.session.scalar(select(Member).where(Member.name == "Gus Grant"))
        assert gus is not None
        apply_calendar_plan(uow, clock.now(), [Cover(gus.id, fri, fri + timedelta(days=1))])
        gus.archived = True
        uow.commit()
    with sqlite_db.reader() as uow:
        view = schedule.preview(uow, MON, 7)
    plan = CalendarPlan(clock, view)
    ann = next(m.id for m in view.members if m.name == "Ann Archer")
    with pytest.raises(PlanError, match=r"^reason: contains control characters \(U\+001B\)$"):
        plan.add(Cover(ann, fri, fri + timedelta(days=1), "flu\x1b[31m"))
    thu_entry, fri_entry = (e.id for e in view.entries if e.shift_name in ("Thursday", "Friday"))
    with pytest.raises(PlanError, match=r"^Gus Grant is archived and cannot cover shifts$"):
        plan.add(Swap(thu_entry, fri_entry))
    assert plan.pending_count == 0


def test_models_alone(sqlite_db: Database, clock: FixedClock, qtmodeltester: Any) -> None:
    """The model works without a page: no handler means the edit is pushed with no reason."""
    from PySide6.QtGui import QUndoStack

    add_demo_team(sqlite_db, clock)
    with sqlite_db.reader() as uow:
        view = schedule.preview(uow, MON, 7)
    plan = CalendarPlan(clock, view)
    stack = QUndoStack()
    model = CalendarModel(plan, stack)
    model.set_range(MON, 7)
    qtmodeltester.check(model)
    thu = model.index(0, 0, model.day_index(THU))
    assert model.dropMimeData(mime.member_mime(1), COPY, -1, -1, thu)
    assert stack.count() == 1 and plan.edits[0].reason == ""  # type: ignore[union-attr]
    # (parent=day, row=r) — what a generic view passes between items — means chip r.
    assert model.dropMimeData(mime.member_mime(7), COPY, 0, 0, model.day_index(FRI))
    assert plan.edits[1].start == datetime(2026, 3, 6, 14, tzinfo=UTC)  # type: ignore[union-attr]
    palette = MemberPaletteModel()
    palette.set_members(view.members)
    qtmodeltester.check(palette)
    data = palette.mimeData([palette.index(2)])
    assert data is not None and mime.decode_member(data) == mime.MemberPayload(view.members[2].id)


# --- menus ---------------------------------------------------------------------------------


def _plain(text: str) -> str:
    """A menu text as the user reads it: accelerator marks out, ``&&`` back to ``&``."""
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&")


def _submenu(menu: QMenu, title: str) -> QMenu:
    for action in menu.actions():
        if _plain(action.text()) == title and action.menu() is not None:
            sub = action.menu()
            assert isinstance(sub, QMenu)
            return sub
    raise AssertionError(f"no submenu {title!r} in {[_plain(a.text()) for a in menu.actions()]}")


def _action(menu: QMenu, text: str) -> object:
    for action in menu.actions():
        if _plain(action.text()) == text:
            assert action.isEnabled(), text
            return action
    raise AssertionError(f"no action {text!r} in {[_plain(a.text()) for a in menu.actions()]}")


def test_chips_turn_past_as_the_clock_moves(page: CalendarPage, clock: FixedClock) -> None:
    assert chip(page, MON).data(Roles.PAST) is False
    assert not page.model.is_stale_in_time()
    clock.set(datetime(2026, 3, 3, 15, tzinfo=UTC))  # Tue 09:00 CST: Monday's shift is over
    assert page.model.is_stale_in_time()
    page._clock_tick()  # what the minute timer does while the page is shown
    assert chip(page, MON).data(Roles.PAST) is True
    assert chip(page, TUE).data(Roles.RUNNING) is True
    assert page.model.day_index(TUE).data(Roles.TODAY) is True


def test_no_team_shows_what_to_do(
    qtbot: Any, make_ctx: ContextFactory, sqlite_db: Database, clock: FixedClock
) -> None:
    context = make_ctx(sqlite_db, clock)
    page = CalendarPage(context)
    qtbot.addWidget(page)
    page.refresh()
    assert context.runner.wait_idle(5000)
    assert page.stack.currentWidget() is page.empty
    assert "No team yet" in page.empty.label.text()
    assert context.messages.sink == []


def test_keep_mine_reapplies_the_edits_that_still_make_sense(page: CalendarPage) -> None:
    db = page.ctx.db
    another_admin_saves(page, cover(page, "Eve", 6, "training"))
    page.refresh()
    assert page.ctx.runner.wait_idle(5000)
    _action(page.chip_menu(chip(page, FRI)), "Cancel override").trigger()  # planned edit 1
    assert drop_member(page, "Ann", chip(page, THU))  # planned edit 2
    with db.reader() as uow:
        override_id = int(uow.session.scalar(select(Override.id)) or 0)
    # Meanwhile: their own cancel, and a cover of Thursday.
    another_admin_saves(page, CancelOverride(override_id), cover(page, "Ben", 5, "theirs"))
    page.ctx.messages.choices.append("mine")
    save(page)
    assert page.pending_count() == 0
    assert [r[2] for r in resolved(db, THU, 2)] == ["Ann", "Dee"]
    info = page.ctx.messages.sink[-1]
    assert info.title == "Some edits no longer applied"
    assert "Cancel Eve Evans's cover" in info.text and "already cancelled" in info.text


def test_keyboard_moves_between_chips_and_enter_opens_the_menu(
    sqlite_page: CalendarPage, qtbot: Any
) -> None:
    page = sqlite_page
    page.show()
    qtbot.waitExposed(page)
    view = page.view
    view.setFocus()
    view.setCurrentIndex(chip(page, MON))
    qtbot.keyClick(view, Qt.Key.Key_Right)
    assert view.currentIndex() == chip(page, TUE)
    qtbot.keyClick(view, Qt.Key.Key_End)
    assert view.currentIndex() == chip(page, SUN)
    qtbot.keyClick(view, Qt.Key.Key_Home)
    assert view.currentIndex() == chip(page, MON)
    # Enter asks for the chip's menu (the page shows it; here we only listen).
    view.chip_menu_requested.disconnect(page._show_chip_menu)
    with qtbot.waitSignal(view.chip_menu_requested) as asked:
        qtbot.keyClick(view, Qt.Key.Key_Return)
    assert asked.args[0] == chip(page, MON)
    # The selection survives a rebuild (an edit elsewhere resets the model).
    assert drop_member(page, "Gus", chip(page, THU))
    assert view.currentIndex() == chip(page, MON)


def test_override_tooltip_names_scheduled_and_covering_member(page: CalendarPage) -> None:
    assert drop_member(page, "Gus", chip(page, WED))
    tip = str(chip(page, WED).data(Qt.ItemDataRole.ToolTipRole))
    assert "Scheduled: Ben Brooks" in tip and "Covering: Gus Grant" in tip
    assert "Wed 08:00 CST → Thu 08:00 CST" in tip and "Reason: “sick”" in tip
    assert "Unsaved edit" in tip
    day_tip = str(page.model.day_index(SUN).data(Qt.ItemDataRole.ToolTipRole))
    assert "Daylight saving time changes today (CST → CDT)" in day_tip


def test_chip_tooltips_show_what_happened_to_the_shift_start_text(
    qtbot: Any, make_ctx: ContextFactory, demo_db: Database, clock: FixedClock
) -> None:
    """UX.md: hovering a chip tells the text status of that shift — written by the real
    service engine through the fake Twilio (tests may import the service; the GUI never does)."""
    import random

    import whoseonfirst_service.engine as engine_mod
    import whoseonfirst_service.twilio_sms as sms_mod

    from tests.fakes.fake_twilio import FakeTwilio, Reply

    with FakeTwilio(clock=clock.now) as fake:
        fake.set_status_script(["delivered"])
        backend = sms_mod.TwilioBackend(
            fake.account_sid, fake.auth_token, from_number="+13125550100", api_url=fake.base_url
        )
        try:
            engine = engine_mod.Engine(
                demo_db,
                backend,
                clock,
                rng=random.Random(1),
                instance_id="gui-test",
                settings=engine_mod.EngineSettings(),
            )
            clock.set(datetime(2026, 3, 2, 14, 0, 1, tzinfo=UTC))  # Mon 08:00:01 CST
            engine.tick()  # Ann's text (and the weekly summary) go out
            clock.advance(timedelta(minutes=1))
            engine.tick()  # polls: delivered
            fake.script_create([Reply.error(400, 21614)])
            clock.set(datetime(2026, 3, 3, 14, 0, 1, tzinfo=UTC))  # Tue 08:00:01 CST
            engine.tick()  # Ben's text is refused: not a mobile number
        finally:
            backend.close()

    page = _open_page(qtbot, make_ctx(demo_db, clock))

    def tip(day: date) -> str:
        return str(chip(page, day).data(Qt.ItemDataRole.ToolTipRole))

    with demo_db.reader() as uow:
        texts, _ = history_page(uow, HistoryFilter(kinds=("shift_start",)), count=False)
    ann = next(t for t in texts if t.recipient_name.startswith("Ann"))
    assert ann.status == "delivered" and ann.delivered_at is not None
    assert f">delivered</b> Mon {ann.delivered_at.astimezone(CHI):%H:%M:%S} CST ✓" in tip(MON)
    # Both slices of Ben's 48 h chip tell about the one text at its start.
    for day in (TUE, WED):
        assert ">failed</b> Tue 08:00:01 CST (the number is not a mobile number" in tip(day)
        assert tip(day).count("21614") == 1  # the reason names the code once
    assert "Text due Thu 08:00 CST" in tip(THU)
    # Covering Friday: the new person's text does not exist until the edit is saved.
    assert drop_member(page, "Gus", chip(page, FRI))
    assert "Text: planned once the edit is saved" in tip(FRI)
