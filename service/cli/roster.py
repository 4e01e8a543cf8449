"""``import FILE [--replace [--no-notify]]`` and ``export [FILE]``: the roster file (SPEC §7)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from whoseonfirst_core.actor import local_actor

from .context import EXIT_OK, EXIT_USAGE, CliError, Context, Subcommands, add_command


def cmd_import(args: argparse.Namespace, ctx: Context) -> int:
    """Load a roster file (team, members, shifts, overrides, contacts).

    Import a roster JSON file into an empty database (or replace the configuration with
    --replace). The file is checked first; a bad file changes nothing. A replace tells the
    people whose on-call it changes, unless --no-notify (the twin of unticking "Tell the
    people affected" in the app; the audit log records the choice).
    """
    from whoseonfirst_core.roster import import_roster_data, parse_roster
    from whoseonfirst_core.usecases.notices import told_quietly

    if args.no_notify and not args.replace:
        raise CliError(
            "--no-notify goes with --replace: a first import tells nobody anyway", EXIT_USAGE
        )

    path = Path(args.file)
    try:
        raw = sys.stdin.buffer.read() if args.file == "-" else path.read_bytes()
    except OSError as exc:
        raise CliError(f"cannot read {args.file}: {exc.strerror or exc}") from exc
    parse_roster(raw)  # validate before touching the database at all
    db = ctx.migrated_db()
    now = ctx.clock.now()
    with db.uow(local_actor("import")) as uow:
        if args.no_notify:
            told_quietly(uow, now)
        counts = import_roster_data(uow, now, raw, replace=args.replace)
        uow.commit()
    ctx.print(
        "imported {members} members, {shifts} shifts, {overrides} overrides, "
        "{escalation_contacts} escalation contacts".format(**counts)
    )
    return EXIT_OK


def cmd_export(args: argparse.Namespace, ctx: Context) -> int:
    """Write the roster file (to FILE or standard output)."""
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


def add_commands(sub: Subcommands) -> None:
    p = add_command(sub, cmd_import)
    p.add_argument("file", help="roster JSON file, or - for standard input")
    p.add_argument(
        "--replace",
        action="store_true",
        help="replace the configuration of a database that already has a team; "
        "members are matched by name and history is kept",
    )
    p.add_argument(
        "--no-notify",
        action="store_true",
        help="with --replace: tell nobody about the on-call it changes (the audit log records "
        "the choice); by default each person affected gets a change notice",
    )

    p = add_command(sub, cmd_export)
    p.add_argument(
        "file", nargs="?", help="output file, written owner-only (0600); default: standard output"
    )
