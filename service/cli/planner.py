"""``time-off add|list|cancel``, ``suggest-covers`` and ``fairness``: the planner."""

from __future__ import annotations

import argparse
import json
from datetime import timedelta

from whoseonfirst_core.actor import local_actor
from whoseonfirst_core.domain.planner import read_span
from whoseonfirst_core.domain.timeutil import day_start, iso_local, parse_instant

from .arguments import add_window, local_day
from .context import EXIT_FAIL, EXIT_OK, CliError, Context, Subcommands, add_command


def day_or_instant(text: str) -> str:
    """A date (YYYY-MM-DD) or an ISO 8601 instant with its offset; read in the team's zone
    once the database is open."""
    try:
        if len(text) == 10:
            local_day(text)
        else:
            parse_instant(text)
    except (ValueError, argparse.ArgumentTypeError):
        raise argparse.ArgumentTypeError(
            f"{text!r} is neither a date (YYYY-MM-DD) nor an instant with its offset "
            "(2026-12-21T08:00:00-06:00)"
        ) from None
    return text


def cmd_time_off_add(args: argparse.Namespace, ctx: Context) -> int:
    """Record that a member is away.

    FROM and TO are dates (whole local days, both included: --from 2026-12-21 --to 2027-01-03
    ends at the start of 2027-01-04) or ISO instants with their offset (the half-open
    [FROM, TO)).
    """
    from whoseonfirst_core.usecases.common import find_member, team_zone
    from whoseonfirst_core.usecases.planner import add_time_off, conflicts_in

    db = ctx.migrated_db()
    now = ctx.clock.now()
    with db.uow(local_actor("time-off")) as uow:
        member = find_member(uow, args.member)
        if member is None:
            raise CliError(f"no member named {args.member!r}")
        tz = team_zone(uow)
        start, end = read_span(args.start, args.end, tz)
        off = add_time_off(uow, member.id, start, end, args.reason, now)
        clashes = conflicts_in(uow, off.start, off.end)
        uow.commit()
    ctx.print(
        f"time off {off.id}: {off.member_name} away {iso_local(off.start, tz)} → "
        f"{iso_local(off.end, tz)}" + (f" ({off.reason})" if off.reason else "")
    )
    for c in (c for c in clashes if c.time_off_id == off.id):
        ctx.print(
            f"  conflict: on call {iso_local(c.span_start, tz)} → {iso_local(c.span_end, tz)} "
            "(suggest-covers proposes who covers)"
        )
    return EXIT_OK


def cmd_time_off_list(args: argparse.Namespace, ctx: Context) -> int:
    """List time off overlapping a window of local days."""
    from whoseonfirst_core.usecases.common import team_zone
    from whoseonfirst_core.usecases.planner import list_time_off

    db = ctx.migrated_db()
    with db.reader() as uow:
        tz = team_zone(uow)
        start = day_start(args.start, tz)
        found = list_time_off(uow, start, day_start(args.start + timedelta(days=args.days), tz))
    rows = [
        {
            "id": t.id,
            "member": t.member_name,
            "start": iso_local(t.start, tz),
            "end": iso_local(t.end, tz),
            "reason": t.reason,
        }
        for t in found
    ]
    if args.json:
        ctx.print(json.dumps({"time_off": rows}, indent=2, ensure_ascii=False))
        return EXIT_OK
    for r in rows:
        ctx.print(f"{r['id']:>5}  {r['member']}  {r['start']} → {r['end']}  {r['reason']}".rstrip())
    if not rows:
        ctx.print("no time off in this window")
    return EXIT_OK


def cmd_time_off_cancel(args: argparse.Namespace, ctx: Context) -> int:
    """Cancel time off by its id (see time-off list)."""
    from whoseonfirst_core.usecases.common import team_zone
    from whoseonfirst_core.usecases.planner import cancel_time_off

    db = ctx.migrated_db()
    with db.uow(local_actor("time-off")) as uow:
        off = cancel_time_off(uow, args.id, ctx.clock.now())
        tz = team_zone(uow)
        uow.commit()
    ctx.print(
        f"cancelled time off {off.id}: {off.member_name} "
        f"{iso_local(off.start, tz)} → {iso_local(off.end, tz)}"
    )
    return EXIT_OK


def cmd_suggest_covers(args: argparse.Namespace, ctx: Context) -> int:
    """Propose a fair cover for every conflict with time off; --apply saves them.

    For each span whose person on call is away: the member who is not away, not on call just
    before or after, with the fewest on-call hours over the last year and the planned
    schedule, then the fewest weekend and holiday hours, then first in rotation order. With
    --apply the covers are saved as one calendar edit and the people are told, as for covers
    made in the app.
    """
    from whoseonfirst_core.usecases.common import team_zone
    from whoseonfirst_core.usecases.planner import apply_suggestions, suggest_covers_in

    db = ctx.migrated_db()
    now = ctx.clock.now()
    with db.uow(local_actor("suggest-covers")) as uow:
        tz = team_zone(uow)
        start = day_start(args.start, tz)
        end = day_start(args.start + timedelta(days=args.days), tz)
        suggestions = suggest_covers_in(uow, start, end, now)
        applied = apply_suggestions(uow, now, suggestions) if args.apply else []
        if args.apply:
            uow.commit()
    rows = [
        {
            "start": iso_local(s.start, tz),
            "end": iso_local(s.end, tz),
            "away": s.away_name,
            "suggested": s.suggested_name,
            "reason": s.reason,
        }
        for s in suggestions
    ]
    if args.json:
        ctx.print(json.dumps({"suggestions": rows}, indent=2, ensure_ascii=False))
    else:
        for r in rows:
            who = r["suggested"] or "NOBODY"
            ctx.print(f"{r['start']} → {r['end']}  {r['away']} away: {who} ({r['reason']})")
        if not rows:
            ctx.print("no conflicts with time off in this window")
        elif args.apply:
            ctx.print(f"saved {len(applied)} cover(s)")
    unfilled = sum(1 for s in suggestions if s.suggested_member_id is None)
    return EXIT_FAIL if unfilled and args.apply else EXIT_OK


def cmd_fairness(args: argparse.Namespace, ctx: Context) -> int:
    """Show the fairness ledger per member.

    Shifts, on-call hours (real hours, after covers), weekend, holiday and night (22:00-06:00)
    hours, covers given and received, and days of time off, for local dates FROM to TO (both
    included; by default the last 12 months and the planned schedule).
    """
    from whoseonfirst_core.usecases.planner import fairness

    db = ctx.migrated_db()
    with db.reader() as uow:
        ledger = fairness(uow, args.start, args.end, ctx.clock.now())
    if args.json:
        ctx.print(json.dumps(ledger.to_json(), indent=2, ensure_ascii=False))
        return EXIT_OK
    members = [r.figures() for r in ledger.rows]
    header = ("member", "shifts", "hours", "weekend", "holiday", "night", "given", "received")
    table = [(*header, "time off")] + [tuple(str(v) for v in m.values()) for m in members]
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    ctx.print(f"{ledger.first} to {ledger.last} ({ledger.timezone})")
    for row in table:
        cells = [row[0].ljust(widths[0])] + [
            c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)
        ]
        ctx.print("  ".join(cells))
    ctx.print(f"team average: {ledger.average_hours:.1f} h")
    return EXIT_OK


def add_commands(sub: Subcommands) -> None:
    group = sub.add_parser("time-off", help="record, list or cancel time off")
    actions = group.add_subparsers(dest="time_off_command", metavar="ACTION", required=True)
    p = add_command(actions, cmd_time_off_add, name="add")
    p.add_argument("member", metavar="MEMBER", help="a member's name (or its unique start)")
    p.add_argument("--from", dest="start", type=day_or_instant, required=True, metavar="FROM")
    p.add_argument("--to", dest="end", type=day_or_instant, required=True, metavar="TO")
    p.add_argument("--reason", default="", help="e.g. vacation (shown in conflicts)")
    p = add_command(actions, cmd_time_off_list, name="list")
    add_window(p, default_days=90, json_help='print {"time_off": [...]} as JSON')
    p = add_command(actions, cmd_time_off_cancel, name="cancel")
    p.add_argument("id", type=int, metavar="ID", help="the time off's id (see time-off list)")

    p = add_command(sub, cmd_suggest_covers)
    add_window(p, default_days=56, json_help='print {"suggestions": [...]} as JSON')
    p.add_argument("--apply", action="store_true", help="save the suggested covers")

    p = add_command(sub, cmd_fairness)
    p.add_argument("--from", dest="start", type=local_day, metavar="DATE", help="first day")
    p.add_argument("--to", dest="end", type=local_day, metavar="DATE", help="last day (included)")
    p.add_argument("--json", action="store_true", help='print {"from", "to", "members"} as JSON')
