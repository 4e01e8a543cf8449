"""The bundle's entry script (installer/bundle/launcher.py): the app with its own command line,
or the self-test when WHOSEONFIRST_BUNDLE_SELFTEST=1."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from installer.bundle import config, launcher, selftest
from whoseonfirst_gui import app


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, object]]:
    recorded: list[tuple[str, object]] = []

    def app_main(argv: Sequence[str] | None = None) -> int:
        recorded.append(("app", None if argv is None else list(argv)))
        return 3

    def selftest_main() -> int:
        recorded.append(("selftest", None))
        return 7

    monkeypatch.setattr(app, "main", app_main)
    monkeypatch.setattr(selftest, "main", selftest_main)
    return recorded


def test_starts_the_app_with_the_command_line_as_it_is(calls: list[tuple[str, object]]) -> None:
    argv = ["--database", "sqlite:///demo.db", "--screenshots", "shots"]
    assert launcher.main(argv, environ={}) == 3
    assert calls == [("app", argv)]


def test_without_arguments_the_app_reads_the_real_command_line(
    calls: list[tuple[str, object]],
) -> None:
    assert launcher.main(environ={"HOME": "/home/a"}) == 3
    assert calls == [("app", None)]


def test_the_selftest_variable_runs_the_selftest_instead_of_the_app(
    calls: list[tuple[str, object]],
) -> None:
    assert launcher.main(["--screenshots", "x"], environ={config.SELFTEST_ENV: "1"}) == 7
    assert calls == [("selftest", None)]


@pytest.mark.parametrize("value", ["0", "", "yes", "true", " 1"])
def test_any_other_value_starts_the_app(calls: list[tuple[str, object]], value: str) -> None:
    assert launcher.main([], environ={config.SELFTEST_ENV: value}) == 3
    assert calls == [("app", [])]


def test_the_process_environment_is_the_default(
    calls: list[tuple[str, object]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(config.SELFTEST_ENV, "1")
    assert launcher.main([]) == 7
    monkeypatch.delenv(config.SELFTEST_ENV)
    assert launcher.main([]) == 3
    assert calls == [("selftest", None), ("app", [])]


def test_app_help_is_the_apps_own(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        launcher.main(["--help"], environ={})
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: whoseonfirst")
    assert "--screenshots" in out and "--database" in out
