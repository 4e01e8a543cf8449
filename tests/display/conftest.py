"""The real-display suite: the app on an X server (Xvfb, 1024×700) with a window manager
(openbox), the platform plugin ``xcb``, driven by the real mouse and keyboard (xdotool, which
sends X input events as a person's hands would). Every test here is marked ``slow`` and
``display``; without Xvfb, openbox or xdotool they are skipped and say which is missing
(Debian: ``apt-get install xvfb xdotool openbox imagemagick``).

The app runs in a process of its own (this one is offscreen) and reports where its widgets are
on the screen (``driven_app``). Screenshots go to ``WHOSEONFIRST_DISPLAY_ARTIFACTS`` (default:
the session's temporary folder) for review.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import WithDemoTeam
from tests.display.driven_app import NOW
from tests.gui.conftest import DEMO_ANCHOR
from whoseonfirst_core.db.session import Database

ROOT = Path(__file__).resolve().parents[2]
SCREEN = (1024, 700)
TOOLS = ("Xvfb", "openbox", "xdotool", "import")
#: How long a real gesture may take to show its effect in the app (a loaded machine).
SETTLE_S = 10.0


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if Path(str(item.fspath)).is_relative_to(here):
            item.add_marker(pytest.mark.slow)
            item.add_marker(pytest.mark.display)


@dataclass
class XServer:
    display: str
    artifacts: Path
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def env(self) -> dict[str, str]:
        env = dict(os.environ, DISPLAY=self.display, QT_QPA_PLATFORM="xcb")
        env.pop("WAYLAND_DISPLAY", None)
        return env

    def xdotool(self, *args: str | int) -> str:
        out = subprocess.run(
            ["xdotool", *map(str, args)],
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        )
        return out.stdout

    def screenshot(self, name: str) -> Path:
        path = self.artifacts / f"{name}.png"
        subprocess.run(
            ["import", "-window", "root", str(path)], env=self.env(), timeout=30, check=True
        )
        return path


@pytest.fixture(scope="session")
def x_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[XServer]:
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        pytest.skip(
            f"the real-display suite needs {', '.join(missing)} "
            "(Debian: apt-get install xvfb xdotool openbox imagemagick)"
        )
    artifacts = Path(
        os.environ.get("WHOSEONFIRST_DISPLAY_ARTIFACTS") or tmp_path_factory.mktemp("display")
    )
    artifacts.mkdir(parents=True, exist_ok=True)
    read_fd, write_fd = os.pipe()
    xvfb = subprocess.Popen(
        [
            "Xvfb",
            "-displayfd",
            str(write_fd),
            "-screen",
            "0",
            f"{SCREEN[0]}x{SCREEN[1]}x24",
            "-nolisten",
            "tcp",
        ],
        pass_fds=(write_fd,),
    )
    os.close(write_fd)
    with os.fdopen(read_fd) as reader:
        number = reader.readline().strip()
    if not number:
        xvfb.kill()
        pytest.fail("Xvfb did not start")
    server = XServer(f":{number}", artifacts, [xvfb])
    server.procs.append(
        subprocess.Popen(
            ["openbox"], env=server.env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
    )
    try:
        yield server
    finally:
        for proc in reversed(server.procs):
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


class DrivenApp:
    """The app's process: ``ask`` sends a command and returns its JSON answer."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.proc = proc
        assert self.read().get("ready"), "the app did not start"

    def read(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            assert self.proc.stderr is not None
            pytest.fail(f"the app exited: {self.proc.stderr.read()[-3000:]}")
        result: dict[str, Any] = json.loads(line)
        return result

    def ask(self, cmd: str, **args: Any) -> dict[str, Any]:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps({"cmd": cmd, **args}) + "\n")
        self.proc.stdin.flush()
        return self.read()

    def wait_for(self, check: Any, what: str) -> dict[str, Any]:
        """Ask ``where`` until ``check(answer)`` holds (real input lands asynchronously)."""
        deadline = time.monotonic() + SETTLE_S
        while True:
            answer = self.ask("where")
            if check(answer):
                return answer
            if time.monotonic() > deadline:
                pytest.fail(f"timed out waiting for {what}: {answer}")
            time.sleep(0.1)


@pytest.fixture
def demo_url(sqlite_url: str, with_demo_team: WithDemoTeam) -> str:
    """A SQLite file with the demo team, as the driven app's fixed clock sees it."""
    db = Database(sqlite_url)
    try:
        with_demo_team(db, "setup", NOW, DEMO_ANCHOR)
    finally:
        db.dispose()
    return sqlite_url


@pytest.fixture
def app(x_server: XServer, demo_url: str, tmp_path: Path) -> Iterator[DrivenApp]:
    settings = tmp_path / "qsettings"
    settings.mkdir()
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.display.driven_app", demo_url, str(settings)],
        cwd=ROOT,
        env=x_server.env(),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    driven = DrivenApp(proc)
    try:
        yield driven
    finally:
        if proc.poll() is None:
            try:
                driven.ask("quit")
                proc.wait(timeout=20)
            except (OSError, subprocess.TimeoutExpired, AssertionError):
                proc.kill()
                proc.wait()
