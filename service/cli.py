"""``whoseonfirst-service``: the operator's command line (SPEC §7).

Every subcommand honours ``WHOSEONFIRST_DATABASE_URL`` (else the embedded SQLite file in the
user data directory). Errors are one clear line on stderr and a non-zero exit code; a failed
command changes nothing.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path

from whoseonfirst_core.actor import local_actor
from whoseonfirst_core.clock import Clock, SystemClock
from whoseonfirst_core.db.session import (
    Database,
    default_database_url,
    needs_upgrade,
    redact_url,
    upgrade,
)
from whoseonfirst_core.domain.timeutil import iso_local, zone
from whoseonfirst_core.usecases.errors import UseCaseError

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2

Handler = Callable[[argparse.Namespace, "Context"], int]


class CliError(Exception):
    """A failure to report as one line; ``code`` is the exit status."""

    def __init__(self, message: str, code: int = EXIT_FAIL) -> None:
        super().__init__(message)
        self.code = code


class Context:
    """What a subcommand needs: the database URL, a clock, and the output streams."""

    def __init__(self, url: str, clock: Clock, out: object, err: object) -> None:
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
        print(text, file=self.out)  # type: ignore[call-overload]

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
    from whoseonfirst_core.roster import dumps_roster, export_roster_data

    db = ctx.migrated_db()
    with db.reader() as uow:
        text = dumps_roster(export_roster_data(uow))
    if args.file and args.file != "-":
        try:
            Path(args.file).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise CliError(f"cannot write {args.file}: {exc.strerror or exc}") from exc
    else:
        ctx.out.write(text)  # type: ignore[attr-defined]
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
        (r["start"], r["end"], str(r["shift"]), str(r["member"]),
         str(r["scheduled_member"] or "-"), "yes" if r["override"] else "")
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
    p.add_argument("--to", required=True, metavar="URL",
                   help="target database, e.g. postgresql+psycopg://user@host/whoseonfirst")
    p.set_defaults(handler=cmd_db_copy)

    p = sub.add_parser(
        "import", help="load a roster file (team, members, shifts, overrides, contacts)",
        description="Import a roster JSON file into an empty database (or replace the "
        "configuration with --replace). The file is checked first; a bad file changes nothing.",
    )
    p.add_argument("file", help="roster JSON file, or - for standard input")
    p.add_argument("--replace", action="store_true",
                   help="replace the configuration of a database that already has a team; "
                   "members are matched by name and history is kept")
    p.set_defaults(handler=cmd_import)

    p = sub.add_parser("export", help="write the roster file (to FILE or standard output)")
    p.add_argument("file", nargs="?", help="output file (default: standard output)")
    p.set_defaults(handler=cmd_export)

    p = sub.add_parser(
        "preview", help="show who is on call, day by day",
        description="The resolved schedule (overrides applied) overlapping "
        "[FROM 00:00, FROM+DAYS 00:00) in the team's time zone.",
    )
    p.add_argument("--from", dest="start", type=_parse_day, required=True, metavar="DATE",
                   help="first day, YYYY-MM-DD (local)")
    p.add_argument("--days", type=_parse_days, default=14, help="number of days (default 14)")
    p.add_argument("--json", action="store_true", help='print {"entries": [...]} as JSON')
    p.set_defaults(handler=cmd_preview)

    for add in EXTRA_COMMANDS:
        add(sub)
    return parser


def main(
    argv: Sequence[str] | None = None,
    *,
    clock: Clock | None = None,
    out: object = None,
    err: object = None,
) -> int:
    out = out if out is not None else sys.stdout
    err = err if err is not None else sys.stderr
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    ctx = Context(default_database_url(), clock or SystemClock(), out, err)
    try:
        handler: Handler = args.handler
        return handler(args, ctx)
    except CliError as exc:
        print(f"error: {exc}", file=err)  # type: ignore[call-overload]
        return exc.code
    except UseCaseError as exc:
        print(f"error: {exc}", file=err)  # type: ignore[call-overload]
        return EXIT_FAIL
    except Exception as exc:  # noqa: BLE001 - one clear line, never a traceback for operators
        from sqlalchemy.exc import OperationalError, SQLAlchemyError

        if isinstance(exc, OperationalError):
            msg = f"cannot reach the database {redact_url(ctx.url)}: {str(exc.orig).strip()}"
        elif isinstance(exc, SQLAlchemyError):
            msg = f"database error on {redact_url(ctx.url)}: {type(exc).__name__}"
        elif isinstance(exc, ValueError):
            msg = str(exc)
        else:
            import logging

            logging.getLogger("whoseonfirst").exception("unexpected error")
            msg = f"unexpected {type(exc).__name__}: {exc} (this is a bug; please report it)"
        print(f"error: {msg.splitlines()[0] if msg else type(exc).__name__}", file=err)  # type: ignore[call-overload]
        return EXIT_FAIL
    finally:
        ctx.close()


if __name__ == "__main__":
    raise SystemExit(main())
