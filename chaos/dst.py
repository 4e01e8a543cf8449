"""DST sweep (issue 7, drill 5): every day of 2025-2030 in five zones.

America/Chicago (DST), Asia/Kolkata and America/Phoenix (no DST), Australia/Sydney and
America/Santiago (southern hemisphere: DST from September/October to April), each with the
default pattern (shifts start at 08:00 local every day but Wednesday; Tuesday's lasts 48 h).
An independent oracle — ``zoneinfo`` applied to each calendar day — says when every shift must
start; the service's own planner must agree:

- the resolved spans tile the time line: each ends exactly where the next begins, no gap, no
  overlap, and each starts and ends at 08:00 local (24 h or 48 h of wall-clock time, i.e. 23,
  25, 47 or 49 real hours across a change);
- ``simulate`` lists exactly one shift_start per span and phone, sent at 08:00 local — never
  07:00 or 09:00 — on exactly the days the oracle names, with the right abbreviation in the
  text (``CST``/``CDT``, ``IST``, ``MST``, ``AEDT``/``AEST``, ``-03``/``-04``);
- one weekly summary every Monday at 08:00 local.
"""

from __future__ import annotations

import collections
import itertools
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from chaos.common import (
    ChaosRun,
    DrillResult,
    import_roster,
    member_names_of,
    phone_counts,
    roster,
    simulated_texts,
)

#: DST; none (two); southern hemisphere (two: Santiago changes at midnight, so its spring-forward
#: day has no 00:00 at all).
ZONES = (
    "America/Chicago",
    "Asia/Kolkata",
    "America/Phoenix",
    "Australia/Sydney",
    "America/Santiago",
)
EIGHT = time(8, 0)
WEDNESDAY = 2


def run(run: ChaosRun) -> DrillResult:
    result = DrillResult("DST sweep")
    # Cheap enough (about a second a zone) to sweep all six years in the quick run too.
    first, last = date(2025, 1, 1), date(2030, 12, 31)
    days = (last - first).days + 1
    for zone_name in ZONES:
        _zone(run, result, zone_name, first, days)
    result.notes.append(
        f"{first} to {last} ({days} days) in {', '.join(ZONES)}: spans tile the time line, "
        "every shift text at 08:00 local on the oracle's days, one per span and phone"
    )
    return result


def _zone(run: ChaosRun, result: DrillResult, zone_name: str, first: date, days: int) -> None:
    from whoseonfirst_core.db.session import Database
    from whoseonfirst_core.domain.timeutil import day_start
    from whoseonfirst_core.usecases.schedule import extend_horizon, resolve_window

    tz = ZoneInfo(zone_name)
    last = first + timedelta(days=days - 1)
    anchor = first - timedelta(days=first.weekday() or 7)  # a Monday before the window
    url = run.new_database("sqlite", f"dst-{zone_name.replace('/', '-').lower()}")
    created = datetime.combine(anchor - timedelta(days=1), EIGHT, tzinfo=tz)
    import_roster(url, roster(anchor=anchor, timezone=zone_name, horizon_weeks=104), created)
    window = (day_start(first, tz), day_start(last + timedelta(days=1), tz))

    # The oracle: 08:00 local on every day but Wednesday, by zoneinfo alone.
    oracle = {
        datetime.combine(first + timedelta(days=i), EIGHT, tzinfo=tz)
        for i in range(days)
        if (first + timedelta(days=i)).weekday() != WEDNESDAY
    }

    db = Database(url)
    try:
        with db.uow("chaos@dst") as uow:  # never committed: generating changes nothing
            extend_horizon(uow, window[1], force=True)
            spans = resolve_window(uow, window[0], window[1], clip=False)
    finally:
        db.dispose()
    problems: list[str] = []
    spans.sort(key=lambda s: s.start)
    if not spans or spans[0].start > window[0] or spans[-1].end < window[1]:
        problems.append("the spans do not cover the whole window")
    for a, b in itertools.pairwise(spans):
        if a.end != b.start:
            kind = "gap" if a.end < b.start else "overlap"
            problems.append(f"{kind} between {a.end.astimezone(tz)} and {b.start.astimezone(tz)}")
    for s in spans:
        ls, le = s.start.astimezone(tz), s.end.astimezone(tz)
        if ls.time() != EIGHT or le.time() != EIGHT or not s.notify:
            problems.append(f"span {ls.isoformat()} → {le.isoformat()} is not 08:00 → 08:00")
        wall_days = (le.date() - ls.date()).days
        if wall_days != (2 if ls.weekday() == 1 else 1):
            problems.append(f"span from {ls.isoformat()} lasts {wall_days} wall-clock days")
    starts = {s.start for s in spans if window[0] <= s.start < window[1]}
    if starts != oracle:  # aware datetimes compare (and hash) as instants
        missing = sorted(o for o in oracle if o not in starts)
        extra = sorted(s for s in starts if s not in oracle)
        problems.append(
            f"span starts differ from the oracle: missing {missing[:3]}, extra {extra[:3]}"
        )

    # The planner's texts, as simulate prints them.
    messages = simulated_texts(url, created, first, days)
    phones = phone_counts()
    shift_texts = [m for m in messages if m["kind"] == "shift_start"]
    per_instant: collections.Counter[datetime] = collections.Counter()
    for m in shift_texts:
        sent = datetime.fromisoformat(m["send_at"])
        if sent.time() != EIGHT:
            problems.append(f"a shift text at {m['send_at']}, not 08:00 local")
        per_instant[sent] += 1
        abbr = sent.astimezone(tz).tzname() or ""
        if f" 08:00 {abbr} until " not in m["body"]:
            problems.append(f"text at {m['send_at']} does not say 08:00 {abbr}: {m['body']!r}")
    expected_texts = 0
    received = 0
    on_call = {s.start: s.member_id for s in spans}
    names = member_names_of(url)
    for instant in sorted(oracle):
        want = phones[names[on_call[instant]]] if instant in on_call else 1
        got = per_instant.pop(instant, 0)
        expected_texts += want
        received += min(got, want)
        result.duplicates += max(0, got - want)
        result.missed += max(0, want - got)
        if got != want:
            problems.append(f"{got} shift texts at {instant.isoformat()}, expected {want}")
    for instant, n in per_instant.items():
        problems.append(f"{n} shift texts at {instant.isoformat()}, a time the oracle rejects")
    mondays = {o for o in oracle if o.weekday() == 0}
    summaries = [
        datetime.fromisoformat(m["send_at"]) for m in messages if m["kind"] == "weekly_summary"
    ]
    if sorted(summaries) != sorted(mondays):
        problems.append(
            f"{len(summaries)} weekly summaries, expected one each of the "
            f"{len(mondays)} Mondays at 08:00"
        )
    result.expected = (result.expected or 0) + expected_texts
    result.received = (result.received or 0) + received
    for p in problems[:10]:
        result.error(f"{zone_name}: {p}")
    if len(problems) > 10:
        result.error(f"{zone_name}: … {len(problems) - 10} more problems")
    changes = sum(
        1
        for a, b in itertools.pairwise(spans)
        if a.start.astimezone(tz).utcoffset() != b.start.astimezone(tz).utcoffset()
    )
    result.notes.append(
        f"{zone_name}: {len(spans)} spans, {expected_texts} shift texts, "
        f"{changes} UTC-offset changes crossed"
    )
