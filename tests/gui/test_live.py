"""Two admins on one database: B notices A's change within a poll, and saving over it asks.

Runs on SQLite and PostgreSQL. The poll timer is not started: the tests call ``poll_now()``,
which is exactly what the 2-second timer does.
"""

from __future__ import annotations

from typing import Any

from tests.gui.helpers import member_id
from whoseonfirst_core.clock import FixedClock
from whoseonfirst_core.db.session import Database
from whoseonfirst_core.usecases.config import SettingsChange, get_settings, update_settings
from whoseonfirst_core.usecases.team import edit_member, list_members
from whoseonfirst_gui.context import AppContext
from whoseonfirst_gui.live import POLL_INTERVAL_MS, RevisionPoller
from whoseonfirst_gui.pages.member_dialog import MemberDialog
from whoseonfirst_gui.pages.settings import SettingsPage
from whoseonfirst_gui.pages.team import TeamPage


def rename(db: Database, clock: FixedClock, who: str, new_name: str, actor: str = "A") -> None:
    with db.uow(actor) as uow:
        m = next(x for x in list_members(uow) if x.name == who)
        edit_member(
            uow,
            clock.now(),
            m.id,
            expected_version=m.version,
            name=new_name,
            phone=m.phone,
            secondary_phone=m.secondary_phone,
            notes=m.notes,
        )
        uow.commit()


def member(db: Database, mid: int) -> Any:
    with db.reader() as uow:
        return next(m for m in list_members(uow) if m.id == mid)


def started_poller(qtbot: Any, ctx: AppContext) -> RevisionPoller:
    poller = RevisionPoller(ctx)
    with qtbot.waitSignal(poller.polled, timeout=5000):
        poller.poll_now()
    return poller


def test_poll_interval_is_within_the_five_second_promise() -> None:
    assert POLL_INTERVAL_MS <= 2000


def test_b_sees_a_saved_change_within_one_poll(
    qtbot: Any, make_ctx: Any, shared_demo_db: Database, clock: FixedClock
) -> None:
    a = make_ctx(shared_demo_db, clock, actor="alice@ws1")
    b = make_ctx(shared_demo_db, clock, actor="bob@ws2")
    page_b = TeamPage(b)
    qtbot.addWidget(page_b)
    page_b.refresh()
    qtbot.waitUntil(lambda: page_b.data is not None)
    poller_b = started_poller(qtbot, b)

    # A saves through its own dialog.
    ann = member(shared_demo_db, member_id(shared_demo_db, "Ann Archer"))
    dialog_a = MemberDialog(a, ann)
    qtbot.addWidget(dialog_a)
    dialog_a.name_edit.setText("Ann Archer-Lee")
    qtbot.waitUntil(dialog_a.ok_button.isEnabled, timeout=5000)
    with qtbot.waitSignal(dialog_a.saved, timeout=5000):
        dialog_a.ok_button.click()

    # One poll of B (what its timer does every 2 s) brings the change in.
    with qtbot.waitSignal(b.events.data_changed, timeout=5000):
        poller_b.poll_now()
    qtbot.waitUntil(
        lambda: any(r.member.name == "Ann Archer-Lee" for r in page_b.model.rows()), timeout=5000
    )
    # A poll with nothing new does not reload.
    with (
        qtbot.assertNotEmitted(b.events.data_changed, wait=100),
        qtbot.waitSignal(poller_b.polled, timeout=5000),
    ):
        poller_b.poll_now()
    poller_b.stop()


def test_b_saving_over_a_newer_change_gets_the_conflict_dialog(
    qtbot: Any, make_ctx: Any, shared_demo_db: Database, clock: FixedClock
) -> None:
    b = make_ctx(shared_demo_db, clock, actor="bob@ws2")
    ann_id = member_id(shared_demo_db, "Ann Archer")
    dialog_b = MemberDialog(b, member(shared_demo_db, ann_id))  # B opens Ann (version 1)
    qtbot.addWidget(dialog_b)
    rename(shared_demo_db, clock, "Ann Archer", "Ann A. (by Alice)")  # A saves first

    b.messages.choices.append("theirs")  # the test answers the dialog
    dialog_b.notes_edit.setPlainText("on leave in May")
    qtbot.waitUntil(dialog_b.ok_button.isEnabled, timeout=5000)
    dialog_b.ok_button.click()
    qtbot.waitUntil(lambda: "Changed by someone else" in b.messages.asked, timeout=5000)
    b.runner.wait_idle()
    saved = member(shared_demo_db, ann_id)
    assert saved.name == "Ann A. (by Alice)" and saved.notes == ""  # theirs kept, nothing lost
    assert not dialog_b.isVisible() and dialog_b.result() == MemberDialog.DialogCode.Rejected


def test_keep_mine_overwrites_only_when_asked(
    qtbot: Any, make_ctx: Any, shared_demo_db: Database, clock: FixedClock
) -> None:
    b = make_ctx(shared_demo_db, clock, actor="bob@ws2")
    ann_id = member_id(shared_demo_db, "Ann Archer")
    dialog_b = MemberDialog(b, member(shared_demo_db, ann_id))
    qtbot.addWidget(dialog_b)
    rename(shared_demo_db, clock, "Ann Archer", "Ann A. (by Alice)")
    b.messages.choices.append("mine")
    dialog_b.name_edit.setText("Ann Archer (by Bob)")
    qtbot.waitUntil(dialog_b.ok_button.isEnabled, timeout=5000)
    with qtbot.waitSignal(dialog_b.saved, timeout=5000):
        dialog_b.ok_button.click()
    assert b.messages.asked == ["Changed by someone else"]
    assert member(shared_demo_db, ann_id).name == "Ann Archer (by Bob)"


def test_settings_edits_survive_a_refresh_and_conflict_on_save(
    qtbot: Any, make_ctx: Any, shared_demo_db: Database, clock: FixedClock
) -> None:
    b = make_ctx(shared_demo_db, clock, actor="bob@ws2")
    page = SettingsPage(b)
    qtbot.addWidget(page)
    page.refresh()
    qtbot.waitUntil(lambda: page.data is not None)
    poller = started_poller(qtbot, b)
    page.horizon.setValue(20)  # B's unsaved edit
    qtbot.waitUntil(lambda: b.dirty_count == 1)  # the status bar's "1 unsaved edit"
    assert page.dirty_count() == 1

    with shared_demo_db.uow("alice@ws1") as uow:  # A changes the team name meanwhile
        s = get_settings(uow)
        update_settings(
            uow, clock.now(), SettingsChange(team_name="Ops"), expected_version=s.version
        )
        uow.commit()
    with qtbot.waitSignal(b.events.data_changed, timeout=5000):
        poller.poll_now()
    b.runner.wait_idle()
    assert page.horizon.value() == 20  # B's edit is still in the form
    assert page.banner.isVisibleTo(page)

    b.messages.choices.append("review")
    page.save_button.click()
    qtbot.waitUntil(lambda: "Changed by someone else" in b.messages.asked, timeout=5000)
    b.runner.wait_idle()
    assert page.horizon.value() == 20  # review keeps the edit
    with shared_demo_db.reader() as uow:
        s = get_settings(uow)
    assert (s.team_name, s.horizon_weeks) == ("Ops", 12)  # nothing overwritten

    b.messages.choices.append("mine")
    page.save_button.click()
    qtbot.waitUntil(lambda: _horizon(shared_demo_db) == 20, timeout=5000)
    with shared_demo_db.reader() as uow:
        assert get_settings(uow).team_name == "Ops"  # only B's field was written
    poller.stop()


def _horizon(db: Database) -> int:
    with db.reader() as uow:
        return get_settings(uow).horizon_weeks


def test_an_unreachable_database_is_shown_then_recovers(
    qtbot: Any, ctx: AppContext, monkeypatch: Any
) -> None:
    from sqlalchemy.exc import OperationalError

    import whoseonfirst_gui.live as live
    from whoseonfirst_gui.main_window import MainWindow

    window = MainWindow(ctx, poll=False)
    qtbot.addWidget(window)
    real = live.read_revision

    def down(_session: Any) -> int:
        raise OperationalError("SELECT", {}, Exception("server closed the connection"))

    monkeypatch.setattr(live, "read_revision", down)
    with qtbot.waitSignal(window.poller.unreachable, timeout=5000):
        window.poller.poll_now()
    assert window.service_label.text() == "Database: not reachable — retrying"
    assert not ctx.messages.sink  # no dialog every two seconds
    monkeypatch.setattr(live, "read_revision", real)
    with qtbot.waitSignal(window.poller.polled, timeout=5000):
        window.poller.poll_now()
    assert window.service_label.text() == "Service: never seen"
    window.shutdown()
