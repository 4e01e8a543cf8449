"""The planner's pure rules: holidays, conflicts, the ledger across DST, the suggestion order."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import holidays
from hypothesis import given, settings
from hypothesis import strategies as st

from whoseonfirst_core.domain.holidays import check_region, team_holidays
from whoseonfirst_core.domain.planner import (
    LedgerRow,
    TimeOff,
    as_whole_days,
    conflicts,
    holiday_names,
    ledger,
    read_span,
    suggest_covers,
    whole_days,
)
from whoseonfirst_core.domain.resolution import ResolvedSpan
from whoseonfirst_core.domain.timeutil import local_instant, zone

TZ = zone("America/Chicago")


def span(member: int, day: date, hours: int = 24, entry: int | None = None) -> ResolvedSpan:
    from whoseonfirst_core.domain.timeutil import wall_span

    start, end = wall_span(day, datetime.min.time().replace(hour=8), hours, TZ)
    return ResolvedSpan(start, end, member, "S", entry or day.toordinal(), member, None, True)


def days(first: date, n: int, members: list[int]) -> list[ResolvedSpan]:
    """``n`` daily 24 h shifts from ``first`` at 08:00, round robin over ``members``."""
    return [span(members[i % len(members)], first + timedelta(days=i)) for i in range(n)]


def test_us_tx_2026_holidays_are_the_librarys_with_observed_days() -> None:
    ours = team_holidays("US", "TX", {}, [2026])
    theirs = holidays.country_holidays("US", subdiv="TX", years=2026, observed=True)
    assert ours == {d: str(n) for d, n in sorted(theirs.items())}
    assert ours[date(2026, 7, 3)] == "Independence Day (observed)"  # July 4th is a Saturday
    assert ours[date(2026, 3, 2)] == "Texas Independence Day"


def test_the_teams_own_dates_join_the_library() -> None:
    extra = {date(2026, 12, 31): "Office closed", date(2026, 12, 25): "Party"}
    ours = team_holidays("US", None, extra, [2026])
    assert ours[date(2026, 12, 31)] == "Office closed"
    assert ours[date(2026, 12, 25)] == "Christmas Day; Party"
    assert team_holidays(None, None, extra, [2027]) == {}
    assert team_holidays(None, None, extra, [2026]) == dict(sorted(extra.items()))


def test_a_bad_region_says_what_to_use() -> None:
    assert check_region(None, None) is None
    assert check_region("US", "TX") is None
    assert "two-letter ISO code" in str(check_region("XX", None))
    assert "unknown subdivision 'XX' of US: use one of AK, AL" in str(check_region("US", "XX"))
    assert "needs a country" in str(check_region(None, "TX"))


def test_dates_are_whole_local_days_both_ends_included_across_dst() -> None:
    start, end = whole_days(date(2026, 3, 7), date(2026, 3, 8), TZ)
    assert end - start == timedelta(hours=47)  # spring forward on the 8th
    assert as_whole_days(start, end, TZ) == (date(2026, 3, 7), date(2026, 3, 8))
    assert as_whole_days(start, end - timedelta(hours=1), TZ) is None
    assert read_span("2026-03-07", "2026-03-08", TZ) == (start, end)
    assert read_span("2026-03-07T08:00:00-06:00", "2026-03-08", TZ)[0] == datetime(
        2026, 3, 7, 14, tzinfo=UTC
    )


def test_conflicts_are_the_spans_of_the_person_away_with_the_part_away() -> None:
    spans = [span(1, date(2026, 3, 3), 48, entry=1), span(2, date(2026, 3, 5), entry=2)]
    away_from = local_instant(date(2026, 3, 4), datetime.min.time(), TZ)
    off = TimeOff(7, 1, away_from, away_from + timedelta(days=10), "vacation")
    other = TimeOff(8, 3, spans[0].start, spans[1].end, "")
    [c] = conflicts(spans, [off, other])
    assert (c.span_start, c.span_end, c.member_id, c.time_off_id) == (
        spans[0].start,
        spans[0].end,
        1,
        7,
    )
    assert (c.away_start, c.away_end, c.reason) == (away_from, spans[0].end, "time off: vacation")


def test_the_ledger_counts_real_hours_nights_weekends_and_holidays_across_dst() -> None:
    spring = span(1, date(2026, 3, 7))  # Sat 08:00 CST → Sun 08:00 CDT
    autumn = span(2, date(2026, 10, 31))  # Sat 08:00 CDT → Sun 08:00 CST
    christmas = span(3, date(2026, 12, 25))  # Fri → Sat
    window = (spring.start - timedelta(days=1), christmas.end + timedelta(days=1))
    rows = ledger(
        [spring, autumn, christmas],
        [],
        {date(2026, 12, 25): "Christmas Day"},
        TZ,
        *window,
        members=[1, 2, 3, 4],
    )
    assert rows == [
        LedgerRow(1, 1, 23.0, 23.0, 0.0, 7.0),
        LedgerRow(2, 1, 25.0, 25.0, 0.0, 9.0),
        LedgerRow(3, 1, 24.0, 8.0, 16.0, 8.0),
        LedgerRow(4),
    ]


def test_the_ledger_cuts_spans_to_the_window_and_counts_covers_and_days_away() -> None:
    base = span(1, date(2026, 3, 2), entry=5)
    cover = ResolvedSpan(base.start + timedelta(hours=12), base.end, 2, "S", 5, 1, 99, True)
    first = ResolvedSpan(base.start, cover.start, 1, "S", 5, 1, None, True)
    off = TimeOff(1, 1, cover.start, cover.end + timedelta(days=1), "")
    rows = ledger([first, cover], [off], {}, TZ, base.start + timedelta(hours=6), base.end)
    assert rows == [
        LedgerRow(1, 1, 6.0, 0.0, 0.0, 0.0, 0, 1, 2),
        LedgerRow(2, 1, 12.0, 0.0, 0.0, 8.0, 1, 0, 0),
    ]


def test_suggestions_rest_the_neighbours_and_prefer_the_least_loaded() -> None:
    spans = days(date(2026, 3, 2), 10, [1, 2, 3, 4, 5])
    target = spans[5]  # member 1, Sat 3/7
    off = TimeOff(1, 1, target.start, target.end, "vacation")
    load = [LedgerRow(2, hours=10), LedgerRow(3, hours=0), LedgerRow(4, hours=20)]
    load += [LedgerRow(5, hours=0)]
    [s] = suggest_covers(
        spans,
        [off],
        rotation=[1, 2, 3, 4, 5],
        ledger_rows=load,
        holidays={},
        tz=TZ,
        start=spans[0].start,
        end=spans[-1].end,
    )
    # 5 (before) and 2 (after) rest; 3 and ... have 0 h: 3 is first in rotation order among them.
    assert (s.start, s.end, s.away_member_id, s.suggested_member_id) == (
        target.start,
        target.end,
        1,
        3,
    )
    assert s.reason == "fewest on-call hours (0 h)"
    assert s.conflict == "time off: vacation"


def test_ties_go_to_fewer_weekend_and_holiday_hours_then_rotation_order() -> None:
    spans = days(date(2026, 3, 2), 10, [1, 2, 3, 4, 5, 6])
    target = spans[0]
    off = TimeOff(1, 1, target.start, target.end, "")
    kw: dict[str, Any] = {"holidays": {}, "tz": TZ, "start": spans[0].start, "end": spans[-1].end}
    heavy = [LedgerRow(3, hours=5, weekend_hours=5), LedgerRow(4, hours=5, holiday_hours=1)]
    heavy += [LedgerRow(5, hours=5, weekend_hours=2), LedgerRow(6, hours=9)]
    [s] = suggest_covers(spans, [off], rotation=[1, 2, 3, 4, 5, 6], ledger_rows=heavy, **kw)
    assert s.suggested_member_id == 4
    assert s.reason == "fewest weekend and holiday hours (1 h) among those with 5 h"
    even = [LedgerRow(m, hours=5) for m in (3, 4, 5)] + [LedgerRow(6, hours=9)]
    [s] = suggest_covers(spans, [off], rotation=[1, 2, 5, 4, 3, 6], ledger_rows=even, **kw)
    assert (s.suggested_member_id, s.reason) == (5, "first in rotation order among those with 5 h")


def test_nobody_available_is_said_and_a_long_absence_is_shared_out() -> None:
    spans = days(date(2026, 3, 2), 9, [1, 2, 3])
    away = TimeOff(1, 1, spans[0].start, spans[-1].end, "")
    kw: dict[str, Any] = {"holidays": {}, "tz": TZ, "start": spans[0].start, "end": spans[-1].end}
    found = suggest_covers(spans, [away], rotation=[1, 2, 3], ledger_rows=[], **kw)
    # The first has no span before it; the others have both neighbours on call.
    assert [s.suggested_member_id for s in found] == [3, None, None]
    assert found[1].reason.startswith("nobody available")
    spans = days(date(2026, 3, 2), 30, [1, 2, 3, 4, 5, 6])
    away = TimeOff(1, 1, spans[0].start, spans[-1].end, "")
    kw |= {"start": spans[0].start, "end": spans[-1].end}
    found = suggest_covers(spans, [away], rotation=[1, 2, 3, 4, 5, 6], ledger_rows=[], **kw)
    picked = [s.suggested_member_id for s in found]
    assert None not in picked and len(set(picked)) >= 3


def test_holiday_names_are_those_of_the_days_a_span_touches() -> None:
    s = span(1, date(2026, 12, 25))
    hol = {date(2026, 12, 25): "Christmas Day", date(2026, 12, 26): "Day After Christmas"}
    assert holiday_names(s.start, s.end, hol, TZ) == "Christmas Day; Day After Christmas"
    assert holiday_names(s.start, s.end, {}, TZ) is None


@given(
    team=st.integers(min_value=2, max_value=8),
    absences=st.lists(
        st.tuples(st.integers(0, 7), st.integers(0, 40 * 24), st.integers(1, 20 * 24)),
        max_size=12,
    ),
)
@settings(max_examples=150, deadline=None)
def test_a_suggestion_is_never_someone_away_or_on_call_next_to_it(
    team: int, absences: list[tuple[int, int, int]]
) -> None:
    members = list(range(1, team + 1))
    spans = days(date(2026, 3, 2), 40, members)
    origin = spans[0].start
    time_off = [
        TimeOff(i, m % team + 1, origin + timedelta(hours=a), origin + timedelta(hours=a + n), "")
        for i, (m, a, n) in enumerate(absences)
    ]
    found = suggest_covers(
        spans,
        time_off,
        rotation=members,
        ledger_rows=[],
        holidays={},
        tz=TZ,
        start=origin,
        end=spans[-1].end,
    )

    def on_call(at: datetime, made: list[Any]) -> int | None:
        for s in reversed(made):
            if s.start <= at < s.end and s.suggested_member_id is not None:
                return int(s.suggested_member_id)
        return next((s.member_id for s in spans if s.start <= at < s.end), None)

    tick = timedelta(microseconds=1)
    for i, s in enumerate(found):
        who = s.suggested_member_id
        if who is None:
            continue
        assert who != s.away_member_id
        assert not any(t.member_id == who and t.start < s.end and s.start < t.end for t in time_off)
        conflict = next(x for x in spans if x.start <= s.start < x.end)
        for at in (conflict.start - tick, conflict.end, s.start - tick, s.end):
            assert on_call(at, found[:i]) != who
