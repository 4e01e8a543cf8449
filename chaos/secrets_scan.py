"""Secrets and privacy drill (issue 7, drill 7): runs last and scans what the others left.

First a short scenario of its own, so the scan has material even with ``--only secrets`` and
the error paths that quote numbers are exercised: ``db upgrade`` creating the default SQLite
file (the one the desktop app shares), ``tick`` processes whose texts Twilio refuses with
messages that quote the number unmasked (21211, 21614) or cannot reach (dropped connection),
and ``check`` with a wrong auth token. Then:

- every log line the service processes wrote (``run`` and ``tick``, JSON on stdout/stderr,
  plus ``/healthz`` and ``/metrics`` bodies and the in-process engine logs) must hold no phone
  number unmasked — in any spelling: ``+13125550101``, ``%2B1312…``, ``(312) 555-0101`` …;
- no output of any process, no log, and no database (every SQLite file with its WAL, every
  PostgreSQL table) may contain the Twilio auth token;
- every SQLite file the drills, the service and the app's default location created is mode
  0600 (not readable by group or others), and so are its ``-wal``/``-shm`` files.
"""

from __future__ import annotations

import os
import re
import stat
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from chaos.common import (
    ChaosRun,
    DrillResult,
    DrillTwilio,
    import_roster,
    roster,
    run_service,
    service_env,
)
from tests.fakes.fake_twilio import Reply

TZ = ZoneInfo("America/Chicago")
ANCHOR = date(2026, 3, 9)


def _phone_patterns(phones: set[str]) -> re.Pattern[str]:
    """Every way a log could spell one of ``phones`` unmasked (North American numbers)."""
    spellings: list[str] = []
    for phone in phones:
        digits = phone.lstrip("+")
        national = digits[1:] if digits.startswith("1") and len(digits) == 11 else digits
        area, exchange, line = national[:3], national[3:6], national[6:]
        spellings.append(
            rf"(?<!\d){re.escape(digits)}(?!\d)"  # +13125550101, %2B13125550101, 13125550101
            rf"|(?<!\d){re.escape(national)}(?!\d)"  # 3125550101
            rf"|\(?{area}\)?[ .\-]{exchange}[ .\-]{line}(?!\d)"  # (312) 555-0101, 312.555.0101
        )
    return re.compile("|".join(spellings))


def run(run: ChaosRun) -> DrillResult:
    result = DrillResult("secrets and privacy")
    _own_scenario(run, result)
    evidence = run.evidence
    phones = _phone_patterns(evidence.phones)
    secrets = (run.auth_token, run.auth_token[::-1])  # the real one, and check's wrong one
    lines = 0
    leaks_phone: list[str] = []
    leaks_token: list[str] = []
    for source, kind, text in evidence.logs:
        for line in text.splitlines():
            lines += 1
            if any(secret in line for secret in secrets):
                shown = line.replace(secrets[0], "[TOKEN]").replace(secrets[1], "[TOKEN]")
                leaks_token.append(f"{source}: {shown[:160]}")
            if kind == "log" and (m := phones.search(line)):
                leaks_phone.append(f"{source}: …{line[max(0, m.start() - 60) : m.end() + 20]}…")
    for leak in leaks_token[:5]:
        result.error(f"the auth token in output: {leak}")
    for leak in leaks_phone[:5]:
        result.error(f"an unmasked phone number in a log line: {leak}")
    db_hits = _scan_databases(run, run.auth_token, result)
    for hit in db_hits[:5]:
        result.error(f"the auth token in a database: {hit}")
    files = _sqlite_files(run)
    for path in files:
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            result.error(f"{path.name} is mode {mode:04o}: readable by group or others")
    result.expected = lines
    result.received = lines - len(leaks_phone) - len(leaks_token)
    result.notes.append(
        f"{lines} lines of output from {len(evidence.logs)} sources scanned "
        f"({sum(1 for _, k, _ in evidence.logs if k == 'log')} service logs); "
        f"{len(evidence.sqlite_files)} SQLite and {len(evidence.pg_urls)} PostgreSQL databases "
        f"scanned for the auth token; {len(files)} SQLite files (with WAL/SHM) checked for "
        "mode 0600"
    )
    return result


def _own_scenario(run: ChaosRun, result: DrillResult) -> None:
    """The default database location, refused numbers, a wrong token."""
    home = run.folder("secrets-home")
    data_home = home / "data"
    env_default = {
        k: v for k, v in os.environ.items() if not k.startswith(("WHOSEONFIRST_", "TWILIO_"))
    }
    env_default.update({"XDG_DATA_HOME": str(data_home), "HOME": str(home)})
    old_umask = os.umask(0o022)  # a typical login umask: files would be 0644 by default
    try:
        code, _out, err = run_service(
            run,
            ["db", "upgrade"],
            env_default,
            "secrets: db upgrade (default location)",
            timeout=120,
        )
    finally:
        os.umask(old_umask)
    default_db = data_home / "whoseonfirst" / "whoseonfirst.db"
    if code != 0 or not default_db.exists():
        result.error(f"db upgrade on the default location failed ({code}): {err.strip()[-200:]}")
    else:
        run.evidence.sqlite_files.append(default_db)
    url = run.new_database("sqlite", "secrets")
    t0 = datetime(2026, 3, 9, 8, 0, tzinfo=TZ)
    data = roster(anchor=ANCHOR)
    import_roster(url, data, t0 - timedelta(days=1))
    with DrillTwilio(run, t0) as fake:
        fake.set_status_script(["undelivered"])  # undelivered → a failure alert too
        replies = iter([Reply.error(400, 21211), Reply.error(400, 21614), Reply.drop()])
        fake.reply_for = lambda form: next(replies, None)
        for minutes in (0, 1, 20):
            at = t0 + timedelta(minutes=minutes, seconds=30)
            fake.set_now(at)
            run_service(
                run,
                ["tick", "--now", at.isoformat()],
                service_env(
                    run, url, fake, WHOSEONFIRST_LOG_FORMAT="text" if minutes == 1 else "json"
                ),
                f"secrets: tick at +{minutes} min",
            )
        wrong = service_env(run, url, fake, TWILIO_AUTH_TOKEN=run.auth_token[::-1])
        run_service(run, ["check"], wrong, "secrets: check with a wrong token")
        run_service(
            run,
            ["send-test", "--to", "Ann Archer"],
            service_env(run, url, fake),
            "secrets: send-test",
        )
        if not fake.create_requests:
            result.error("the scenario sent nothing: the scan would prove little")
    # WAL and shared-memory files exist only while a connection is open: check them now.
    from sqlalchemy import text

    from whoseonfirst_core.db.session import Database

    db = Database(url)
    try:
        with db.reader() as uow:
            uow.session.execute(text("SELECT count(*) FROM members"))
            for part in _sqlite_files_of(Path(url.removeprefix("sqlite:///"))):
                mode = stat.S_IMODE(part.stat().st_mode)
                if mode & 0o077:
                    result.error(f"{part.name} (open) is mode {mode:04o}: readable by others")
    finally:
        db.dispose()


def _scan_databases(run: ChaosRun, token: str, result: DrillResult) -> list[str]:
    hits: list[str] = []
    needle = token.encode()
    for part in _sqlite_files(run):
        if needle in part.read_bytes():
            hits.append(str(part.name))
    for url in run.evidence.pg_urls:
        hits += _scan_pg(url, token, result)
    return hits


def _scan_pg(url: str, token: str, result: DrillResult) -> list[str]:
    """Tables of the PostgreSQL database at ``url`` with a row whose text holds ``token``."""
    from sqlalchemy import inspect, text

    from whoseonfirst_core.db.session import Database

    db = Database(url)
    found: list[str] = []
    name = url.rsplit("/", 1)[-1]
    try:
        with db.engine.connect() as conn:
            for table in inspect(conn).get_table_names():
                hit = conn.execute(
                    text(f'SELECT count(*) FROM "{table}" t WHERE CAST(t AS text) LIKE :pattern'),
                    {"pattern": f"%{token}%"},
                ).scalar()
                if hit:
                    found.append(f"{name}.{table}")
    except Exception as exc:  # noqa: BLE001 - reported: an unscanned database proves nothing
        result.error(f"could not scan the PostgreSQL database {name}: {type(exc).__name__}")
    finally:
        db.dispose()
    return found


def _sqlite_files_of(path: Path) -> list[Path]:
    return [p for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")) if p.exists()]


def _sqlite_files(run: ChaosRun) -> list[Path]:
    return [p for path in run.evidence.sqlite_files for p in _sqlite_files_of(path)]
