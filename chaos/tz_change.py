"""Time-zone change drill (issue 19, item 5): the team's zone changes while a shift runs.

For each pair of zones (east and west, whole hours, half and quarter hours) and each of several
instants inside running shifts (the 48 h Tuesday shift, a 24 h one, just after a start, just
before an end), a fresh SQLite database gets the default-pattern roster in the old zone; at the
instant, the command-line ``import --replace`` of the same roster with the new zone runs (the
path the Settings page shares: ``materialise``). Then, over the next three weeks:

- the span running at the change keeps its person, its start and its end (what the text at its
  start told them);
- the resolved spans tile the time line from it on: each ends exactly where the next begins,
  no gap, no overlap; from the second shift after the change on, each starts at 08:00 in the
  new zone;
- ``simulate`` lists exactly one shift_start text per span starting after the change, per phone.

"expected" counts the cases, "received" those where everything held.
"""

from __future__ import annotations

import itertools
import json
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from chaos.common import (
    MEMBERS,
    ChaosRun,
    DrillResult,
    cli,
    import_roster,
    roster,
    simulated_texts,
)
from whoseonfirst_core.db.session import Database

ANCHOR = date(2026, 11, 30)  # a Monday, no DST change in the three weeks after
PAIRS = (
    ("America/New_York", "America/Chicago"),
    ("America/Chicago", "America/New_York"),
    ("America/Los_Angeles", "Pacific/Honolulu"),
    ("Asia/Kathmandu", "Asia/Kolkata"),
    ("Asia/Kolkata", "Asia/Kathmandu"),
    ("Australia/Adelaide", "Australia/Perth"),
    ("Europe/London", "Asia/Tokyo"),
    ("Asia/Tokyo", "America/Denver"),
)
#: Local times in the old zone, inside a running shift (the default pattern starts at 08:00).
INSTANTS = (
    (1, time(8, 1)),  # Tuesday, just after the 48 h shift began
    (2, time(12, 0)),  # Wednesday, mid 48 h shift
    (3, time(7, 59)),  # Thursday, a minute before it ends
    (4, time(20, 0)),  # Friday evening, a 24 h shift
)
EIGHT = time(8)


def run(run: ChaosRun) -> DrillResult:
    result = DrillResult("time-zone change")
    pairs = PAIRS[:4] if run.quick else PAIRS
    instants = INSTANTS[1:3] if run.quick else INSTANTS
    result.expected = result.received = 0
    for n, ((old, new), (day, at)) in enumerate(itertools.product(pairs, instants)):
        result.expected += 1
        problems = _case(run, n, old, new, ANCHOR + timedelta(days=7 + day), at)
        if problems:
            result.error(f"{old} → {new} at {at:%H:%M} on day {day}: {'; '.join(problems[:3])}")
        else:
            result.received += 1
    result.notes.append(
        f"{len(pairs)} zone pairs × {len(instants)} instants inside running shifts: the running "
        "span kept, no gap or overlap after it, one text per span and phone"
    )
    return result


def _case(run: ChaosRun, n: int, old: str, new: str, day: date, at: time) -> list[str]:

    from whoseonfirst_core.usecases.schedule import resolve_window

    old_tz, new_tz = ZoneInfo(old), ZoneInfo(new)
    url = run.new_database("sqlite", f"tz-change-{n}")
    import_roster(url, roster(anchor=ANCHOR, timezone=old), datetime.combine(ANCHOR, EIGHT, old_tz))
    change = datetime.combine(day, at, old_tz)
    until = change + timedelta(days=21)
    db = Database(url)
    try:
        with db.reader() as uow:
            before = [s for s in resolve_window(uow, change, change, clip=False)]
        file = run.folder("tz-change") / f"roster-{n}.json"
        file.write_text(json.dumps(roster(anchor=ANCHOR, timezone=new)), encoding="utf-8")
        code, output = cli(url, change, "import", "--replace", str(file))
        if code != 0:
            return [f"import failed: {output.strip()}"]
        with db.uow("chaos@tz-change") as uow:  # never committed: generating changes nothing
            from whoseonfirst_core.usecases.schedule import extend_through

            extend_through(uow, change, until)
            spans = sorted(resolve_window(uow, change, until, clip=False), key=lambda s: s.start)
    finally:
        db.dispose()
    problems: list[str] = []
    running = [s for s in before if s.start <= change < s.end]
    if len(running) != 1 or not spans:
        return [f"{len(running)} spans running at the change"]
    was, now_first = running[0], spans[0]
    if (now_first.start, now_first.end, now_first.member_id) != (was.start, was.end, was.member_id):
        problems.append("the running span changed")
    for a, b in itertools.pairwise(spans):
        if a.end != b.start:
            kind = "gap" if a.end < b.start else "overlap"
            problems.append(
                f"{kind} from {a.end.astimezone(new_tz)} to {b.start.astimezone(new_tz)}"
            )
    for s in spans[2:]:
        if s.start.astimezone(new_tz).time() != EIGHT:
            problems.append(f"a shift starts at {s.start.astimezone(new_tz)}, not 08:00")
            break
    texts = simulated_texts(url, change, change.astimezone(new_tz).date(), 23)
    shift_texts = [m for m in texts if m["kind"] == "shift_start"]
    phones = {name: len([p for p in (a, b) if p]) for name, a, b in MEMBERS}
    later = [s for s in spans if change < s.start < until - timedelta(days=1)]
    wanted = sum(phones.get(_name(url, s.member_id), 1) for s in later)
    got = [
        m
        for m in shift_texts
        if change < datetime.fromisoformat(m["send_at"]) < until - timedelta(days=1)
    ]
    if len(got) != wanted:
        problems.append(f"simulate lists {len(got)} shift texts for {wanted} span phones")
    return problems


def _name(url: str, member_id: int) -> str:
    from whoseonfirst_core.db.models import Member

    db = Database(url)
    try:
        with db.reader() as uow:
            return str(uow.session.get(Member, member_id).name)  # type: ignore[union-attr]
    finally:
        db.dispose()
