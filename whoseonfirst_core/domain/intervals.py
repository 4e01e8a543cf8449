"""Sets of instants as sorted, disjoint half-open intervals ``[start, end)`` (pure functions).

A person's on-call time is such a set: the union of their resolved spans, so a shift cut in two
by a cover reads as two stretches and two back-to-back shifts as one. Change notices compare
what a person was told with what the schedule says now as two of these sets.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

Interval = tuple[datetime, datetime]


def union(intervals: Iterable[Interval]) -> tuple[Interval, ...]:
    """The intervals merged: sorted, disjoint, touching ones joined, empty ones dropped."""
    out: list[Interval] = []
    for start, end in sorted(i for i in intervals if i[1] > i[0]):
        if out and start <= out[-1][1]:
            if end > out[-1][1]:
                out[-1] = (out[-1][0], end)
        else:
            out.append((start, end))
    return tuple(out)


def clip(intervals: Iterable[Interval], lo: datetime, hi: datetime) -> tuple[Interval, ...]:
    """The part of ``intervals`` inside ``[lo, hi)``."""
    return union((max(s, lo), min(e, hi)) for s, e in intervals if e > lo and s < hi)


def subtract(a: Iterable[Interval], b: Iterable[Interval]) -> tuple[Interval, ...]:
    """What of ``a`` is not in ``b``."""
    cut = union(b)
    out: list[Interval] = []
    for start, end in union(a):
        at = start
        for cs, ce in cut:
            if ce <= at or cs >= end:
                continue
            if cs > at:
                out.append((at, cs))
            at = max(at, ce)
            if at >= end:
                break
        if at < end:
            out.append((at, end))
    return tuple(out)


def containing(intervals: Iterable[Interval], at: datetime) -> Interval | None:
    """The interval that holds the instant ``at``, if any."""
    return next(((s, e) for s, e in intervals if s <= at < e), None)


def to_json(intervals: Iterable[Interval]) -> list[list[str]]:
    return [[s.isoformat(), e.isoformat()] for s, e in intervals]


def from_json(raw: Iterable[Iterable[str]]) -> tuple[Interval, ...]:
    pairs: list[Interval] = []
    for item in raw:
        start, end = (datetime.fromisoformat(v) for v in item)
        pairs.append((start, end))
    return union(pairs)
