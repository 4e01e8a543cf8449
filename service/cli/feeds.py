"""``export-ics [--member NAME] FILE`` (the calendar as a file) and ``feed-link [--member NAME]
[--reset]`` (the secret link the service serves it under)."""

from __future__ import annotations

import argparse

from whoseonfirst_core.actor import local_actor
from whoseonfirst_core.db.session import UnitOfWork
from whoseonfirst_core.usecases.common import find_member
from whoseonfirst_core.usecases.dto import MemberDTO
from whoseonfirst_core.usecases.errors import NotFoundError

from .context import EXIT_OK, CliError, Context, Subcommands, add_command, service_settings


def _member(uow: UnitOfWork, name: str | None) -> MemberDTO | None:
    """The member ``--member`` names (by :func:`find_member`), None without it."""
    if name is None:
        return None
    member = find_member(uow, name)
    if member is None:
        raise NotFoundError(f"no member called {name!r}")
    return member


def cmd_export_ics(args: argparse.Namespace, ctx: Context) -> int:
    """Write the on-call calendar as an iCalendar file (the team's, or one member's).

    One event per shift as resolved (covers applied), from 90 days back to 365 days ahead, in
    the team's time zone; a member's file lists their shifts and the numbers the team texts
    them on (the team's file has no phone number). Importing a newer file into a calendar
    updates its events instead of adding copies. The file is written owner-only (0600).
    """
    from whoseonfirst_core.roster import write_roster_file
    from whoseonfirst_core.usecases.feeds import calendar_file

    db = ctx.migrated_db()
    now = ctx.clock.now()
    with db.uow(local_actor("export-ics")) as uow:  # never committed: rolled back on exit
        member = _member(uow, args.member)
        data = calendar_file(uow, now, member.id if member is not None else None)
    if args.file == "-":
        ctx.out.write(data.decode("utf-8"))
        return EXIT_OK
    try:
        write_roster_file(args.file, data.decode("utf-8"))
    except OSError as exc:
        raise CliError(f"cannot write {args.file}: {exc.strerror or exc}") from exc
    return EXIT_OK


def cmd_feed_link(args: argparse.Namespace, ctx: Context) -> int:
    """Make the secret link of a calendar feed (the team's, or one member's) and print it.

    The service serves it on WHOSEONFIRST_FEEDS; links start with WHOSEONFIRST_FEEDS_URL.
    Only a hash of the link is stored, so it is printed once: asked again, the command says a
    link exists; --reset makes a new one and the old one stops working.
    """
    from whoseonfirst_core.usecases.feeds import create_link, feed_url

    settings = service_settings()
    db = ctx.migrated_db()
    with db.uow(local_actor("feed-link")) as uow:
        member = _member(uow, args.member)
        token = create_link(
            uow, ctx.clock.now(), member.id if member is not None else None, reset=args.reset
        )
        uow.commit()
    whose = f"{member.name}'s calendar" if member is not None else "the team's calendar"
    if token is None:
        again = f" --member {args.member!r}" if args.member is not None else ""
        raise CliError(
            f"{whose} already has a link; it is shown only when it is made. "
            f"`whoseonfirst-service feed-link{again} --reset` makes a new one "
            "(the old one stops working)"
        )
    ctx.print(feed_url(settings.feeds_base_url, token))
    if settings.feeds_bind is None:
        ctx.err.write(
            "note: the service serves no feeds yet: set WHOSEONFIRST_FEEDS (e.g. "
            "0.0.0.0:8788) where it runs\n"
        )
    return EXIT_OK


def add_commands(sub: Subcommands) -> None:
    p = add_command(sub, cmd_export_ics)
    p.add_argument("--member", metavar="NAME", help="one member's calendar (default: the team's)")
    p.add_argument("file", help="output .ics file, or - for standard output")

    p = add_command(sub, cmd_feed_link)
    p.add_argument("--member", metavar="NAME", help="one member's feed (default: the team's)")
    p.add_argument(
        "--reset", action="store_true", help="replace the existing link (it stops working)"
    )
