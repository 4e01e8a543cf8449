"""The planner over the database: time off, conflicts, suggestions applied as covers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from tests.core.helpers import d, load, roster
from whoseonfirst_core.db.models import AuditEntry
from whoseonfirst_core.db.session import Database, read_revision
from whoseonfirst_core.domain.planner import whole_days
from whoseonfirst_core.domain.timeutil import zone
from whoseonfirst_core.usecases import planner, schedule, team
from whoseonfirst_core.usecases.errors import UseCaseError

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)
TZ = zone("America/Chicago")


def members(db: Database) -> dict[str, int]:
    with db.reader() as uow:
        return {m.name: m.id for m in team.list_members(uow)}


def first_48h_shift(db: Database, member_id: int) -> tuple[datetime, datetime]:
    with db.reader() as uow:
        view = schedule.preview(uow, d("2026-03-02"), 42)
    return next(
        (s.start, s.end)
        for s in view.spans
        if s.member_id == member_id and s.end - s.start >= timedelta(hours=47)
    )


def vacation(db: Database, who: str) -> tuple[int, datetime, datetime]:
    """Two weeks away from the day after ``who``'s first 48 h shift starts: half of it."""
    ids = members(db)
    shift_start, _ = first_48h_shift(db, ids[who])
    first = shift_start.astimezone(TZ).date() + timedelta(days=1)
    start, end = whole_days(first, first + timedelta(days=13), TZ)
    with db.uow("admin") as uow:
        planner.add_time_off(uow, ids[who], start, end, "vacation", NOW)
        uow.commit()
    return ids[who], start, end


def test_two_weeks_away_conflict_on_exactly_the_spans_they_overlap(db: Database) -> None:
    load(db, roster(7))
    ann, start, end = vacation(db, "Ann")
    with db.reader() as uow:
        view = schedule.schedule_view(uow, start - timedelta(days=7), end + timedelta(days=7))
        found = planner.conflicts_in(uow, start - timedelta(days=7), end + timedelta(days=7))
    expected = [
        (s.start, s.end)
        for s in view.spans
        if s.member_id == ann and s.end > start and s.start < end
    ]
    assert [(c.span_start, c.span_end) for c in found] == expected
    assert len(expected) >= 2
    partial = found[0]
    assert partial.span_end - partial.span_start == timedelta(hours=48)
    assert partial.away_start == start > partial.span_start
    assert {c.reason for c in found} == {"time off: vacation"}
    assert {c.member_name for c in found} == {"Ann"}


def test_suggestions_never_pick_someone_away_or_next_to_the_span_and_applying_clears_them(
    db: Database,
) -> None:
    load(db, roster(7))
    ann, start, end = vacation(db, "Ann")
    ids = members(db)
    # Ben is away too, for the whole time: he must never be suggested.
    with db.uow("admin") as uow:
        planner.add_time_off(uow, ids["Ben"], start, end, "", NOW)
        uow.commit()
    lo, hi = start - timedelta(days=7), end + timedelta(days=7)
    with db.reader() as uow:
        suggestions = planner.suggest_covers_in(uow, lo, hi, NOW)
        spans = schedule.resolve_window(uow, lo - timedelta(days=7), hi + timedelta(days=7))
    assert suggestions and all(s.suggested_member_id is not None for s in suggestions)
    for s in suggestions:
        assert s.suggested_member_id not in (ids["Ben"], s.away_member_id)
        before = next(x for x in spans if x.end == s.start or x.start < s.start < x.end)
        assert s.suggested_member_id != before.member_id
        after = next(x for x in spans if x.start == s.end or x.start < s.end < x.end)
        assert s.suggested_member_id != after.member_id
    with db.uow("admin") as uow:
        created = planner.apply_suggestions(uow, NOW, suggestions)
        uow.commit()
    assert len(created) == len(suggestions)
    with db.reader() as uow:
        assert planner.conflicts_in(uow, lo, hi) == []
        assert {o.reason for o in created} <= {"time off: vacation", "time off"}
        assert planner.suggest_covers_in(uow, lo, hi, NOW) == []
    assert ann in {s.away_member_id for s in suggestions}


def test_suggestions_are_deterministic_and_share_a_long_absence_out(db: Database) -> None:
    load(db, roster(5))
    _, start, end = vacation(db, "Cal")
    with db.reader() as uow:
        first = planner.suggest_covers_in(uow, start, end, NOW)
        second = planner.suggest_covers_in(uow, start, end, NOW)
    assert first == second
    assert len({s.suggested_member_id for s in first}) >= min(2, len(first))


def test_time_off_is_audited_refuses_overlaps_and_cancels(db: Database) -> None:
    load(db, roster(3))
    ids = members(db)
    start, end = whole_days(d("2026-03-10"), d("2026-03-12"), TZ)
    with db.uow("admin") as uow:
        before = read_revision(uow.session)
        off = planner.add_time_off(uow, ids["Ann"], start, end, "  sick  ", NOW)
        uow.commit()
    with db.uow("admin") as uow:
        assert read_revision(uow.session) > before
        with pytest.raises(UseCaseError, match="Ann is already away from"):
            planner.add_time_off(uow, ids["Ann"], end - timedelta(hours=1), end, "", NOW)
        moved = planner.edit_time_off(uow, off.id, start, end + timedelta(days=1), "flu", NOW)
        uow.commit()
    assert (moved.reason, moved.end) == ("flu", end + timedelta(days=1))
    with db.uow("admin") as uow:
        assert planner.away_during(uow, ids["Ann"], end, end + timedelta(hours=1)) == moved
        assert planner.away_during(uow, ids["Ben"], start, end) is None
        planner.cancel_time_off(uow, off.id, NOW)
        uow.commit()
    with db.reader() as uow:
        assert planner.list_time_off(uow, start, end) == []
        actions = list(
            uow.session.scalars(
                select(AuditEntry.action)
                .where(AuditEntry.entity == "time_off")
                .order_by(AuditEntry.id)
            )
        )
    assert actions == ["time_off.add", "time_off.edit", "time_off.cancel"]


def test_time_off_must_end_after_it_starts(db: Database) -> None:
    load(db, roster(3))
    with db.uow("admin") as uow, pytest.raises(UseCaseError, match="end after it starts"):
        planner.add_time_off(uow, members(db)["Ann"], NOW, NOW, "", NOW)


def test_holiday_settings_are_checked_with_the_library(db: Database) -> None:
    load(db, roster(3))
    with db.uow("admin") as uow:
        with pytest.raises(UseCaseError, match="unknown holiday country 'XX'"):
            planner.set_holiday_settings(uow, NOW, "XX", None, {})
        with pytest.raises(UseCaseError, match="unknown subdivision 'ZZ' of US"):
            planner.set_holiday_settings(uow, NOW, "US", "ZZ", {})
        saved = planner.set_holiday_settings(
            uow, NOW, "us", "tx", {d("2026-12-31"): "Office closed"}
        )
        uow.commit()
    assert (saved.country, saved.subdivision) == ("US", "TX")
    with db.reader() as uow:
        days = planner.holidays_between(uow, d("2026-12-20"), d("2026-12-31"))
    assert days[d("2026-12-25")] == "Christmas Day"
    assert days[d("2026-12-31")] == "Office closed"


def test_a_roster_files_time_off_and_holidays_problems_are_listed_together(db: Database) -> None:
    from whoseonfirst_core.roster import RosterError, import_roster_data

    data = roster(3)
    data["time_off"] = [
        {"member": "Zed", "start": "2026-03-10", "end": "2026-03-12"},
        {"member": "Ann", "start": "2026-03-12", "end": "2026-03-10"},
        {"member": "Ben", "start": "soon", "end": "2026-03-10"},
    ]
    data["holidays"] = {"country": "US", "subdivision": "ZZ"}
    with db.uow("admin") as uow, pytest.raises(RosterError) as bad:
        import_roster_data(uow, NOW, data)
    assert bad.value.problems == [
        "time_off[1]: end must be on or after start",
        "time_off[2].start: 'soon' is not an ISO 8601 date-time",
        "holidays: unknown subdivision 'ZZ' of US: use one of AK, AL, AR, AS, AZ, CA, CO, CT, "
        "DC, DE, FL, GA, …",
        "time_off[0].member: no member named 'Zed'",
    ]
    data["holidays"] = {}
    data["time_off"] = [
        {"member": "Ann", "start": "2026-03-10", "end": "2026-03-12"},
        {"member": "Ann", "start": "2026-03-12T20:00:00-05:00", "end": "2026-03-13T08:00:00-05:00"},
    ]
    with db.uow("admin") as uow, pytest.raises(RosterError) as bad:
        import_roster_data(uow, NOW, data)
    assert bad.value.problems == ["time_off[1]: overlaps Ann's time off time_off[0]"]


def test_reading_holidays_uses_the_days_stored_when_they_were_saved(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    from whoseonfirst_core.usecases import holidays as team_days

    load(db, roster(3))
    with db.uow("admin") as uow:
        planner.set_holiday_settings(uow, NOW, "US", "TX", {})
        uow.commit()
    asked: list[list[int]] = []
    library = team_days.public_holidays

    def counted(country: str, subdivision: str | None, years: Any) -> dict[Any, str]:
        asked.append(sorted(years))
        return library(country, subdivision, years)

    monkeypatch.setattr(team_days, "public_holidays", counted)
    with db.reader() as uow:
        stored = planner.holidays_between(uow, d("2024-01-01"), d("2036-12-31"))
        assert asked == []
        assert stored[d("2026-07-03")] == "Independence Day (observed)"
        later = planner.holidays_between(uow, d("2037-01-01"), d("2037-01-01"))
    assert asked == [[2037]] and later == {d("2037-01-01"): "New Year's Day"}


def test_applied_suggestions_tell_the_people_like_any_cover(db: Database) -> None:
    from whoseonfirst_core.db.models import Notification
    from whoseonfirst_core.usecases import notices

    load(db, roster(7))
    with db.uow("service") as uow:
        notices.plan_notices(uow, NOW, actor="service")  # what everyone was told so far
        uow.commit()
    start, end = whole_days(d("2026-03-04"), d("2026-03-08"), TZ)
    with db.reader() as uow:
        thursday = schedule.span_at(uow, datetime(2026, 3, 5, 18, tzinfo=UTC))
    assert thursday is not None
    away = thursday.member_id
    with db.uow("admin") as uow:
        planner.add_time_off(uow, away, start, end, "vacation", NOW)
        suggestions = planner.suggest_covers_in(uow, start, end, NOW)
        planner.apply_suggestions(uow, NOW, suggestions)
        uow.commit()
    # The ticks see the difference, then tell it once quiet hours end (07:00 CST).
    for tick in (NOW + timedelta(minutes=1), NOW + timedelta(minutes=70)):
        with db.uow("service") as uow:
            notices.plan_notices(uow, tick, actor="service")
            uow.commit()
    with db.reader() as uow:
        told = {
            (n.member_id, n.body.split(". ", 1)[1][:1])
            for n in uow.session.scalars(
                select(Notification).where(Notification.kind == "change_notice")
            )
        }
    coverers = {s.suggested_member_id for s in suggestions}
    assert suggestions and None not in coverers
    assert told == {(away, "−")} | {(m, "+") for m in coverers}
