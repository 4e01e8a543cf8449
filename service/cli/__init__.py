"""``whoseonfirst-service``: the operator's command line (SPEC §7).

Every subcommand honours ``WHOSEONFIRST_DATABASE_URL`` (else the embedded SQLite file in the
user data directory). Errors are one clear line on stderr and a non-zero exit code; a failed
command changes nothing.

One parser, built by :func:`build_parser` from one module per group of commands, each adding
its own with ``add_commands``:

- :mod:`.db`: ``db upgrade``, ``db copy``
- :mod:`.roster`: ``import``, ``export``
- :mod:`.schedule`: ``preview``, ``simulate``
- :mod:`.planner`: ``time-off add|list|cancel``, ``suggest-covers``, ``fairness``
- :mod:`.run`: ``run``, ``tick``
- :mod:`.ops`: ``check``, ``send-test``, ``backup``
- :mod:`.feeds`: ``export-ics``, ``feed-link``

:mod:`.context` holds what they share (:class:`~.context.Context`, :class:`~.context.CliError`,
the exit codes), :mod:`.arguments` the argument types.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import TextIO

from whoseonfirst_core.clock import Clock, SystemClock
from whoseonfirst_core.usecases.errors import UseCaseError

from ..config import ConfigError, database_url_from_env
from . import db, feeds, ops, planner, roster, run, schedule
from .context import EXIT_FAIL, EXIT_USAGE, CliError, Context, Handler

__all__ = ["build_parser", "main"]


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
    for group in (db, roster, schedule, planner, run, ops, feeds):
        group.add_commands(sub)
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
