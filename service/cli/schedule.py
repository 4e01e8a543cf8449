"""``preview`` (who is on call) and ``simulate`` (which texts would go out) over a window of
local days, and ``preview-change`` (what a team or pattern change would do); none of them
changes what anybody sees."""

from __future__ import annotations

import argparse
import json
from datetime import date, datetime
from pathlib import Path

from whoseonfirst_core.actor import local_actor
from whoseonfirst_core.db.session import Database
from whoseonfirst_core.domain.timeutil import iso_local, zone

from .arguments import add_window, local_day
from .context import EXIT_OK, CliError, Context, Subcommands, add_command


def cmd_preview(args: argparse.Namespace, ctx: Context) -> int:
    """Show who is on call, day by day.

    The resolved schedule (overrides applied) overlapping [FROM 00:00, FROM+DAYS 00:00) in the
    team's time zone.
    """
    from whoseonfirst_core.domain.rotation import SHIFT_MARGIN
    from whoseonfirst_core.usecases.schedule import extend_through, preview

    db = ctx.migrated_db()
    with db.uow(local_actor("preview")) as uow:  # never committed: rolled back on exit
        # Beyond the stored horizon, plan the window the way the service will when it extends
        # (the spans overlapping its end included), so no false NO COVERAGE is shown.
        view = preview(uow, args.start, args.days)
        extend_through(uow, ctx.clock.now(), view.end + SHIFT_MARGIN)
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


def simulate_messages(
    db: Database, now: datetime, first_day: date, days: int
) -> list[dict[str, str]]:
    """Every text the service would send in ``[first_day 00:00, first_day+days 00:00)`` local
    if it ran throughout (:func:`~whoseonfirst_core.usecases.due.simulated_texts`, the tick's
    own planning pass): ``send_at`` (local ISO), ``kind``, ``to``, ``member``, ``body``.

    Runs in a transaction that is rolled back, so nothing is written.
    """
    from whoseonfirst_core.usecases.common import team_zone
    from whoseonfirst_core.usecases.due import simulated_texts

    from ..delivery import EngineSettings

    with db.uow(local_actor("simulate")) as uow:  # never committed: rolled back on exit
        texts = simulated_texts(
            uow, now, first_day, days, summary_validity=EngineSettings().summary_validity
        )
        tz = team_zone(uow)
    return [
        {
            "send_at": iso_local(t.due_at, tz),
            "kind": t.kind,
            "to": t.recipient_phone,
            "member": t.recipient_name,
            "body": t.body,
        }
        for t in texts
    ]


def cmd_simulate(args: argparse.Namespace, ctx: Context) -> int:
    """List every text the service would send in a window (sends nothing).

    Every text the service would send in [FROM 00:00, FROM+DAYS 00:00) local if it ran
    throughout. Sends nothing and writes nothing. Texts that depend on what happens are not
    listed: failure alerts, and the second ask and the contacts' alert of a shift nobody
    confirms (they follow only if no OK comes).
    """
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


def cmd_preview_change(args: argparse.Namespace, ctx: Context) -> int:
    """Show what a team or pattern change from a date would do, without saving it.

    Who gains and loses which shifts if the change took effect from DATE, how many shifts change
    hands, and the planned changes it meets. Changes nothing.
    """
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


def add_commands(sub: Subcommands) -> None:
    p = add_command(sub, cmd_preview)
    add_window(p, default_days=14, json_help='print {"entries": [...]} as JSON')

    p = add_command(sub, cmd_simulate)
    add_window(p, default_days=7, json_help='print {"messages": [...]} as JSON')

    p = add_command(sub, cmd_preview_change)
    p.add_argument(
        "--from", dest="start", type=local_day, required=True, metavar="DATE", help="YYYY-MM-DD"
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
