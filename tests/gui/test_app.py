"""The composition root: first run (new team / demo team), opening a window, roster import and
export through the File menu."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QMessageBox

from whoseonfirst_core.clock import FixedClock
from whoseonfirst_core.db.session import Database
from whoseonfirst_core.usecases.config import get_settings
from whoseonfirst_core.usecases.team import list_members
from whoseonfirst_gui.app import AppController
from whoseonfirst_gui.connection_dialogs import FirstRunDialog
from whoseonfirst_gui.connections import open_database
from whoseonfirst_gui.context import AppContext
from whoseonfirst_gui.main_window import MainWindow
from whoseonfirst_gui.messages import MessageChannel


def answer_first_run(monkeypatch: pytest.MonkeyPatch, choice: str, name: str = "Platform") -> None:
    def fake_exec(dialog: FirstRunDialog) -> int:
        dialog._chosen(choice)
        if choice == FirstRunDialog.NEW:
            dialog.team_name.setText(name)
            dialog.tz.setCurrentText("America/New_York")
        return int(FirstRunDialog.DialogCode.Accepted.value)

    monkeypatch.setattr(FirstRunDialog, "exec", fake_exec)


@pytest.mark.parametrize("choice", [FirstRunDialog.NEW, FirstRunDialog.DEMO])
def test_first_run_creates_the_team(
    choice: str, qtbot: Any, tmp_path: Path, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    answer_first_run(monkeypatch, choice)
    controller = AppController(clock, "tester@host")
    controller.messages.interactive = False
    opened = open_database(f"sqlite:///{tmp_path / 'first.db'}", controller.messages)
    assert not opened.has_team
    try:
        assert controller.first_run(opened) is None
        assert opened.has_team
        with opened.db.reader() as uow:
            settings = get_settings(uow)
            members = list_members(uow)
        if choice == FirstRunDialog.NEW:
            assert (settings.team_name, settings.timezone, members) == (
                "Platform",
                "America/New_York",
                [],
            )
        else:
            assert settings.team_name == "Support (demo)" and len(members) == 7
    finally:
        opened.db.dispose()


def test_start_opens_a_window_on_the_given_database(
    qtbot: Any, demo_db: Database, clock: FixedClock
) -> None:
    controller = AppController(clock, "tester@host")
    controller.messages.interactive = False
    assert controller.start(demo_db.url)
    window = controller.window
    assert window is not None
    qtbot.addWidget(window)
    window.ctx.messages.interactive = False
    window.ctx.runner.wait_idle()
    qtbot.waitUntil(lambda: window.team_label.text() == "Support (demo)")
    window.shutdown()
    window.ctx.db.dispose()


def test_export_then_import_roster(
    qtbot: Any, ctx: AppContext, demo_db: Database, tmp_path: Path, clock: FixedClock
) -> None:
    window = MainWindow(ctx, poll=False)
    qtbot.addWidget(window)
    window.refresh_all()
    ctx.runner.wait_idle()
    path = tmp_path / "roster.json"
    window.export_roster(str(path))
    assert ctx.runner.wait_idle()
    data = json.loads(path.read_text())
    assert data["format"] == "whoseonfirst-roster" and len(data["members"]) == 7
    assert path.stat().st_mode & 0o777 == 0o600  # every phone number is in it

    data["members"] = data["members"][:5]  # a smaller team, replacing the current one
    path.write_text(json.dumps(data))
    ctx.messages.answers.append(QMessageBox.StandardButton.Yes)
    window.import_roster(str(path))
    assert ctx.runner.wait_idle()
    with demo_db.reader() as uow:
        active = [m.name for m in list_members(uow) if not m.archived]
    assert len(active) == 5
    window.shutdown()


def test_bad_roster_file_is_refused_with_the_reason(
    qtbot: Any, ctx: AppContext, demo_db: Database, tmp_path: Path
) -> None:
    window = MainWindow(ctx, poll=False)
    qtbot.addWidget(window)
    window.refresh_all()
    ctx.runner.wait_idle()
    path = tmp_path / "bad.json"
    path.write_text('{"format": "whoseonfirst-roster", "version": 1, "surprise": 1}')
    ctx.messages.answers.append(QMessageBox.StandardButton.Yes)
    window.import_roster(str(path))
    assert ctx.runner.wait_idle()
    assert ctx.messages.sink[-1].title == "Not saved"
    assert "surprise" in ctx.messages.sink[-1].text
    window.shutdown()


def test_a_roster_file_that_cannot_be_read_is_a_message_not_a_traceback(
    qtbot: Any, ctx: AppContext, demo_db: Database, tmp_path: Path
) -> None:
    window = MainWindow(ctx, poll=False)
    qtbot.addWidget(window)
    window.refresh_all()
    ctx.runner.wait_idle()
    with demo_db.reader() as uow:
        before = [m.name for m in list_members(uow)]
    ctx.messages.answers.append(QMessageBox.StandardButton.Yes)
    window.import_roster(str(tmp_path / "gone.json"))  # deleted after it was picked
    assert ctx.runner.wait_idle()
    assert "gone.json" in ctx.messages.sink[-1].text
    with demo_db.reader() as uow:
        assert [m.name for m in list_members(uow)] == before
    window.shutdown()


def test_messages_before_a_window_do_not_block(clock: FixedClock) -> None:
    channel = MessageChannel(interactive=False)
    channel.error("Could not open the database", "nope")
    assert channel.texts() == ["nope"]
