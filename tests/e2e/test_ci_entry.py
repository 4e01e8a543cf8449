"""``.ci/run`` runs the README's test command verbatim, and the static checks the README lists.

The README's command is what a new user runs; CI must run exactly that (the default run, then
the ``slow`` drills as their own step), so the two can never drift apart.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CI = ROOT / ".ci" / "run"
README = ROOT / "README.md"


def readme_test_command() -> str:
    lines = [
        line
        for line in README.read_text(encoding="utf-8").splitlines()
        if line.startswith("python3 -m venv .venv && ") and "'.[test]'" in line
    ]
    assert len(lines) == 1, f"expected one test command in the README, found {lines}"
    return lines[0]


def test_ci_runs_the_readme_test_command_verbatim_and_stops_when_it_fails() -> None:
    command = readme_test_command()
    ci_lines = CI.read_text(encoding="utf-8").splitlines()
    # ``set -e`` ignores a failing command of an ``&&`` list unless it is the last one: without
    # ``|| exit 1`` a failing default run would skip the slow run and CI would carry on.
    assert f"{command} || exit 1" in ci_lines, (
        f".ci/run does not run the README's test command {command!r} followed by || exit 1"
    )


def test_the_test_command_runs_the_default_run_and_then_the_slow_drills() -> None:
    steps = [s.strip() for s in readme_test_command().split("&&")]
    runs = [s for s in steps if " -m pytest" in s]
    assert runs == [".venv/bin/python -m pytest -q", ".venv/bin/python -m pytest -q -m slow"]
    # A plain ``pytest`` leaves the slow drills out; ``-m slow`` (given later) selects them.
    options = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    pytest_options = options["tool"]["pytest"]["ini_options"]
    assert re.search(r"-m 'not slow'", pytest_options["addopts"])
    assert any(m.startswith("slow:") for m in pytest_options["markers"])


def test_ci_runs_every_static_check() -> None:
    ci_lines = {line.strip() for line in CI.read_text(encoding="utf-8").splitlines()}
    for check in (
        ".venv/bin/ruff check .",
        ".venv/bin/ruff format --check .",
        ".venv/bin/mypy whoseonfirst_core",
        ".venv/bin/mypy service",
        ".venv/bin/mypy whoseonfirst_gui",
        ".venv/bin/lint-imports",
    ):
        assert check in ci_lines, f".ci/run does not run {check!r}"
