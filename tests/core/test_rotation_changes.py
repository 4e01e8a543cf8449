"""Dated rotation changes compose: entering them in any order gives the same schedule, nothing
before a change's date moves, and the preview says exactly what saving does.

The demo team rotates from Mon 2026-11-30 (Ann, Ben, Cal, Dee, Eve, Fay, Gus, default pattern);
the clock stands at Wed 2026-12-02 10:00 CST, so the earliest date a change may take effect is
that Wednesday (no shift starts on Wednesdays).
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from tests.core.helpers import d
from whoseonfirst_core.db.models import RotationChange as ChangeRow
from whoseonfirst_core.db.models import ScheduleEntry
from whoseonfirst_core.db.session import Database
from whoseonfirst_core.domain.rotation import ShiftDef, default_pattern, derive_epochs, timeline
from whoseonfirst_core.domain.timeutil import day_start, zone
from whoseonfirst_core.roster import (
    create_demo_team,
    dumps_roster,
    export_roster_data,
    import_roster_data,
)
from whoseonfirst_core.usecases import config, rotation, rotation_impact, schedule, team
from whoseonfirst_core.usecases.errors import UseCaseError

CHI = zone("America/Chicago")
ANCHOR = date(2026, 11, 30)
CREATED = datetime(2026, 11, 29, 18, tzinfo=UTC)
NOW = datetime(2026, 12, 2, 16, tzinfo=UTC)  # Wed 10:00 CST
WED, MON14, MON21 = date(2026, 12, 2), date(2026, 12, 14), date(2026, 12, 21)

Row = tuple[datetime, datetime, str, int]


def demo(db: Database) -> dict[str, int]:
    with db.uow("test") as uow:
        create_demo_team(uow, CREATED, ANCHOR)
        schedule.extend_horizon(uow, NOW, force=True)  # the service has run since
        uow.commit()
    return ids(db)


def ids(db: Database) -> dict[str, int]:
    with db.reader() as uow:
        return {m.name.split()[0]: m.id for m in team.list_members(uow)}


def entries(db: Database, since: datetime | None = None) -> list[Row]:
    with db.reader() as uow:
        q = select(ScheduleEntry).order_by(ScheduleEntry.start_at)
        if since is not None:
            q = q.where(ScheduleEntry.start_at >= since)
        return [(e.start_at, e.end_at, e.shift_name, e.member_id) for e in uow.session.scalars(q)]


def derived(db: Database, since: datetime, until: datetime) -> list[Row]:
    """What the fold of the stored changes says from ``since`` (clipped like the store)."""
    with db.reader() as uow:
        floor = uow.session.scalar(
            select(func.max(ScheduleEntry.end_at)).where(ScheduleEntry.start_at < since)
        )
        epochs = derive_epochs(rotation.load_changes(uow))
    return [
        (p.start, p.end, p.shift_name, p.member_id)
        for p in timeline(epochs, CHI, since, until, floor=floor)
    ]


def monday_20h() -> list[ShiftDef]:
    p = list(default_pattern())
    p[0] = replace(p[0], duration_hours=20)
    return p


# --- the reported case ---------------------------------------------------------------------


def test_a_later_entered_pattern_change_keeps_an_earlier_planned_leave(db: Database) -> None:
    """Team → deactivate Eve from Mon 12-14, then Shifts → Monday 20 h from Wed 12-02: the
    preview is exact (0 shifts change hands), Eve keeps her shifts before 12-14, and the 12-14
    change survives the save (the old code showed 69 shifts changing hands, Eve losing one
    before her date, and dropped the 12-14 epoch)."""
    who = demo(db)
    eve = who["Eve"]
    with db.uow("t") as uow:
        team.set_member_active(uow, NOW, eve, False, MON14)
        uow.commit()
    before = entries(db)
    with db.reader() as uow:
        impact = config.preview_pattern(uow, NOW, monday_20h(), WED)
    assert impact.changes_hands == 0
    assert impact.people == ()
    assert impact.retimed == 12  # the Mondays of the 12-week horizon, now 20 h long
    assert rotation_impact.impact_headline(impact) == (
        "From Wed 2026-12-02: 0 shifts change hands; 12 shifts keep their person at new times."
    )
    assert [i.text() for i in impact.interactions] == [
        "Mon 2026-12-14: Eve Evans leaves the rotation (planned; still applies after this change)"
    ]
    with db.uow("t") as uow:
        config.set_pattern(uow, NOW, monday_20h(), WED)
        uow.commit()
    after = entries(db)
    cut = day_start(MON14, CHI)
    assert [e for e in after if e[3] == eve and e[0] < cut] == [
        e for e in before if e[3] == eve and e[0] < cut
    ]
    assert [e for e in before if e[3] == eve and e[0] < cut]
    assert not [e for e in after if e[3] == eve and e[0] >= cut]
    # Same people in the same slots; only Monday's end moved.
    assert [(s, n, m) for s, _e, n, m in after] == [(s, n, m) for s, _e, n, m in before]
    with db.reader() as uow:
        dates = [e.effective_from for e in schedule.epochs(uow)]
        status = rotation.rotation_status(uow, WED)[eve]
    assert MON14 in dates
    assert status.text() == "yes, until Mon 12/14"


def test_preview_is_exact_for_each_kind_of_change(db: Database) -> None:
    """The preview's before and after timelines are the stored schedule before and after the
    save, so its counts are the real ones."""
    who = demo(db)
    start, until = day_start(WED, CHI), NOW + timedelta(weeks=12)
    steps = [
        ("leave", lambda uow: team.set_member_active(uow, NOW, who["Eve"], False, MON14)),
        ("order", lambda uow: team.reorder_members(uow, NOW, order(who), d("2026-12-07"))),
        ("pattern", lambda uow: config.set_pattern(uow, NOW, monday_20h(), WED)),
        ("join", lambda uow: team.set_member_active(uow, NOW, who["Eve"], True, MON21)),
    ]
    previews = {
        "leave": lambda uow: team.preview_member_change(
            uow, NOW, MON14, active_changes={who["Eve"]: False}
        ),
        "order": lambda uow: team.preview_member_change(
            uow, NOW, d("2026-12-07"), ordered_ids=order(who)
        ),
        "pattern": lambda uow: config.preview_pattern(uow, NOW, monday_20h(), WED),
        "join": lambda uow: team.preview_member_change(
            uow, NOW, MON21, active_changes={who["Eve"]: True}
        ),
    }
    for kind, step in steps:
        with db.reader() as uow:
            impact = previews[kind](uow)
        before = entries(db, start)
        assert derived(db, start, until) == [e for e in before if e[0] < until]
        with db.uow("t") as uow:
            step(uow)
            uow.commit()
        after = entries(db, start)
        assert derived(db, start, until) == [e for e in after if e[0] < until], kind
        moved = _changed_members(before, after, until)
        assert impact.changes_hands == len(moved), kind
        lost = sorted((s, m) for s, (b, _a) in moved.items() for m in [b] if b is not None)
        predicted = sorted((at, p.member_id) for p in impact.people for at, _n in p.lost)
        assert predicted == lost, kind


def order(who: dict[str, int]) -> list[int]:
    names = ["Cal", "Ann", "Ben", "Dee", "Eve", "Fay", "Gus"]
    return [who[n] for n in names]


def _changed_members(
    before: list[Row], after: list[Row], until: datetime
) -> dict[datetime, tuple[int | None, int | None]]:
    """Slots whose member differs, keyed by start (these changes keep every start)."""
    b = {s: m for s, _e, _n, m in before if s < until}
    a = {s: m for s, _e, _n, m in after if s < until}
    return {s: (b.get(s), a.get(s)) for s in set(b) | set(a) if b.get(s) != a.get(s)}


# --- minimal disruption --------------------------------------------------------------------


@pytest.mark.parametrize(
    "tweak",
    [
        lambda s: replace(s, duration_hours=20) if s.name == "Monday" else s,
        lambda s: replace(s, start_time=time(9)) if s.name == "Monday" else s,
        lambda s: replace(s, name="Mon") if s.name == "Monday" else s,
    ],
    ids=["duration", "start time", "name"],
)
def test_a_pattern_tweak_that_keeps_the_shifts_moves_nobody(db: Database, tweak) -> None:  # type: ignore[no-untyped-def]
    demo(db)
    pattern = [tweak(s) for s in default_pattern()]
    if pattern[0].start_time == time(9):
        pattern[-1] = replace(pattern[-1], duration_hours=25)  # Sunday reaches Monday 09:00
        pattern[0] = replace(pattern[0], duration_hours=23)
    before = entries(db, day_start(WED, CHI))
    with db.reader() as uow:
        impact = config.preview_pattern(uow, NOW, pattern, d("2026-12-09"))
    assert impact.changes_hands == 0 and impact.people == ()
    with db.uow("t") as uow:
        config.set_pattern(uow, NOW, pattern, d("2026-12-09"))
        uow.commit()
    after = entries(db, day_start(WED, CHI))
    assert [m for *_x, m in after] == [m for *_x, m in before]


def test_a_member_change_reflows_from_its_date_and_the_count_is_exact(db: Database) -> None:
    who = demo(db)
    with db.reader() as uow:
        impact = team.preview_add_member(uow, NOW, d("2026-12-07"), "Zoe Zhang")
    zoe = next(p for p in impact.people if p.member_id == rotation.NEW_MEMBER_ID)
    assert zoe.member_name == "Zoe Zhang" and zoe.gained and not zoe.lost
    before = entries(db, day_start(WED, CHI))
    with db.uow("t") as uow:
        new = team.add_member(
            uow, NOW, name="Zoe Zhang", phone="(312) 555-0177", effective_from=d("2026-12-07")
        )
        uow.commit()
    after = entries(db, day_start(WED, CHI))
    until = NOW + timedelta(weeks=12)
    moved = _changed_members(before, after, until)
    assert impact.changes_hands == len(moved) > 0
    assert len(zoe.gained) == sum(1 for _b, a in moved.values() if a == new.id)
    assert all(s >= day_start(d("2026-12-07"), CHI) for s in moved)
    assert who  # the others keep their ids


def test_a_pattern_change_under_a_running_48h_shift_leaves_no_hole(db: Database) -> None:
    """The new pattern's Wednesday shift starts while Tuesday's 48 h shift runs: it starts when
    that one ends instead of being dropped (which left Thu-Fri with nobody on call)."""
    demo(db)
    new = [
        ShiftDef("Mon", 0, time(8), 24),
        ShiftDef("Tue", 1, time(8), 24),
        ShiftDef("Wed-Thu", 2, time(8), 48),
        ShiftDef("Fri", 4, time(8), 24),
        ShiftDef("Sat", 5, time(8), 24),
        ShiftDef("Sun", 6, time(8), 24),
    ]
    with db.uow("t") as uow:
        config.set_pattern(uow, NOW, new, WED)
        uow.commit()
    with db.reader() as uow:
        view = schedule.preview(uow, WED, 10)
    assert view.gaps == ()
    first = next(s for s in view.spans if s.shift_name == "Wed-Thu")
    assert first.start.astimezone(CHI).isoformat() == "2026-12-03T08:00:00-06:00"
    assert first.end.astimezone(CHI).isoformat() == "2026-12-04T08:00:00-06:00"


def test_a_time_zone_change_during_a_shift_leaves_no_hole(db: Database) -> None:
    """Chicago → New York while Tuesday's 48 h shift runs: it keeps its end (Thu 09:00 EST) and
    Thursday's shift starts there (it used to be dropped: 23 h with nobody on call)."""
    demo(db)
    tue = datetime(2026, 12, 1, 18, tzinfo=UTC)  # Tue 12:00 CST
    with db.uow("t") as uow:
        config.update_settings(
            uow, tue, config.SettingsChange(timezone="America/New_York"), expected_version=None
        )
        uow.commit()
    with db.reader() as uow:
        view = schedule.preview(uow, date(2026, 12, 1), 7)
    assert view.gaps == ()
    ny = zone("America/New_York")
    starts = [s.start.astimezone(ny).isoformat() for s in view.spans]
    assert "2026-12-03T09:00:00-05:00" in starts and "2026-12-04T08:00:00-05:00" in starts


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("America/New_York", "America/Chicago"),  # west by 1 h
        ("America/Los_Angeles", "Pacific/Honolulu"),  # west by 2 h
        ("Australia/Adelaide", "Australia/Perth"),  # west by 2 h 30 min
        ("Asia/Kathmandu", "Asia/Kolkata"),  # west by 15 min
        ("Asia/Kolkata", "Asia/Kathmandu"),  # east by 15 min
        ("America/Chicago", "America/New_York"),  # east by 1 h
    ],
)
@pytest.mark.parametrize("via", ["settings", "roster import"])
def test_a_time_zone_change_mid_shift_keeps_the_running_span_and_leaves_no_gap(
    db: Database, old: str, new: str, via: str
) -> None:
    """Tuesday's 48 h shift runs when the zone changes: it keeps its person and its end (what
    the text at its start told them); the next shift begins exactly there, and the ones after at
    08:00 in the new zone. Moving west used to leave the hour between with nobody on call."""
    demo(db)
    with db.uow("t") as uow:  # the team's zone before any shift started
        config.update_settings(
            uow, CREATED, config.SettingsChange(timezone=old), expected_version=None
        )
        uow.commit()
    tue = datetime(2026, 12, 1, 20, tzinfo=UTC)
    with db.reader() as uow:
        running = next(s for s in schedule.preview(uow, ANCHOR, 4).spans if s.start <= tue < s.end)
    with db.uow("t") as uow:
        if via == "settings":
            change = config.SettingsChange(timezone=new)
            config.update_settings(uow, tue, change, expected_version=None)
        else:
            data = export_roster_data(uow)
            data["team"]["timezone"] = new
            import_roster_data(uow, tue, json.dumps(data), replace=True)
        uow.commit()
    with db.reader() as uow:
        view = schedule.preview(uow, ANCHOR, 14)
    spans = sorted(view.spans, key=lambda s: s.start)
    assert [g for g in view.gaps if g[0] >= spans[0].start and g[1] <= spans[-1].end] == []
    i = next(i for i, s in enumerate(spans) if s.start <= tue < s.end)
    kept, following, later = spans[i], spans[i + 1], spans[i + 2 :]
    assert (kept.start, kept.end, kept.member_id) == (running.start, running.end, running.member_id)
    assert following.start == kept.end
    assert following.member_id != kept.member_id
    new_zone = zone(new)
    assert later and all(s.start.astimezone(new_zone).time() == time(8) for s in later)
    assert all(a.end == b.start for a, b in pairwise(spans))


# --- time-dependent membership, cancelling, same-day changes ------------------------------


def test_status_says_until_and_from(db: Database) -> None:
    who = demo(db)
    with db.uow("t") as uow:
        team.set_member_active(uow, NOW, who["Eve"], False, MON14)
        team.set_member_active(uow, NOW, who["Eve"], True, d("2027-01-04"))
        team.set_member_active(uow, NOW, who["Gus"], False, WED)
        uow.commit()
    with db.reader() as uow:
        on_wed = rotation.rotation_status(uow, WED)
        on_20 = rotation.rotation_status(uow, d("2026-12-20"))
        members = {m.id: m for m in team.list_members(uow)}
    assert on_wed[who["Eve"]].text() == "yes, until Mon 12/14"
    assert on_20[who["Eve"]].text() == "no, from Mon 1/4"
    assert on_wed[who["Gus"]].text() == "no"
    assert on_wed[who["Ann"]].text() == "yes"
    # members.active: the rotation after every planned change
    assert members[who["Eve"]].active and not members[who["Gus"]].active


def test_cancelling_a_planned_change_restores_the_rotation_from_its_date(db: Database) -> None:
    who = demo(db)
    original = entries(db)
    with db.uow("t") as uow:
        team.set_member_active(uow, NOW, who["Eve"], False, MON14)
        uow.commit()
    with db.reader() as uow:
        planned = rotation.planned_changes(uow, NOW)
    assert [p.text() for p in planned] == ["Mon 2026-12-14: Eve Evans leaves the rotation"]
    with db.uow("t") as uow:
        rotation.cancel_change(uow, NOW, planned[0].id)
        uow.commit()
    assert entries(db) == original
    with db.reader() as uow:
        assert rotation.planned_changes(uow, NOW) == []


def test_a_change_that_has_taken_effect_cannot_be_cancelled(db: Database) -> None:
    who = demo(db)
    with db.uow("t") as uow:
        team.set_member_active(uow, NOW, who["Eve"], False, MON14)
        uow.commit()
    with db.reader() as uow:
        (planned,) = rotation.planned_changes(uow, NOW)
    later = datetime(2026, 12, 15, 16, tzinfo=UTC)
    with db.uow("t") as uow, pytest.raises(UseCaseError, match="at the earliest"):
        rotation.cancel_change(uow, later, planned.id)
    with db.uow("t") as uow, pytest.raises(UseCaseError, match="no longer exists"):
        rotation.cancel_change(uow, NOW, 9999)


@pytest.mark.parametrize(
    ("first", "second", "in_rotation"), [(False, True, True), (True, False, False)]
)
def test_changes_on_the_same_day_apply_in_the_order_entered(
    db: Database, first: bool, second: bool, in_rotation: bool
) -> None:
    who = demo(db)
    with db.uow("t") as uow:
        team.set_member_active(uow, NOW, who["Eve"], first, MON14)
        team.set_member_active(uow, NOW, who["Eve"], second, MON14)
        uow.commit()
    with db.reader() as uow:
        assert rotation.rotation_status(uow, MON14)[who["Eve"]].in_rotation is in_rotation


def test_a_reactivated_member_returns_to_their_old_place(db: Database) -> None:
    who = demo(db)
    with db.uow("t") as uow:
        team.set_member_active(uow, NOW, who["Cal"], False, d("2026-12-07"))
        team.set_member_active(uow, NOW, who["Cal"], True, MON21)
        uow.commit()
    with db.reader() as uow:
        last = list(schedule.epochs(uow)[-1].member_ids)
    assert last == [who[n] for n in ["Ann", "Ben", "Cal", "Dee", "Eve", "Fay", "Gus"]]


def test_two_people_are_told_about_the_back_to_back_pair(db: Database) -> None:
    who = demo(db)
    with db.uow("t") as uow:
        for n in ("Cal", "Dee", "Eve", "Fay"):
            team.set_member_active(uow, NOW, who[n], False, MON14)
        uow.commit()
    with db.reader() as uow:
        impact = team.preview_member_change(uow, NOW, MON21, active_changes={who["Gus"]: False})
        three = team.preview_member_change(uow, NOW, MON21, active_changes={who["Cal"]: True})
    assert [n for n in impact.notes if "two people" in n]
    assert "two people" in "\n".join(rotation_impact.impact_lines(impact))
    assert not [n for n in three.notes if "two people" in n]


# --- import --replace ----------------------------------------------------------------------


def test_reimporting_the_exported_roster_changes_nothing(db: Database) -> None:
    who = demo(db)
    with db.uow("t") as uow:
        team.set_member_active(uow, NOW, who["Eve"], False, MON14)
        config.set_pattern(uow, NOW, monday_20h(), MON21)
        uow.commit()
    before = entries(db)
    with db.reader() as uow:
        text = dumps_roster(export_roster_data(uow))
        n_changes = uow.session.scalar(select(func.count()).select_from(ChangeRow))
    with db.uow("t") as uow:
        import_roster_data(uow, NOW, text, replace=True)
        uow.commit()
    assert entries(db) == before
    with db.reader() as uow:
        assert uow.session.scalar(select(func.count()).select_from(ChangeRow)) == n_changes
        assert dumps_roster(export_roster_data(uow)) == text


def test_a_changed_roster_changes_only_what_differs(db: Database) -> None:
    import json

    who = demo(db)
    with db.uow("t") as uow:
        team.set_member_active(uow, NOW, who["Eve"], False, MON14)
        uow.commit()
    with db.reader() as uow:
        data = export_roster_data(uow)
    next(m for m in data["members"] if m["name"] == "Gus Grant")["active"] = False
    with db.uow("t") as uow:
        import_roster_data(uow, NOW, json.dumps(data), replace=True)
        uow.commit()
    with db.reader() as uow:
        status = rotation.rotation_status(uow, WED)
        planned = [p.text() for p in rotation.planned_changes(uow, NOW)]
    assert status[who["Gus"]].text() == "no"
    assert status[who["Eve"]].text() == "yes, until Mon 12/14"  # the planned leave stays
    assert planned == [
        "Wed 2026-12-02: Gus Grant leaves the rotation",
        "Mon 2026-12-14: Eve Evans leaves the rotation",
    ]


# --- composition, as a property ------------------------------------------------------------

POOL = ["Ann", "Ben", "Cal", "Dee", "Eve", "Fay", "Gus"]
TWEAKED = monday_20h()
SEVEN = [ShiftDef(f"D{i}", i, time(8), 24) for i in range(7)]

change_strategy = st.one_of(
    st.tuples(st.just("leave"), st.sampled_from(POOL)),
    st.tuples(st.just("join"), st.sampled_from(POOL)),
    st.tuples(st.just("order"), st.permutations(POOL)),
    st.tuples(st.just("pattern"), st.sampled_from(["tweaked", "seven", "default"])),
)


@pytest.fixture(scope="module")
def demo_template(sqlite_template: Path) -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="wof-demo-"))
    path = folder / "demo.db"
    shutil.copyfile(sqlite_template, path)
    db = Database(f"sqlite:///{path}")
    demo(db)
    db.dispose()
    yield path
    shutil.rmtree(folder)


def _apply_all(template: Path, dated: list[tuple[date, tuple[str, object]]]) -> list[list[Row]]:
    """Apply the changes in the given order on a fresh copy; the schedule after each one."""
    folder = Path(tempfile.mkdtemp(prefix="wof-prop-"))
    try:
        path = folder / "db.db"
        shutil.copyfile(template, path)
        db = Database(f"sqlite:///{path}")
        try:
            who = ids(db)
            out = [entries(db)]
            for day, (kind, arg) in dated:
                with db.uow("t") as uow:
                    if kind in ("join", "leave"):
                        team.set_member_active(uow, NOW, who[str(arg)], kind == "join", day)
                    elif kind == "order":
                        team.reorder_members(uow, NOW, [who[n] for n in arg], day)  # type: ignore[attr-defined]
                    else:
                        shifts = {"tweaked": TWEAKED, "seven": SEVEN, "default": default_pattern()}
                        config.set_pattern(uow, NOW, shifts[str(arg)], day)
                    uow.commit()
                out.append(entries(db))
                since = day_start(WED, CHI)
                assert derived(db, since, NOW + timedelta(weeks=12)) == [
                    e for e in out[-1] if e[0] >= since and e[0] < NOW + timedelta(weeks=12)
                ]
            return out
        finally:
            db.dispose()
    finally:
        shutil.rmtree(folder)


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    changes=st.lists(change_strategy, min_size=1, max_size=5),
    offsets=st.lists(st.integers(0, 55), min_size=5, max_size=5, unique=True),
    data=st.data(),
)
def test_any_order_of_entry_gives_the_schedule_of_date_order(
    demo_template: Path,
    changes: list[tuple[str, object]],
    offsets: list[int],
    data: st.DataObject,
) -> None:
    """Dated team and pattern changes (distinct dates) entered in any order give the schedule
    of entering them in date order; no change moves anything before its date."""
    dated = sorted((WED + timedelta(days=off), c) for off, c in zip(offsets, changes, strict=False))
    entered = data.draw(st.permutations(dated))
    in_date_order = _apply_all(demo_template, dated)[-1]
    history = _apply_all(demo_template, list(entered))
    assert history[-1] == in_date_order
    for (day, _c), before, after in zip(entered, history[:-1], history[1:], strict=True):
        cut = day_start(day, CHI)
        assert [e for e in after if e[0] < cut] == [e for e in before if e[0] < cut]


def test_a_pattern_saved_over_someone_elses_newer_pattern_is_a_conflict(db: Database) -> None:
    """The admin edited the pattern in effect on Wed 12/02 and saves it from Mon 12/21; someone
    else meanwhile planned a pattern from Mon 12/14: their change lies under the admin's base,
    so saving is a conflict. One planned after the admin's date is not (it composes)."""
    from whoseonfirst_core.usecases.errors import ConflictError

    demo(db)
    with db.reader() as uow:
        base = config.get_pattern(uow, WED)
        seen = rotation.last_change_id(uow)
    with db.uow("other") as uow:
        config.set_pattern(uow, NOW, monday_20h(), MON14)
        uow.commit()
    mine = [replace(s, name="Mon") if s.name == "Monday" else s for s in base]
    with db.uow("me") as uow, pytest.raises(ConflictError):
        config.set_pattern(
            uow, NOW, mine, MON21, expected=base, expected_on=WED, seen_change_id=seen
        )
    with db.uow("me") as uow:
        config.set_pattern(
            uow, NOW, mine, d("2026-12-07"), expected=base, expected_on=WED, seen_change_id=seen
        )
        uow.commit()
    with db.reader() as uow:
        assert config.get_pattern(uow, d("2026-12-07"))[0].name == "Mon"
        assert config.get_pattern(uow, MON14)[0].duration_hours == 20
