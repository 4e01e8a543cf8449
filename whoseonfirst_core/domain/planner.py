"""The planner: time off, conflicts, fair cover suggestions and the fairness ledger (pure).

Every instant is aware UTC; local dates and wall times (weekends, nights, holidays, whole days
of time off) are read in the team's zone ``tz``. Hours are real elapsed hours, so a 24 h shift
across a DST change counts 23 or 25.
"""

from __future__ import annotations

import bisect
import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo

from whoseonfirst_core.domain.resolution import ResolvedSpan
from whoseonfirst_core.domain.timeutil import day_start, local_date, local_instant, parse_instant

#: Night hours are those between these local wall times (22:00–06:00).
NIGHT_STARTS = time(22, 0)
NIGHT_ENDS = time(6, 0)


@dataclass(frozen=True, slots=True)
class TimeOff:
    """Member ``member_id`` is away during ``[start, end)``."""

    id: int
    member_id: int
    start: datetime
    end: datetime
    reason: str


@dataclass(frozen=True, slots=True)
class Conflict:
    """The span ``[span_start, span_end)`` puts ``member_id`` on call while time off
    ``time_off_id`` says they are away; ``reason`` reads ``"time off: vacation"``."""

    span_start: datetime
    span_end: datetime
    member_id: int
    time_off_id: int
    reason: str
    #: The part of the span the person is away: what a cover has to take.
    away_start: datetime
    away_end: datetime


@dataclass(frozen=True, slots=True)
class Suggestion:
    """Cover ``[start, end)``, where ``away_member_id`` is on call but away, by
    ``suggested_member_id`` (None: nobody is available); ``reason`` says why that person."""

    start: datetime
    end: datetime
    away_member_id: int
    suggested_member_id: int | None
    reason: str
    #: What the cover is for: the conflict's reason (``"time off: vacation"``) and time off.
    conflict: str
    time_off_id: int


@dataclass(frozen=True, slots=True)
class LedgerRow:
    """What one member carried in a window. Hours are real hours (floats)."""

    member_id: int
    shifts: int = 0
    hours: float = 0.0
    weekend_hours: float = 0.0
    holiday_hours: float = 0.0
    night_hours: float = 0.0
    covers_given: int = 0
    covers_received: int = 0
    time_off_days: int = 0


def conflict_reason(reason: str) -> str:
    """``"time off: vacation"`` (``"time off"`` when no reason was given)."""
    reason = reason.strip()
    return f"time off: {reason}" if reason else "time off"


def whole_days(first: date, last: date, tz: tzinfo) -> tuple[datetime, datetime]:
    """Time off given as dates: from the start of ``first`` to the start of the day after
    ``last`` (both ends included), as UTC instants."""
    return day_start(first, tz), day_start(last + timedelta(days=1), tz)


def as_whole_days(start: datetime, end: datetime, tz: tzinfo) -> tuple[date, date] | None:
    """``(first, last)`` when ``[start, end)`` is exactly whole local days, else None (the
    inverse of :func:`whole_days`; the roster file writes such time off as dates)."""
    first, after = local_date(start, tz), local_date(end, tz)
    if day_start(first, tz) != start or day_start(after, tz) != end or after <= first:
        return None
    return first, after - timedelta(days=1)


class _AwayIndex:
    """Each member's time off, sorted, for "is X away during [a, b)?" in O(log n)."""

    def __init__(self, time_off: Sequence[TimeOff]) -> None:
        by_member: dict[int, list[TimeOff]] = {}
        for t in sorted(time_off, key=lambda t: (t.start, t.id)):
            if t.end > t.start:
                by_member.setdefault(t.member_id, []).append(t)
        self._by_member = by_member
        # A member's entries may overlap, so keep the running maximum of their ends.
        self._starts = {m: [t.start for t in ts] for m, ts in by_member.items()}
        self._max_end: dict[int, list[datetime]] = {}
        for m, ts in by_member.items():
            ends: list[datetime] = []
            for t in ts:
                ends.append(max(ends[-1], t.end) if ends else t.end)
            self._max_end[m] = ends

    def overlapping(self, member_id: int, start: datetime, end: datetime) -> list[TimeOff]:
        ts = self._by_member.get(member_id)
        if not ts:
            return []
        hi = bisect.bisect_left(self._starts[member_id], end)
        lo = bisect.bisect_right(self._max_end[member_id], start, hi=hi)
        return [t for t in ts[lo:hi] if t.end > start]

    def away(self, member_id: int, start: datetime, end: datetime) -> bool:
        return bool(self.overlapping(member_id, start, end))


def conflicts(spans: Sequence[ResolvedSpan], time_off: Sequence[TimeOff]) -> list[Conflict]:
    """Every (span, time off) pair where the person on call in the span is away during part
    of it, in time order. A span overlapped by two entries of time off gives two conflicts."""
    index = _AwayIndex(time_off)
    out: list[Conflict] = []
    for s in sorted(spans, key=lambda s: s.start):
        for t in index.overlapping(s.member_id, s.start, s.end):
            out.append(
                Conflict(
                    span_start=s.start,
                    span_end=s.end,
                    member_id=s.member_id,
                    time_off_id=t.id,
                    reason=conflict_reason(t.reason),
                    away_start=max(s.start, t.start),
                    away_end=min(s.end, t.end),
                )
            )
    return out


@dataclass(slots=True)
class _Load:
    hours: float = 0.0
    weekend_holiday_hours: float = 0.0


@dataclass(slots=True)
class _Occupancy:
    """Who is on call when: the spans with the suggestions made so far laid over them."""

    spans: list[ResolvedSpan]
    starts: list[datetime] = field(default_factory=list)
    covers: list[Suggestion] = field(default_factory=list)
    longest: timedelta = timedelta(0)

    def __post_init__(self) -> None:
        self.starts = [s.start for s in self.spans]

    def add(self, cover: Suggestion) -> None:
        """Lay ``cover`` over (covers come in the order of their starts)."""
        self.covers.append(cover)
        self.longest = max(self.longest, cover.end - cover.start)

    def at(self, instant: datetime) -> int | None:
        for c in reversed(self.covers):
            if c.start + self.longest <= instant:
                break  # this one and every earlier one ended before ``instant``
            if c.start <= instant < c.end and c.suggested_member_id is not None:
                return c.suggested_member_id
        i = bisect.bisect_right(self.starts, instant) - 1
        if i >= 0 and self.spans[i].start <= instant < self.spans[i].end:
            return self.spans[i].member_id
        return None


def _hours(a: datetime, b: datetime) -> float:
    return (b - a).total_seconds() / 3600


def suggest_covers(
    spans: Sequence[ResolvedSpan],
    time_off: Sequence[TimeOff],
    *,
    rotation: Sequence[int],
    ledger_rows: Sequence[LedgerRow],
    holidays: Mapping[date, str],
    tz: tzinfo,
    start: datetime,
    end: datetime,
) -> list[Suggestion]:
    """A cover for each conflict in ``[start, end)``, in time order, deterministic.

    ``spans``: the resolved schedule around the window (a little beyond both ends, so the
    spans just before and after each conflict are known). ``rotation``: the members who may
    cover, in rotation order. ``ledger_rows``: their load over the ledger window.

    The cover goes to a member who is not away during it and is not on call just before or
    just after the conflicting span or the cover (rest), with the fewest on-call hours, then
    the fewest weekend and holiday hours, then first in rotation order. Each suggestion
    counts in the load of the next ones, so a long absence is shared out.
    """
    ordered = sorted(spans, key=lambda s: s.start)
    index = _AwayIndex(time_off)
    load = {r.member_id: _Load(r.hours, r.weekend_hours + r.holiday_hours) for r in ledger_rows}
    for m in rotation:
        load.setdefault(m, _Load())
    rank = {m: i for i, m in enumerate(rotation)}
    occupancy = _Occupancy(ordered)
    out: list[Suggestion] = []
    tick = timedelta(microseconds=1)
    for c in conflicts(ordered, time_off):
        a, b = max(c.away_start, start), min(c.away_end, end)
        if a >= b:
            continue
        resting = {
            occupancy.at(c.span_start - tick),
            occupancy.at(c.span_end),
            occupancy.at(a - tick),
            occupancy.at(b),
        }
        free = [
            m for m in rotation if m != c.member_id and m not in resting and not index.away(m, a, b)
        ]
        if not free:
            suggestion = Suggestion(
                a,
                b,
                c.member_id,
                None,
                "nobody available: everyone else is away or on call just before or after",
                c.reason,
                c.time_off_id,
            )
        else:
            best = min(free, key=lambda m: (load[m].hours, load[m].weekend_holiday_hours, rank[m]))
            suggestion = Suggestion(
                a, b, c.member_id, best, _why(best, free, load), c.reason, c.time_off_id
            )
            carried = _split_hours(a, b, holidays, tz)
            extra = carried.weekend_hours + carried.holiday_hours
            load[best].hours += carried.hours
            load[best].weekend_holiday_hours += extra
            away = load.setdefault(c.member_id, _Load())
            away.hours -= carried.hours
            away.weekend_holiday_hours -= extra
        occupancy.add(suggestion)
        out.append(suggestion)
    return out


def _why(best: int, free: Sequence[int], load: Mapping[int, _Load]) -> str:
    mine = load[best]
    same_hours = [m for m in free if load[m].hours == mine.hours]
    hours = f"{mine.hours:.0f} h"
    if len(same_hours) == 1:
        return f"fewest on-call hours ({hours})"
    same_both = [
        m for m in same_hours if load[m].weekend_holiday_hours == mine.weekend_holiday_hours
    ]
    if len(same_both) == 1:
        return (
            f"fewest weekend and holiday hours ({mine.weekend_holiday_hours:.0f} h) "
            f"among those with {hours}"
        )
    return f"first in rotation order among those with {hours}"


@functools.lru_cache(maxsize=4096)
def _day_bounds(day: date, tz: tzinfo) -> tuple[datetime, datetime, datetime, datetime]:
    """The UTC instants of local ``day``'s start, 06:00, 22:00 and the next day's start."""
    return (
        day_start(day, tz),
        local_instant(day, NIGHT_ENDS, tz),
        local_instant(day, NIGHT_STARTS, tz),
        day_start(day + timedelta(days=1), tz),
    )


def _split_hours(a: datetime, b: datetime, holidays: Mapping[date, str], tz: tzinfo) -> LedgerRow:
    """``[a, b)`` as hours, weekend, holiday and night hours (``member_id`` 0)."""
    hours = weekend = holiday = night = 0.0
    day = local_date(a, tz)
    while True:
        lo, morning, evening, hi = _day_bounds(day, tz)
        if lo >= b:
            break
        x, y = max(a, lo), min(b, hi)
        if x < y:
            h = _hours(x, y)
            hours += h
            if day.weekday() >= 5:
                weekend += h
            if day in holidays:
                holiday += h
            for n0, n1 in ((lo, morning), (evening, hi)):
                nx, ny = max(x, n0), min(y, n1)
                if nx < ny:
                    night += _hours(nx, ny)
        day += timedelta(days=1)
    return LedgerRow(0, 0, hours, weekend, holiday, night)


def ledger(
    spans: Sequence[ResolvedSpan],
    time_off: Sequence[TimeOff],
    holidays: Mapping[date, str],
    tz: tzinfo,
    start: datetime,
    end: datetime,
    *,
    members: Sequence[int] = (),
) -> list[LedgerRow]:
    """Per member, what they carried in ``[start, end)`` (spans are cut to it).

    - ``shifts``: the schedule entries (or bare covers) they were on call in, wholly or partly;
    - ``hours``: real on-call hours after covers; ``weekend_hours`` on local Saturdays and
      Sundays, ``night_hours`` between 22:00 and 06:00 local, ``holiday_hours`` on a date of
      ``holidays``;
    - ``covers_given`` / ``covers_received``: each (cover, relieved person) pair counts once
      for the coverer and once for the person relieved;
    - ``time_off_days``: local days of the window on which they were away at some point.

    Rows come for ``members`` in that order, then for anyone else met, by id.
    """
    shifts: dict[int, set[tuple[str, int]]] = {}
    sums: dict[int, list[float]] = {}  # hours, weekend, holiday, night
    given: dict[int, set[tuple[int, int]]] = {}
    received: dict[int, set[tuple[int, int]]] = {}
    for s in spans:
        a, b = max(s.start, start), min(s.end, end)
        if a >= b:
            continue
        key = ("entry", s.entry_id) if s.entry_id is not None else ("cover", s.override_id or 0)
        shifts.setdefault(s.member_id, set()).add(key)
        part = _split_hours(a, b, holidays, tz)
        total = sums.setdefault(s.member_id, [0.0, 0.0, 0.0, 0.0])
        total[0] += part.hours
        total[1] += part.weekend_hours
        total[2] += part.holiday_hours
        total[3] += part.night_hours
        relieved = s.scheduled_member_id
        if s.override_id is not None and relieved is not None and relieved != s.member_id:
            pair = (s.override_id, relieved)
            given.setdefault(s.member_id, set()).add(pair)
            received.setdefault(relieved, set()).add(pair)
    away_days: dict[int, set[int]] = {}  # proleptic ordinals of local dates
    for t in time_off:
        a, b = max(t.start, start), min(t.end, end)
        if a < b:
            first, last = local_date(a, tz), local_date(b - timedelta(microseconds=1), tz)
            days = away_days.setdefault(t.member_id, set())
            days.update(range(first.toordinal(), last.toordinal() + 1))
    seen = set(members)
    others = sorted((set(sums) | set(received) | set(away_days)) - seen)
    rows: list[LedgerRow] = []
    for m in [*members, *others]:
        hours, weekend, holiday, night = sums.get(m, (0.0, 0.0, 0.0, 0.0))
        rows.append(
            LedgerRow(
                m,
                len(shifts.get(m, ())),
                hours,
                weekend,
                holiday,
                night,
                len(given.get(m, ())),
                len(received.get(m, ())),
                len(away_days.get(m, ())),
            )
        )
    return rows


def holiday_names(
    start: datetime, end: datetime, holidays: Mapping[date, str], tz: tzinfo
) -> str | None:
    """The names of the holidays on the local dates ``[start, end)`` touches, joined by
    ``"; "``, or None when it touches none."""
    day, last = local_date(start, tz), local_date(end - timedelta(microseconds=1), tz)
    names: list[str] = []
    while day <= last:
        if day in holidays:
            names.append(holidays[day])
        day += timedelta(days=1)
    return "; ".join(names) if names else None


def read_span(first: str, last: str, tz: tzinfo) -> tuple[datetime, datetime]:
    """Time off as people write it (the roster file, the command line): ``YYYY-MM-DD`` dates
    are whole local days, both included; ISO instants with an offset are the half-open
    ``[first, last)``. Raises ``ValueError`` for text that is neither."""
    start = (
        whole_days(_iso_day(first), _iso_day(first), tz)[0]
        if len(first) == 10
        else parse_instant(first)
    )
    end = (
        whole_days(_iso_day(last), _iso_day(last), tz)[1]
        if len(last) == 10
        else parse_instant(last)
    )
    return start, end


def _iso_day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a date (YYYY-MM-DD)") from None
