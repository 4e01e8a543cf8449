"""What every drill shares: the result record, the run context (scratch folder, PostgreSQL
servers, evidence for the secrets drill), rosters, the fake Twilio server with a movable clock,
``whoseonfirst-service`` processes, and text accounting.

Texts are identified the way a person would: by recipient and body (``(To, Body)``). A drill's
*expected* set comes from the service's own planner (``simulate`` / ``planning``) or from an
independent oracle; *received* is what the fake Twilio server actually created.
"""

from __future__ import annotations

import collections
import json
import os
import secrets
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import IO, Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from tests.fakes.fake_twilio import FakeTwilio, Reply
from tests.pg_server import PgServer, remove_server, start_server
from whoseonfirst_core.db.models import Notification, NotificationAttempt
from whoseonfirst_core.db.session import Database, upgrade

#: The sender numbers of the drills' service processes (two, so the fake can tell them apart).
FROM_NUMBER = "+13125550100"
FROM_NUMBER_B = "+13125550098"

#: Fictional numbers (555-01XX). Ann and Cal have a second phone, so some spans need two texts.
MEMBERS: tuple[tuple[str, str, str | None], ...] = (
    ("Ann Archer", "+13125550101", "+13125550111"),
    ("Ben Brooks", "+13125550102", None),
    ("Cal Chen", "+13125550103", "+13125550113"),
    ("Dee Diaz", "+13125550104", None),
    ("Eve Evans", "+13125550105", None),
)
CONTACT = ("Hal Hughes (lead)", "+13125550199")

#: Environment variables a drill's service process must not inherit from the caller.
_INHERITED_PREFIXES = ("WHOSEONFIRST_", "TWILIO_", "NOTIFY_", "WATCHDOG_")

TextKey = tuple[str, str]  # (to, body)


# --- results --------------------------------------------------------------------------------


@dataclass
class DrillResult:
    """One row of the summary table.

    ``expected``/``received`` count texts (or, for drills without texts, the cases checked and
    the cases that held); ``None`` prints as ``-``. ``errors`` are broken invariants, one line
    each; ``notes`` say what was exercised.
    """

    drill: str
    expected: int | None = None
    received: int | None = None
    duplicates: int = 0
    missed: int = 0
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    skipped: str | None = None

    @property
    def ok(self) -> bool:
        return self.skipped is None and not self.errors and not self.duplicates and not self.missed

    def error(self, message: str) -> None:
        self.errors.append(message)

    def as_dict(self) -> dict[str, Any]:
        return {
            "drill": self.drill,
            "expected": self.expected,
            "received": self.received,
            "duplicates": self.duplicates,
            "missed": self.missed,
            "errors": self.errors,
            "notes": self.notes,
            "seconds": round(self.seconds, 1),
            "skipped": self.skipped,
            "ok": self.ok,
        }


class DrillSkipped(Exception):
    """The drill cannot run here (e.g. no PostgreSQL binaries); the message says why."""


# --- evidence for the secrets drill -----------------------------------------------------------


@dataclass
class Evidence:
    """Everything the drills produced that the secrets-and-privacy drill scans afterwards."""

    #: (source, kind, text); kind "log" (the service's own log lines: scanned for secrets and
    #: unmasked phone numbers) or "output" (other command output: scanned for secrets).
    logs: list[tuple[str, str, str]] = field(default_factory=list)
    sqlite_files: list[Path] = field(default_factory=list)
    pg_urls: list[str] = field(default_factory=list)
    phones: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add_log(self, source: str, *texts: str | None, kind: str = "log") -> None:
        joined = "\n".join(t for t in texts if t)
        if joined:
            with self.lock:
                self.logs.append((source, kind, joined))


# --- the run context ------------------------------------------------------------------------


class ChaosRun:
    """Shared by the drills of one ``python -m chaos`` run.

    Holds the scratch folder, the fake Twilio credentials (a fresh auth token per run: the
    secrets drill looks for it everywhere), the evidence, and the private PostgreSQL servers
    (started on first use; :meth:`dedicated_pg_server` gives a drill its own, e.g. to stop it).
    """

    def __init__(self, *, quick: bool, seed: int, workdir: Path, verbose: bool = False) -> None:
        self.quick = quick
        self.seed = seed
        self.workdir = workdir
        self.verbose = verbose
        self.account_sid = "AC" + secrets.token_hex(16)
        self.auth_token = "chaos-auth-" + secrets.token_hex(16)
        self.evidence = Evidence()
        self.evidence.phones.update(p for _, a, b in MEMBERS for p in (a, b) if p)
        self.evidence.phones.update((CONTACT[1], FROM_NUMBER, FROM_NUMBER_B))
        self._pg: PgServer | None = None
        self._pg_error: str | None = None
        self._pg_lock = threading.Lock()
        self._servers: list[PgServer] = []
        self._db_counter = 0
        #: Seconds a daemon took to start (spawn → first tick) when measured before the drills
        #: (:mod:`chaos.timing`); None: not measured, the drills plan with the idle figure.
        self.startup_s: float | None = None

    # -- progress --------------------------------------------------------------------------

    def say(self, message: str) -> None:
        print(f"  {message}", file=sys.stderr, flush=True)

    def detail(self, message: str) -> None:
        if self.verbose:
            self.say(message)

    # -- scratch ---------------------------------------------------------------------------

    def folder(self, name: str) -> Path:
        path = self.workdir / name
        path.mkdir(parents=True, exist_ok=True)
        return path

    # -- databases -------------------------------------------------------------------------

    def pg_server(self) -> PgServer:
        """The shared private PostgreSQL server (started once); DrillSkipped without one."""
        with self._pg_lock:
            if self._pg is None and self._pg_error is None:
                try:
                    self._pg = start_server()
                    self._servers.append(self._pg)
                except Exception as exc:  # noqa: BLE001 - reported as the skip reason
                    self._pg_error = f"no private PostgreSQL server could start: {exc}"
            if self._pg is None:
                raise DrillSkipped(self._pg_error or "no PostgreSQL")
            return self._pg

    def dedicated_pg_server(self) -> PgServer:
        """A private PostgreSQL server of the calling drill's own (it may stop and start it)."""
        with self._pg_lock:  # one start at a time: each picks a free port
            try:
                server = start_server()
            except Exception as exc:  # noqa: BLE001 - reported as the skip reason
                raise DrillSkipped(f"no private PostgreSQL server could start: {exc}") from None
            self._servers.append(server)
        return server

    def new_database(self, backend: str, name: str, server: PgServer | None = None) -> str:
        """A new, migrated, empty database on ``backend`` (``sqlite`` or ``postgresql``)."""
        with self._pg_lock:
            self._db_counter += 1
            n = self._db_counter
        if backend == "sqlite":
            path = self.folder("db") / f"{n:02d}-{name}.db"
            url = f"sqlite:///{path}"
            self.evidence.sqlite_files.append(path)
        else:
            server = server or self.pg_server()
            dbname = f"chaos_{n:02d}_{name.replace('-', '_')}"
            create_pg_database(server, dbname)
            url = server.url(dbname)
            self.evidence.pg_urls.append(url)
        db = Database(url)
        try:
            with _MIGRATION_LOCK:  # Alembic keeps its context in module globals: one at a time
                upgrade(db)
        finally:
            db.dispose()
        return url

    def close(self) -> None:
        for server in self._servers:
            try:
                remove_server(server)
            except Exception as exc:  # noqa: BLE001 - clean-up must not hide the results
                self.say(f"could not remove a PostgreSQL server: {exc}")
        self._servers.clear()


_MIGRATION_LOCK = threading.Lock()


def on_each_backend(
    run: ChaosRun, name: str, one: Callable[[ChaosRun, str, DrillResult], None]
) -> DrillResult:
    """A drill ``name`` that runs ``one(run, backend, result)`` on SQLite and on PostgreSQL; a
    backend that cannot run here is noted as skipped (the drill is skipped if neither can)."""
    result = DrillResult(name)
    done = []
    for backend in ("sqlite", "postgresql"):
        try:
            one(run, backend, result)
            done.append(backend)
        except DrillSkipped as exc:
            result.notes.append(f"{backend} skipped: {exc}")
    if not done:
        raise DrillSkipped("no backend could run")
    return result


def cli(url: str, now: datetime, *argv: str) -> tuple[int, str]:
    """``whoseonfirst-service argv`` in this process on the database at ``url``, its clock
    standing at ``now``: the exit code and what it printed."""
    import io

    from whoseonfirst_service.cli import main

    from whoseonfirst_core.clock import FixedClock

    out, err = io.StringIO(), io.StringIO()
    saved = os.environ.get("WHOSEONFIRST_DATABASE_URL")
    os.environ["WHOSEONFIRST_DATABASE_URL"] = url
    try:
        code = main(list(argv), clock=FixedClock(now), out=out, err=err)
    finally:
        if saved is None:
            os.environ.pop("WHOSEONFIRST_DATABASE_URL", None)
        else:
            os.environ["WHOSEONFIRST_DATABASE_URL"] = saved
    return code, out.getvalue() + err.getvalue()


def drill_engine(
    run: ChaosRun, db: Database, clock: Any, fake: FakeTwilio, instance_id: str
) -> tuple[Any, Any]:
    """An engine in this process on ``db`` and ``clock``, sending through the real Twilio
    adapter to ``fake`` (2 s timeout), seeded by the run; and that adapter (close it)."""
    import random

    from whoseonfirst_service.engine import Engine
    from whoseonfirst_service.twilio_sms import TwilioBackend

    sms = TwilioBackend(
        run.account_sid,
        run.auth_token,
        from_number=FROM_NUMBER,
        api_url=fake.base_url,
        timeout=2.0,
    )
    rng = random.Random(f"{run.seed}-{instance_id}")
    return Engine(db, sms, clock, instance_id=instance_id, rng=rng), sms


def create_pg_database(server: PgServer, dbname: str) -> None:
    import psycopg

    with psycopg.connect(
        host=server.host, port=server.port, user=server.user, dbname="postgres", autocommit=True
    ) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{dbname}"')
        conn.execute(f'CREATE DATABASE "{dbname}"')


# --- rosters --------------------------------------------------------------------------------


def roster(
    *,
    anchor: date,
    shifts: Sequence[Mapping[str, Any]] | None = None,
    timezone: str = "America/Chicago",
    overrides: Sequence[Mapping[str, Any]] = (),
    members: Sequence[tuple[str, str, str | None]] = MEMBERS,
    contact: tuple[str, str] | None = CONTACT,
    horizon_weeks: int = 4,
    team: str = "Chaos drill",
    weekly_summary: bool = True,
    confirm_within_minutes: int = 0,
) -> dict[str, Any]:
    """A roster file (SPEC §7) for the drills; the default pattern unless ``shifts``.
    ``weekly_summary=False``: the contact gets failure alerts only. Nobody in a drill replies
    OK, so unconfirmed shifts do not escalate unless ``confirm_within_minutes`` says after how
    long: each drill counts the texts of its own kinds."""
    data: dict[str, Any] = {
        "format": "whoseonfirst-roster",
        "version": 1,
        "team": {"name": team, "timezone": timezone},
        "members": [
            {"name": n, "phone": p, "secondary_phone": s, "active": True, "position": i}
            for i, (n, p, s) in enumerate(members)
        ],
        "rotation": {"anchor_date": anchor.isoformat()},
        "overrides": [dict(o) for o in overrides],
        "escalation_contacts": (
            [
                {
                    "name": contact[0],
                    "phone": contact[1],
                    "weekly_summary": weekly_summary,
                    "failure_alerts": True,
                }
            ]
            if contact
            else []
        ),
        "settings": {
            "horizon_weeks": horizon_weeks,
            "confirm_within_minutes": confirm_within_minutes,
        },
    }
    if shifts is not None:
        data["shifts"] = [dict(s) for s in shifts]
    return data


WEEKDAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def hourly_shifts(minute: int = 0) -> list[dict[str, Any]]:
    """168 one-hour shifts covering the week: a shift start (a due instant) every hour, at
    ``minute`` past."""
    return [
        {
            "name": f"{day[:3].title()} {hour:02d}h{f'{minute:02d}' if minute else ''}",
            "start_day": day,
            "start_time": f"{hour:02d}:{minute:02d}",
            "duration_hours": 1,
        }
        for day in WEEKDAY_NAMES
        for hour in range(24)
    ]


def import_roster(url: str, data: Mapping[str, Any], now: datetime) -> None:
    """Import ``data`` into the (empty) database at ``url`` in-process, as of ``now``."""
    from whoseonfirst_core.roster import import_roster_data

    db = Database(url)
    try:
        with db.uow("chaos@drill") as uow:
            import_roster_data(uow, now, dict(data))
            uow.commit()
    finally:
        db.dispose()


def simulated_texts(url: str, now: datetime, first_day: date, days: int) -> list[dict[str, str]]:
    """``simulate``'s list (send_at, kind, to, member, body) from the service's own planner."""
    from whoseonfirst_service.cli.schedule import simulate_messages

    db = Database(url)
    try:
        return simulate_messages(db, now, first_day, days)
    finally:
        db.dispose()


def phone_counts() -> dict[str, int]:
    """How many phones each of :data:`MEMBERS` has, by name."""
    return {name: 1 + (second is not None) for name, _p, second in MEMBERS}


def member_names_of(url: str) -> dict[int, str]:
    """Member id → name in the database at ``url``."""
    from whoseonfirst_core.usecases.schedule import member_names

    db = Database(url)
    try:
        with db.reader() as uow:
            return member_names(uow)
    finally:
        db.dispose()


def cover_members(run: ChaosRun, n: int) -> list[tuple[str, str, str | None]]:
    """:data:`MEMBERS` and, past five, made-up members (one phone each) so that ``n`` covers can
    each go to a different person: texts are told apart by recipient and body, and two covers of
    one person within a minute would read the same ("from Wed 05:20 until Wed 05:20")."""
    members = [
        *MEMBERS,
        *(
            (f"Member {i:02d}", f"+1312555{120 + i:04d}", None)
            for i in range(max(0, n - len(MEMBERS)))
        ),
    ]
    run.evidence.phones.update(p for _, p, _ in members)
    return members


def import_covers(
    url: str,
    now: datetime,
    covers: Sequence[tuple[str, datetime, datetime]],
    *,
    members: Sequence[tuple[str, str, str | None]] = MEMBERS,
    timezone: str = "America/Chicago",
) -> dict[TextKey, datetime]:
    """Import a roster whose rotation starts the day after tomorrow, with ``covers`` (member
    name, start, end) as its only overrides, as of ``now``; returns the texts the service's own
    planner expects for them, ``(to, body) → due instant`` (UTC). The covers are then the only
    texts of the next day — near-future shift starts for drills on the real clock. The contact
    gets no weekly summary: on a Monday after its hour, a fresh database's first tick would send
    one that no cover accounts for.

    ValueError if two of those texts read the same (a drill could not tell them apart).
    """
    zone = ZoneInfo(timezone)
    today = now.astimezone(zone).date()
    overrides = [
        {
            "member": name,
            "start": start.astimezone(zone).isoformat(),
            "end": end.astimezone(zone).isoformat(),
            "reason": "drill",
        }
        for name, start, end in covers
    ]
    import_roster(
        url,
        roster(
            anchor=today + timedelta(days=2),
            overrides=overrides,
            members=members,
            timezone=timezone,
            weekly_summary=False,
        ),
        now,
    )
    first = min(start for _, start, _ in covers)
    last = max(start for _, start, _ in covers)
    planned = [
        m for m in simulated_texts(url, now, today, 2) if first <= parse_local(m["send_at"]) <= last
    ]
    due = {(m["to"], m["body"]): parse_local(m["send_at"]) for m in planned}
    if len(due) != len(planned):
        raise ValueError("two expected texts read the same: the drill could not tell them apart")
    return due


# --- the fake Twilio server -------------------------------------------------------------------


class _Script(collections.deque[Reply]):
    """The fake's create script, plus an answer forced for the request being handled on this
    thread (so two concurrent requests can never take each other's forced answer)."""

    def __init__(self) -> None:
        super().__init__()
        self.forced = threading.local()

    def force(self, reply: Reply) -> None:
        self.forced.reply = reply

    def __len__(self) -> int:
        return super().__len__() + (getattr(self.forced, "reply", None) is not None)

    def popleft(self) -> Reply:
        reply: Reply | None = getattr(self.forced, "reply", None)
        if reply is not None:
            self.forced.reply = None
            return reply
        return super().popleft()


class DrillTwilio(FakeTwilio):
    """:class:`FakeTwilio` whose clock the drill sets, and whose answers a drill can choose per
    request (``reply_for(form) -> Reply | None``; None: the normal script, then 201).

    The clock matters: message dates must agree with the service's ``--now`` or reconciliation
    by listing could not find a message created "in the past".
    """

    def __init__(self, run: ChaosRun, start: datetime | None = None) -> None:
        self._now = start or datetime.now(UTC)
        self._real_time = start is None
        super().__init__(account_sid=run.account_sid, auth_token=run.auth_token, clock=self.now)
        self._script = _Script()
        self._create_script = self._script
        self.reply_for: Callable[[dict[str, str]], Reply | None] | None = None

    def now(self) -> datetime:
        return datetime.now(UTC) if self._real_time else self._now

    def set_now(self, at: datetime) -> None:
        self._real_time = False
        self._now = at

    def _create(self, handler: Any, form: dict[str, str]) -> None:
        chooser = self.reply_for
        reply = chooser(form) if chooser is not None else None
        if reply is not None:
            self._script.force(reply)
        super()._create(handler, form)

    def answer_first_create_to(self, phones: Iterable[str], reply: Reply) -> list[str]:
        """From now on the first create request to each of ``phones`` gets ``reply`` (the
        others the normal script); returns the phones answered so, filled in as it happens."""
        wanted, hit = set(phones), []

        def choose(form: dict[str, str]) -> Reply | None:
            to = form.get("To", "")
            if to in wanted and to not in hit:
                hit.append(to)
                return reply
            return None

        self.reply_for = choose
        return hit

    def received(self) -> collections.Counter[TextKey]:
        """How many messages were created per ``(to, body)``."""
        return collections.Counter((m.to, m.body) for m in self.created)

    def creates_from(self, sender: str) -> int:
        return sum(1 for r in self.create_requests if r.form.get("From") == sender)


@contextmanager
def drill_twilio(run: ChaosRun, start: datetime | None = None) -> Iterator[DrillTwilio]:
    with DrillTwilio(run, start) as fake:
        fake.set_status_script(["delivered"])  # the first status check finds it delivered
        yield fake


# --- service processes ----------------------------------------------------------------------


def service_env(
    run: ChaosRun,
    url: str,
    fake: FakeTwilio,
    *,
    sender: str = FROM_NUMBER,
    **extra: str,
) -> dict[str, str]:
    """The environment of a ``whoseonfirst-service`` process aimed at ``fake``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(_INHERITED_PREFIXES)}
    env.update(
        {
            "WHOSEONFIRST_DATABASE_URL": url,
            "WHOSEONFIRST_SMS_BACKEND": "twilio",
            "TWILIO_ACCOUNT_SID": run.account_sid,
            "TWILIO_AUTH_TOKEN": run.auth_token,
            "TWILIO_FROM_NUMBER": sender,
            "WHOSEONFIRST_TWILIO_API_URL": fake.base_url,
            "WHOSEONFIRST_LOG_FORMAT": "json",
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(extra)
    return env


SERVICE_CMD = (sys.executable, "-m", "whoseonfirst_service")


def start_service(
    args: Sequence[str], env: Mapping[str, str], log: IO[str] | None = None
) -> subprocess.Popen[str]:
    """Start ``whoseonfirst-service args``; its output is piped, or written to ``log`` (stdout
    and stderr together) for a long-running process whose pipes nobody reads meanwhile."""
    out: IO[str] | int = subprocess.PIPE if log is None else log
    return subprocess.Popen(
        [*SERVICE_CMD, *args],
        env=dict(env),
        stdout=out,
        stderr=subprocess.PIPE if log is None else subprocess.STDOUT,
        text=True,
        stdin=subprocess.DEVNULL,
    )


def start_daemon(
    run: ChaosRun,
    url: str,
    fake: FakeTwilio,
    instance_id: str,
    *,
    http: str = "127.0.0.1:0",
    log: IO[str] | None = None,
) -> subprocess.Popen[str]:
    """``whoseonfirst-service run`` (real clock) on ``url``, aimed at ``fake``."""
    return start_service(
        ["run"],
        service_env(run, url, fake, WHOSEONFIRST_HTTP=http, WHOSEONFIRST_INSTANCE_ID=instance_id),
        log,
    )


def stop_daemon(
    run: ChaosRun,
    proc: subprocess.Popen[str],
    source: str,
    result: DrillResult,
    what: str,
    *,
    terminate: bool = True,
) -> tuple[int, str, str]:
    """SIGTERM ``proc`` (unless ``terminate`` is False: the caller sent it already) and wait
    for it, keeping its output as evidence; it must exit 0 without a traceback, else an error
    on ``result`` naming ``what``. One SIGTERM only, as systemd sends: a second one arriving
    while the interpreter shuts down would kill it (status -15)."""
    if terminate and proc.poll() is None:
        proc.terminate()  # SIGTERM: finish the current send, exit 0
    code, out, err = finish(run, proc, source, timeout=30)
    if code != 0 or has_traceback(out + err):
        result.error(
            f"{what} exited {code} after SIGTERM or logged a traceback: "
            f"{(err or out).strip().splitlines()[-1:]}"
        )
    return code, out, err


def finish(
    run: ChaosRun, proc: subprocess.Popen[str], source: str, timeout: float = 90
) -> tuple[int, str, str]:
    """Wait for ``proc`` (killing it after ``timeout`` s), keep its output as evidence."""
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        err = (err or "") + f"\n[chaos] killed after {timeout:.0f} s: it did not finish"
    out, err = out or "", err or ""  # None when the output went to a log file
    run.evidence.add_log(source, out, err)
    return proc.returncode, out, err


def run_service(
    run: ChaosRun,
    args: Sequence[str],
    env: Mapping[str, str],
    source: str,
    timeout: float = 90,
) -> tuple[int, str, str]:
    return finish(run, start_service(args, env), source, timeout)


def wait_until(predicate: Callable[[], bool], timeout: float, step: float = 0.01) -> bool:
    """Poll ``predicate`` until it holds or ``timeout`` seconds pass; returns whether it held."""
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(step)


def sleep_until(at: datetime) -> None:
    """Wait until the wall clock reads ``at`` (UTC; at once if it has passed): for a drill that
    must act at a planned instant of the real clock, e.g. just before a due instant."""
    time.sleep(max(0.0, (at - datetime.now(UTC)).total_seconds()))


def has_traceback(text: str) -> bool:
    return "Traceback (most recent call last)" in text


def log_has_event(path: Path, event: str) -> bool:
    """Whether the service's JSON log file at ``path`` has a line with ``"event": event``."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return False
    for line in lines:
        try:
            if json.loads(line).get("event") == event:
                return True
        except (ValueError, AttributeError):
            continue
    return False


# --- accounting -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Tally:
    expected: int
    received: int
    duplicates: int
    missed: list[TextKey]
    unexpected: list[TextKey]


def tally(expected: Iterable[TextKey], received: Mapping[TextKey, int]) -> Tally:
    """Compare the texts that should have gone out with those the fake created.

    ``duplicates`` counts extra copies of expected texts; ``missed`` lists expected texts never
    created; ``unexpected`` lists texts created that nobody expected (with repeats).
    """
    wanted = collections.Counter(expected)
    duplicates = 0
    missed: list[TextKey] = []
    got = 0
    for key, n in wanted.items():
        have = received.get(key, 0)
        got += min(have, n)
        duplicates += max(0, have - n)
        missed += [key] * max(0, n - have)
    unexpected = [k for k, n in received.items() if k not in wanted for _ in range(n)]
    return Tally(sum(wanted.values()), got, duplicates, missed, unexpected)


def apply_tally(result: DrillResult, t: Tally, what: str = "") -> None:
    """Add ``t`` to ``result`` (counts, and one error line per missed or unexpected text)."""
    from whoseonfirst_core.domain.masking import mask_phone

    result.expected = (result.expected or 0) + t.expected
    result.received = (result.received or 0) + t.received
    result.duplicates += t.duplicates
    result.missed += len(t.missed)
    prefix = f"{what}: " if what else ""
    for to, body in t.missed[:5]:
        result.error(f"{prefix}never sent to {mask_phone(to)}: {body[:70]!r}")
    for to, body in t.unexpected[:5]:
        result.error(f"{prefix}unexpected text to {mask_phone(to)}: {body[:70]!r}")
    if len(t.unexpected) > 5:
        result.error(f"{prefix}… and {len(t.unexpected) - 5} more unexpected texts")


def check_rows(url: str, result: DrillResult) -> None:
    """Every row of the database at ``url`` delivered; a note counting the attempts' outcomes
    (how the drill's kills were recovered)."""
    db = Database(url)
    try:
        with db.reader() as uow:
            statuses = dict(
                uow.session.execute(
                    select(Notification.status, func.count()).group_by(Notification.status)
                )
                .tuples()
                .all()
            )
            outcomes = dict(
                uow.session.execute(
                    select(NotificationAttempt.outcome, func.count()).group_by(
                        NotificationAttempt.outcome
                    )
                )
                .tuples()
                .all()
            )
    finally:
        db.dispose()
    bad = {k: v for k, v in statuses.items() if k != "delivered"}
    if bad:
        result.error(f"rows not delivered at the end: {bad}")
    result.notes.append(
        "attempts: "
        + ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items()))
        + " (interrupted = left by a killed process; reconciled = found at Twilio by listing, "
        "not sent again)"
    )


def all_delivered(url: str) -> bool:
    """Whether the database at ``url`` has rows and every one is delivered (False while it
    cannot be reached)."""
    db = Database(url)
    try:
        with db.reader() as uow:
            statuses = set(uow.session.scalars(select(Notification.status)))
    except Exception:  # noqa: BLE001 - not reachable (yet): not delivered
        return False
    finally:
        db.dispose()
    return bool(statuses) and statuses == {"delivered"}


def parse_local(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)
