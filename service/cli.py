"""``whoseonfirst-service``: the operator's command line (SPEC §7).

Every subcommand honours ``WHOSEONFIRST_DATABASE_URL`` (else the embedded SQLite file in the
user data directory). Errors are one clear line on stderr and a non-zero exit code; a failed
command changes nothing.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import TextIO

from whoseonfirst_core.actor import local_actor
from whoseonfirst_core.clock import Clock, SystemClock
from whoseonfirst_core.db.session import (
    Database,
    UnitOfWork,
    needs_upgrade,
    redact_url,
    upgrade,
)
from whoseonfirst_core.domain.notification import HANDED_OVER_STATUSES, OUTBOX_STATUSES, Kind
from whoseonfirst_core.domain.timeutil import iso_local, zone
from whoseonfirst_core.usecases.errors import UseCaseError

from .config import (
    ConfigError,
    ServiceSettings,
    build_backend,
    database_url_from_env,
    load_settings,
)

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2

Handler = Callable[[argparse.Namespace, "Context"], int]


class CliError(Exception):
    """A failure to report as one line; ``code`` is the exit status."""

    def __init__(self, message: str, code: int = EXIT_FAIL) -> None:
        super().__init__(message)
        self.code = code


class Context:
    """What a subcommand needs: the database URL, a clock, and the output streams."""

    def __init__(self, url: str, clock: Clock, out: TextIO, err: TextIO) -> None:
        self.url = url
        self.clock = clock
        self.out = out
        self.err = err
        self._db: Database | None = None

    @property
    def db(self) -> Database:
        if self._db is None:
            self._db = Database(self.url)
        return self._db

    def migrated_db(self) -> Database:
        db = self.db
        if needs_upgrade(db):
            raise CliError(
                f"the database {redact_url(self.url)} is not up to date: "
                "run `whoseonfirst-service db upgrade` first"
            )
        return db

    def print(self, text: str = "") -> None:
        print(text, file=self.out)

    def close(self) -> None:
        if self._db is not None:
            self._db.dispose()


# --- db -------------------------------------------------------------------------------------


def cmd_db_upgrade(args: argparse.Namespace, ctx: Context) -> int:
    before, after = upgrade(ctx.db)
    if before == after:
        ctx.print(f"{redact_url(ctx.url)}: already at revision {after}")
    else:
        ctx.print(f"{redact_url(ctx.url)}: upgraded {before or 'empty'} → {after}")
    return EXIT_OK


def cmd_db_copy(args: argparse.Namespace, ctx: Context) -> int:
    from whoseonfirst_core.dbcopy import copy_database

    source = ctx.migrated_db()
    target = Database(args.to)
    try:
        counts = copy_database(source, target)
    finally:
        target.dispose()
    ctx.print(f"copied {redact_url(ctx.url)} → {redact_url(args.to)}")
    for c in counts:
        ctx.print(f"  {c.table:<24} {c.source:>8} rows  ✓")
    ctx.print("row counts verified. Point WHOSEONFIRST_DATABASE_URL at the new database.")
    return EXIT_OK


# --- roster ---------------------------------------------------------------------------------


def cmd_import(args: argparse.Namespace, ctx: Context) -> int:
    from whoseonfirst_core.roster import import_roster_data, parse_roster

    path = Path(args.file)
    try:
        raw = sys.stdin.buffer.read() if args.file == "-" else path.read_bytes()
    except OSError as exc:
        raise CliError(f"cannot read {args.file}: {exc.strerror or exc}") from exc
    parse_roster(raw)  # validate before touching the database at all
    db = ctx.migrated_db()
    with db.uow(local_actor("import")) as uow:
        counts = import_roster_data(uow, ctx.clock.now(), raw, replace=args.replace)
        uow.commit()
    ctx.print(
        "imported {members} members, {shifts} shifts, {overrides} overrides, "
        "{escalation_contacts} escalation contacts".format(**counts)
    )
    return EXIT_OK


def cmd_export(args: argparse.Namespace, ctx: Context) -> int:
    from whoseonfirst_core.roster import dumps_roster, export_roster_data, write_roster_file

    db = ctx.migrated_db()
    with db.reader() as uow:
        text = dumps_roster(export_roster_data(uow))
    if args.file and args.file != "-":
        try:
            write_roster_file(args.file, text)
        except OSError as exc:
            raise CliError(f"cannot write {args.file}: {exc.strerror or exc}") from exc
    else:
        ctx.out.write(text)
    return EXIT_OK


# --- preview --------------------------------------------------------------------------------


def _parse_day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def _parse_days(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 1 <= n <= 3660:
        raise argparse.ArgumentTypeError("must be between 1 and 3660")
    return n


def _database_url(text: str) -> str:
    from whoseonfirst_core.db.errors import DatabaseUrlError
    from whoseonfirst_core.db.session import check_database_url

    try:
        check_database_url(text)
    except DatabaseUrlError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def _recipient(text: str) -> str:
    if not text.strip():
        raise argparse.ArgumentTypeError("is empty: give a phone number or a member's name")
    return text


def cmd_preview(args: argparse.Namespace, ctx: Context) -> int:
    from whoseonfirst_core.usecases.schedule import extend_horizon, preview

    db = ctx.migrated_db()
    with db.uow(local_actor("preview")) as uow:
        # Make sure the window is generated; the preview itself changes nothing people see.
        from whoseonfirst_core.usecases.common import settings_row

        settings_row(uow)
        view = preview(uow, args.start, args.days)
        if view.entries and view.entries[-1].end < view.end:
            extend_horizon(uow, ctx.clock.now())
        view = preview(uow, args.start, args.days)
    tz = zone(view.timezone)
    rows = [
        {
            "start": iso_local(s.start, tz),
            "end": iso_local(s.end, tz),
            "shift": s.shift_name,
            "member": s.member_name,
            "scheduled_member": s.scheduled_member_name,
            "override": s.is_override,
        }
        for s in view.spans
    ]
    if args.json:
        ctx.print(json.dumps({"entries": rows}, indent=2, ensure_ascii=False))
        return EXIT_OK
    header = ("start", "end", "shift", "member", "scheduled", "override")
    table = [header] + [
        (
            r["start"],
            r["end"],
            str(r["shift"]),
            str(r["member"]),
            str(r["scheduled_member"] or "-"),
            "yes" if r["override"] else "",
        )
        for r in rows
    ]
    widths = [max(len(str(row[i])) for row in table) for i in range(len(header))]
    for row in table:
        ctx.print("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
    if view.gaps:
        ctx.print("")
        for a, b in view.gaps:
            ctx.print(f"NO COVERAGE {iso_local(a, tz)} → {iso_local(b, tz)}")
    return EXIT_OK


def cmd_preview_change(args: argparse.Namespace, ctx: Context) -> int:
    from whoseonfirst_core.proposals import preview_named_change
    from whoseonfirst_core.usecases.rotation_impact import impact_json, impact_lines

    shifts: bytes | None = None
    if args.shifts is not None:
        try:
            shifts = Path(args.shifts).read_bytes()
        except OSError as exc:
            raise CliError(f"cannot read {args.shifts}: {exc.strerror or exc}") from exc
    db = ctx.migrated_db()
    with db.reader() as uow:
        impact = preview_named_change(
            uow,
            ctx.clock.now(),
            args.start,
            join=args.join,
            leave=args.leave,
            add=args.add,
            order=args.order.split(",") if args.order is not None else None,
            shifts=shifts,
        )
    if args.json:
        ctx.print(json.dumps(impact_json(impact), indent=2, ensure_ascii=False))
    else:
        for line in impact_lines(impact):
            ctx.print(line)
    return EXIT_OK


# --- parser ---------------------------------------------------------------------------------

EXTRA_COMMANDS: list[Callable[[argparse._SubParsersAction[argparse.ArgumentParser]], None]] = []


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="whoseonfirst-service",
        description=(
            "WhoseOnFirst service and operator tools. Every command uses the database named by "
            "WHOSEONFIRST_DATABASE_URL, or the embedded SQLite file shared with the desktop app."
        ),
        epilog=(
            "First steps: `db upgrade`, then `import team.json`, then `preview --from DATE "
            "--days 14` to see who is on call. Run `COMMAND --help` for details."
        ),
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    db = sub.add_parser("db", help="create, upgrade or copy the database")
    dbsub = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    p = dbsub.add_parser("upgrade", help="create the tables or apply pending migrations")
    p.set_defaults(handler=cmd_db_upgrade)
    p = dbsub.add_parser(
        "copy",
        help="copy everything into another (empty) database, e.g. SQLite → PostgreSQL",
        description="Copy every table into an empty database and verify the row counts. "
        "Stop the service first, copy, verify, switch WHOSEONFIRST_DATABASE_URL, start it.",
    )
    p.add_argument(
        "--to",
        required=True,
        type=_database_url,
        metavar="URL",
        help="target database, e.g. postgresql+psycopg://user@host/whoseonfirst",
    )
    p.set_defaults(handler=cmd_db_copy)

    p = sub.add_parser(
        "import",
        help="load a roster file (team, members, shifts, overrides, contacts)",
        description="Import a roster JSON file into an empty database (or replace the "
        "configuration with --replace). The file is checked first; a bad file changes nothing.",
    )
    p.add_argument("file", help="roster JSON file, or - for standard input")
    p.add_argument(
        "--replace",
        action="store_true",
        help="replace the configuration of a database that already has a team; "
        "members are matched by name and history is kept",
    )
    p.set_defaults(handler=cmd_import)

    p = sub.add_parser("export", help="write the roster file (to FILE or standard output)")
    p.add_argument(
        "file", nargs="?", help="output file, written owner-only (0600); default: standard output"
    )
    p.set_defaults(handler=cmd_export)

    p = sub.add_parser(
        "preview",
        help="show who is on call, day by day",
        description="The resolved schedule (overrides applied) overlapping "
        "[FROM 00:00, FROM+DAYS 00:00) in the team's time zone.",
    )
    p.add_argument(
        "--from",
        dest="start",
        type=_parse_day,
        required=True,
        metavar="DATE",
        help="first day, YYYY-MM-DD (local)",
    )
    p.add_argument("--days", type=_parse_days, default=14, help="number of days (default 14)")
    p.add_argument("--json", action="store_true", help='print {"entries": [...]} as JSON')
    p.set_defaults(handler=cmd_preview)

    p = sub.add_parser(
        "preview-change",
        help="show what a team or pattern change from a date would do, without saving it",
        description="Who gains and loses which shifts if the change took effect from DATE, "
        "how many shifts change hands, and the planned changes it meets. Changes nothing.",
    )
    p.add_argument(
        "--from", dest="start", type=_parse_day, required=True, metavar="DATE", help="YYYY-MM-DD"
    )
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--leave", metavar="NAME", help="this member leaves the rotation")
    what.add_argument("--join", metavar="NAME", help="this member (back) into the rotation")
    what.add_argument("--add", metavar="NAME", help="a new member of this name joins")
    what.add_argument("--order", metavar="NAME,NAME,…", help="the whole team in a new order")
    what.add_argument(
        "--shifts", metavar="FILE", help="a new weekly pattern: JSON shifts as in the roster file"
    )
    p.add_argument("--json", action="store_true", help="print the preview as JSON")
    p.set_defaults(handler=cmd_preview_change)

    for add in EXTRA_COMMANDS:
        add(sub)
    return parser


def main(
    argv: Sequence[str] | None = None,
    *,
    clock: Clock | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    out = out if out is not None else sys.stdout
    err = err if err is not None else sys.stderr
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    try:
        url = database_url_from_env()  # honours WHOSEONFIRST_DATABASE_URL_FILE too
    except ConfigError as exc:
        print(f"error: invalid configuration: {exc}", file=err)
        return EXIT_USAGE
    ctx = Context(url, clock or SystemClock(), out, err)
    try:
        handler: Handler = args.handler
        return handler(args, ctx)
    except CliError as exc:
        print(f"error: {exc}", file=err)
        return exc.code
    except UseCaseError as exc:
        print(f"error: {exc}", file=err)
        return EXIT_FAIL
    except Exception as exc:
        from whoseonfirst_core.db.errors import describe_database_error

        msg = describe_database_error(exc, ctx.url)
        if msg is None and isinstance(exc, ValueError):
            msg = str(exc)
        elif msg is None:
            import logging

            logging.getLogger("whoseonfirst").exception("unexpected error")
            msg = f"unexpected {type(exc).__name__}: {exc} (this is a bug; please report it)"
        print(f"error: {msg.splitlines()[0] if msg else type(exc).__name__}", file=err)
        return EXIT_FAIL
    finally:
        ctx.close()


if __name__ == "__main__":
    raise SystemExit(main())


# --- service commands: run, tick, simulate, check, send-test, backup (SPEC §5, §7) -----------
#
# Registered through EXTRA_COMMANDS below. Configuration problems are one line and exit 2
# (ConfigError names the variable, never its value).


def _service_settings() -> ServiceSettings:
    try:
        return load_settings()
    except ConfigError as exc:
        raise CliError(f"invalid configuration: {exc}", EXIT_USAGE) from None


def _service_db(ctx: Context) -> Database:
    """The context's database, with a connect timeout on PostgreSQL (an unreachable server
    must fail a tick, not hang it)."""
    if ctx._db is None:
        from whoseonfirst_core.db.session import make_engine

        url = ctx.url
        kwargs: dict[str, object] = {}
        if url.startswith("postgresql"):
            kwargs["connect_args"] = {"connect_timeout": 10}
        ctx._db = Database(url, engine=make_engine(url, **kwargs))
    return ctx._db


@contextmanager
def _logging(kind: str, secrets: Sequence[str], stream: object) -> Iterator[None]:
    """Install the scrubbed log handler for one command and remove it afterwards."""
    import logging

    from .logging_setup import setup_logging

    handler = setup_logging(kind, secrets=secrets, stream=stream)  # type: ignore[arg-type]
    try:
        yield
    finally:
        logging.getLogger().removeHandler(handler)


def cmd_run(args: argparse.Namespace, ctx: Context) -> int:
    from sqlalchemy.exc import OperationalError

    from .daemon import Daemon, SystemdNotifier
    from .engine import Engine

    settings = _service_settings()
    with _logging(settings.log_format, settings.secrets(), sys.stdout):
        import logging

        log = logging.getLogger("whoseonfirst_service.run")
        db = _service_db(ctx)
        try:
            if needs_upgrade(db):
                raise CliError(
                    f"the database {redact_url(ctx.url)} is not up to date: "
                    "run `whoseonfirst-service db upgrade` first"
                )
        except OperationalError:
            log.error(
                "the database %s is not reachable yet; the service starts anyway and keeps trying",
                redact_url(ctx.url),
            )
        backend = build_backend(settings)
        engine = Engine(db, backend, ctx.clock, instance_id=settings.instance_id)
        try:
            daemon = Daemon(
                engine,
                clock=ctx.clock,
                http_bind=settings.http_bind,
                notifier=SystemdNotifier.from_env(),
            )
            return daemon.run()
        except OSError as exc:
            host, port = settings.http_bind
            raise CliError(
                f"cannot serve /healthz on {host}:{port} ({exc.strerror or exc}); "
                "set WHOSEONFIRST_HTTP to a free host:port"
            ) from None
        finally:
            close = getattr(backend, "close", None)
            if close is not None:
                close()


#: Drill hook, for ``python -m chaos`` only: ``WHOSEONFIRST_CRASH_AT=<point>`` makes ``tick --now``
#: kill its own process with SIGKILL the first time the engine reaches ``<point>`` (see the
#: ``Engine`` hooks). Unset — always, outside drills — it does nothing; ``run`` never reads it.
CRASH_AT_ENV = "WHOSEONFIRST_CRASH_AT"
CRASH_POINTS = ("before_claim", "after_claim", "after_send", "before_record_commit")


def _drill_crash_hook(now_given: bool) -> dict[str, Callable[[int], None]]:
    """``{point: kill-this-process}`` when ``WHOSEONFIRST_CRASH_AT`` is set, else ``{}``."""
    import os

    point = os.environ.get(CRASH_AT_ENV, "").strip()
    if not point:
        return {}
    if point not in CRASH_POINTS or not now_given:
        raise CliError(
            f"{CRASH_AT_ENV} is a drill hook: use it with tick --now and one of "
            f"{', '.join(CRASH_POINTS)}",
            EXIT_USAGE,
        )

    def crash(_notification_id: int) -> None:
        import signal

        os.kill(os.getpid(), getattr(signal, "SIGKILL", signal.SIGTERM))

    return {point: crash}


def cmd_tick(args: argparse.Namespace, ctx: Context) -> int:
    from whoseonfirst_core.clock import FixedClock
    from whoseonfirst_core.domain.timeutil import parse_instant

    from .engine import Engine

    settings = _service_settings()
    # ``is not None``: an empty --now (an unset shell variable) is a mistake to report, not a
    # request for a real-time tick.
    crash_hook = _drill_crash_hook(args.now is not None)
    clock: Clock = ctx.clock
    if args.now is not None:
        if settings.talks_to_real_twilio:
            raise CliError(
                "refusing --now while texts would go to the real Twilio API: pretending another "
                "time there would text real people. Set WHOSEONFIRST_TWILIO_API_URL (a mock) or "
                "WHOSEONFIRST_SMS_BACKEND=dry-run",
                EXIT_USAGE,
            )
        try:
            clock = FixedClock(parse_instant(args.now))
        except ValueError as exc:
            raise CliError(f"--now: {exc}", EXIT_USAGE) from None
    with _logging(settings.log_format, settings.secrets(), ctx.err):
        _service_db(ctx)
        db = ctx.migrated_db()
        backend = build_backend(settings)
        try:
            summary = Engine(
                db,
                backend,
                clock,
                instance_id=settings.instance_id,
                before_claim=crash_hook.get("before_claim"),
                after_claim=crash_hook.get("after_claim"),
                after_send=crash_hook.get("after_send"),
                before_record_commit=crash_hook.get("before_record_commit"),
            ).tick()
        finally:
            close = getattr(backend, "close", None)
            if close is not None:
                close()
    ctx.print(f"tick at {summary.started_at.isoformat()}: {summary.describe()}")
    if summary.next_due_at is not None:
        ctx.print(f"next due: {summary.next_due_at.isoformat()}")
    return EXIT_OK


def simulate_messages(
    db: Database, now: datetime, first_day: date, days: int
) -> list[dict[str, str]]:
    """Every text the service would send in ``[first_day 00:00, first_day+days 00:00)`` local
    if it ran throughout: ``send_at`` (local ISO), ``kind``, ``to``, ``member``, ``body``.

    Generates the schedule as far as needed inside a transaction that is never committed, so
    nothing is written. Failure alerts (unpredictable) and hand-queued test texts are not listed.
    """
    from datetime import timedelta

    from whoseonfirst_core.domain.texts import (
        PlannedText,
        reminder_texts,
        shift_start_texts,
        summary_week,
        weekly_summary_due_instants,
        weekly_summary_texts,
    )
    from whoseonfirst_core.domain.timeutil import day_start
    from whoseonfirst_core.usecases import outbox
    from whoseonfirst_core.usecases.common import settings_row
    from whoseonfirst_core.usecases.due import RESOLUTION_LOOKBACK
    from whoseonfirst_core.usecases.schedule import extend_horizon, resolve_window

    from .engine import EngineSettings

    with db.uow(local_actor("simulate")) as uow:  # rolled back on exit: writes nothing
        team = outbox.load_team(uow.session)
        start = day_start(first_day, team.tz)
        end = day_start(first_day + timedelta(days=days), team.tz)
        weeks = timedelta(weeks=settings_row(uow).horizon_weeks)
        extend_horizon(uow, max(now, end - weeks), force=True)
        spans = resolve_window(uow, start - RESOLUTION_LOOKBACK, end, clip=False)
        texts: list[PlannedText] = [
            t
            for t in shift_start_texts(spans, team) + reminder_texts(spans, team)
            if start <= t.due_at < end
        ]
        validity = EngineSettings().summary_validity
        for due in weekly_summary_due_instants(team, start, end):
            _, week_start, week_end = summary_week(due, team)
            week_spans = resolve_window(uow, week_start, week_end, clip=False)
            texts += weekly_summary_texts(due, validity, week_spans, team)
    order = {Kind.REMINDER: 0, Kind.SHIFT_START: 1, Kind.WEEKLY_SUMMARY: 2}
    texts.sort(key=lambda t: (t.due_at, order.get(t.kind, 9), t.recipient_name, t.recipient_phone))
    return [
        {
            "send_at": iso_local(t.due_at, team.tz),
            "kind": t.kind,
            "to": t.recipient_phone,
            "member": t.recipient_name,
            "body": t.body,
        }
        for t in texts
    ]


def cmd_simulate(args: argparse.Namespace, ctx: Context) -> int:
    db = ctx.migrated_db()
    messages = simulate_messages(db, ctx.clock.now(), args.start, args.days)
    if args.json:
        ctx.print(json.dumps({"messages": messages}, indent=2, ensure_ascii=False))
        return EXIT_OK
    if not messages:
        ctx.print("no texts would be sent in that window")
    for m in messages:
        ctx.print(f"{m['send_at']}  {m['kind']:<14}  {m['member']}  {m['to']}")
        for line in m["body"].splitlines():
            ctx.print(f"    {line}")
    return EXIT_OK


def cmd_check(args: argparse.Namespace, ctx: Context) -> int:
    from whoseonfirst_core.usecases.common import has_team, settings_row
    from whoseonfirst_core.usecases.heartbeat import heartbeats

    from .twilio_sms import SmsError

    ok = True

    def report(good: bool, what: str, detail: str) -> None:
        nonlocal ok
        ok = ok and good
        ctx.print(f"{'ok  ' if good else 'FAIL'}  {what}: {detail}")

    settings: ServiceSettings | None = None
    try:
        settings = load_settings()
        where = (
            "the real Twilio API"
            if settings.talks_to_real_twilio
            else (settings.twilio_api_url or "no texts leave this machine")
        )
        report(
            True,
            "config",
            f"SMS backend {settings.backend_name} ({where}), "
            f"database {redact_url(ctx.url)}, health endpoint {settings.http}",
        )
    except ConfigError as exc:
        report(False, "config", str(exc))
    try:
        db = _service_db(ctx)
        if needs_upgrade(db):
            report(
                False,
                "database",
                f"{redact_url(ctx.url)} reachable but not up to date: "
                "run `whoseonfirst-service db upgrade`",
            )
        else:
            with db.reader() as uow:
                if has_team(uow):
                    team = settings_row(uow).name
                    beats = heartbeats(uow)
                    report(
                        True,
                        "database",
                        f"{db.display_name} reachable, schema up to date, team {team!r}",
                    )
                    if beats:
                        age = (ctx.clock.now() - beats[0].last_tick_at).total_seconds()
                        ctx.print(
                            f"      service heartbeat: {beats[0].instance_id} ticked "
                            f"{age:.0f} s ago"
                        )
                else:
                    report(
                        False,
                        "database",
                        f"{db.display_name} has no team yet: "
                        "`whoseonfirst-service import FILE` or create one in the app",
                    )
    except Exception as exc:  # noqa: BLE001 - reported as one line
        from whoseonfirst_core.db.errors import describe_database_error, first_line

        report(
            False,
            "database",
            describe_database_error(exc, ctx.url)
            or f"cannot reach {redact_url(ctx.url)}: {first_line(exc)}",
        )
    if settings is not None:
        backend = build_backend(settings)
        try:
            report(True, "sms", backend.check())
        except SmsError as exc:
            report(False, "sms", exc.reason)
        finally:
            close = getattr(backend, "close", None)
            if close is not None:
                close()
    return EXIT_OK if ok else EXIT_FAIL


def _find_member_id(uow: UnitOfWork, name: str) -> int | None:
    """A non-archived member named ``name`` (case-insensitive; a unique prefix will do)."""
    from whoseonfirst_core.usecases.common import all_members

    wanted = " ".join(name.split()).casefold()
    members = [m for m in all_members(uow) if not m.archived]
    exact = [m for m in members if m.name.casefold() == wanted]
    if exact:
        return exact[0].id
    prefix = [m for m in members if m.name.casefold().startswith(wanted)]
    if len(prefix) > 1:
        names = ", ".join(m.name for m in prefix)
        raise CliError(f"--to {name!r} matches several members ({names}); be more specific")
    return prefix[0].id if prefix else None


def cmd_send_test(args: argparse.Namespace, ctx: Context) -> int:
    from whoseonfirst_core.domain.masking import mask_phone
    from whoseonfirst_core.domain.phones import PhoneError, normalize_phone
    from whoseonfirst_core.usecases.notifications import get_notification, queue_text

    from .engine import Engine

    settings = _service_settings()
    _service_db(ctx)
    db = ctx.migrated_db()
    with db.uow(local_actor("send-test")) as uow:
        target: str | int | None = _find_member_id(uow, args.to)
        if target is None:
            try:
                target = normalize_phone(args.to)
            except PhoneError as exc:
                raise CliError(
                    f"--to: no member is called {args.to!r}, and it is not a phone number "
                    f"either ({exc})"
                ) from None
        queued = queue_text(uow, ctx.clock.now(), to=target, body=args.body, kind=Kind.TEST)
        uow.commit()
    ctx.print(
        f"queued test text #{queued.id} to {queued.recipient_name} "
        f"({mask_phone(queued.recipient_phone)})"
    )
    backend = build_backend(settings)
    try:
        with _logging(settings.log_format, settings.secrets(), ctx.err):
            Engine(db, backend, ctx.clock, instance_id=settings.instance_id).tick()
    finally:
        close = getattr(backend, "close", None)
        if close is not None:
            close()
    with db.reader() as uow:
        result = get_notification(uow, queued.id)
    detail = f" ({result.error_message})" if result.error_message else ""
    ctx.print(f"test text #{result.id}: {result.status}{detail}")
    if result.status in HANDED_OVER_STATUSES:
        return EXIT_OK
    if result.status in OUTBOX_STATUSES:
        ctx.print("it will be retried by the running service; watch it in the app")
    return EXIT_FAIL


def cmd_backup(args: argparse.Namespace, ctx: Context) -> int:
    import os
    import sqlite3

    from sqlalchemy.engine import make_url

    parsed = make_url(ctx.url)
    dest = Path(args.file)
    if parsed.get_backend_name() == "postgresql":
        plain = parsed.set(drivername="postgresql")
        shown = plain.render_as_string(hide_password=True)
        target = plain.set(database=f"{parsed.database}_restored")
        ctx.print("PostgreSQL is backed up with its own tool (consistent while the service runs):")
        ctx.print(f"  pg_dump --format=custom --no-owner --file={dest} '{shown}'")
        ctx.print("Give the password through ~/.pgpass or PGPASSWORD, never on the command line.")
        ctx.print(
            "Restore into a new database prepared as in docs/deployment.md section 7 "
            "(roles, owner, default privileges; no db upgrade), all or nothing:"
        )
        ctx.print(
            "  pg_restore --no-owner --exit-on-error --single-transaction "
            f"--dbname='{target.render_as_string(hide_password=True)}' {dest}"
        )
        return EXIT_OK
    source = parsed.database or ""
    if not source or source == ":memory:" or not Path(source).exists():
        raise CliError(f"there is no SQLite database file at {source or '(none)'}")
    if dest.exists() and not args.force:
        raise CliError(f"{dest} already exists (add --force to overwrite it)")
    try:
        fd = os.open(dest, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
        os.close(fd)
        os.chmod(dest, 0o600)
        src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        try:
            dst = sqlite3.connect(dest)
            try:
                src.backup(dst)  # the online backup API: a consistent copy while others write
                check = dst.execute("PRAGMA integrity_check").fetchone()
            finally:
                dst.close()
        finally:
            src.close()
    except (OSError, sqlite3.Error) as exc:
        raise CliError(f"backup to {dest} failed: {exc}") from None
    os.chmod(dest, 0o600)
    if not check or check[0] != "ok":
        raise CliError(f"the copy at {dest} failed its integrity check: {check}")
    size = dest.stat().st_size
    ctx.print(f"backed up {source} to {dest} ({size} bytes, integrity ok, mode 0600)")
    return EXIT_OK


def _add_service_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "run",
        help="run the service: send texts at shift starts (the systemd unit runs this)",
        description="Run the notification service until SIGTERM. Configuration comes from "
        "environment variables (WHOSEONFIRST_*, TWILIO_*; secrets also from *_FILE).",
    )
    p.set_defaults(handler=cmd_run)

    p = sub.add_parser(
        "tick",
        help="do one pass of due work now, then exit",
        description="One pass of due work (plan, send, poll, alert), then exit. --now pretends "
        "it is another instant, for drills; it is refused against the real Twilio API.",
    )
    p.add_argument(
        "--now",
        metavar="ISO",
        help="the instant to pretend, with its UTC offset (e.g. 2026-03-02T08:00:30-06:00)",
    )
    p.set_defaults(handler=cmd_tick)

    p = sub.add_parser(
        "simulate",
        help="list every text the service would send in a window (sends nothing)",
        description="Every text the service would send in [FROM 00:00, FROM+DAYS 00:00) local "
        "if it ran throughout. Sends nothing and writes nothing.",
    )
    p.add_argument(
        "--from",
        dest="start",
        type=_parse_day,
        required=True,
        metavar="DATE",
        help="first day, YYYY-MM-DD (local)",
    )
    p.add_argument("--days", type=_parse_days, default=7, help="number of days (default 7)")
    p.add_argument("--json", action="store_true", help='print {"messages": [...]} as JSON')
    p.set_defaults(handler=cmd_simulate)

    p = sub.add_parser(
        "check",
        help="check the configuration, the database and the Twilio credentials",
        description="Check config, database and Twilio (a harmless account fetch); exit 0 when "
        "all are fine, 1 otherwise.",
    )
    p.set_defaults(handler=cmd_check)

    p = sub.add_parser(
        "send-test",
        help="send one test text through the real path (outbox, claim, Twilio)",
    )
    p.add_argument(
        "--to",
        required=True,
        type=_recipient,
        metavar="PHONE_OR_MEMBER",
        help="a phone number, or a member's name (a unique prefix will do)",
    )
    p.add_argument("--body", help="message text (default: a standard test text)")
    p.set_defaults(handler=cmd_send_test)

    p = sub.add_parser(
        "backup",
        help="copy the database consistently while it is in use",
        description="SQLite: an online copy with the SQLite backup API (mode 0600). "
        "PostgreSQL: prints the pg_dump command to use.",
    )
    p.add_argument("file", help="where to write the copy")
    p.add_argument("--force", action="store_true", help="overwrite FILE if it exists")
    p.set_defaults(handler=cmd_backup)


EXTRA_COMMANDS.append(_add_service_commands)
