"""GUI fixtures: an in-memory keyring, throwaway QSettings, a demo team, app contexts.

Every test here runs offscreen (tests/conftest.py sets QT_QPA_PLATFORM) and fails on Qt
warnings (``qt_log_level_fail``), except the offscreen platform's own notes. Contexts are shut
down at teardown, and a test that leaves a task running fails.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import keyring
import pytest
from keyring.backend import KeyringBackend
from PySide6.QtCore import QCoreApplication, QSettings

from tests.conftest import WithDemoTeam
from whoseonfirst_core.clock import FixedClock
from whoseonfirst_core.db.session import Database
from whoseonfirst_core.roster import create_demo_team
from whoseonfirst_gui.context import AppContext, make_context

#: Monday 2026-03-02: the demo rotation starts this day; the fixed clock says 07:00 CST.
DEMO_ANCHOR = date(2026, 3, 2)
ACTOR = "tester@testhost"

#: The offscreen platform's harmless complaints.
OFFSCREEN_NOISE = (
    "propagateSizeHints",
    "This plugin does not support",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if Path(str(item.fspath)).is_relative_to(here):
            item.add_marker(pytest.mark.qt_log_level_fail("WARNING"))
            item.add_marker(pytest.mark.qt_log_ignore(*OFFSCREEN_NOISE))


class MemoryKeyring(KeyringBackend):
    """A keyring that lives in a dict: tests never touch the real OS keyring."""

    priority = 10  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.passwords: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.passwords.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.passwords[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.passwords.pop((service, username), None)


@pytest.fixture(autouse=True)
def memory_keyring() -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(previous)


@pytest.fixture(autouse=True)
def isolated_settings(tmp_path: Path, qapp: Any) -> Iterator[Path]:
    """QSettings() writes to an INI file under tmp_path, never the user's real settings."""
    folder = tmp_path / "qsettings"
    folder.mkdir()
    QCoreApplication.setOrganizationName("WhoseOnFirstTests")
    QCoreApplication.setApplicationName("WhoseOnFirstTests")
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(folder))
    yield folder


def add_demo_team(db: Database, clock: FixedClock) -> None:
    with db.uow("setup") as uow:
        create_demo_team(uow, clock.now(), DEMO_ANCHOR)
        uow.commit()


@pytest.fixture
def demo_db(sqlite_db: Database, clock: FixedClock, with_demo_team: WithDemoTeam) -> Database:
    """SQLite with the demo team (7 members, default pattern, rotation from Mon 2026-03-02)."""
    with_demo_team(sqlite_db, "setup", clock.now(), DEMO_ANCHOR)
    return sqlite_db


@pytest.fixture
def shared_demo_db(db: Database, clock: FixedClock, with_demo_team: WithDemoTeam) -> Database:
    """The demo team on each backend (SQLite and PostgreSQL)."""
    with_demo_team(db, "setup", clock.now(), DEMO_ANCHOR)
    return db


ContextFactory = Callable[..., AppContext]


@pytest.fixture
def make_ctx(qtbot: Any) -> Iterator[ContextFactory]:
    """Build app contexts with a recording message channel; all are shut down afterwards."""
    made: list[AppContext] = []

    def factory(
        db: Database, clock: FixedClock, *, actor: str = ACTOR, read_only: bool = False
    ) -> AppContext:
        ctx = make_context(db, clock, actor, interactive=False, read_only=read_only)
        made.append(ctx)
        return ctx

    yield factory
    leftovers = []
    bugs = []
    for ctx in made:
        if not ctx.runner.wait_idle(10_000):
            leftovers.append(ctx)
        ctx.runner.shutdown()
        # A bug in a page shows up as "Something went wrong" in the channel: never acceptable.
        bugs += [
            f"{m.title}: {m.details or m.text}"
            for m in ctx.messages.sink
            if m.title == "Something went wrong"
        ]
    assert not leftovers, "a test left background tasks running"
    assert not bugs, "\n".join(bugs)


@pytest.fixture
def ctx(make_ctx: ContextFactory, demo_db: Database, clock: FixedClock) -> AppContext:
    return make_ctx(demo_db, clock)
