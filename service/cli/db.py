"""``db upgrade`` and ``db copy --to URL``."""

from __future__ import annotations

import argparse

from whoseonfirst_core.db.errors import redact_url
from whoseonfirst_core.db.session import Database, upgrade

from .arguments import database_url
from .context import EXIT_OK, Context, Subcommands, add_command


def cmd_db_upgrade(args: argparse.Namespace, ctx: Context) -> int:
    """Create the tables or apply pending migrations."""
    before, after = upgrade(ctx.db)
    if before == after:
        ctx.print(f"{redact_url(ctx.url)}: already at revision {after}")
    else:
        ctx.print(f"{redact_url(ctx.url)}: upgraded {before or 'empty'} → {after}")
    return EXIT_OK


def cmd_db_copy(args: argparse.Namespace, ctx: Context) -> int:
    """Copy everything into another (empty) database, e.g. SQLite → PostgreSQL.

    Copy every table into an empty database and verify the row counts. Stop the service first,
    copy, verify, switch WHOSEONFIRST_DATABASE_URL, start it.
    """
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


def add_commands(sub: Subcommands) -> None:
    db = sub.add_parser("db", help="create, upgrade or copy the database")
    dbsub = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    add_command(dbsub, cmd_db_upgrade, name="upgrade")
    p = add_command(dbsub, cmd_db_copy, name="copy")
    p.add_argument(
        "--to",
        required=True,
        type=database_url,
        metavar="URL",
        help="target database, e.g. postgresql+psycopg://user@host/whoseonfirst",
    )
