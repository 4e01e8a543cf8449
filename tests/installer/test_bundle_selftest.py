"""The bundle's self-test (installer/bundle/selftest.py), run here in the development
environment: each check works, a failing check is reported without stopping the others, and
the exit status says whether any failed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from installer.bundle import config, selftest
from whoseonfirst_core.db.session import head_revision


def test_the_checks_pass_in_a_working_environment() -> None:
    assert selftest.migrations_head() == head_revision()
    assert selftest.postgresql().startswith("psycopg ")
    assert selftest.sqlite().startswith("sqlite 3.")
    assert selftest.zones() == "America/Chicago"
    assert selftest.phone_numbers() == "+442079460958"
    assert selftest.app_module() == "ok"


def test_zones_come_from_the_bundled_tzdata_alone() -> None:
    import zoneinfo

    before = zoneinfo.TZPATH
    assert selftest.zones() == "America/Chicago"
    assert before == zoneinfo.TZPATH  # the search path is restored


def test_keyring_backends_per_platform() -> None:
    assert selftest.keyring_backends_wanted("linux") == {
        "chainer",
        "fail",
        "SecretService",
        "kwallet",
        "libsecret",
    }
    assert selftest.keyring_backends_wanted("win32") == {"chainer", "fail", "Windows"}
    assert selftest.keyring_backends_wanted("darwin") == {"chainer", "fail", "macOS"}


def test_keyring_backends_import_here() -> None:
    result = selftest.keyring_backends()
    assert result.startswith("backends importable: [")
    assert "viable here:" in result


def test_build_info_reads_the_stamp_in_the_bundle_folder(tmp_path: Path) -> None:
    (tmp_path / config.BUILD_INFO_NAME).write_text(json.dumps({"version": "1.2.3"}))
    assert selftest.build_info(lambda: tmp_path) == "1.2.3"
    with pytest.raises(FileNotFoundError):
        selftest.build_info(lambda: tmp_path / "missing")


def test_outside_a_bundle_there_is_no_bundle_folder() -> None:
    with pytest.raises(RuntimeError, match="not running inside a PyInstaller bundle"):
        selftest.bundle_dir()


def test_bundle_folder_is_meipass(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import sys

    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert selftest.bundle_dir() == tmp_path


def test_absent_passes_when_nothing_excluded_is_importable() -> None:
    assert selftest.absent(config.ABSENT_AT_RUN_TIME, find_spec=lambda name: None) == "ok"


def test_absent_names_what_should_not_be_bundled() -> None:
    # The development environment has the service's packages: exactly what the check catches.
    with pytest.raises(RuntimeError, match=r"should not be bundled: \['twilio', 'apscheduler'"):
        selftest.absent()


def test_absent_treats_a_missing_parent_package_as_absent() -> None:
    def find_spec(name: str) -> object:
        raise ModuleNotFoundError(name)

    assert selftest.absent(["PySide6.QtNetwork"], find_spec=find_spec) == "ok"


def _boom() -> str:
    raise ValueError("no libpq")


def test_every_check_runs_and_failures_are_reported_not_raised() -> None:
    report = selftest.run_checks([("a", lambda: "fine"), ("b", _boom), ("c", lambda: {"x": 1})])
    assert report == {"a": "fine", "b": "FAILED: ValueError: no libpq", "c": {"x": 1}}
    assert selftest.failed(report) == ["b"]


def test_main_prints_json_and_exits_by_the_result(capsys: pytest.CaptureFixture[str]) -> None:
    assert selftest.main([("a", lambda: "fine")]) == 0
    assert json.loads(capsys.readouterr().out) == {"a": "fine"}
    assert selftest.main([("a", lambda: "fine"), ("b", _boom)]) == 1
    assert json.loads(capsys.readouterr().out)["b"].startswith("FAILED: ValueError")


def test_the_checks_the_build_reports() -> None:
    assert [name for name, _ in selftest.CHECKS] == [
        "migrations_head",
        "postgresql",
        "sqlite",
        "zoneinfo",
        "phonenumbers",
        "keyring",
        "build_info",
        "excluded",
        "app",
    ]
