"""The bundle's self-test: the parts a frozen app loads by name or from files, checked inside the
bundle, where a missing hidden import or data file shows.

``installer/build_app.py`` runs the built executable with ``WHOSEONFIRST_BUNDLE_SELFTEST=1``
(see :mod:`installer.bundle.launcher`); the screenshot smoke runs that follow do not reach the
PostgreSQL driver, the keyring backends, the zone database or the phone metadata. It prints one
JSON object, check name → result (a value, or ``"FAILED: Error: message"``), and exits 1 when
any check failed. Every check runs, however many fail before it.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import sys
import zoneinfo
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from installer.bundle import config

Check = tuple[str, Callable[[], Any]]
FAILED = "FAILED"


def migrations_head() -> str:
    from whoseonfirst_core.db.session import head_revision

    return head_revision()


def postgresql() -> str:
    import psycopg
    from sqlalchemy import create_engine

    engine = create_engine("postgresql+psycopg://u@localhost:1/x")  # never connected
    if engine.dialect.driver != "psycopg":
        raise RuntimeError(f"driver is {engine.dialect.driver}, not psycopg")
    return f"psycopg {psycopg.__version__}, libpq impl {psycopg.pq.__impl__}"


def sqlite() -> str:
    from sqlalchemy import create_engine, text

    with create_engine("sqlite://").connect() as conn:
        return f"sqlite {conn.execute(text('select sqlite_version()')).scalar()}"


def zones() -> str:
    """The bundled tzdata alone (as on Windows, which has no system zone database)."""
    importlib.import_module("tzdata")  # the bundled zone database

    zoneinfo.reset_tzpath(to=())
    try:
        return str(zoneinfo.ZoneInfo.no_cache("America/Chicago"))
    finally:
        zoneinfo.reset_tzpath()


def phone_numbers() -> str:
    import phonenumbers

    number = phonenumbers.parse("+44 20 7946 0958")
    if not phonenumbers.is_valid_number(number):
        raise RuntimeError("the UK region metadata does not validate a UK number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def keyring_backends_wanted(sys_platform: str) -> set[str]:
    """The keyring backend modules this platform's app may pick at run time."""
    native = {"windows": "Windows", "macos": "macOS", "linux": "SecretService"}
    wanted = {"chainer", "fail", native[config.platform_family(sys_platform)]}
    if config.platform_family(sys_platform) == "linux":
        wanted |= {"kwallet", "libsecret"}
    return wanted


def keyring_backends() -> str:
    from keyring.backend import get_all_keyring

    wanted = keyring_backends_wanted(sys.platform)
    if config.platform_family(sys.platform) == "linux":
        import secretstorage  # noqa: F401 - what the Secret Service backend talks through
    for name in sorted(wanted):
        importlib.import_module(f"keyring.backends.{name}")
    viable = sorted(type(k).__name__ for k in get_all_keyring())
    return f"backends importable: {sorted(wanted)}; viable here: {viable}"


def bundle_dir() -> Path:
    """The bundle's ``_internal`` folder (``sys._MEIPASS``); outside a bundle, an error."""
    meipass = getattr(sys, "_MEIPASS", None)
    if meipass is None:
        raise RuntimeError("not running inside a PyInstaller bundle")
    return Path(meipass)


def build_info(folder: Callable[[], Path] = bundle_dir) -> str:
    """The version recorded in the bundled ``build_info.json``."""
    data = json.loads((folder() / config.BUILD_INFO_NAME).read_text(encoding="utf-8"))
    return str(data["version"])


def absent(
    modules: Iterable[str] = config.ABSENT_AT_RUN_TIME,
    find_spec: Callable[[str], object] = importlib.util.find_spec,
) -> str:
    """``ok`` when none of ``modules`` can be imported here."""
    present = []
    for name in modules:
        try:
            found = find_spec(name) is not None
        except (ImportError, ValueError):  # a missing parent package
            found = False
        if found:
            present.append(name)
    if present:
        raise RuntimeError(f"should not be bundled: {present}")
    return "ok"


def app_module() -> str:
    import whoseonfirst_gui.app as app

    if not callable(app.main):
        raise RuntimeError("whoseonfirst_gui.app.main is not callable")
    return "ok"


CHECKS: tuple[Check, ...] = (
    ("migrations_head", migrations_head),
    ("postgresql", postgresql),
    ("sqlite", sqlite),
    ("zoneinfo", zones),
    ("phonenumbers", phone_numbers),
    ("keyring", keyring_backends),
    ("build_info", build_info),
    ("excluded", absent),
    ("app", app_module),
)


def run_checks(checks: Sequence[Check] = CHECKS) -> dict[str, Any]:
    """Every check's result, or ``FAILED: Error: message`` for a check that raised."""
    report: dict[str, Any] = {}
    for name, check in checks:
        try:
            report[name] = check()
        except Exception as exc:  # noqa: BLE001 - report every failure, not just the first
            report[name] = f"{FAILED}: {type(exc).__name__}: {exc}"
    return report


def failed(report: dict[str, Any]) -> list[str]:
    """The names of the checks that failed."""
    return [k for k, v in report.items() if isinstance(v, str) and v.startswith(FAILED)]


def main(checks: Sequence[Check] = CHECKS) -> int:
    """Print the report as JSON; 0 when every check passed, else 1."""
    report = run_checks(checks)
    print(json.dumps(report, indent=2), flush=True)
    return 1 if failed(report) else 0
