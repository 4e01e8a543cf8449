"""The task runner: work off the GUI thread, results on it, busy widgets, errors, responsiveness."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QPushButton
from sqlalchemy.exc import OperationalError

from whoseonfirst_core.usecases.errors import UseCaseError
from whoseonfirst_gui import messages as messages_mod
from whoseonfirst_gui.context import AppContext
from whoseonfirst_gui.messages import Level, MessageChannel, describe
from whoseonfirst_gui.pages import team as team_page
from whoseonfirst_gui.pages.team import TeamPage
from whoseonfirst_gui.workers import TaskRunner


@pytest.fixture
def runner(qtbot: Any) -> Any:
    r = TaskRunner()
    yield r
    assert r.wait_idle(5000)
    r.shutdown()


def test_result_arrives_on_the_gui_thread(qtbot: Any, runner: TaskRunner) -> None:
    seen: list[tuple[str, str]] = []
    runner.submit(
        lambda: threading.current_thread().name,
        lambda worker: seen.append((worker, threading.current_thread().name)),
    )
    qtbot.waitUntil(lambda: bool(seen))
    worker, receiver = seen[0]
    assert worker != threading.main_thread().name
    assert receiver == threading.main_thread().name


def test_busy_widget_is_disabled_while_running(qtbot: Any, runner: TaskRunner) -> None:
    button = QPushButton("Save")
    qtbot.addWidget(button)
    gate = threading.Event()
    done: list[int] = []
    runner.submit(lambda: gate.wait(5) and 1, done.append, busy=button)
    runner.submit(lambda: gate.wait(5) and 2, done.append, busy=button)
    assert not button.isEnabled()
    gate.set()
    qtbot.waitUntil(lambda: len(done) == 2)
    assert button.isEnabled()


def test_busy_does_not_enable_a_widget_that_was_disabled(qtbot: Any, runner: TaskRunner) -> None:
    button = QPushButton("Save")
    qtbot.addWidget(button)
    button.setEnabled(False)
    runner.submit(lambda: 1, lambda _r: None, busy=button)
    assert runner.wait_idle()
    assert not button.isEnabled()


def test_errors_go_to_on_error_or_the_message_channel(qtbot: Any) -> None:
    channel = MessageChannel(interactive=False)
    runner = TaskRunner(error_handler=channel.exception)
    got: list[BaseException] = []
    runner.submit(lambda: 1 / 0, lambda _r: None, got.append)
    runner.submit(_raise_use_case, lambda _r: None)
    assert runner.wait_idle()
    assert isinstance(got[0], ZeroDivisionError)
    assert channel.sink[-1].level is Level.WARNING
    assert channel.sink[-1].text == "phone: '12' has the wrong number of digits"
    runner.shutdown()


def test_a_newer_task_with_the_same_key_wins(qtbot: Any, runner: TaskRunner) -> None:
    gate = threading.Event()
    seen: list[str] = []
    runner.submit(lambda: gate.wait(5) and "old", seen.append, key="refresh")
    runner.submit(lambda: "new", seen.append, key="refresh")
    qtbot.waitUntil(lambda: seen == ["new"])
    gate.set()
    assert runner.wait_idle()
    assert seen == ["new"]


def test_slow_database_call_leaves_the_gui_responsive(
    qtbot: Any, ctx: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A page refresh whose query blocks: the event loop keeps running until it answers."""
    gate = threading.Event()
    real = team_page.load_team

    def slow_load(uow: Any, now: Any) -> Any:
        gate.wait(10)  # the injected delay: the "database" answers only when the test says so
        return real(uow, now)

    monkeypatch.setattr(team_page, "load_team", slow_load)
    page = TeamPage(ctx)
    qtbot.addWidget(page)
    ticks: list[int] = []
    timer = QTimer()
    timer.setInterval(5)
    timer.timeout.connect(lambda: ticks.append(1))
    timer.start()
    page.refresh()
    # While the query is blocked the GUI thread keeps handling events: timers tick, the page
    # stays unloaded, nothing froze.
    qtbot.waitUntil(lambda: len(ticks) >= 10, timeout=5000)
    assert page.data is None
    assert not ctx.runner.is_idle()
    gate.set()
    qtbot.waitUntil(lambda: page.data is not None, timeout=5000)
    timer.stop()
    assert page.model.rowCount() == 7


def test_describe_tells_the_three_kinds_of_trouble_apart() -> None:
    user = describe(UseCaseError("phone: not a phone number"))
    assert (user.level, user.text) == (Level.WARNING, "phone: not a phone number")
    locked = describe(OperationalError("UPDATE x", {}, Exception("database is locked")))
    assert locked.title == "Database busy" and "try again" in locked.text
    down = describe(OperationalError("SELECT 1", {}, Exception("connection refused")))
    assert down.title == "Database not reachable" and down.details == "connection refused"
    bug = describe(_caught(KeyError("x")))
    assert bug.level is Level.ERROR and bug.text.startswith("Sorry")
    assert bug.details is not None and "KeyError" in bug.details


def test_bugs_are_logged_with_traceback(caplog: pytest.LogCaptureFixture) -> None:
    channel = MessageChannel(interactive=False)
    channel.exception(_caught(RuntimeError("boom")))
    assert channel.sink[-1].title == "Something went wrong"
    assert any(r.exc_info for r in caplog.records if r.name == messages_mod.__name__)


def _raise_use_case() -> None:
    raise UseCaseError("phone: '12' has the wrong number of digits")


def _caught(exc: BaseException) -> BaseException:
    try:
        raise exc
    except BaseException as caught:  # noqa: BLE001
        return caught


def test_a_refused_write_switches_to_read_only(qtbot: Any, ctx: AppContext) -> None:
    with qtbot.waitSignal(ctx.events.read_only_changed, timeout=1000) as blocker:
        ctx.messages.exception(
            OperationalError("UPDATE meta", {}, Exception("attempt to write a readonly database"))
        )
    assert blocker.args == [True] and ctx.read_only
    assert ctx.messages.sink[-1].title == "Read-only database"
