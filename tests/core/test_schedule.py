"""The schedule in the database: generation, DST, horizon, team changes, overrides."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from tests.core.helpers import d, load, roster
from whoseonfirst_core.db.models import AuditEntry, ScheduleEntry
from whoseonfirst_core.db.session import Database
from whoseonfirst_core.domain.timeutil import day_start, iso_local, zone
from whoseonfirst_core.usecases import calendar, schedule, team
from whoseonfirst_core.usecases.errors import UseCaseError

CHI = zone("America/Chicago")
NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)


def rows(db: Database, first: str, days: int) -> list[tuple[str, str, str, str]]:
    with db.reader() as uow:
        view = schedule.preview(uow, d(first), days)
    return [
        (iso_local(s.start, CHI), iso_local(s.end, CHI), s.shift_name, s.member_name)
        for s in view.spans
    ]


def all_entries(db: Database) -> list[tuple[datetime, int]]:
    with db.reader() as uow:
        return [
            (e.start_at, e.member_id)
            for e in uow.session.scalars(select(ScheduleEntry).order_by(ScheduleEntry.start_at))
        ]


def test_default_pattern_across_both_dst_changes(db: Database) -> None:
    load(db, roster(7))
    spring = rows(db, "2026-03-02", 7)
    assert spring[0][:3] == ("2026-03-02T08:00:00-06:00", "2026-03-03T08:00:00-06:00", "Monday")
    assert spring[1][:3] == (
        "2026-03-03T08:00:00-06:00",
        "2026-03-05T08:00:00-06:00",
        "Tuesday-Wednesday",
    )
    assert spring[4][:3] == ("2026-03-07T08:00:00-06:00", "2026-03-08T08:00:00-05:00", "Saturday")
    assert spring[5][:3] == ("2026-03-08T08:00:00-05:00", "2026-03-09T08:00:00-05:00", "Sunday")
    with db.uow("t") as uow:
        schedule.extend_horizon(uow, datetime(2026, 10, 20, tzinfo=UTC))
        uow.commit()
    autumn = rows(db, "2026-10-31", 2)
    assert autumn[1][:3] == ("2026-10-31T08:00:00-05:00", "2026-11-01T08:00:00-06:00", "Saturday")
    assert autumn[2][:3] == ("2026-11-01T08:00:00-06:00", "2026-11-02T08:00:00-06:00", "Sunday")


def test_every_day_of_the_preview_is_covered(db: Database) -> None:
    load(db, roster(7))
    with db.reader() as uow:
        view = schedule.preview(uow, d("2026-03-03"), 70)
    # The only gap allowed is none: from the first shift on, every instant is covered.
    assert view.gaps == ()


def test_tuesday_wednesday_runs_tuesday_to_thursday(db: Database) -> None:
    load(db, roster(7))
    r = rows(db, "2026-03-04", 1)  # Wednesday only
    assert r == [
        ("2026-03-03T08:00:00-06:00", "2026-03-05T08:00:00-06:00", "Tuesday-Wednesday", "Ben")
    ]


def test_extending_the_horizon_never_changes_earlier_entries(db: Database) -> None:
    load(db, roster(5))
    before = all_entries(db)
    with db.uow("t") as uow:
        added = schedule.extend_horizon(uow, NOW + timedelta(weeks=20))
        uow.commit()
    after = all_entries(db)
    assert added > 0
    assert after[: len(before)] == before
    assert len(after) == len(before) + added


def test_adding_a_member_from_a_future_date_changes_nothing_before_it(db: Database) -> None:
    load(db, roster(5))
    before = all_entries(db)
    effective = d("2026-03-23")
    with db.uow("t") as uow:
        m = team.add_member(uow, NOW, name="Zed", phone="(312) 555-0199", effective_from=effective)
        uow.commit()
    after = all_entries(db)
    cut = day_start(effective, CHI)
    assert [e for e in after if e[0] < cut] == [e for e in before if e[0] < cut]
    assert any(mid == m.id for start, mid in after if start >= cut)
    assert not any(mid == m.id for start, mid in after if start < cut)


def test_deactivated_member_is_not_scheduled_after_the_date(db: Database) -> None:
    load(db, roster(5))
    with db.reader() as uow:
        ann = next(m for m in team.list_members(uow) if m.name == "Ann")
    with db.uow("t") as uow:
        team.set_member_active(uow, NOW, ann.id, False, d("2026-03-16"))
        uow.commit()
    cut = day_start(d("2026-03-16"), CHI)
    after = all_entries(db)
    assert any(mid == ann.id for start, mid in after if start < cut)
    assert not any(mid == ann.id for start, mid in after if start >= cut)


def test_reorder_takes_effect_from_the_chosen_date_only(db: Database) -> None:
    load(db, roster(4))
    before = all_entries(db)
    with db.reader() as uow:
        ids = [m.id for m in team.list_members(uow)]
    with db.uow("t") as uow:
        team.reorder_members(uow, NOW, list(reversed(ids)), d("2026-03-09"))
        uow.commit()
    after = all_entries(db)
    cut = day_start(d("2026-03-09"), CHI)
    assert [e for e in after if e[0] < cut] == [e for e in before if e[0] < cut]
    assert [e for e in after if e[0] >= cut] != [e for e in before if e[0] >= cut]
    # Nobody works back to back across the change.
    members = [mid for _, mid in after]
    assert all(a != b for a, b in itertools.pairwise(members))


def test_changes_never_rewrite_a_started_shift(db: Database) -> None:
    load(db, roster(4))
    now = datetime(2026, 3, 3, 15, tzinfo=UTC)  # Tue 09:00 CST: the 48 h shift is running
    with db.reader() as uow:
        ids = [m.id for m in team.list_members(uow)]
    with db.uow("t") as uow, pytest.raises(UseCaseError, match="at the earliest"):
        team.reorder_members(uow, now, list(reversed(ids)), d("2026-03-03"))


def test_override_of_one_day_of_a_48h_shift_gives_two_spans(db: Database) -> None:
    load(db, roster(7))
    with db.reader() as uow:
        dee = next(m for m in team.list_members(uow) if m.name == "Dee")
    wed = day_start(d("2026-03-04"), CHI) + timedelta(hours=8)
    with db.uow("t") as uow:
        calendar.add_override(
            uow, NOW, calendar.Cover(dee.id, wed, wed + timedelta(days=1), "dentist")
        )
        uow.commit()
    with db.reader() as uow:
        view = schedule.preview(uow, d("2026-03-03"), 2)
    spans = [
        (iso_local(s.start, CHI), iso_local(s.end, CHI), s.member_name, s.is_override)
        for s in view.spans
        if s.shift_name == "Tuesday-Wednesday"
    ]
    assert spans == [
        ("2026-03-03T08:00:00-06:00", "2026-03-04T08:00:00-06:00", "Ben", False),
        ("2026-03-04T08:00:00-06:00", "2026-03-05T08:00:00-06:00", "Dee", True),
    ]
    assert [s.scheduled_member_name for s in view.spans if s.is_override] == ["Ben"]
    with db.reader() as uow:
        audit = [
            a.summary
            for a in uow.session.scalars(
                select(AuditEntry).where(AuditEntry.action == "override.add")
            )
        ]
    assert len(audit) == 1 and "Dee covers" in audit[0]


def test_swap_creates_two_overrides_and_cancel_restores(db: Database) -> None:
    load(db, roster(7))
    with db.reader() as uow:
        view = schedule.preview(uow, d("2026-03-05"), 2)
    thu, fri = (e for e in view.entries if e.shift_name in ("Thursday", "Friday"))
    with db.uow("t") as uow:
        made = calendar.apply_calendar_plan(uow, NOW, [calendar.Swap(thu.id, fri.id, "trade")])
        uow.commit()
    assert len(made) == 2
    names = [s.member_name for s in schedule_view_spans(db, "2026-03-05", 2)][1:]
    assert names == [fri.member_name, thu.member_name]
    with db.uow("t") as uow:
        calendar.apply_calendar_plan(uow, NOW, [calendar.CancelOverride(o.id) for o in made])
        uow.commit()
    names = [s.member_name for s in schedule_view_spans(db, "2026-03-05", 2)][1:]
    assert names == [thu.member_name, fri.member_name]


def schedule_view_spans(db: Database, first: str, days: int):  # type: ignore[no-untyped-def]
    with db.reader() as uow:
        return schedule.preview(uow, d(first), days).spans


def test_a_failing_plan_changes_nothing(db: Database) -> None:
    load(db, roster(7))
    with db.reader() as uow:
        view = schedule.preview(uow, d("2026-03-05"), 1)
        ann = next(m for m in team.list_members(uow) if m.name == "Ann")
    good = calendar.Cover(ann.id, view.entries[0].start, view.entries[0].end)
    bad = calendar.Cover(ann.id, NOW - timedelta(days=3), NOW - timedelta(days=2))
    with db.uow("t") as uow, pytest.raises(UseCaseError, match="already over"):
        calendar.apply_calendar_plan(uow, NOW, [good, bad])
        uow.commit()
    with db.reader() as uow:
        assert calendar.list_overrides(uow, NOW, NOW + timedelta(days=30)) == []


def test_stale_plan_is_a_conflict(db: Database) -> None:
    load(db, roster(7))
    with db.reader() as uow:
        view = schedule.preview(uow, d("2026-03-05"), 1)
        members = {m.name: m.id for m in team.list_members(uow)}
    e = view.entries[0]
    with db.uow("a") as uow:
        calendar.add_override(uow, NOW, calendar.Cover(members["Ann"], e.start, e.end))
        uow.commit()
    from whoseonfirst_core.usecases.errors import ConflictError

    with db.uow("b") as uow, pytest.raises(ConflictError):
        calendar.add_override(
            uow, NOW, calendar.Cover(members["Eve"], e.start, e.end, expected_member_id=e.member_id)
        )


def test_duplicate_phone_is_refused_with_the_other_members_name(db: Database) -> None:
    load(db, roster(3))
    with db.uow("t") as uow, pytest.raises(UseCaseError, match="already belongs to Ben"):
        team.add_member(uow, NOW, name="Zed", phone="(312) 555-0102")


def test_archived_member_keeps_history_and_frees_the_phone(db: Database) -> None:
    load(db, roster(3))
    with db.reader() as uow:
        ann = next(m for m in team.list_members(uow) if m.name == "Ann")
    with db.uow("t") as uow:
        team.archive_member(uow, NOW, ann.id, d("2026-03-09"))
        uow.commit()
    with db.uow("t") as uow:
        team.add_member(uow, NOW, name="Ann", phone=ann.phone, effective_from=d("2026-03-16"))
        uow.commit()
    with db.reader() as uow:
        names = [(m.name, m.archived) for m in team.list_members(uow)]
        kept = uow.session.scalars(
            select(ScheduleEntry).where(ScheduleEntry.member_id == ann.id)
        ).all()
    assert ("Ann", True) in names and ("Ann", False) in names
    assert kept, "the archived member's past entries are kept"


def test_changing_the_time_zone_moves_future_starts_to_the_new_wall_clock(db: Database) -> None:
    from whoseonfirst_core.usecases.config import SettingsChange, update_settings

    load(db, roster(4))
    with db.uow("t") as uow:
        update_settings(uow, NOW, SettingsChange(timezone="America/Denver"), expected_version=None)
        uow.commit()
    denver = zone("America/Denver")
    with db.reader() as uow:
        view = schedule.preview(uow, d("2026-03-10"), 7)
    starts = {s.start.astimezone(denver).strftime("%H:%M") for s in view.spans}
    assert starts == {"08:00"}
    assert view.timezone == "America/Denver"


def test_history_counts_every_row(db: Database) -> None:
    from whoseonfirst_core.usecases.notifications import HistoryFilter, history_page, queue_text

    load(db, roster(2))
    with db.uow("t") as uow:
        for _ in range(3):
            queue_text(uow, NOW, to="+13125550101")
        uow.commit()
    with db.reader() as uow:
        rows, total = history_page(uow, HistoryFilter(), limit=2)
        assert (len(rows), total) == (2, 3)
        rows, total = history_page(uow, HistoryFilter(kinds=("manual",)))
        assert (len(rows), total) == (0, 0)
