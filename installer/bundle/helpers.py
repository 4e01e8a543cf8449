"""Build-time collection for the bundle: which Qt modules, which hidden imports, which data
files, the version stamp and the icon.

The repository root and PyInstaller's collectors (``collect_submodules``, ...) are parameters,
never imported here, so the spec stays glue and the tests run without PyInstaller or a build.
"""

from __future__ import annotations

import ast
import datetime
import importlib.util
import json
import platform
import re
import subprocess
import sys
from collections.abc import Callable, Iterable, Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from installer.bundle import config

#: ``(source file, destination folder)``, as PyInstaller's ``datas`` and hooks take them.
DataPair = tuple[str, str]

# --- Qt modules ------------------------------------------------------------------------------

_QT_DOTTED = re.compile(r"\bPySide6\.(Qt\w+)")
_QT_FROM_IMPORT = re.compile(r"\bfrom\s+PySide6\s+import\s+([\w, ()\s]+)")


def qt_modules_used(gui_root: Path) -> set[str]:
    """The base Qt modules plus every ``PySide6.QtXxx`` the sources under ``gui_root`` name."""
    used = set(config.QT_BASE_MODULES)
    for path in gui_root.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        used.update(m.group(1) for m in _QT_DOTTED.finditer(text))
        for m in _QT_FROM_IMPORT.finditer(text):
            used.update(re.findall(r"Qt\w+", m.group(1)))
    return used


def qt_modules_installed(pyside_dir: Path) -> set[str]:
    """The ``QtXxx`` modules of the PySide6 installation in ``pyside_dir``."""
    found = set()
    for entry in pyside_dir.iterdir():
        name = entry.name.split(".", 1)[0]
        if name.startswith("Qt") and entry.suffix in (".so", ".pyd", ".pyi") and entry.is_file():
            found.add(name)
    return found


def qt_excludes(installed: Iterable[str], used: Iterable[str]) -> list[str]:
    """``PySide6.QtXxx`` for every installed Qt module the app does not use."""
    return sorted(f"PySide6.{m}" for m in set(installed) - set(used))


# --- Hidden imports --------------------------------------------------------------------------


def importable(name: str) -> bool:
    """Whether ``name`` can be found in this interpreter (without importing the module)."""
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def imports_of(path: Path) -> set[str]:
    """The absolute imports of a script loaded from a file at run time (a migration)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            # ``from alembic import op``: op is a module; ``from sqlalchemy import text`` is not.
            names.update(
                f"{node.module}.{a.name}"
                for a in node.names
                if a.name != "*" and importable(f"{node.module}.{a.name}")
            )
    return {n for n in names if n.split(".")[0] != "__future__"}


def hidden_imports(
    root: Path,
    excludes: Iterable[str],
    collect_submodules: Callable[..., list[str]],
) -> list[str]:
    """Every module the app loads by name: the migrations' imports, :data:`config.HIDDEN_IMPORTS`
    and the submodules of :data:`config.ALL_SUBMODULES_OF`, minus excluded or missing ones.

    ``collect_submodules`` is PyInstaller's (``PyInstaller.utils.hooks.collect_submodules``).
    """
    wanted: set[str] = set()
    for script in (root / config.MIGRATIONS).rglob("*.py"):
        wanted |= {n for n in imports_of(script) if importable(n.split(".")[0])}
    wanted.update(config.HIDDEN_IMPORTS)
    for package in config.ALL_SUBMODULES_OF:
        wanted.update(
            collect_submodules(package, filter=lambda n: not n.startswith(config.NOT_AS_MODULES))
        )
    excluded = set(excludes)
    return sorted(h for h in wanted if h not in excluded and importable(h.split(".")[0]))


# --- Data files ------------------------------------------------------------------------------


def tree(src: Path, dest: str) -> list[DataPair]:
    """Every file under ``src`` (no bytecode caches) as (file, destination folder) pairs."""
    out = []
    for path in sorted(src.rglob("*")):
        if (
            path.is_file()
            and "__pycache__" not in path.parts
            and path.suffix not in (".pyc", ".pyo")
        ):
            rel_dir = path.parent.relative_to(src)
            out.append((str(path), str(Path(dest) / rel_dir)))
    return out


def data_files(
    root: Path,
    build_info_file: Path,
    collect_data_files: Callable[..., list[DataPair]],
    copy_metadata: Callable[[str], list[DataPair]],
) -> list[DataPair]:
    """The migrations, the version stamp, package data, distribution metadata and the app's
    resource folders, as PyInstaller ``datas``. The collectors are PyInstaller's."""
    datas = [
        *tree(root / config.MIGRATIONS, config.MIGRATIONS),
        (str(build_info_file), "."),
    ]
    for package, excludes in config.PACKAGE_DATA.items():
        datas += collect_data_files(package, excludes=list(excludes))
    for dist in config.METADATA_OF:
        datas += copy_metadata(dist)
    for folder in config.DATA_FOLDERS:
        if (root / folder).is_dir():
            datas += tree(root / folder, folder)
    return datas


# --- Version stamp ---------------------------------------------------------------------------

GitRunner = Callable[[Sequence[str]], str]


def _git(args: Sequence[str]) -> str:
    return subprocess.run(
        ["git", *args], capture_output=True, text=True, check=True, timeout=30
    ).stdout.strip()


def git_commit(root: Path, git: GitRunner = _git) -> str | None:
    """The short commit of ``root``'s checkout, ``-dirty`` with uncommitted changes to tracked
    files; None outside a git checkout (a source tarball) or without git."""
    try:
        commit = git(["-C", str(root), "rev-parse", "--short=12", "HEAD"]) or None
    except (OSError, subprocess.SubprocessError):
        return None
    try:
        dirty = git(["-C", str(root), "status", "--porcelain", "--untracked-files=no"])
    except (OSError, subprocess.SubprocessError):
        return commit  # the commit is still right; whether it is dirty is unknown
    if commit and dirty:
        commit += "-dirty"
    return commit


def app_version() -> str:
    """The installed ``whoseonfirst`` distribution's version."""
    try:
        return version("whoseonfirst")
    except PackageNotFoundError:
        return "0+unknown"


def build_info(
    root: Path,
    qt_modules: Iterable[str],
    pyside_version: str,
    now: datetime.datetime,
    git: GitRunner = _git,
) -> dict[str, Any]:
    """What ``build_info.json`` records; ``now`` is the build time (aware, rendered in UTC)."""
    return {
        "name": config.APP_NAME,
        "version": app_version(),
        "git_commit": git_commit(root, git),
        "build_time": now.astimezone(datetime.UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "pyside6": pyside_version,
        "platform": f"{sys.platform}-{platform.machine()}",
        "qt_modules": sorted(qt_modules),
    }


def write_build_info(folder: Path, info: dict[str, Any]) -> Path:
    """Write ``info`` as ``folder/build_info.json``; returns the file."""
    folder.mkdir(parents=True, exist_ok=True)
    out = folder / config.BUILD_INFO_NAME
    out.write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    return out


# --- Icon ------------------------------------------------------------------------------------


def find_icon(resources: Path, sys_platform: str) -> str | None:
    """The first icon of :data:`config.ICON_CANDIDATES` this platform can use (``.ico`` on
    Windows, ``.icns`` on macOS; Linux executables carry none)."""
    suffix = config.ICON_SUFFIX.get(config.platform_family(sys_platform))
    for candidate in config.ICON_CANDIDATES:
        path = resources / candidate
        if suffix and path.suffix == suffix and path.is_file():
            return str(path)
    return None
