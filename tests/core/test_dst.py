"""Wall-clock times across DST changes, GoAlert-style tables.

Rules (``domain/timeutil.local_instant``): a wall-clock time that does not exist (the
spring-forward gap) resolves forward by the gap's length; an ambiguous one (the autumn fold) takes
its first occurrence; a shift ends at its nominal local start plus its duration in wall-clock
hours, so consecutive shifts tile the time line.
"""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.core.helpers import d, load, roster
from whoseonfirst_core.db.session import Database
from whoseonfirst_core.domain.rotation import ShiftDef, occurrences, ordered, validate_pattern
from whoseonfirst_core.domain.timeutil import day_start, local_instant, wall_span
from whoseonfirst_core.usecases import schedule

ZONES = (
    "America/Chicago",
    "America/Santiago",
    "Australia/Lord_Howe",
    "Europe/London",
    "Asia/Kathmandu",
)
YEARS = range(2025, 2031)


@pytest.mark.parametrize(
    ("zone_name", "day", "wall", "expected"),
    [
        # spring forward: the gap resolves forward by its length
        ("America/Chicago", "2026-03-08", "02:00", "2026-03-08T03:00:00-05:00"),
        ("America/Chicago", "2026-03-08", "02:30", "2026-03-08T03:30:00-05:00"),
        ("America/Chicago", "2026-03-08", "03:00", "2026-03-08T03:00:00-05:00"),
        ("America/Chicago", "2026-03-08", "01:59", "2026-03-08T01:59:00-06:00"),
        # fall back: the first occurrence
        ("America/Chicago", "2026-11-01", "01:00", "2026-11-01T01:00:00-05:00"),
        ("America/Chicago", "2026-11-01", "01:30", "2026-11-01T01:30:00-05:00"),
        ("America/Chicago", "2026-11-01", "02:00", "2026-11-01T02:00:00-06:00"),
        # Santiago changes at midnight: the day starts at 01:00 in September
        ("America/Santiago", "2026-09-06", "00:00", "2026-09-06T01:00:00-03:00"),
        ("America/Santiago", "2026-09-06", "00:30", "2026-09-06T01:30:00-03:00"),
        ("America/Santiago", "2026-04-04", "23:30", "2026-04-04T23:30:00-03:00"),
        ("America/Santiago", "2026-04-05", "00:00", "2026-04-05T00:00:00-04:00"),
        # Lord Howe moves by 30 minutes
        ("Australia/Lord_Howe", "2026-10-04", "02:00", "2026-10-04T02:30:00+11:00"),
        ("Australia/Lord_Howe", "2026-10-04", "02:15", "2026-10-04T02:45:00+11:00"),
        ("Australia/Lord_Howe", "2026-04-05", "01:45", "2026-04-05T01:45:00+11:00"),
        ("Australia/Lord_Howe", "2026-04-05", "02:00", "2026-04-05T02:00:00+10:30"),
        # London
        ("Europe/London", "2026-03-29", "01:30", "2026-03-29T02:30:00+01:00"),
        ("Europe/London", "2026-10-25", "01:30", "2026-10-25T01:30:00+01:00"),
        # Kathmandu: no DST, a 45-minute offset
        ("Asia/Kathmandu", "2026-03-08", "08:00", "2026-03-08T08:00:00+05:45"),
    ],
)
def test_wall_clock_resolution(zone_name: str, day: str, wall: str, expected: str) -> None:
    tz = ZoneInfo(zone_name)
    at = time.fromisoformat(wall)
    got = local_instant(date.fromisoformat(day), at, tz)
    assert got.tzinfo is UTC
    assert got.astimezone(tz).isoformat() == expected


def test_day_start_in_santiago_on_the_midnight_change() -> None:
    tz = ZoneInfo("America/Santiago")
    start = day_start(date(2026, 9, 6), tz)
    assert start.astimezone(tz).isoformat() == "2026-09-06T01:00:00-03:00"
    assert start.astimezone(tz).date() == date(2026, 9, 6)


def test_a_shift_in_the_gap_ends_at_its_nominal_end() -> None:
    tz = ZoneInfo("America/Chicago")
    start, end = wall_span(date(2026, 3, 8), time(2, 30), 24, tz)
    assert start.astimezone(tz).isoformat() == "2026-03-08T03:30:00-05:00"
    assert end.astimezone(tz).isoformat() == "2026-03-09T02:30:00-05:00"
    assert end - start == timedelta(hours=23)


def _transition_days(tz: ZoneInfo) -> list[date]:
    """Local dates in 2025-2030 on which the UTC offset changes."""
    out: list[date] = []
    day = date(YEARS[0], 1, 1)
    while day.year < YEARS[-1] + 1:
        a = datetime.combine(day, time(0, 0), tzinfo=UTC)
        if tz.utcoffset(a.replace(tzinfo=None)) != tz.utcoffset(
            (a + timedelta(days=1)).replace(tzinfo=None)
        ):
            out.append(day)
            out.append(day + timedelta(days=1))
        day += timedelta(days=1)
    return sorted(set(out))


def _exists(day: date, at: time, tz: ZoneInfo) -> bool:
    naive = datetime.combine(day, at)
    aware = naive.replace(tzinfo=tz)
    return aware.astimezone(UTC).astimezone(tz).replace(tzinfo=None) == naive


#: Weekly patterns that cover every hour of the week, with shift boundaries placed on the times
#: the zones above change at (00:00 Santiago, 01:00 London, 02:00 Chicago and Lord Howe, and
#: the half hours in between).
def _daily(at: time, hours: int = 24) -> tuple[ShiftDef, ...]:
    return tuple(ShiftDef(f"D{i}", i, at, hours) for i in range(7))


def _halves(first: time) -> tuple[ShiftDef, ...]:
    second = (datetime.combine(date(2000, 1, 1), first) + timedelta(hours=12)).time()
    return tuple(
        s
        for i in range(7)
        for s in (ShiftDef(f"A{i}", i, first, 12), ShiftDef(f"B{i}", i, second, 12))
    )


SWEEP_PATTERNS: dict[str, tuple[ShiftDef, ...]] = {
    **{f"daily {t}": _daily(time.fromisoformat(t)) for t in ("00:00", "00:30", "01:30", "02:30")},
    **{f"halves {t}": _halves(time.fromisoformat(t)) for t in ("00:00", "01:00", "02:00", "02:30")},
    "default 08:00": (
        ShiftDef("Mon", 0, time(8), 24),
        ShiftDef("Tue-Wed", 1, time(8), 48),
        *(ShiftDef(f"D{i}", i, time(8), 24) for i in range(3, 7)),
    ),
}


@pytest.mark.parametrize("zone_name", ZONES)
@pytest.mark.parametrize("pattern_name", sorted(SWEEP_PATTERNS))
def test_shifts_tile_and_start_at_their_wall_time_2025_to_2030(
    zone_name: str, pattern_name: str
) -> None:
    tz = ZoneInfo(zone_name)
    pattern = SWEEP_PATTERNS[pattern_name]
    assert validate_pattern(pattern) == []
    days = _transition_days(tz)
    if zone_name == "Asia/Kathmandu":
        assert days == []
        days = [date(2026, 3, 8), date(2026, 11, 1)]
    else:
        assert len(days) >= 2 * len(YEARS)
    checked = 0
    items = ordered(pattern)
    for day in days:
        monday = day - timedelta(days=day.weekday() + 7)
        nominal = [
            datetime.combine(monday + timedelta(days=7 * w + s.start_day), s.start_time)
            for w in range(3)
            for s in items
        ]
        occ = list(itertools.islice(occurrences(pattern, tz, monday), len(nominal)))
        for a, b in itertools.pairwise(occ):
            assert a.end == b.start, (zone_name, pattern_name, a, b)  # no hole, no overlap
        for o, want in zip(occ, nominal, strict=True):
            wall = o.start.astimezone(tz).replace(tzinfo=None)
            if _exists(want.date(), want.time(), tz):
                # the right wall time, at its first occurrence when it is ambiguous
                assert wall == want, (zone_name, pattern_name, o)
                assert o.start == min(
                    want.replace(tzinfo=tz, fold=f).astimezone(UTC) for f in (0, 1)
                )
            else:
                before = tz.utcoffset(want - timedelta(hours=3))
                after = tz.utcoffset(want + timedelta(hours=3))
                assert before is not None and after is not None
                assert wall == want + (after - before), (zone_name, pattern_name, o)  # forward
            assert o.end > o.start
            checked += 1
    assert checked > 0


@pytest.mark.parametrize(("at", "moved_to"), [("02:30", "03:30"), ("02:00", "03:00")])
def test_the_schedule_has_no_hole_on_spring_forward_day(
    db: Database, at: str, moved_to: str
) -> None:
    """Shifts at 02:30 (or 02:00): the one starting in the gap starts an hour later, in CDT, and
    the day before's ends there (the old code started it at 01:30 CST and left an hour with
    nobody on call the next day)."""
    shifts = [
        {"name": f"S{i}", "start_day": day, "start_time": at, "duration_hours": 24}
        for i, day in enumerate(
            ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
        )
    ]
    load(db, roster(3, shifts=shifts))
    tz = ZoneInfo("America/Chicago")
    with db.reader() as uow:
        view = schedule.preview(uow, d("2026-03-07"), 3)
    assert view.gaps == ()
    starts = [s.start.astimezone(tz).isoformat() for s in view.spans]
    assert f"2026-03-08T{moved_to}:00-05:00" in starts
    assert f"2026-03-09T{at}:00-05:00" in starts
    for a, b in itertools.pairwise(view.spans):
        assert a.end == b.start


def test_a_shift_wholly_inside_the_gap_does_not_happen_and_keeps_its_place() -> None:
    from whoseonfirst_core.domain.rotation import Epoch, plan_entries

    tz = ZoneInfo("America/Chicago")
    pattern = tuple(
        s
        for i in range(7)
        for s in (
            ShiftDef(f"A{i}", i, time(0), 2),
            ShiftDef(f"B{i}", i, time(2), 1),
            ShiftDef(f"C{i}", i, time(3), 21),
        )
    )
    assert validate_pattern(pattern) == []
    epoch = Epoch(date(2026, 3, 2), (1, 2, 3, 4), pattern)
    entries = plan_entries(epoch, tz, datetime(2026, 3, 16, tzinfo=UTC))
    # Sunday 03-08 02:00-03:00 does not exist: that B6 (seq 6 * 3 + 1) is skipped, the next
    # week's is not, and the sequence (so everybody's turn) is unchanged.
    assert [e.shift_name for e in entries].count("B6") == 1
    assert [e.seq for e in entries] == [s for s in range(len(entries) + 1) if s != 19]
    for a, b in itertools.pairwise(entries):
        assert a.end == b.start
