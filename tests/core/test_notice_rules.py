"""The pure rules of change notices: interval sets, the difference, when a notice is due (delay,
quiet hours, DST) and the quiet save's arithmetic."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from whoseonfirst_core.domain.intervals import (
    Interval,
    clip,
    containing,
    from_json,
    subtract,
    to_json,
    union,
)
from whoseonfirst_core.domain.notices import (
    Difference,
    NoticeSettings,
    QuietHours,
    absorbed,
    difference,
    due,
    parse_quiet_hours,
    quietly_changed,
    told_until,
)

CHI = ZoneInfo("America/Chicago")
T0 = datetime(2026, 3, 2, 14, tzinfo=UTC)  # Mon 08:00 CST


def h(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def iv(a: float, b: float) -> Interval:
    return (h(a), h(b))


# --- interval sets: checked against sets of whole hours -------------------------------------

hour_intervals = st.lists(
    st.tuples(st.integers(0, 48), st.integers(0, 48)).map(lambda p: iv(min(p), max(p))),
    max_size=6,
)


def hours_of(intervals: tuple[Interval, ...] | list[Interval]) -> set[int]:
    out: set[int] = set()
    for s, e in intervals:
        out |= set(
            range(int((s - T0).total_seconds() // 3600), int((e - T0).total_seconds() // 3600))
        )
    return out


@given(hour_intervals, hour_intervals)
def test_union_subtract_and_clip_are_set_operations(a: list[Interval], b: list[Interval]) -> None:
    u = union(a)
    assert hours_of(u) == hours_of(a)
    assert all(x[1] < y[0] for x, y in itertools.pairwise(u))  # sorted, disjoint, apart
    assert hours_of(subtract(a, b)) == hours_of(a) - hours_of(b)
    assert hours_of(clip(a, h(10), h(30))) == hours_of(a) & set(range(10, 30))
    assert from_json(to_json(u)) == u


def test_containing_is_half_open() -> None:
    stretch = (iv(0, 24),)
    assert containing(stretch, h(0)) == iv(0, 24)
    assert containing(stretch, h(24)) is None


# --- the difference -------------------------------------------------------------------------


def test_a_future_cover_is_one_removed_stretch_for_the_relieved() -> None:
    told = [iv(0, 24)]  # Mon 08:00 → Tue 08:00
    current = [iv(0, 4), iv(10, 24)]  # Cal covers 12:00–18:00
    diff = difference(told, current, h(-5), h(100))
    assert diff == Difference(removed=(iv(4, 10),))


def test_a_running_stretch_that_ends_is_off_call_and_says_no_more() -> None:
    diff = difference([iv(0, 24)], [iv(0, 6)], h(6), h(100))
    assert diff == Difference(off_call_now=True)
    assert diff.running


def test_a_running_stretch_that_moves_its_end_is_on_call_until_the_new_end() -> None:
    diff = difference([iv(0, 24)], [iv(0, 48)], h(6), h(100))
    assert diff == Difference(on_call_now=iv(6, 48))
    assert difference([iv(0, 24)], [iv(0, 12)], h(6), h(100)) == Difference(on_call_now=iv(6, 12))


def test_nothing_outside_the_window_or_in_the_past_counts() -> None:
    assert difference([iv(0, 24)], [], h(30), h(100)).empty  # ended
    assert difference([], [iv(200, 224)], h(0), h(100)).empty  # beyond the window


def test_the_digest_changes_with_the_difference() -> None:
    a = Difference(added=(iv(30, 54),))
    assert a.digest() == Difference(added=(iv(30, 54),)).digest()
    assert a.digest() != Difference(added=(iv(30, 55),)).digest()


# --- when a notice is due -------------------------------------------------------------------

SETTINGS = NoticeSettings()  # 14 days, 2 minutes, 21:00–07:00


def test_the_delay_counts_from_when_the_difference_was_seen() -> None:
    diff = Difference(added=(iv(72, 96),))
    assert due(diff, h(2), h(2), SETTINGS, CHI) == (h(2) + timedelta(minutes=2), "delay")
    assert due(diff, h(2), h(3), SETTINGS, CHI) == (h(3), "delay")  # late tick: now


def test_quiet_hours_hold_a_notice_about_a_later_shift_until_0700_exactly() -> None:
    ten_pm = datetime(2026, 3, 3, 4, tzinfo=UTC)  # Mon 22:00 CST
    later = Difference(added=((ten_pm + timedelta(days=3), ten_pm + timedelta(days=4)),))
    assert due(later, ten_pm, ten_pm, SETTINGS, CHI) == (
        datetime(2026, 3, 3, 13, tzinfo=UTC),  # Tue 07:00:00 CST
        "quiet_hours",
    )
    soon = Difference(added=((ten_pm + timedelta(hours=10), ten_pm + timedelta(hours=34)),))
    assert due(soon, ten_pm, ten_pm, SETTINGS, CHI)[1] == "delay"
    running = Difference(off_call_now=True)
    assert due(running, ten_pm, ten_pm, SETTINGS, CHI) == (ten_pm, "now")
    off = NoticeSettings(quiet=None)
    assert due(later, ten_pm, ten_pm, off, CHI)[1] == "delay"


def test_quiet_hours_end_at_local_time_across_the_dst_change() -> None:
    quiet = QuietHours(time(21), time(7))
    sat_night = datetime(2026, 3, 8, 3, tzinfo=UTC)  # Sat 3/7 21:00 CST; DST starts Sun 02:00
    assert quiet.end_after(sat_night, CHI) == datetime(2026, 3, 8, 12, tzinfo=UTC)  # 07:00 CDT
    assert quiet.end_after(datetime(2026, 3, 8, 13, tzinfo=UTC), CHI) is None  # 08:00 CDT
    day = QuietHours(time(12), time(13))  # a quiet hour that does not span midnight
    assert day.end_after(datetime(2026, 3, 2, 18, 30, tzinfo=UTC), CHI) == datetime(
        2026, 3, 2, 19, tzinfo=UTC
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("21:00", 'write them as "21:00-07:00"'),
        ("25:00-07:00", "not a time of day"),
        ("9pm-7am", "not a time like 07:00"),
        ("07:00-07:00", "the same time"),
    ],
)
def test_quiet_hours_that_cannot_be_read_say_why(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_quiet_hours(text)


def test_quiet_hours_off() -> None:
    assert parse_quiet_hours(None) is None and parse_quiet_hours("off") is None
    assert str(parse_quiet_hours(" 22:30-06:15 ")) == "22:30-06:15"


def test_the_told_state_reaches_to_the_end_of_the_day_after_the_window() -> None:
    assert told_until(h(0), SETTINGS, CHI) == datetime(2026, 3, 17, 5, tzinfo=UTC)  # CDT midnight


# --- silent recording -----------------------------------------------------------------------


def test_absorbing_keeps_what_is_compared_and_takes_what_lies_beyond() -> None:
    told = [iv(0, 24)]
    current = [iv(0, 10), iv(300, 324)]
    assert absorbed(told, current, h(1), h(200), h(400)) == (iv(1, 24), iv(300, 324))


def test_a_quiet_change_takes_only_what_it_moved() -> None:
    told = [iv(0, 24)]  # told of Monday; a waiting change has since removed it
    before = [iv(48, 72)]
    after = [iv(48, 60)]  # the quiet save shortens Wednesday
    assert quietly_changed(told, before, after) == (iv(0, 24),)  # Monday still to be told
    assert quietly_changed([iv(0, 24), iv(48, 72)], before, after) == (iv(0, 24), iv(48, 60))
