"""Bundle: the size of the PyInstaller one-folder app (``build/dist/whoseonfirst``).

``installer/build_app.py`` builds the bundle, smoke-tests it and writes
``build/bundle-report.json``. A full run uses that report when it is fresh (newer than every
file that goes into the bundle) and rebuilds otherwise; a quick run never builds: it reports the
existing bundle (saying whether it is stale) or n/a.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from bench.common import Figure

GROUP = "bundle"
ROOT = Path(__file__).resolve().parents[1]
REPORT = ROOT / "build" / "bundle-report.json"
BUNDLE = ROOT / "build" / "dist" / "whoseonfirst"
#: What goes into the bundle: a change to any of these makes the report stale.
INPUTS = (
    "whoseonfirst_gui",
    "whoseonfirst_core",
    "resources",
    "installer/whoseonfirst.spec",
    "installer/build_app.py",
    "installer/bundle",
    "installer/hooks",
    "pyproject.toml",
)


def newest_input() -> float:
    newest = 0.0
    for name in INPUTS:
        path = ROOT / name
        files = (
            [path]
            if path.is_file()
            else [p for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts]
        )
        for f in files:
            newest = max(newest, f.stat().st_mtime)
    return newest


def folder_size_mb(folder: Path) -> float:
    """Disk usage like ``du -s`` in MiB (as installer/build_app.py measures it)."""
    total = 0
    for dirpath, dirnames, filenames in os.walk(folder):
        for name in filenames + [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]:
            st = os.lstat(os.path.join(dirpath, name))
            blocks = getattr(st, "st_blocks", None)
            total += blocks * 512 if blocks is not None else st.st_size
    return total / (1024 * 1024)


def read_report() -> dict[str, Any] | None:
    try:
        data: dict[str, Any] = json.loads(REPORT.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if BUNDLE.is_dir() else None


def is_fresh() -> bool:
    return read_report() is not None and REPORT.stat().st_mtime >= newest_input()


def build() -> str | None:
    """Run the build script; None when it worked, else why not."""
    if importlib.util.find_spec("PyInstaller") is None:
        return "PyInstaller is not installed (pip install -e '.[dev]')"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "installer" / "build_app.py")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    if proc.returncode != 0 and read_report() is None:
        tail = (proc.stdout + proc.stderr)[-800:]
        return f"the build failed (exit {proc.returncode}): {tail}"
    return None


def run(quick: bool = False) -> list[Figure]:
    name = "PyInstaller folder size"
    problem = None
    fresh = is_fresh()
    if not fresh and not quick:
        problem = build()
        fresh = is_fresh()
    report = read_report()
    if report is None:
        why = problem or (
            "no bundle built yet; quick runs do not build (run "
            "installer/build_app.py or a full python -m bench)"
        )
        return [Figure(GROUP, name, None, "MB", 150, note=why)]
    size = folder_size_mb(BUNDLE)
    smoke = report.get("smoke_result", "?")
    built = report.get("build_info", {}).get("git_commit", "?")
    note = f"build {built}, smoke test {smoke}"
    if not fresh:
        note += "; STALE: sources changed since this build"
    return [Figure(GROUP, name, size, "MB", 150, note=note)]
