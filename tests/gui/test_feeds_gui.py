"""The calendar from the app: File ▸ Export calendar… writes the team's or a member's file
(read back with vobject), and the Team page's "Copy calendar link" / "Reset link" put a feed
link on the clipboard once, which then opens that feed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import vobject
from PySide6.QtWidgets import QApplication, QMessageBox

from tests.gui.helpers import member_id
from whoseonfirst_core.db.session import Database
from whoseonfirst_core.usecases.feeds import member_for_token
from whoseonfirst_gui.context import AppContext
from whoseonfirst_gui.feeds import export_calendar
from whoseonfirst_gui.main_window import MainWindow
from whoseonfirst_gui.pages.team import TeamPage


def test_export_calendar_writes_the_team_or_a_member(
    qtbot: Any, ctx: AppContext, demo_db: Database, tmp_path: Path
) -> None:
    window = MainWindow(ctx, poll=False)
    qtbot.addWidget(window)
    assert window.export_calendar_action.text() == "Export &calendar…"
    team_file, ann_file = tmp_path / "team.ics", tmp_path / "ann.ics"
    export_calendar(window, ctx, str(team_file))
    export_calendar(window, ctx, str(ann_file), member_id=member_id(demo_db, "Ann Archer"))
    assert ctx.runner.wait_idle()
    team = vobject.readOne(team_file.read_text()).vevent_list
    ann = vobject.readOne(ann_file.read_text()).vevent_list
    assert len(team) > 300 and "+1312" not in team_file.read_text()
    assert ann and all(e.summary.value == "On call: Ann Archer" for e in ann)
    assert {e.uid.value for e in ann} <= {e.uid.value for e in team}
    assert ann_file.stat().st_mode & 0o777 == 0o600
    window.shutdown()


def test_team_page_copies_a_link_once_and_resets_it(
    qtbot: Any, ctx: AppContext, demo_db: Database
) -> None:
    page = TeamPage(ctx)
    qtbot.addWidget(page)
    page.refresh()
    qtbot.waitUntil(lambda: page.data is not None)
    link = page.team_actions["link"]
    assert link.text() == "Copy team calendar &link" and link.isEnabled()

    def copied() -> str:
        assert ctx.runner.wait_idle()
        message = ctx.messages.sink[-1]
        assert message.title == "Calendar link copied"
        url = QApplication.clipboard().text()
        assert url in message.text and "/calendar/" in url
        return url.rsplit("/", 1)[1].removesuffix(".ics")

    link.trigger()
    team_token = copied()
    link.trigger()  # asked again: it exists and cannot be shown
    assert ctx.runner.wait_idle()
    assert ctx.messages.sink[-1].title == "The calendar already has a link"

    page.select_member(member_id(demo_db, "Ben Brooks"))
    assert link.text() == "Copy calendar &link"
    link.trigger()
    ben_token = copied()
    ctx.messages.answers.append(QMessageBox.StandardButton.Yes)
    page.team_actions["reset_link"].trigger()
    new_ben = copied()
    with demo_db.reader() as uow:
        team_owner = member_for_token(uow, team_token)
        assert team_owner is not None and team_owner.member_id is None
        assert member_for_token(uow, ben_token) is None  # reset
        owner = member_for_token(uow, new_ben)
        assert owner is not None and owner.member_id == member_id(demo_db, "Ben Brooks")
