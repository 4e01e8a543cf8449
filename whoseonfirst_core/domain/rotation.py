"""The weekly shift pattern and the balanced rotation over it (SPEC §3, properties P1-P5).

Assignment rule, for ``n`` active members and a pattern of ``k`` shifts a week, with
``g = gcd(n, k)`` and ``L = lcm(n, k)``: the ``seq``-th shift of an epoch (0-based, in time
order) goes to position ``(start + seq + seq // L) mod n`` when ``n >= 2 and g > 1``, else to
``(start + seq) mod n``.

Why: plain round robin gives member ``p`` only the shift types ``≡ p (mod g)``, so with 6
members and 6 shifts one person keeps the 48 h shift forever, and with 2 members and the default
pattern one of them works 96 h a week and the other 72 h, forever. Skipping one position after
every block of ``L`` shifts moves each member to the next residue class; after ``g`` blocks
(``n·k`` shifts = ``n`` weeks, one *full cycle*) everybody has had every shift type exactly once,
so everybody has carried the same hours.

The skip costs rest only with two people. With ``n >= 3`` two consecutive shifts still go to
positions at least one apart, so nobody works back to back. With ``n = 2`` and an even number of
shifts the two swap halves of the pattern at each block of ``L = k`` shifts (every week), and at
that turn one of them works two shifts in a row: exactly one back-to-back pair per block, two
per full (two-week) cycle. Fewer is impossible with equal types over the cycle: if the two
alternated strictly for a whole cycle each would keep their half of the pattern. In exchange
both carry exactly the same hours over any two weeks. With an odd number of shifts ``g = 1``:
strict alternation already gives both every shift type, and nobody works back to back. With one
member there is nothing to balance.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from math import gcd

from whoseonfirst_core.domain.timeutil import (
    WEEKDAY_ABBR,
    local_date,
    to_utc,
    wall_span,
)

MINUTES_PER_WEEK = 7 * 24 * 60
MAX_SHIFT_HOURS = 168


@dataclass(frozen=True, slots=True)
class ShiftDef:
    """One shift of the weekly pattern; ``start_day`` 0 = Monday, ``start_time`` local."""

    name: str
    start_day: int
    start_time: time
    duration_hours: int

    @property
    def week_offset_minutes(self) -> int:
        return self.start_day * 1440 + self.start_time.hour * 60 + self.start_time.minute

    def label(self) -> str:
        day = WEEKDAY_ABBR[self.start_day]
        return f"{self.name} ({day} {self.start_time:%H:%M}, {self.duration_hours}h)"


def default_pattern() -> tuple[ShiftDef, ...]:
    """The team's current practice: all at 08:00; Mon 24 h, Tue-Wed 48 h, Thu-Sun 24 h each."""
    eight = time(8, 0)
    return (
        ShiftDef("Monday", 0, eight, 24),
        ShiftDef("Tuesday-Wednesday", 1, eight, 48),
        ShiftDef("Thursday", 3, eight, 24),
        ShiftDef("Friday", 4, eight, 24),
        ShiftDef("Saturday", 5, eight, 24),
        ShiftDef("Sunday", 6, eight, 24),
    )


def ordered(pattern: Sequence[ShiftDef]) -> tuple[ShiftDef, ...]:
    return tuple(sorted(pattern, key=lambda s: (s.week_offset_minutes, s.name)))


def validate_pattern(pattern: Sequence[ShiftDef]) -> list[str]:
    """Every problem with ``pattern``, as sentences an admin can act on; empty when valid."""
    problems: list[str] = []
    if not pattern:
        return ["the shift pattern is empty: add at least one shift"]
    seen: set[str] = set()
    for s in pattern:
        if not s.name.strip():
            problems.append("a shift has an empty name")
        elif s.name.strip().lower() in seen:
            problems.append(f"two shifts are named {s.name!r}: names must differ")
        seen.add(s.name.strip().lower())
        if len(s.name) > 60:
            problems.append(f"shift name {s.name[:20]!r}… is longer than 60 characters")
        if not 0 <= s.start_day <= 6:
            problems.append(f"shift {s.name!r}: start day must be Monday to Sunday")
        if not 1 <= s.duration_hours <= MAX_SHIFT_HOURS:
            problems.append(
                f"shift {s.name!r}: duration {s.duration_hours} h is outside 1-{MAX_SHIFT_HOURS} h"
            )
    if problems:
        return problems
    items = ordered(pattern)
    total = sum(s.duration_hours * 60 for s in items)
    if total > MINUTES_PER_WEEK:
        problems.append(f"the shifts add up to {total // 60} h, more than the 168 h of a week")
    for i, a in enumerate(items):
        b = items[(i + 1) % len(items)]
        if len(items) == 1:
            break
        a_end = a.week_offset_minutes + a.duration_hours * 60
        b_start = b.week_offset_minutes + (MINUTES_PER_WEEK if i + 1 == len(items) else 0)
        if a_end > b_start:
            problems.append(f"shift {a.label()} overlaps shift {b.label()}")
    return problems


def pattern_gaps(pattern: Sequence[ShiftDef]) -> list[tuple[int, int]]:
    """Uncovered stretches of the nominal week as (start minute, length in minutes)."""
    items = ordered(pattern)
    if not items:
        return [(0, MINUTES_PER_WEEK)]
    gaps: list[tuple[int, int]] = []
    for i, a in enumerate(items):
        b = items[(i + 1) % len(items)]
        a_end = a.week_offset_minutes + a.duration_hours * 60
        b_start = b.week_offset_minutes + (MINUTES_PER_WEEK if i + 1 == len(items) else 0)
        if b_start > a_end:
            gaps.append((a_end % MINUTES_PER_WEEK, b_start - a_end))
    return gaps


@dataclass(frozen=True, slots=True)
class Occurrence:
    """A concrete shift: the pattern's shift on a given week, instants in UTC."""

    shift: ShiftDef
    start: datetime
    end: datetime


def occurrences(pattern: Sequence[ShiftDef], tz: tzinfo, first_day: date) -> Iterator[Occurrence]:
    """The pattern's shifts in time order, from the first one starting on or after ``first_day``."""
    items = ordered(pattern)
    if not items:
        return
    monday = first_day - timedelta(days=first_day.weekday())
    while True:
        for s in items:
            day = monday + timedelta(days=s.start_day)
            if day < first_day:
                continue
            start, end = wall_span(day, s.start_time, s.duration_hours, tz)
            yield Occurrence(s, start, end)
        monday += timedelta(days=7)


def assign_position(seq: int, team_size: int, pattern_length: int, start_index: int = 0) -> int:
    """Rotation position (0-based) of the member who takes the ``seq``-th shift of an epoch."""
    if team_size <= 0:
        raise ValueError("nobody to assign: the rotation has no active members")
    if seq < 0:
        raise ValueError("seq counts from 0")
    g = gcd(team_size, pattern_length)
    if team_size >= 2 and g > 1:
        block = team_size * pattern_length // g
        return (start_index + seq + seq // block) % team_size
    return (start_index + seq) % team_size


def full_cycle_shifts(team_size: int, pattern_length: int) -> int:
    """Shifts in one full cycle, after which counts and shift types are exactly balanced."""
    return max(team_size, 1) * pattern_length


@dataclass(frozen=True, slots=True)
class Epoch:
    """A stretch of rotation with one team order and one pattern, from ``effective_from``."""

    effective_from: date
    member_ids: tuple[int, ...]
    pattern: tuple[ShiftDef, ...]
    start_index: int = 0


@dataclass(frozen=True, slots=True)
class PlannedEntry:
    seq: int
    shift_name: str
    start: datetime
    end: datetime
    member_id: int


def plan_entries(
    epoch: Epoch,
    tz: tzinfo,
    until: datetime,
    *,
    after_seq: int = -1,
    stop_before: date | None = None,
) -> list[PlannedEntry]:
    """Entries of ``epoch`` with ``seq > after_seq`` that start before ``until`` (UTC).

    ``stop_before`` (local date) ends the epoch where the next one takes over.
    Deterministic: the same epoch always yields the same entries, so extending the horizon
    only appends (P4, P5).
    """
    n = len(epoch.member_ids)
    k = len(epoch.pattern)
    if n == 0 or k == 0:
        return []
    until = to_utc(until)
    out: list[PlannedEntry] = []
    for seq, occ in enumerate(occurrences(epoch.pattern, tz, epoch.effective_from)):
        if occ.start >= until:
            break
        if stop_before is not None and local_date(occ.start, tz) >= stop_before:
            break
        if seq <= after_seq or occ.end <= occ.start:
            # A shift lying wholly inside a spring-forward gap (a 1 h shift at 02:00 in
            # Chicago) does not happen that day; it keeps its place in the sequence.
            continue
        pos = assign_position(seq, n, k, epoch.start_index)
        out.append(PlannedEntry(seq, occ.shift.name, occ.start, occ.end, epoch.member_ids[pos]))
    return out


def next_epoch_start_index(
    old: Epoch, tz: tzinfo, effective_from: date, new_member_ids: Sequence[int]
) -> int:
    """Where a new epoch from ``effective_from`` starts, so the rotation carries on.

    The member the old epoch would have given the first shift on/after ``effective_from`` starts
    the new epoch; if they have left, the next one after them in the old order who remains.
    """
    if not new_member_ids:
        return 0
    if not old.member_ids or not old.pattern:
        return 0
    n, k = len(old.member_ids), len(old.pattern)
    seq = 0
    for occ in occurrences(old.pattern, tz, old.effective_from):
        if local_date(occ.start, tz) >= effective_from:
            break
        seq += 1
    pos = assign_position(seq, n, k, old.start_index)
    for step in range(n):
        candidate = old.member_ids[(pos + step) % n]
        if candidate in new_member_ids:
            return list(new_member_ids).index(candidate)
    return 0
