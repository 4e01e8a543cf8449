"""DST edges drill (issue 19, item 4): hourly shifts at :00 and at :30 across every change.

For America/Chicago (a one-hour change at 02:00), Australia/Lord_Howe (a 30-minute change at
02:00) and Europe/London (at 01:00), on each day the UTC offset changes in 2025–2030 (2026 in
the quick run), and for Asia/Kathmandu (no DST, a 45-minute offset) in one week: a fresh
SQLite database with 168 one-hour shifts a week starting on the hour, and another with them
starting at half past — so shifts start at 02:00 and at 02:30 on spring-forward day. Then,
over the three days around the change:

- the resolved spans tile the time line: each ends exactly where the next begins (no hour
  with nobody on call, no overlap);
- each starts at its shift's wall time resolved as ``zoneinfo`` does (a time in the gap moves
  forward by the gap's length, a repeated time is its first occurrence) — an independent
  oracle; a shift wholly inside the gap has no span;
- ``simulate`` lists exactly one shift_start text per span and phone, at the span's start.

"expected" counts the cases (zone × change × minute), "received" those where all held.
"""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from chaos.common import (
    ChaosRun,
    DrillResult,
    hourly_shifts,
    import_roster,
    member_names_of,
    phone_counts,
    roster,
    simulated_texts,
)
from whoseonfirst_core.db.session import Database

DST_ZONES = ("America/Chicago", "Australia/Lord_Howe", "Europe/London")
NO_DST = ("Asia/Kathmandu", date(2026, 3, 8))  # the day Chicago springs forward
MINUTES = (0, 30)


def run(run: ChaosRun) -> DrillResult:
    result = DrillResult("DST edges")
    years = (2026,) if run.quick else tuple(range(2025, 2031))
    cases = [
        (zone, day, minute)
        for zone in DST_ZONES
        for day in changes(ZoneInfo(zone), years)
        for minute in MINUTES
    ] + [(NO_DST[0], NO_DST[1], minute) for minute in MINUTES]
    result.expected = len(cases)
    result.received = 0
    spans_checked = 0
    for n, (zone, day, minute) in enumerate(cases):
        problems, count = _case(run, n, zone, day, minute)
        spans_checked += count
        if problems:
            result.error(f"{zone} {day} shifts at :{minute:02d}: {'; '.join(problems[:3])}")
        else:
            result.received += 1
    result.notes.append(
        f"{len(cases)} cases ({', '.join(DST_ZONES)}: every UTC-offset change of "
        f"{years[0]}–{years[-1]}; {NO_DST[0]}), hourly shifts at :00 and :30: {spans_checked} "
        "spans tile the time line at the oracle's instants, one text per span and phone"
    )
    return result


def changes(tz: ZoneInfo, years: tuple[int, ...]) -> list[date]:
    """The days on which ``tz``'s UTC offset changes, in ``years``."""
    days: list[date] = []
    for year in years:
        day = date(year, 1, 1)
        while day.year == year:
            before = datetime.combine(day, time(0), tz).utcoffset()
            after = datetime.combine(day + timedelta(days=1), time(0), tz).utcoffset()
            if before != after:
                days.append(day)
            day += timedelta(days=1)
    return days


def _case(run: ChaosRun, n: int, zone: str, day: date, minute: int) -> tuple[list[str], int]:
    from whoseonfirst_core.domain.timeutil import day_start
    from whoseonfirst_core.usecases.schedule import extend_horizon, resolve_window

    tz = ZoneInfo(zone)
    first, last = day - timedelta(days=1), day + timedelta(days=1)
    anchor = first - timedelta(days=first.weekday() + 7)
    created = datetime.combine(anchor, time(0, 5), tz)
    url = run.new_database("sqlite", f"dst-edges-{n}")
    data = roster(anchor=anchor, shifts=hourly_shifts(minute), timezone=zone, weekly_summary=False)
    import_roster(url, data, created)
    start, end = day_start(first, tz), day_start(last + timedelta(days=1), tz)
    db = Database(url)
    try:
        with db.uow("chaos@dst-edges") as uow:  # never committed: generating changes nothing
            extend_horizon(uow, end, force=True)
            spans = sorted(resolve_window(uow, start, end, clip=False), key=lambda s: s.start)
    finally:
        db.dispose()
    problems: list[str] = []
    for a, b in itertools.pairwise(spans):
        if a.end != b.start:
            kind = "gap" if a.end < b.start else "overlap"
            problems.append(f"{kind} from {a.end.astimezone(tz)} to {b.start.astimezone(tz)}")
    oracle = _oracle(tz, first, last, minute)
    starts = [s.start for s in spans if start <= s.start < end]
    if sorted(starts) != sorted(oracle):
        missing = sorted(set(oracle) - set(starts))
        extra = sorted(set(starts) - set(oracle))
        problems.append(f"span starts: missing {_local(missing, tz)}, extra {_local(extra, tz)}")
    texts = [
        m
        for m in simulated_texts(url, created, first, 3)
        if m["kind"] == "shift_start" and start <= datetime.fromisoformat(m["send_at"]) < end
    ]
    phones, names = phone_counts(), member_names_of(url)
    wanted = {s.start: phones[names[s.member_id]] for s in spans if start <= s.start < end}
    got: dict[datetime, int] = {}
    for m in texts:
        at = datetime.fromisoformat(m["send_at"]).astimezone(UTC)
        got[at] = got.get(at, 0) + 1
    if {k.astimezone(UTC): v for k, v in wanted.items()} != got:
        problems.append(f"{sum(got.values())} shift texts for {sum(wanted.values())} span phones")
    return problems, len(spans)


def _oracle(tz: ZoneInfo, first: date, last: date, minute: int) -> list[datetime]:
    """Each hour's shift start by ``zoneinfo`` alone (fold 0: a time in the gap moves forward by
    its length; a repeated one is its first occurrence), without the shifts wholly inside the
    gap (their start and end resolve to the same instant)."""
    out: list[datetime] = []
    day = first
    while day <= last:
        for hour in range(24):
            wall = datetime.combine(day, time(hour, minute), tz)
            begins = wall.astimezone(UTC)
            ends = (wall.replace(tzinfo=None) + timedelta(hours=1)).replace(tzinfo=tz)
            if ends.astimezone(UTC) > begins:
                out.append(begins)
        day += timedelta(days=1)
    return sorted(set(out))


def _local(instants: list[datetime], tz: ZoneInfo) -> list[str]:
    return [i.astimezone(tz).strftime("%m-%d %H:%M %Z") for i in instants[:3]]
