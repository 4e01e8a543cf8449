"""Rotation properties P1-P5 (SPEC §3), proven over team sizes 1-30 and several patterns, in
shift counts, shift types and hours."""

from __future__ import annotations

import itertools
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from math import gcd
from zoneinfo import ZoneInfo

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from whoseonfirst_core.domain.rotation import (
    Epoch,
    ShiftDef,
    assign_position,
    default_pattern,
    full_cycle_shifts,
    plan_entries,
    validate_pattern,
)

CHICAGO = ZoneInfo("America/Chicago")
EIGHT = time(8, 0)

PATTERNS: dict[str, tuple[ShiftDef, ...]] = {
    "default": default_pattern(),
    "seven daily": tuple(ShiftDef(f"D{d}", d, EIGHT, 24) for d in range(7)),
    "two half-week": (
        ShiftDef("Mon-Thu", 0, EIGHT, 84),
        ShiftDef("Thu-Mon", 3, time(20, 0), 84),
    ),
    "12h day/night": tuple(
        s
        for d in range(7)
        for s in (ShiftDef(f"Day{d}", d, EIGHT, 12), ShiftDef(f"Night{d}", d, time(20, 0), 12))
    ),
}


def test_patterns_are_valid() -> None:
    for name, pattern in PATTERNS.items():
        assert validate_pattern(pattern) == [], name


def sequence(n: int, k: int, length: int, start: int = 0) -> list[int]:
    return [assign_position(seq, n, k, start) for seq in range(length)]


team_sizes = st.integers(min_value=1, max_value=30)
pattern_names = st.sampled_from(sorted(PATTERNS))


@settings(max_examples=300, deadline=None)
@given(n=team_sizes, name=pattern_names, start=st.integers(0, 29), window=st.data())
def test_p1_count_fairness_in_any_window_and_equal_over_a_cycle(
    n: int, name: str, start: int, window: st.DataObject
) -> None:
    k = len(PATTERNS[name])
    start %= n
    cycle = full_cycle_shifts(n, k)
    seq = sequence(n, k, 3 * cycle, start)
    full = Counter(seq[:cycle])
    assert set(full) == set(range(n))
    assert len(set(full.values())) == 1, f"unequal over a full cycle: {full}"
    lo = window.draw(st.integers(0, 2 * cycle))
    hi = window.draw(st.integers(lo, 3 * cycle))
    counts = Counter(seq[lo:hi])
    values = [counts.get(p, 0) for p in range(n)]
    assert max(values) - min(values) <= 2, (lo, hi, values)


@settings(max_examples=300, deadline=None)
@given(n=team_sizes, name=pattern_names, start=st.integers(0, 29))
def test_p2_every_member_gets_every_shift_type_equally_over_a_cycle(
    n: int, name: str, start: int
) -> None:
    k = len(PATTERNS[name])
    cycle = full_cycle_shifts(n, k)
    seq = sequence(n, k, cycle, start % n)
    per_member: dict[int, Counter[int]] = {}
    for i, pos in enumerate(seq):
        per_member.setdefault(pos, Counter())[i % k] += 1
    for pos, types in per_member.items():
        assert set(types) == set(range(k)), f"member {pos} never gets {set(range(k)) - set(types)}"
        assert len(set(types.values())) == 1, f"member {pos}: {types}"


@settings(max_examples=300, deadline=None)
@given(n=team_sizes, name=pattern_names, start=st.integers(0, 29), cycles=st.integers(0, 5))
@example(n=2, name="default", start=0, cycles=0)
@example(n=6, name="default", start=1, cycles=2)
def test_every_member_carries_the_same_hours_over_a_full_cycle(
    n: int, name: str, start: int, cycles: int
) -> None:
    """Hours, not only counts: over every full cycle (``n`` weeks) of an epoch."""
    pattern = PATTERNS[name]
    k = len(pattern)
    cycle = full_cycle_shifts(n, k)
    offset = cycles * cycle
    seq = sequence(n, k, offset + cycle, start % n)[offset:]
    hours = Counter[int]()
    for i, pos in enumerate(seq):
        hours[pos] += pattern[(offset + i) % k].duration_hours
    assert set(hours) == set(range(n))
    assert len(set(hours.values())) == 1, f"unequal hours over a full cycle: {hours}"


@settings(max_examples=300, deadline=None)
@given(n=st.integers(3, 30), name=pattern_names, start=st.integers(0, 29))
def test_p3_nobody_works_back_to_back_with_three_or_more(n: int, name: str, start: int) -> None:
    k = len(PATTERNS[name])
    seq = sequence(n, k, 3 * full_cycle_shifts(n, k), start % n)
    for a, b in itertools.pairwise(seq):
        assert a != b


@pytest.mark.parametrize("name", sorted(PATTERNS))
def test_p3_two_members_at_most_one_back_to_back_pair_per_block(name: str) -> None:
    """Two people: strict alternation except once per block of ``lcm(2, k)`` shifts, where the
    two swap halves of the pattern (an odd ``k`` needs no swap at all)."""
    k = len(PATTERNS[name])
    block = 2 * k // gcd(2, k)
    seq = sequence(2, k, 20 * block)
    pairs = [i for i, (a, b) in enumerate(itertools.pairwise(seq)) if a == b]
    if k % 2:
        assert pairs == []
        return
    assert pairs == [j * block - 1 for j in range(1, 20)]  # the last shift of each block
    for lo in range(len(seq) - block):
        window = seq[lo : lo + block]
        assert sum(a == b for a, b in itertools.pairwise(window)) <= 1


@pytest.mark.parametrize("name", sorted(PATTERNS))
def test_two_members_carry_equal_hours_within_24h_over_any_four_weeks(name: str) -> None:
    """Real instants (DST included): hours on call inside any 4-week window, cut at its ends."""
    pattern = PATTERNS[name]
    epoch = Epoch(date(2026, 3, 2), (1, 2), pattern)
    entries = plan_entries(epoch, CHICAGO, datetime(2027, 4, 1, tzinfo=UTC))
    first = datetime(2026, 3, 2, 14, tzinfo=UTC)
    for step in range(0, 52 * 7 * 4):  # every 6 hours over a year
        lo = first + timedelta(hours=6 * step)
        hi = lo + timedelta(weeks=4)
        hours = Counter[int]()
        for e in entries:
            a, b = max(e.start, lo), min(e.end, hi)
            if a < b:
                hours[e.member_id] += (b - a).total_seconds() / 3600
        assert abs(hours[1] - hours[2]) <= 24, (name, lo, hours)


def test_two_members_and_the_default_pattern_both_get_the_48h_shift() -> None:
    """The old rule gave one of two people the Tue-Wed shift every week (96 h vs 72 h)."""
    epoch = Epoch(date(2026, 3, 2), (1, 2), default_pattern())
    entries = plan_entries(epoch, CHICAGO, datetime(2026, 3, 2, tzinfo=UTC) + timedelta(weeks=4))
    long = [e.member_id for e in entries if e.shift_name == "Tuesday-Wednesday"]
    assert long == [2, 1, 2, 1]
    durations = {s.name: s.duration_hours for s in default_pattern()}
    hours = Counter[int]()
    for e in entries:
        hours[e.member_id] += durations[e.shift_name]  # wall-clock hours
    assert hours[1] == hours[2] == 2 * 168


@pytest.mark.parametrize("n", [4, 6, 8])
def test_every_member_gets_the_48h_shift_within_one_full_cycle(n: int) -> None:
    pattern = default_pattern()
    epoch = Epoch(date(2026, 3, 2), tuple(range(100, 100 + n)), pattern)
    cycle_end = datetime(2026, 3, 2, tzinfo=UTC) + timedelta(weeks=n)
    entries = plan_entries(epoch, CHICAGO, cycle_end)
    assert len(entries) == n * len(pattern)
    got_48 = {e.member_id for e in entries if e.shift_name == "Tuesday-Wednesday"}
    assert got_48 == set(epoch.member_ids)
    counts = Counter(e.member_id for e in entries)
    assert set(counts.values()) == {len(pattern)}


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(1, 30),
    name=pattern_names,
    weeks=st.integers(1, 20),
    more=st.integers(1, 20),
)
def test_p4_p5_extending_the_horizon_only_appends(n: int, name: str, weeks: int, more: int) -> None:
    epoch = Epoch(date(2026, 3, 4), tuple(range(n)), PATTERNS[name])
    base = datetime(2026, 3, 4, tzinfo=UTC)
    short = plan_entries(epoch, CHICAGO, base + timedelta(weeks=weeks))
    long = plan_entries(epoch, CHICAGO, base + timedelta(weeks=weeks + more))
    assert long[: len(short)] == short
    again = plan_entries(epoch, CHICAGO, base + timedelta(weeks=weeks + more))
    assert again == long
    tail = plan_entries(
        epoch,
        CHICAGO,
        base + timedelta(weeks=weeks + more),
        after_seq=short[-1].seq if short else -1,
    )
    assert short + tail == long


def test_first_shift_is_the_first_starting_on_or_after_the_anchor() -> None:
    epoch = Epoch(date(2026, 3, 4), (1, 2, 3), default_pattern())  # a Wednesday
    first = plan_entries(epoch, CHICAGO, datetime(2026, 3, 10, tzinfo=UTC))[0]
    assert first.shift_name == "Thursday"
    assert first.member_id == 1
    assert first.start == datetime(2026, 3, 5, 14, 0, tzinfo=UTC)


def test_pattern_validation_messages() -> None:
    overlapping = [ShiftDef("A", 0, EIGHT, 48), ShiftDef("B", 1, EIGHT, 24)]
    assert any("overlaps" in p for p in validate_pattern(overlapping))
    wraps = [ShiftDef("A", 6, EIGHT, 48), ShiftDef("B", 0, EIGHT, 24)]
    assert any("overlaps" in p for p in validate_pattern(wraps))
    assert validate_pattern([]) == ["the shift pattern is empty: add at least one shift"]
    assert any("outside 1-168" in p for p in validate_pattern([ShiftDef("A", 0, EIGHT, 0)]))
    dup = [ShiftDef("A", 0, EIGHT, 1), ShiftDef("a", 1, EIGHT, 1)]
    assert any("two shifts are named" in p for p in validate_pattern(dup))
