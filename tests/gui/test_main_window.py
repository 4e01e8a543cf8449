"""The shell: pages and badges, shortcut routing, status bar, read-only mode, window state,
and ``whoseonfirst --screenshots``."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtGui import QImage, QUndoCommand, QUndoStack
from PySide6.QtWidgets import QWidget

from whoseonfirst_core.clock import FixedClock
from whoseonfirst_core.db.models import ServiceHeartbeat
from whoseonfirst_core.db.session import Database, bump
from whoseonfirst_core.usecases.notifications import queue_text
from whoseonfirst_gui.app import main
from whoseonfirst_gui.context import AppContext
from whoseonfirst_gui.main_window import PAGES, MainWindow

SLUGS = [
    "dashboard",
    "calendar",
    "team",
    "shifts",
    "notifications",
    "settings",
    "audit",
    "test_send",
]
PRINTED = ["print-week", "print-month"]  # File ▸ Print… of this week and this month


@pytest.fixture
def window(qtbot: Any, ctx: AppContext) -> Any:
    w = MainWindow(ctx, poll=False)
    qtbot.addWidget(w)
    w.refresh_all()
    ctx.runner.wait_idle()
    yield w
    w.shutdown()


def add_heartbeat(
    db: Database, clock: FixedClock, age: timedelta, sms_problem: str | None = None
) -> None:
    with db.uow("service") as uow:
        uow.session.add(
            ServiceHeartbeat(
                instance_id="vm1",
                host="rhel-vm-01",
                version="1.0.0",
                sms_backend="twilio",
                started_at=clock.now() - timedelta(hours=1),
                last_tick_at=clock.now() - age,
                sms_problem=sms_problem,
            )
        )
        bump(uow.session)
        uow.commit()


def test_every_page_is_there_including_the_calendar(window: MainWindow) -> None:
    assert window.slugs == SLUGS
    assert [window.sidebar.item(i).text() for i in range(window.sidebar.count())] == [
        p.title for p in PAGES
    ]
    from whoseonfirst_gui.calendar.page import CalendarPage

    assert isinstance(window.page("calendar"), CalendarPage)


def test_status_bar_shows_team_database_and_heartbeat(
    qtbot: Any, window: MainWindow, ctx: AppContext, demo_db: Database, clock: FixedClock
) -> None:
    qtbot.waitUntil(lambda: window.team_label.text() == "Support (demo)")
    assert window.db_label.text() == "SQLite whoseonfirst.db"
    with qtbot.waitSignal(window.poller.polled, timeout=5000):
        window.poller.poll_now()
    assert window.service_label.text() == "Service: never seen"
    add_heartbeat(demo_db, clock, timedelta(seconds=12))
    with qtbot.waitSignal(window.poller.polled, timeout=5000):
        window.poller.poll_now()
    assert window.service_label.text() == "Service: up, last tick 12 s ago"
    clock.advance(timedelta(minutes=5))
    with qtbot.waitSignal(window.poller.polled, timeout=5000):
        window.poller.poll_now()
    assert window.service_label.text() == "Service: silent since Mon 06:59 CST"


def test_the_status_bar_and_healthz_agree_when_the_service_is_up(
    qtbot: Any, window: MainWindow, demo_db: Database, clock: FixedClock
) -> None:
    """One threshold (two minutes) decides "up" for the status bar, the Dashboard and
    /healthz: a last tick 100 s ago is up, and the label is not red."""
    add_heartbeat(demo_db, clock, timedelta(seconds=100))
    with qtbot.waitSignal(window.poller.polled, timeout=5000):
        window.poller.poll_now()
    assert window.service_label.text() == "Service: up, last tick 1 min ago"
    assert window.service_label.styleSheet() == ""
    clock.advance(timedelta(seconds=20))
    with qtbot.waitSignal(window.poller.polled, timeout=5000):
        window.poller.poll_now()
    assert window.service_label.text() == "Service: silent since Mon 06:58 CST"
    assert "color" in window.service_label.styleSheet()


def test_the_status_bar_says_when_the_service_is_up_but_texts_are_not_going_out(
    qtbot: Any, window: MainWindow, demo_db: Database, clock: FixedClock
) -> None:
    """The app reads the SMS side's health from the heartbeat (not the HTTP endpoint)."""
    problem = "texts cannot be sent: Twilio refused the account SID and auth token (20003)"
    add_heartbeat(demo_db, clock, timedelta(seconds=5), sms_problem=problem)
    with qtbot.waitSignal(window.poller.polled, timeout=5000):
        window.poller.poll_now()
    assert window.service_label.text() == "Service: up, but texts are not going out"
    assert "color" in window.service_label.styleSheet()
    assert window.service_label.toolTip().startswith(problem)


def test_unsaved_edits_count_in_the_status_bar(
    qtbot: Any, window: MainWindow, ctx: AppContext
) -> None:
    assert not window.dirty_label.isVisibleTo(window)
    ctx.report_dirty("calendar", 2)
    assert window.dirty_label.text() == "2 unsaved edits"
    assert window.dirty_label.isVisibleTo(window)
    ctx.report_dirty("settings", 1)
    assert window.dirty_label.text() == "3 unsaved edits"
    ctx.report_dirty("calendar", 0)
    ctx.report_dirty("settings", 0)
    assert not window.dirty_label.isVisibleTo(window)


class _Append(QUndoCommand):
    def __init__(self, log: list[str]) -> None:
        super().__init__("append")
        self.log = log

    def redo(self) -> None:
        self.log.append("x")

    def undo(self) -> None:
        self.log.pop()


class _UndoPage(QWidget):
    title = "Undoable"

    def __init__(self) -> None:
        super().__init__()
        self.undo_stack = QUndoStack(self)
        self.saved = 0

    def refresh(self) -> None:
        pass

    def save(self) -> None:
        self.saved += 1


def test_ctrl_z_and_ctrl_s_go_to_the_current_page(window: MainWindow) -> None:
    page = _UndoPage()
    window.add_page("undoable", "Undoable", page)
    window.show_page("undoable")
    log: list[str] = []
    page.undo_stack.push(_Append(log))
    assert log == ["x"] and window.undo_action.isEnabled()
    assert window.undo_action.shortcut().toString() == "Ctrl+Z"
    window.undo_action.trigger()
    assert log == [] and window.redo_action.isEnabled()
    assert "Ctrl+Shift+Z" in [s.toString() for s in window.redo_action.shortcuts()]
    window.redo_action.trigger()
    assert log == ["x"]
    window.save_action.trigger()
    assert page.saved == 1
    window.show_page("dashboard")
    assert not window.undo_action.isEnabled()  # the dashboard has no undo stack


def test_find_and_refresh_shortcuts(qtbot: Any, window: MainWindow) -> None:
    window.show()
    qtbot.waitExposed(window)
    window.show_page("notifications")
    assert window.find_action.shortcut().toString() == "Ctrl+F"
    window.find_action.trigger()
    page = window.page("notifications")
    assert window.focusWidget() is page.search  # type: ignore[attr-defined]
    assert "F5" in [s.toString() for s in window.refresh_action.shortcuts()]


def test_badges_come_from_the_pages(
    qtbot: Any, ctx: AppContext, demo_db: Database, clock: FixedClock
) -> None:
    from sqlalchemy import update

    from whoseonfirst_core.db.models import Notification

    with demo_db.uow("service") as uow:
        n = queue_text(uow, clock.now(), to="+13125550101")
        uow.session.execute(
            update(Notification)
            .where(Notification.id == n.id)
            .values(status="failed", error_code=21610, error_message="recipient opted out")
        )
        uow.commit()
    w = MainWindow(ctx, poll=False)
    qtbot.addWidget(w)
    w.refresh_all()
    ctx.runner.wait_idle()
    row = w.slugs.index("notifications")
    from whoseonfirst_gui.main_window import BadgeRole

    qtbot.waitUntil(lambda: w.sidebar.item(row).data(BadgeRole) == "1")
    dash = w.slugs.index("dashboard")
    assert w.sidebar.item(dash).data(BadgeRole)  # the dashboard lists it under Attention
    w.shutdown()


def test_read_only_mode(qtbot: Any, make_ctx: Any, demo_db: Database, clock: FixedClock) -> None:
    ro = make_ctx(demo_db, clock, read_only=True)
    w = MainWindow(ro, poll=False)
    qtbot.addWidget(w)
    w.refresh_all()
    ro.runner.wait_idle()
    assert w.read_only_label.isVisibleTo(w) and w.read_only_label.text() == "read-only"
    assert not w.add_member_action.isEnabled()
    assert not w.import_action.isEnabled()
    assert not w.save_action.isEnabled()
    settings_page = w.page("settings")
    assert not settings_page.team_name.isEnabled()  # type: ignore[attr-defined]
    w.shutdown()


def test_window_geometry_and_page_are_remembered(qtbot: Any, ctx: AppContext) -> None:
    settings = QSettings()
    w = MainWindow(ctx, settings=settings, poll=False)
    qtbot.addWidget(w)
    w.resize(760, 560)  # the offscreen screen is 800 x 600
    w.show_page("audit")
    w.save_state()
    w.shutdown()
    w2 = MainWindow(ctx, settings=QSettings(), poll=False)
    qtbot.addWidget(w2)
    assert w2.current_page() is w2.page("audit")
    assert (w2.width(), w2.height()) == (760, 560)
    w2.shutdown()


def test_accessible_names_on_controls(window: MainWindow) -> None:
    from PySide6.QtWidgets import (
        QAbstractButton,
        QAbstractItemView,
        QAbstractSpinBox,
        QComboBox,
        QHeaderView,
        QLineEdit,
        QPlainTextEdit,
    )

    kinds = (
        QAbstractButton,
        QLineEdit,
        QAbstractItemView,
        QComboBox,
        QAbstractSpinBox,
        QPlainTextEdit,
    )
    unnamed = []
    for page in window.pages:
        if type(page).__name__ == "CalendarPage":
            continue  # the calendar's own tests cover it
        for w in page.findChildren(QWidget):
            if not isinstance(w, kinds) or isinstance(w, QHeaderView):
                continue
            parent = w.parent()
            if isinstance(parent, QAbstractItemView | QComboBox | QAbstractSpinBox | QLineEdit):
                continue  # parts Qt builds inside a view, combo/spin box, or a clear button
            if isinstance(parent, QWidget) and isinstance(parent.parent(), QComboBox):
                continue  # the popup list of a combo box
            if w.accessibleName() or (isinstance(w, QAbstractButton) and w.text()):
                continue
            unnamed.append(f"{type(page).__name__}: {type(w).__name__} {w.objectName()}")
    assert not unnamed


def test_screenshots_in_process(tmp_path: Path, demo_db: Database, qtbot: Any) -> None:
    out = tmp_path / "shots"
    assert main(["--database", demo_db.url, "--screenshots", str(out)]) == 0
    assert sorted(p.stem for p in out.glob("*.png")) == sorted(SLUGS + PRINTED)
    for png in out.glob("*.png"):
        image = QImage(str(png))
        assert image.width() >= 1200 and image.height() >= 700
        # Not a blank canvas: plenty of distinct colours (text, chips, widgets).
        colours = {
            image.pixel(x, y)
            for x in range(0, image.width(), 7)
            for y in range(0, image.height(), 7)
        }
        assert len(colours) > 8, png.name


@pytest.mark.slow
def test_screenshots_command_exits_zero(tmp_path: Path, demo_db: Database) -> None:
    """The real console entry point, in its own process (so the exit code is the real one)."""
    out = tmp_path / "cli-shots"
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from whoseonfirst_gui.app import main; sys.exit(main())",
            "--database",
            demo_db.url,
            "--screenshots",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert sorted(p.stem for p in out.glob("*.png")) == sorted(SLUGS + PRINTED)
