"""The one resolution function: overrides over the schedule, checked against a brute force."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from whoseonfirst_core.domain.resolution import (
    OverrideSpan,
    ScheduledEntry,
    coverage_gaps,
    on_call_at,
    resolve_on_call,
)

T0 = datetime(2026, 3, 2, 14, tzinfo=UTC)


def hours(h: int) -> datetime:
    return T0 + timedelta(hours=h)


@st.composite
def schedules(draw: st.DrawFn) -> tuple[list[ScheduledEntry], list[OverrideSpan]]:
    entries: list[ScheduledEntry] = []
    t = 0
    for i in range(draw(st.integers(0, 8))):
        t += draw(st.integers(0, 3))  # gaps allowed
        length = draw(st.integers(1, 48))
        entries.append(
            ScheduledEntry(i + 1, f"S{i}", hours(t), hours(t + length), draw(st.integers(1, 5)))
        )
        t += length
    overrides = []
    for j in range(draw(st.integers(0, 5))):
        a = draw(st.integers(0, max(t, 1)))
        b = draw(st.integers(a + 1, max(t, 1) + 5))
        overrides.append(OverrideSpan(100 + j, draw(st.integers(1, 6)), hours(a), hours(b)))
    return entries, overrides


def brute(entries: list[ScheduledEntry], overrides: list[OverrideSpan], at: datetime) -> int | None:
    covering = [o for o in overrides if o.start <= at < o.end]
    if covering:
        return max(covering, key=lambda o: o.override_id).member_id
    for e in entries:
        if e.start <= at < e.end:
            return e.member_id
    return None


@settings(max_examples=300, deadline=None)
@given(schedules())
def test_resolution_matches_brute_force_at_every_hour(
    data: tuple[list[ScheduledEntry], list[OverrideSpan]],
) -> None:
    entries, overrides = data
    spans = resolve_on_call(entries, overrides)
    for a, b in itertools.pairwise(spans):
        assert a.end <= b.start, "spans never overlap"
    end = max([e.end for e in entries] + [o.end for o in overrides] + [T0])
    h = 0
    while hours(h) < end + timedelta(hours=1):
        span = on_call_at(spans, hours(h))
        assert (span.member_id if span else None) == brute(entries, overrides, hours(h))
        h += 1


@settings(max_examples=200, deadline=None)
@given(schedules())
def test_each_entry_start_and_each_change_of_person_notifies(
    data: tuple[list[ScheduledEntry], list[OverrideSpan]],
) -> None:
    entries, overrides = data
    spans = resolve_on_call(entries, overrides)
    for prev, cur in zip([None, *spans], spans, strict=False):
        continues = (
            prev is not None
            and prev.end == cur.start
            and prev.entry_id == cur.entry_id
            and prev.member_id == cur.member_id
        )
        assert cur.notify == (not continues)
    starts = {e.start for e in entries}
    for s in spans:
        if s.start in starts and s.entry_id is not None:
            assert s.notify


def test_gaps_are_reported() -> None:
    entries = [
        ScheduledEntry(1, "A", hours(0), hours(8), 1),
        ScheduledEntry(2, "B", hours(10), hours(12), 2),
    ]
    spans = resolve_on_call(entries, [])
    gaps = coverage_gaps(spans, hours(-2), hours(14))
    assert [(g.start, g.end) for g in gaps] == [
        (hours(-2), hours(0)),
        (hours(8), hours(10)),
        (hours(12), hours(14)),
    ]


def test_override_in_a_gap_puts_the_coverer_on_call() -> None:
    entries = [ScheduledEntry(1, "A", hours(0), hours(8), 1)]
    spans = resolve_on_call(entries, [OverrideSpan(7, 3, hours(8), hours(10))])
    assert [(s.member_id, s.entry_id, s.notify) for s in spans] == [(1, 1, True), (3, None, True)]
