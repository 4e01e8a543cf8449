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
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta, tzinfo
from math import gcd
from typing import TypeVar

from whoseonfirst_core.domain.resolution import OverrideSpan, ScheduledEntry, resolve_on_call
from whoseonfirst_core.domain.timeutil import (
    WEEKDAY_ABBR,
    day_start,
    local_instant,
    to_utc,
    wall_span,
)

MINUTES_PER_WEEK = 7 * 24 * 60
_Tag = TypeVar("_Tag")
MAX_SHIFT_HOURS = 168
#: A week and a day: longer than any shift (``MAX_SHIFT_HOURS``, even across a DST change) and
#: than the weekly pattern's cycle. A window widened by it on each side sees every shift that
#: overlaps the window, and looking this far ahead finds the next shift start of any pattern.
SHIFT_MARGIN = timedelta(hours=MAX_SHIFT_HOURS) + timedelta(days=1)


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
    """A concrete shift: the pattern's shift on a given week, instants in UTC.

    ``day`` is its nominal local start date; ``slot`` = (the local Monday of its week, its
    place 0…k-1 among the pattern's shifts in time order) names it independently of its times.
    """

    shift: ShiftDef
    start: datetime
    end: datetime
    day: date
    slot: tuple[date, int]


def occurrences(pattern: Sequence[ShiftDef], tz: tzinfo, first_day: date) -> Iterator[Occurrence]:
    """The pattern's shifts in time order, from the first one starting on or after ``first_day``."""
    items = ordered(pattern)
    if not items:
        return
    monday = first_day - timedelta(days=first_day.weekday())
    while True:
        for i, s in enumerate(items):
            day = monday + timedelta(days=s.start_day)
            if day < first_day:
                continue
            start, end = wall_span(day, s.start_time, s.duration_hours, tz)
            yield Occurrence(s, start, end, day, (monday, i))
        monday += timedelta(days=7)


def assign_position(seq: int, team_size: int, pattern_length: int, start_index: int = 0) -> int:
    """Rotation position (0-based) of the member who takes the ``seq``-th shift of an epoch.

    ``seq`` includes the epoch's ``seq_offset``; it may be negative when an epoch continues
    another one exactly (see :func:`next_epoch`), the rule is the same on the whole line.
    """
    if team_size <= 0:
        raise ValueError("nobody to assign: the rotation has no active members")
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
    """A stretch of rotation with one team order and one pattern, from ``effective_from``.

    The ``seq``-th shift of the epoch goes to position
    ``assign_position(seq + seq_offset, n, k, start_index)``: ``start_index`` picks who begins,
    ``seq_offset`` lets an epoch continue the previous one's assignment exactly.
    """

    effective_from: date
    member_ids: tuple[int, ...]
    pattern: tuple[ShiftDef, ...]
    start_index: int = 0
    seq_offset: int = 0


@dataclass(frozen=True, slots=True)
class PlannedEntry:
    seq: int
    shift_name: str
    start: datetime
    end: datetime
    member_id: int
    slot: tuple[date, int] = (date.min, 0)


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
        if stop_before is not None and occ.day >= stop_before:
            break
        if seq <= after_seq or occ.end <= occ.start:
            # A shift lying wholly inside a spring-forward gap (a 1 h shift at 02:00 in
            # Chicago) does not happen that day; it keeps its place in the sequence.
            continue
        pos = assign_position(seq + epoch.seq_offset, n, k, epoch.start_index)
        out.append(
            PlannedEntry(seq, occ.shift.name, occ.start, occ.end, epoch.member_ids[pos], occ.slot)
        )
    return out


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _first_index(pattern: Sequence[ShiftDef], day: date) -> int:
    """Place in the week of the first of ``pattern``'s shifts on or after ``day``."""
    return sum(1 for s in pattern if s.start_day < day.weekday())


def _seq_at(epoch: Epoch, day: date) -> int:
    """``seq`` of ``epoch``'s first shift starting on or after local date ``day``."""
    k = len(epoch.pattern)
    weeks = (_monday(day) - _monday(epoch.effective_from)).days // 7
    return (
        weeks * k
        + _first_index(epoch.pattern, day)
        - _first_index(epoch.pattern, epoch.effective_from)
    )


def next_epoch_start_index(old: Epoch, effective_from: date, new_member_ids: Sequence[int]) -> int:
    """Where a new epoch from ``effective_from`` starts, so the rotation carries on.

    The member the old epoch would have given the first shift on/after ``effective_from`` starts
    the new epoch; if they have left, the next one after them in the old order who remains.
    """
    if not new_member_ids:
        return 0
    if not old.member_ids or not old.pattern:
        return 0
    n, k = len(old.member_ids), len(old.pattern)
    seq = _seq_at(old, effective_from)
    pos = assign_position(seq + old.seq_offset, n, k, old.start_index)
    for step in range(n):
        candidate = old.member_ids[(pos + step) % n]
        if candidate in new_member_ids:
            return list(new_member_ids).index(candidate)
    return 0


def next_epoch(
    prev: Epoch, effective_from: date, member_ids: tuple[int, ...], pattern: tuple[ShiftDef, ...]
) -> Epoch:
    """The epoch that follows ``prev`` from ``effective_from`` with these members and pattern.

    Minimal disruption: with the same members in the same order and a pattern with the same
    number of shifts (a duration or start-time tweak) the new epoch continues ``prev``'s
    assignment exactly: every slot (week, place in the week) keeps its person. Otherwise the
    rotation re-flows from the date: the person ``prev`` would have given the first shift on or
    after it starts (:func:`next_epoch_start_index`).
    """
    ordered_new = ordered(pattern)
    if member_ids and member_ids == prev.member_ids and len(pattern) == len(prev.pattern):
        k = len(pattern)
        weeks = (_monday(effective_from) - _monday(prev.effective_from)).days // 7
        offset = (
            prev.seq_offset
            + weeks * k
            - _first_index(prev.pattern, prev.effective_from)
            + _first_index(ordered_new, effective_from)
        )
        return Epoch(effective_from, member_ids, pattern, prev.start_index, offset)
    return Epoch(
        effective_from,
        member_ids,
        pattern,
        next_epoch_start_index(prev, effective_from, member_ids),
    )


# --- dated changes to the rotation ----------------------------------------------------------
#
# The rotation is not stored as "the current team"; it is the fold of dated *changes*, each a
# self-contained delta that never depends on the state when it was entered. That is what makes
# changes compose: entering "Eve leaves from Mon 12/14" and then "Monday becomes 20 h from
# Wed 12/02" gives the same rotation as entering them the other way round.

CHANGE_KINDS: tuple[str, ...] = ("join", "leave", "order", "pattern", "snapshot")


@dataclass(frozen=True, slots=True)
class RotationChange:
    """One dated change, in effect from local date ``effective_from``.

    - ``join``: ``member_id`` enters the rotation (at the end of the order if the order has never
      named them, else back at their old place);
    - ``leave``: ``member_id`` leaves the rotation (keeps their place in the order);
    - ``order``: ``order`` is the new rotation order; members it does not name follow, in their
      previous relative order;
    - ``pattern``: ``pattern`` is the new weekly pattern;
    - ``snapshot``: the whole state (``order``, ``members`` in the rotation, ``pattern``): the
      rotation's starting point.

    Any change may *pin* the epoch its date starts (``start_index``, ``seq_offset``): the epoch
    then begins at that position instead of continuing the one before, but only while the
    rotating members on that date are ``pin_members``. Pins keep epochs that predate dated
    changes exactly as they were; if an earlier change alters the team on that date later, the
    pin gives way to the usual continuation.
    """

    id: int
    effective_from: date
    kind: str
    member_id: int | None = None
    order: tuple[int, ...] = ()
    members: tuple[int, ...] = ()
    pattern: tuple[ShiftDef, ...] = ()
    start_index: int | None = None
    seq_offset: int | None = None
    pin_members: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class RotationState:
    """Who is known in which order, who of them is in the rotation, and the weekly pattern."""

    order: tuple[int, ...] = ()
    in_rotation: frozenset[int] = frozenset()
    pattern: tuple[ShiftDef, ...] = ()

    @property
    def member_ids(self) -> tuple[int, ...]:
        """Members in the rotation, in rotation order."""
        return tuple(m for m in self.order if m in self.in_rotation)


def apply_change(state: RotationState, change: RotationChange) -> RotationState:
    """``state`` with ``change`` applied (pure)."""
    if change.kind == "join" and change.member_id is not None:
        order = state.order if change.member_id in state.order else (*state.order, change.member_id)
        return RotationState(order, state.in_rotation | {change.member_id}, state.pattern)
    if change.kind == "leave" and change.member_id is not None:
        return RotationState(state.order, state.in_rotation - {change.member_id}, state.pattern)
    if change.kind == "order":
        named = tuple(dict.fromkeys(change.order))
        rest = tuple(m for m in state.order if m not in named)
        return RotationState(named + rest, state.in_rotation, state.pattern)
    if change.kind == "pattern":
        return RotationState(state.order, state.in_rotation, tuple(change.pattern))
    if change.kind == "snapshot":
        order = tuple(dict.fromkeys((*change.order, *change.members)))
        return RotationState(order, frozenset(change.members), tuple(change.pattern))
    raise ValueError(f"unknown rotation change kind {change.kind!r}")


def change_order(changes: Sequence[RotationChange]) -> list[RotationChange]:
    """Changes in the order they are folded: by date, and on one date in the order entered."""
    return sorted(changes, key=lambda c: (c.effective_from, c.id))


@dataclass(frozen=True, slots=True)
class FoldedDay:
    """The state after every change of ``day``; ``pin`` = (start_index, seq_offset) when the
    day's last change pins them (and its pin holds for that day's members)."""

    day: date
    state: RotationState
    pin: tuple[int, int] | None


def fold_changes(changes: Sequence[RotationChange]) -> list[FoldedDay]:
    """The state after each date that has changes, in date order."""
    out: list[FoldedDay] = []
    state = RotationState()
    pin: tuple[int, int] | None = None
    items = change_order(changes)
    for i, c in enumerate(items):
        state = apply_change(state, c)
        if c.start_index is not None and c.pin_members == state.member_ids:
            pin = (c.start_index, c.seq_offset or 0)
        else:
            pin = None
        if i + 1 == len(items) or items[i + 1].effective_from != c.effective_from:
            out.append(FoldedDay(c.effective_from, state, pin))
    return out


def state_on(changes: Sequence[RotationChange], day: date) -> RotationState:
    """The rotation state in effect on local date ``day``."""
    state = RotationState()
    for c in change_order(changes):
        if c.effective_from > day:
            break
        state = apply_change(state, c)
    return state


def derive_epochs(changes: Sequence[RotationChange]) -> list[Epoch]:
    """The epochs the changes make: one per date where the rotating members (in order) or the
    pattern change, each continuing the one before (:func:`next_epoch`) unless a snapshot pins
    its position. A pure function of the set of changes, whatever order they were entered in."""
    out: list[Epoch] = []
    for folded in fold_changes(changes):
        members, pattern = folded.state.member_ids, folded.state.pattern
        prev = out[-1] if out else None
        if folded.pin is not None:
            out.append(Epoch(folded.day, members, pattern, folded.pin[0], folded.pin[1]))
        elif prev is None:
            out.append(Epoch(folded.day, members, pattern))
        elif (members, pattern) != (prev.member_ids, prev.pattern):
            out.append(next_epoch(prev, folded.day, members, pattern))
    return out


def clip_to_floor(
    entries: Sequence[tuple[_Tag, PlannedEntry]], floor: datetime | None
) -> list[tuple[_Tag, PlannedEntry]]:
    """Tagged entries in time order, none starting before the end of the one before.

    Where a new epoch starts a shift while an earlier one still runs (a 48 h shift across the
    change date, or a new time zone moving the wall clock), the running shift keeps its end and
    the overlapping one starts when it ends; a shift wholly covered by it does not happen.
    ``floor`` is the end of what runs before the first entry (None: nothing). Tags (an epoch's
    row id, say) travel with their entries.
    """
    out: list[tuple[_Tag, PlannedEntry]] = []
    for tag, p in entries:
        if floor is not None:
            if p.end <= floor:
                continue
            if p.start < floor:
                p = replace(p, start=floor)
        out.append((tag, p))
        floor = p.end if floor is None else max(floor, p.end)
    return out


def meet_at_seam(
    entries: Sequence[tuple[_Tag, PlannedEntry]],
    floor: datetime | None,
    tz: tzinfo,
    previous_tz: tzinfo,
) -> list[tuple[_Tag, PlannedEntry]]:
    """Entries clipped at ``floor`` (:func:`clip_to_floor`) after the team's zone changed from
    ``previous_tz`` to ``tz``, with no hole at the seam.

    The shift running at the change keeps its end: its person was told it in the text at its
    start. A move east makes the next shift start before that end (clip_to_floor starts it
    there). A move west makes it start up to the difference of the two zones' offsets later;
    that part of the gap is the zone change's doing, so the next shift starts earlier by as
    much, at the latest where its wall-clock start would have been in the old zone. A gap the
    pattern itself has stays a gap.
    """
    out = clip_to_floor(entries, floor)
    if floor is None or not out or out[0][1].start <= floor:
        return out
    tag, first = out[0]
    wall = first.start.astimezone(tz)
    in_old_zone = local_instant(wall.date(), wall.time(), previous_tz)
    if in_old_zone < first.start:
        out[0] = (tag, replace(first, start=max(floor, in_old_zone)))
    return out


def timeline(
    epochs: Sequence[Epoch],
    tz: tzinfo,
    start: datetime,
    until: datetime,
    *,
    floor: datetime | None = None,
) -> list[PlannedEntry]:
    """The entries the epochs make that start in ``[start, until)`` (UTC), clipped like the
    stored schedule (:func:`clip_to_floor`; ``floor`` is the end of the entry running at
    ``start``)."""
    planned: list[tuple[int, PlannedEntry]] = []
    for i, epoch in enumerate(epochs):
        nxt = epochs[i + 1] if i + 1 < len(epochs) else None
        if nxt is not None and day_start(nxt.effective_from, tz) <= start:
            continue
        planned.extend(
            (i, p)
            for p in plan_entries(epoch, tz, until, stop_before=nxt.effective_from if nxt else None)
            if p.start >= start
        )
    return [p for _i, p in clip_to_floor(planned, floor)]


@dataclass(frozen=True, slots=True)
class SlotChange:
    """One slot whose resolved on-call pieces differ between two timelines.

    ``members_before`` / ``members_after`` are the people on call in the slot, in time order
    (the scheduled member, and coverers where overrides lie over it). ``start`` and
    ``shift_name`` are the slot's after the change when it still exists, else before.
    """

    slot: tuple[date, int]
    start: datetime
    shift_name: str
    members_before: tuple[int, ...]
    members_after: tuple[int, ...]

    @property
    def changes_hands(self) -> bool:
        return self.members_before != self.members_after


def _pieces(
    entries: Sequence[PlannedEntry], overrides: Sequence[OverrideSpan]
) -> dict[tuple[date, int], tuple[tuple[int, datetime, datetime], ...]]:
    spans = resolve_on_call(
        [
            ScheduledEntry(i, e.shift_name, e.start, e.end, e.member_id)
            for i, e in enumerate(entries)
        ],
        overrides,
    )
    out: dict[tuple[date, int], list[tuple[int, datetime, datetime]]] = {}
    for s in spans:
        if s.entry_id is None:
            continue
        pieces = out.setdefault(entries[s.entry_id].slot, [])
        if pieces and pieces[-1][0] == s.member_id and pieces[-1][2] == s.start:
            pieces[-1] = (s.member_id, pieces[-1][1], s.end)
        else:
            pieces.append((s.member_id, s.start, s.end))
    return {k: tuple(v) for k, v in out.items()}


def compare_slots(
    before: Sequence[PlannedEntry],
    after: Sequence[PlannedEntry],
    overrides: Sequence[OverrideSpan] = (),
) -> list[SlotChange]:
    """The slots whose resolved timeline differs, in time order: who is on call in each slot,
    and when, with ``overrides`` laid over both sides. A slot that exists on one side only
    (a pattern with another number of shifts) counts with nobody on the other side."""
    b, a = _pieces(before, overrides), _pieces(after, overrides)
    info = {e.slot: (e.start, e.shift_name) for e in before}
    info.update({e.slot: (e.start, e.shift_name) for e in after})
    out: list[SlotChange] = []
    for slot in sorted(set(b) | set(a), key=lambda s: (info[s][0], s)):
        pb, pa = b.get(slot, ()), a.get(slot, ())
        if pb != pa:
            start, name = info[slot]
            out.append(
                SlotChange(slot, start, name, tuple(p[0] for p in pb), tuple(p[0] for p in pa))
            )
    return out
