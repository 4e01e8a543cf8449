"""The parts of installer/build_app.py that decide what the smoke test runs against
(the build and the smoke run themselves: tests/e2e/test_bundle.py)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from installer import build_app


def test_the_demo_roster_is_the_shipped_file() -> None:
    roster = build_app.demo_roster()
    assert roster.name == "demo-roster.json"
    assert '"whoseonfirst-roster"' in roster.read_text(encoding="utf-8")


def test_the_smoke_environment_has_nothing_of_this_python_or_this_user(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name, value in {
        "PYTHONPATH": "/src",
        "PYTHONHOME": "/py",
        "VIRTUAL_ENV": "/venv",
        "WHOSEONFIRST_SMS_BACKEND": "twilio",
        "QT_PLUGIN_PATH": "/qt",
        "LANG": "C.UTF-8",
    }.items():
        monkeypatch.setenv(name, value)
    env = build_app.isolated_env(tmp_path, "sqlite:///x.db")
    assert not [k for k in env if k.startswith(("PYTHON", "VIRTUAL_ENV"))]
    assert [k for k in env if k.startswith("WHOSEONFIRST_")] == ["WHOSEONFIRST_DATABASE_URL"]
    assert env["WHOSEONFIRST_DATABASE_URL"] == "sqlite:///x.db"
    assert [k for k in env if k.startswith("QT_")] == ["QT_QPA_PLATFORM"]
    assert env["QT_QPA_PLATFORM"] == "offscreen"
    assert env["LANG"] == "C.UTF-8"
    home = tmp_path / "home"
    assert env["HOME"] == str(home)
    for key in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        assert Path(env[key]).is_dir() and Path(env[key]).parent == home
    assert os.stat(env["XDG_RUNTIME_DIR"]).st_mode & 0o777 == 0o700


def test_folder_size_counts_allocated_blocks_and_symlinks_once(tmp_path: Path) -> None:
    (tmp_path / "a.bin").write_bytes(b"x" * 100_000)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.bin").write_bytes(b"y" * 50_000)
    (tmp_path / "link.bin").symlink_to(tmp_path / "a.bin")
    size = build_app.folder_size_mb(tmp_path)
    assert 0.14 < size < 0.2  # 150 kB of data, block-rounded; the symlink adds (almost) nothing


def test_without_a_url_the_smoke_environment_names_no_database(tmp_path: Path) -> None:
    """The first-start smoke run: the app must find its own file in the private data folder."""
    env = build_app.isolated_env(tmp_path, None)
    assert "WHOSEONFIRST_DATABASE_URL" not in env
    assert env["XDG_DATA_HOME"] == str(tmp_path / "home" / "data")
