#!/usr/bin/env python3
"""Build the WhoseOnFirst admin app bundle with PyInstaller, then smoke-test the result.

Usage (from anywhere; paths are relative to the repository)::

    .venv/bin/python installer/build_app.py               # build + smoke test
    .venv/bin/python installer/build_app.py --skip-build  # smoke-test the existing bundle

Needs the dev extra (``pip install -e '.[dev]'``, which brings PyInstaller) and runs with the
interpreter it is started with. The bundle lands in ``build/dist/whoseonfirst/`` (PyInstaller's
work files in ``build/pyinstaller/``; both are git-ignored).

The smoke test, all against the built executable with no Python environment leaking in:

1. a self-check inside the frozen app (``WHOSEONFIRST_BUNDLE_SELFTEST=1``): migrations readable,
   PostgreSQL driver and SQLite present, zone data, phone metadata, keyring backends, version
   stamp, and none of the excluded packages (twilio, apscheduler, Qt network/QML...);
2. ``whoseonfirst --screenshots DIR`` offscreen (``QT_QPA_PLATFORM=offscreen``) on a fresh SQLite
   file that was prepared with the service CLI (``db upgrade`` + ``import`` of the demo roster):
   exit 0 and a PNG for every page;
3. the same with no database configured and none there yet (an admin's very first start): the
   app creates its own file in the (private) user data directory.

It prints the bundle size, the build time and the smoke result, writes them to
``build/bundle-report.json``, and exits non-zero if anything failed.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: the repository's packages, not installer/
    sys.path.insert(0, str(ROOT))

from installer.bundle import config  # noqa: E402

SPEC = ROOT / "installer" / "whoseonfirst.spec"
BUILD = ROOT / "build"
DIST = BUILD / "dist"
WORK = BUILD / "pyinstaller"
BUNDLE = DIST / config.APP_NAME
REPORT = BUILD / "bundle-report.json"
EXE = BUNDLE / (config.APP_NAME + (".exe" if sys.platform == "win32" else ""))
DEMO_ROSTER = "demo-roster.json"
SMOKE_TIMEOUT_S = 300
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


class SmokeFailure(Exception):
    pass


def log(msg: str) -> None:
    print(f"[build_app] {msg}", flush=True)


# --- build ----------------------------------------------------------------------------------


def build() -> float:
    if importlib.util.find_spec("PyInstaller") is None:
        raise SystemExit(
            "[build_app] PyInstaller is not installed in this interpreter "
            f"({sys.executable}); run: pip install -e '.[dev]'"
        )
    cmd = [
        sys.executable,
        "-m",
        "PyInstaller",
        "--noconfirm",
        "--clean",
        "--distpath",
        str(DIST),
        "--workpath",
        str(WORK),
        "--log-level",
        "WARN",
        str(SPEC),
    ]
    log("building: " + " ".join(cmd))
    started = time.monotonic()
    result = subprocess.run(cmd, cwd=ROOT, check=False)
    elapsed = time.monotonic() - started
    if result.returncode != 0:
        raise SystemExit(f"[build_app] PyInstaller failed (exit {result.returncode})")
    return elapsed


def folder_size_mb(folder: Path) -> float:
    """Disk usage like ``du -s`` (allocated blocks where the OS reports them), in MiB."""
    total = 0
    for dirpath, dirnames, filenames in os.walk(folder):
        for name in dirnames + filenames:
            st = os.lstat(os.path.join(dirpath, name))
            if name in dirnames and not os.path.islink(os.path.join(dirpath, name)):
                continue  # directories themselves: negligible, and differ between filesystems
            blocks = getattr(st, "st_blocks", None)
            total += blocks * 512 if blocks is not None else st.st_size
    return total / (1024 * 1024)


# --- smoke test -----------------------------------------------------------------------------


def demo_roster() -> Path:
    """The demo team's roster file, shipped in the app's resources."""
    for folder in config.DATA_FOLDERS:
        candidate = ROOT / folder / DEMO_ROSTER
        if candidate.is_file():
            return candidate
    raise SmokeFailure(f"no {DEMO_ROSTER} in any of {', '.join(config.DATA_FOLDERS)}")


def isolated_env(tmp: Path, url: str | None) -> dict[str, str]:
    """The user's environment minus anything Python or app related, with private user dirs
    under ``tmp/home``; ``url`` as ``WHOSEONFIRST_DATABASE_URL``, or none (the app's own file
    in the private data directory)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PYTHON", "WHOSEONFIRST_", "QT_", "VIRTUAL_ENV"))
    }
    home = tmp / "home"
    for sub in ("config", "data", "cache", "state", "runtime"):
        (home / sub).mkdir(parents=True, exist_ok=True)
    os.chmod(home / "runtime", 0o700)
    env.update(
        HOME=str(home),
        USERPROFILE=str(home),
        APPDATA=str(home / "config"),
        LOCALAPPDATA=str(home / "data"),
        XDG_CONFIG_HOME=str(home / "config"),
        XDG_DATA_HOME=str(home / "data"),
        XDG_CACHE_HOME=str(home / "cache"),
        XDG_STATE_HOME=str(home / "state"),
        XDG_RUNTIME_DIR=str(home / "runtime"),
        QT_QPA_PLATFORM="offscreen",
    )
    if url is not None:
        env["WHOSEONFIRST_DATABASE_URL"] = url
    return env


def run(
    cmd: list[str], env: dict[str, str], cwd: Path, what: str
) -> subprocess.CompletedProcess[str]:
    try:
        result = subprocess.run(
            cmd,
            env=env,
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=SMOKE_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:  # subprocess.run killed the child it started
        raise SmokeFailure(f"{what}: no exit within {SMOKE_TIMEOUT_S} s") from exc
    if result.returncode != 0:
        tail = "\n".join((result.stdout + "\n" + result.stderr).strip().splitlines()[-40:])
        raise SmokeFailure(f"{what}: exit {result.returncode}\n{tail}")
    return result


def prepare_demo_database(tmp: Path, url: str) -> None:
    """``db upgrade`` + ``import`` with the service CLI of this environment."""
    env = dict(os.environ, WHOSEONFIRST_DATABASE_URL=url)
    env.pop("PYTHONPATH", None)
    cli = [sys.executable, "-m", "whoseonfirst_service.cli"]
    run([*cli, "db", "upgrade"], env, tmp, "whoseonfirst-service db upgrade")
    run([*cli, "import", str(demo_roster())], env, tmp, "whoseonfirst-service import")


def screenshots(tmp: Path, url: str | None, label: str) -> list[Path]:
    out = tmp / f"shots-{label}"
    out.mkdir()
    started = time.monotonic()
    result = run(
        [str(EXE), "--screenshots", str(out)],
        isolated_env(tmp, url),
        tmp,
        f"whoseonfirst --screenshots ({label})",
    )
    pngs = sorted(out.rglob("*.png"))
    if not pngs:
        raise SmokeFailure(
            f"--screenshots ({label}) exited 0 but wrote no PNG into {out}\n"
            f"{result.stdout[-2000:]}{result.stderr[-2000:]}"
        )
    bad = [p.name for p in pngs if p.read_bytes()[:8] != PNG_MAGIC or p.stat().st_size < 1000]
    if bad:
        raise SmokeFailure(f"--screenshots ({label}) wrote invalid or blank PNGs: {bad}")
    log(
        f"  {label}: {len(pngs)} PNGs in {time.monotonic() - started:.1f} s "
        f"({', '.join(p.stem for p in pngs)})"
    )
    return pngs


def smoke(keep: bool) -> dict[str, object]:
    if not EXE.is_file():
        raise SmokeFailure(f"no bundle at {EXE}; build it first (without --skip-build)")
    tmp = Path(tempfile.mkdtemp(prefix="wof-smoke-"))
    result: dict[str, object] = {}
    try:
        log("smoke 1/3: self-check inside the bundle")
        env = isolated_env(tmp, f"sqlite:///{tmp / 'selftest.db'}")
        env[config.SELFTEST_ENV] = "1"
        check = run([str(EXE)], env, tmp, "bundle self-check")
        selfcheck: dict[str, object] = json.loads(check.stdout[check.stdout.index("{") :])
        result["selfcheck"] = selfcheck
        for key, value in selfcheck.items():
            log(f"  {key}: {value}")

        log("smoke 2/3: --screenshots offscreen on the demo team")
        demo_db = tmp / "demo" / "whoseonfirst.db"
        demo_db.parent.mkdir()
        demo_url = f"sqlite:///{demo_db}"
        prepare_demo_database(tmp, demo_url)
        result["demo_pngs"] = [p.name for p in screenshots(tmp, demo_url, "demo-team")]

        log("smoke 3/3: --screenshots offscreen on the first start (no database anywhere)")
        home = tmp / "home"
        before = set(home.rglob("*.db"))
        result["first_run_pngs"] = [p.name for p in screenshots(tmp, None, "first-run")]
        created = sorted(set(home.rglob("*.db")) - before)
        if not created:
            raise SmokeFailure("the first start created no database in the user data directory")
        result["first_run_database"] = str(created[0].relative_to(home))
        log(f"  first-run: the app created {result['first_run_database']} under its private HOME")
        return result
    finally:
        if keep:
            log(f"kept the smoke-test folder {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--skip-build",
        action="store_true",
        help="only smoke-test the existing bundle in build/dist/whoseonfirst",
    )
    parser.add_argument(
        "--keep",
        action="store_true",
        help="keep the smoke-test folder (screenshots, databases) for a look",
    )
    args = parser.parse_args(argv)

    report: dict[str, object] = {"bundle": str(BUNDLE.relative_to(ROOT))}
    build_s = None if args.skip_build else build()
    report["build_seconds"] = None if build_s is None else round(build_s, 1)
    build_info: dict[str, object] = {}
    if EXE.is_file():
        report["size_mb"] = round(folder_size_mb(BUNDLE), 1)
        info = BUNDLE / config.BUILD_INFO_NAME
        if info.is_file():
            build_info = json.loads(info.read_text(encoding="utf-8"))
            report["build_info"] = build_info

    ok = True
    try:
        report["smoke"] = smoke(args.keep)
        report["smoke_result"] = "PASS"
    except SmokeFailure as exc:
        ok = False
        report["smoke_result"] = "FAIL"
        report["smoke_error"] = str(exc)
        log(f"SMOKE TEST FAILED: {exc}")

    BUILD.mkdir(exist_ok=True)
    REPORT.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    version = build_info.get("version", "?")
    commit = build_info.get("git_commit", "?")
    print()
    print("WhoseOnFirst bundle")
    print(f"  folder      {BUNDLE}")
    print(f"  version     {version} ({commit})")
    print(f"  size        {report.get('size_mb', '?')} MB")
    print("  build time  " + (f"{build_s:.1f} s" if build_s is not None else "skipped"))
    print(f"  smoke test  {report['smoke_result']}")
    print(f"  report      {REPORT}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
