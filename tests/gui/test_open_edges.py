"""Opening a database in the app at the edges: a URL that is not one, a SQLite folder that does
not exist, a PostgreSQL role that refuses. The app never dies with a traceback: the connection
dialog opens with the reason (the service's own words) and lets the user pick another database.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.exc import ProgrammingError

from tests.pg_roles import VIEWER_GRANTS, WRITER_GRANTS, login_role
from whoseonfirst_core.clock import FixedClock
from whoseonfirst_core.db import session
from whoseonfirst_core.db.models import EscalationContact
from whoseonfirst_core.db.session import Database
from whoseonfirst_gui import connections
from whoseonfirst_gui.app import AppController
from whoseonfirst_gui.connection_dialogs import FirstRunDialog, ProfileDialog
from whoseonfirst_gui.connections import OpenError, open_database
from whoseonfirst_gui.messages import READ_ONLY_TITLE, Level, MessageChannel, describe

REJECTED = int(ProfileDialog.DialogCode.Rejected.value)
EXPECTED = "sqlite:////path/to/file.db or postgresql+psycopg://user@host/dbname"


class DialogSpy:
    """Stands in for ``ProfileDialog.exec``: records what each dialog showed, then answers."""

    def __init__(self, answers: list[int]) -> None:
        self.answers = answers
        self.problems: list[str] = []
        self.titles: list[str] = []

    def __call__(self, dialog: ProfileDialog) -> int:
        self.problems.append(dialog.problem.text() if dialog.problem.isVisibleTo(dialog) else "")
        self.titles.append(dialog.windowTitle())
        return self.answers.pop(0)


@pytest.fixture
def embedded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The embedded database's path, in a user data directory under tmp_path."""
    path = tmp_path / "data" / "whoseonfirst" / "whoseonfirst.db"
    monkeypatch.setattr(session, "default_sqlite_path", lambda: path)
    monkeypatch.setattr(connections, "default_sqlite_path", lambda: path)
    return path


def controller_with(
    monkeypatch: pytest.MonkeyPatch, clock: FixedClock, answers: list[int]
) -> tuple[AppController, DialogSpy]:
    spy = DialogSpy(answers)
    monkeypatch.setattr(ProfileDialog, "exec", lambda dialog: spy(dialog))
    controller = AppController(clock, "tester@host")
    controller.messages.interactive = False
    return controller, spy


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("garbage", f"--database: not a database URL (expected {EXPECTED})."),
        (
            "mysql://wof:pw-secret@db01/wof",
            "--database: unsupported database 'mysql': WhoseOnFirst uses SQLite or PostgreSQL "
            f"({EXPECTED}).",
        ),
        (
            "postgres://wof:pw-secret@db01/wof",
            "--database: the scheme 'postgres://' is not understood: write "
            "postgresql+psycopg://user@host/dbname (or postgresql://…).",
        ),
        (
            "sqlite:////proc/nope/x.db",
            "Could not open sqlite:////proc/nope/x.db: the folder /proc/nope does not exist: "
            "create it first, or choose another place for the SQLite file.",
        ),
    ],
)
def test_a_bad_database_opens_the_connection_dialog_with_the_reason(
    qtbot: Any, clock: FixedClock, monkeypatch: pytest.MonkeyPatch, url: str, problem: str
) -> None:
    controller, spy = controller_with(monkeypatch, clock, [REJECTED])
    assert controller.start(url) is False  # the user cancelled: the app ends, no traceback
    assert spy.titles == ["Could not open the database"]
    assert spy.problems[0].startswith(f"⚠ {problem}\n")
    assert "pw-secret" not in spy.problems[0]
    assert controller.messages.sink == []  # said once, in the dialog


def test_the_reason_names_the_variable_the_url_came_from(
    qtbot: Any, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WHOSEONFIRST_DATABASE_URL", "garbage")
    controller, spy = controller_with(monkeypatch, clock, [REJECTED])
    assert controller.start(None) is False
    assert spy.problems[0].startswith(
        f"⚠ WHOSEONFIRST_DATABASE_URL: not a database URL (expected {EXPECTED})."
    )


def test_after_a_bad_url_the_user_can_pick_this_computers_database(
    qtbot: Any,
    clock: FixedClock,
    monkeypatch: pytest.MonkeyPatch,
    embedded: Path,
) -> None:
    controller, spy = controller_with(monkeypatch, clock, [ProfileDialog.USE_EMBEDDED])
    monkeypatch.setattr(
        FirstRunDialog, "exec", lambda _d: int(FirstRunDialog.DialogCode.Rejected.value)
    )
    assert controller.start("garbage")
    assert spy.problems[0].startswith("⚠ --database: not a database URL")
    window = controller.window
    assert window is not None
    qtbot.addWidget(window)
    try:
        assert window.ctx.db.url == f"sqlite:///{embedded}"
        assert embedded.exists()
    finally:
        window.ctx.runner.wait_idle()
        window.shutdown()
        window.ctx.db.dispose()


def test_switching_to_a_bad_database_keeps_the_window_and_asks_again(
    qtbot: Any, clock: FixedClock, monkeypatch: pytest.MonkeyPatch, demo_db: Database
) -> None:
    controller, spy = controller_with(monkeypatch, clock, [REJECTED])
    assert controller.start(demo_db.url)
    window = controller.window
    assert window is not None
    qtbot.addWidget(window)
    try:
        controller._switch_or_ask("sqlite:////proc/nope/x.db")
        assert spy.problems[0].startswith("⚠ Could not open sqlite:////proc/nope/x.db: the folder")
        assert controller.window is window  # still open on the demo team
    finally:
        window.ctx.runner.wait_idle()
        window.shutdown()
        window.ctx.db.dispose()


def test_migrating_with_a_role_that_may_not_create_tables_says_so(pg_server: Any) -> None:
    from pytest_postgresql.janitor import DatabaseJanitor

    janitor = DatabaseJanitor(
        user=pg_server.user, host=pg_server.host, port=pg_server.port, dbname="wof_gui_edges"
    )
    janitor.init()
    try:
        with (
            login_role(pg_server.url("wof_gui_edges"), WRITER_GRANTS) as admin_url,
            pytest.raises(OpenError) as refused,
        ):
            open_database(
                admin_url, MessageChannel(interactive=False), ask_to_migrate=lambda *_: True
            )
    finally:
        janitor.drop()
    assert str(refused.value).startswith(
        "Could not open postgresql+psycopg://wof_test_role_"
    ) and str(refused.value).endswith(
        ": permission denied for schema public: this role may not create or change tables. "
        "Ask the database's administrator for the privileges in docs/deployment.md, "
        "section 3, or connect with another profile."
    )


def test_a_viewers_refused_write_names_the_table(pg_url: str) -> None:
    with login_role(pg_url, VIEWER_GRANTS) as viewer_url:
        viewer = Database(viewer_url)
        try:
            with pytest.raises(ProgrammingError) as refused, viewer.uow("viewer") as uow:
                uow.session.add(EscalationContact(name="Hal", phone="+13125550199"))
                uow.commit()
        finally:
            viewer.dispose()
    message = describe(refused.value)
    assert (message.level, message.title) == (Level.WARNING, READ_ONLY_TITLE)
    assert message.text == (
        "The database refused the change: permission denied for table escalation_contacts: "
        "this connection is read-only. Nothing was saved. Ask an administrator for write "
        "access, or connect with another profile."
    )


def test_a_fresh_start_prints_no_alembic_info_lines(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WHOSEONFIRST_", "XDG_"))}
    env.update(HOME=str(tmp_path / "home"), QT_QPA_PLATFORM="offscreen")
    done = subprocess.run(
        [sys.executable, "-m", "whoseonfirst_gui.app", "--screenshots", str(tmp_path / "shots")],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "home" / ".local" / "share" / "whoseonfirst" / "whoseonfirst.db").exists()
    assert "alembic" not in done.stderr, done.stderr
