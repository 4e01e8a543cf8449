"""Build-time collection (installer/bundle/helpers.py), without PyInstaller or a build."""

from __future__ import annotations

import datetime
import json
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from installer.bundle import config, helpers

ROOT = Path(__file__).resolve().parents[2]


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


# --- Qt modules ------------------------------------------------------------------------------


def test_qt_modules_used_finds_dotted_and_from_imports(tmp_path: Path) -> None:
    _write(tmp_path / "a.py", "from PySide6.QtSvg import QSvgRenderer\n")
    _write(tmp_path / "pages" / "b.py", "from PySide6 import (QtCharts,\n    QtPrintSupport)\n")
    _write(tmp_path / "c.py", "import PySide6.QtDBus as dbus\n")
    _write(tmp_path / "notes.txt", "PySide6.QtQml is not code\n")
    assert helpers.qt_modules_used(tmp_path) == {
        *config.QT_BASE_MODULES,
        "QtSvg",
        "QtCharts",
        "QtPrintSupport",
        "QtDBus",
    }


def test_the_app_uses_only_the_base_qt_modules_and_print_support_today() -> None:
    """If this fails, the app started using another Qt module: the build picks it up, and it
    needs a hook in installer/hooks/ (see test_every_qt_module_in_use_has_a_hook)."""
    assert helpers.qt_modules_used(ROOT / "whoseonfirst_gui") == {
        *config.QT_BASE_MODULES,
        "QtPrintSupport",  # File ▸ Print… (the Calendar's week or month)
    }


def test_qt_modules_installed_and_excluded(tmp_path: Path) -> None:
    for name in (
        "QtCore.abi3.so",
        "QtGui.pyd",
        "QtQml.pyi",
        "QtNetwork.abi3.so",
        "Qt",
        "__init__.py",
    ):
        (tmp_path / name).mkdir() if name == "Qt" else (tmp_path / name).write_text("")
    installed = helpers.qt_modules_installed(tmp_path)
    assert installed == {"QtCore", "QtGui", "QtQml", "QtNetwork"}
    assert helpers.qt_excludes(installed, {"QtCore", "QtGui", "QtWidgets"}) == [
        "PySide6.QtNetwork",
        "PySide6.QtQml",
    ]


# --- Hidden imports --------------------------------------------------------------------------


def test_imports_of_a_migration_keeps_modules_not_names(tmp_path: Path) -> None:
    script = _write(
        tmp_path / "0002.py",
        "from __future__ import annotations\n"
        "import json\n"
        "from alembic import op\n"
        "from sqlalchemy import text, Column\n"
        "from . import sibling\n"
        "def upgrade():\n"
        "    import sqlalchemy.dialects.sqlite\n",
    )
    names = helpers.imports_of(script)
    assert {"json", "alembic", "alembic.op", "sqlalchemy", "sqlalchemy.dialects.sqlite"} <= names
    assert "sqlalchemy.text" not in names and "sqlalchemy.Column" not in names
    assert not [n for n in names if n.startswith("__future__")]
    assert "sibling" not in names


def test_hidden_imports_cover_migrations_run_time_names_and_submodules() -> None:
    calls: list[str] = []

    def collect_submodules(package: str, filter: Any = None) -> list[str]:
        calls.append(package)
        names = {
            "whoseonfirst_core": [
                "whoseonfirst_core",
                "whoseonfirst_core.roster",
                "whoseonfirst_core.db.migrations",
                "whoseonfirst_core.db.migrations.env",
            ],
            "whoseonfirst_gui": ["whoseonfirst_gui", "whoseonfirst_gui.app"],
            "keyring.backends": ["keyring.backends.fail", "keyring.backends.SecretService"],
        }[package]
        return [n for n in names if filter is None or filter(n)]

    hidden = helpers.hidden_imports(ROOT, ["sqlite3", "whoseonfirst_gui.app"], collect_submodules)
    assert sorted(calls) == sorted(config.ALL_SUBMODULES_OF)
    # The migration scripts' own imports (alembic.op, sqlalchemy) and the names loaded at run time.
    assert {"alembic.op", "sqlalchemy", "psycopg", "tzdata", "keyring.backends.fail"} <= set(hidden)
    assert "whoseonfirst_core.roster" in hidden
    # The migrations are data, the excluded stay out, and the list is sorted and unique.
    assert not [h for h in hidden if h.startswith("whoseonfirst_core.db.migrations")]
    assert "sqlite3" not in hidden and "whoseonfirst_gui.app" not in hidden
    assert hidden == sorted(set(hidden))


def test_hidden_imports_skip_what_is_not_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(config, "HIDDEN_IMPORTS", ("json", "no_such_module_here.sub"))
    hidden = helpers.hidden_imports(ROOT, [], lambda package, filter=None: [])
    assert "json" in hidden and "no_such_module_here.sub" not in hidden


# --- Data files ------------------------------------------------------------------------------


def test_tree_keeps_the_layout_without_bytecode(tmp_path: Path) -> None:
    _write(tmp_path / "env.py", "")
    _write(tmp_path / "script.py.mako", "")
    _write(tmp_path / "versions" / "0001_x.py", "")
    _write(tmp_path / "versions" / "__pycache__" / "0001_x.cpython-311.pyc", "")
    _write(tmp_path / "stale.pyc", "")
    pairs = helpers.tree(tmp_path, "whoseonfirst_core/db/migrations")
    assert sorted((Path(src).name, dest) for src, dest in pairs) == [
        ("0001_x.py", "whoseonfirst_core/db/migrations/versions"),
        ("env.py", "whoseonfirst_core/db/migrations"),
        ("script.py.mako", "whoseonfirst_core/db/migrations"),
    ]


def test_data_files_bring_migrations_stamp_package_data_metadata_and_resources(
    tmp_path: Path,
) -> None:
    stamp = tmp_path / "build_info.json"
    asked: dict[str, Any] = {}

    def collect_data_files(package: str, excludes: list[str]) -> list[tuple[str, str]]:
        asked[package] = excludes
        return [(f"/site/{package}/data.bin", package)]

    def copy_metadata(dist: str) -> list[tuple[str, str]]:
        return [(f"/site/{dist}.dist-info", f"{dist}.dist-info")]

    datas = helpers.data_files(ROOT, stamp, collect_data_files, copy_metadata)
    dests = {dest for _, dest in datas}
    assert (str(stamp), ".") in datas
    assert (str(ROOT / config.MIGRATIONS / "env.py"), config.MIGRATIONS) in datas
    assert any(src.endswith("0001_initial_schema.py") for src, _ in datas)
    assert [d for s, d in datas if s.endswith("demo-roster.json") and d in config.DATA_FOLDERS]
    assert asked == {"tzdata": [], "phonenumbers": list(config.PACKAGE_DATA["phonenumbers"])}
    assert {"whoseonfirst.dist-info", "keyring.dist-info", "tzdata", "phonenumbers"} <= dests
    assert not [src for src, _ in datas if "__pycache__" in src]


# --- Version stamp ---------------------------------------------------------------------------


class FakeGit:
    def __init__(self, commit: str = "0123456789ab", status: str = "", fail: str = "") -> None:
        self.commit, self.status, self.fail = commit, status, fail

    def __call__(self, args: Sequence[str]) -> str:
        command = args[2]
        if command == self.fail:
            raise subprocess.CalledProcessError(128, ["git", *args])
        return self.commit if command == "rev-parse" else self.status


def test_git_commit_clean_dirty_and_outside_a_checkout() -> None:
    assert helpers.git_commit(ROOT, FakeGit()) == "0123456789ab"
    assert helpers.git_commit(ROOT, FakeGit(status=" M README.md")) == "0123456789ab-dirty"
    assert helpers.git_commit(ROOT, FakeGit(fail="rev-parse")) is None
    assert helpers.git_commit(ROOT, FakeGit(fail="status")) == "0123456789ab"

    def no_git(args: Sequence[str]) -> str:
        raise FileNotFoundError("git")

    assert helpers.git_commit(ROOT, no_git) is None


def test_git_commit_of_a_real_checkout(tmp_path: Path) -> None:
    def git(*args: str) -> None:
        subprocess.run(["git", "-C", str(tmp_path), *args], check=True, capture_output=True)

    git("init", "-q")
    _write(tmp_path / "f.txt", "one\n")
    git("add", "f.txt")
    git("-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-qm", "one")
    commit = helpers.git_commit(tmp_path)
    assert commit is not None and len(commit) == 12
    _write(tmp_path / "f.txt", "two\n")
    assert helpers.git_commit(tmp_path) == f"{commit}-dirty"


def test_build_info_records_version_commit_time_and_qt(tmp_path: Path) -> None:
    chicago = datetime.timezone(datetime.timedelta(hours=-6))
    now = datetime.datetime(2026, 3, 2, 8, 0, 30, tzinfo=chicago)
    info = helpers.build_info(ROOT, {"QtWidgets", "QtCore"}, "6.11.3", now, FakeGit())
    from importlib.metadata import version

    assert info["name"] == "whoseonfirst"
    assert info["version"] == version("whoseonfirst")
    assert info["git_commit"] == "0123456789ab"
    assert info["build_time"] == "2026-03-02T14:00:30+00:00"
    assert info["pyside6"] == "6.11.3"
    assert info["qt_modules"] == ["QtCore", "QtWidgets"]
    out = helpers.write_build_info(tmp_path / "work", info)
    assert out == tmp_path / "work" / config.BUILD_INFO_NAME
    assert json.loads(out.read_text(encoding="utf-8")) == info


# --- Icon ------------------------------------------------------------------------------------


def test_find_icon_per_platform(tmp_path: Path) -> None:
    assert helpers.find_icon(tmp_path, "win32") is None
    _write(tmp_path / "icons" / "whoseonfirst.ico", "")
    _write(tmp_path / "whoseonfirst.icns", "")
    assert helpers.find_icon(tmp_path, "win32") == str(tmp_path / "icons" / "whoseonfirst.ico")
    assert helpers.find_icon(tmp_path, "darwin") == str(tmp_path / "whoseonfirst.icns")
    assert helpers.find_icon(tmp_path, "linux") is None  # Linux executables carry no icon
