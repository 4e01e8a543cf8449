"""Importing the roster that is already there changes nothing and sends nothing (issue 19
item 7): ``import --replace`` of the exported file, at any instant, leaves the schedule, the
planned changes and the outbox as they were, and the texts the ticks send are the ones they
would have sent without it."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from whoseonfirst_service.engine import Engine

from tests.core.helpers import roster
from tests.fakes.fake_twilio import FakeTwilio
from tests.service.conftest import (
    LEAD_PHONE,
    MakeEngine,
    member,
    no_escalation,
    notifications,
    sent_to,
    utc,
)
from whoseonfirst_core.clock import FixedClock
from whoseonfirst_core.db.models import EscalationContact, RotationChange, ScheduleEntry
from whoseonfirst_core.db.session import Database
from whoseonfirst_core.roster import (
    create_demo_team,
    dumps_roster,
    export_roster_data,
    import_roster_data,
)

CAL = "+13125550103"


@pytest.fixture(autouse=True)
def _no_escalation(request: pytest.FixtureRequest) -> None:
    """These tests follow other texts past shift starts while nobody replies OK."""
    if "team" in request.fixturenames:
        no_escalation(request.getfixturevalue("team"))


def exported(db: Database) -> str:
    with db.reader() as uow:
        return dumps_roster(export_roster_data(uow))


def with_cal_covering(db: Database, start: str, end: str, reason: str) -> dict[str, Any]:
    """The exported roster with one cover by Cal Chen (times as the file writes them)."""
    data: dict[str, Any] = json.loads(exported(db))
    data["overrides"] = [{"member": "Cal Chen", "start": start, "end": end, "reason": reason}]
    return data


def reimport(db: Database, text: str, now: datetime) -> None:
    with db.uow("admin") as uow:
        import_roster_data(uow, now, text, replace=True)
        uow.commit()


def schedule_rows(db: Database) -> list[tuple[datetime, datetime, int]]:
    with db.reader() as uow:
        rows = uow.session.execute(
            select(ScheduleEntry.start_at, ScheduleEntry.end_at, ScheduleEntry.member_id).order_by(
                ScheduleEntry.start_at
            )
        )
        return [tuple(r) for r in rows]  # type: ignore[misc]


def count(db: Database, table: type) -> int:
    with db.reader() as uow:
        return int(uow.session.scalar(select(func.count()).select_from(table)) or 0)


def test_reimporting_around_the_weekly_summary_sends_it_once(
    team: Database, engine: Engine, clock: FixedClock, fake: FakeTwilio
) -> None:
    """Monday 08:00 the summary is due; re-imports at 08:59 and 09:59 used to give the
    escalation contact new ids, so each following tick sent it again (three in all)."""
    text = exported(team)
    clock.set(utc(2026, 3, 9, 14))  # Mon 09:00 CDT: the summary is due
    engine.tick()
    for minute in (59, 119):
        clock.set(utc(2026, 3, 9, 14) + timedelta(minutes=minute))
        reimport(team, text, clock.now())
        engine.tick()
    assert sent_to(fake).count(LEAD_PHONE) == 1


def test_reimporting_keeps_each_escalation_contact(team: Database, clock: FixedClock) -> None:
    with team.reader() as uow:
        before = [(c.id, c.name, c.phone) for c in uow.session.scalars(select(EscalationContact))]
    reimport(team, exported(team), clock.now())
    with team.reader() as uow:
        after = [(c.id, c.name, c.phone) for c in uow.session.scalars(select(EscalationContact))]
    assert after == before


@pytest.mark.parametrize("first", ["demo team", "imported file"])
def test_reimporting_before_the_anchor_date_moves_nothing(
    db: Database, clock: FixedClock, first: str
) -> None:
    """A team whose rotation starts next month: the same file again keeps its start and every
    entry, and plans no change."""
    with db.uow("test") as uow:
        if first == "demo team":
            create_demo_team(uow, clock.now(), date(2026, 4, 6))
        else:
            import_roster_data(uow, clock.now(), roster(7, anchor="2026-04-06"))
        uow.commit()
    text = exported(db)
    entries, changes = schedule_rows(db), count(db, RotationChange)
    for days in (0, 3, 10):
        reimport(db, text, clock.now() + timedelta(days=days))
        assert schedule_rows(db) == entries
        assert count(db, RotationChange) == changes
        assert exported(db) == text


def test_reimporting_while_shifts_run_changes_nothing_and_sends_nothing(
    team: Database, make_engine: MakeEngine, clock: FixedClock, fake: FakeTwilio
) -> None:
    engine = make_engine()
    clock.set(utc(2026, 3, 10, 20))  # Tue 15:00 CDT, Ben's 48 h shift running
    engine.tick()
    sent = len(fake.create_requests)
    text = exported(team)
    entries, changes = schedule_rows(team), count(team, RotationChange)
    for hours in (0, 1, 19, 43):
        clock.set(utc(2026, 3, 10, 20) + timedelta(hours=hours))
        reimport(team, text, clock.now())
        assert schedule_rows(team) == entries
        assert count(team, RotationChange) == changes
        assert exported(team) == text
    clock.set(utc(2026, 3, 10, 20))
    engine2 = make_engine()
    engine2.tick()
    assert len(fake.create_requests) == sent


def test_reimporting_a_running_cover_texts_nobody_again(
    team: Database, engine: Engine, clock: FixedClock, fake: FakeTwilio
) -> None:
    """A cover from the file, running: the coverer is texted once; the same file again, hours
    later, texts nobody (neither the coverer again nor the person it relieves)."""
    data = with_cal_covering(team, "2026-03-10T15:00:00-05:00", "2026-03-11T09:00:00-05:00", "swap")
    clock.set(utc(2026, 3, 10, 14))  # Tue 09:00 CDT: Ben's 48 h shift runs
    engine.tick()
    clock.set(utc(2026, 3, 10, 19))
    reimport(team, json.dumps(data), clock.now())
    engine.tick()
    clock.set(utc(2026, 3, 10, 21))  # 16:00 CDT: the cover has started
    engine.tick()
    sent = sent_to(fake)
    text = exported(team)
    for hours in (1, 5, 9):
        clock.set(utc(2026, 3, 10, 21) + timedelta(hours=hours))
        reimport(team, text, clock.now())
        engine.tick()
    assert sent_to(fake) == sent
    assert exported(team) == text


def test_a_running_cover_whose_start_moves_earlier_is_not_told_again(
    team: Database, engine: Engine, clock: FixedClock, fake: FakeTwilio
) -> None:
    """The file's running cover now starts an hour earlier (in the past): the coverer, told at
    its start, is not texted again, however often the file is imported."""
    data = json.loads(exported(team))
    cover = {
        "member": "Cal Chen",
        "start": "2026-03-10T15:00:00-05:00",
        "end": "2026-03-11T09:00:00-05:00",
        "reason": "swap",
    }
    data["overrides"] = [cover]
    clock.set(utc(2026, 3, 10, 19))
    reimport(team, json.dumps(data), clock.now())
    engine.tick()
    clock.set(utc(2026, 3, 10, 21))  # 16:00 CDT: the cover has started and Cal is told
    engine.tick()
    assert sent_to(fake).count(CAL) == 1
    cover["start"] = "2026-03-10T14:00:00-05:00"
    for hours in (1, 2):
        clock.set(utc(2026, 3, 10, 21) + timedelta(hours=hours))
        reimport(team, json.dumps(data), clock.now())
        engine.tick()
    assert sent_to(fake).count(CAL) == 1
    clock.set(utc(2026, 3, 11, 15))  # Wed 10:00 CDT: the cover has ended
    engine.tick()
    assert sent_to(fake).count(CAL) == 1
    assert [r.status for r in notifications(team) if r.member_id == member(team, "Cal").id] == [
        "delivered"
    ]  # not missed: told at its first start
    assert notifications(team, "failure_alert") == []


def test_back_on_call_after_a_cover_is_still_told(
    team: Database, engine: Engine, clock: FixedClock, fake: FakeTwilio
) -> None:
    """The rule above is about a span that grew backwards over a told start; a person whose duty
    resumes after a cover is told again, as before."""
    data = with_cal_covering(
        team, "2026-03-10T10:00:00-05:00", "2026-03-10T12:00:00-05:00", "dentist"
    )
    clock.set(utc(2026, 3, 10, 13, 30))  # Tue 08:30 CDT
    reimport(team, json.dumps(data), clock.now())
    engine.tick()
    on_call = sent_to(fake)[-1]
    for hour in (15, 17):
        clock.set(utc(2026, 3, 10, hour))
        engine.tick()
    assert sent_to(fake).count(CAL) == 1
    assert sent_to(fake).count(on_call) == 2


def test_a_cover_wholly_in_the_past_in_the_file_texts_nobody(
    team: Database, engine: Engine, clock: FixedClock, fake: FakeTwilio
) -> None:
    """A file naming a cover that has already ended: nothing to do, nobody to tell (the
    on-call person, told at the shift's start, is not texted again)."""
    clock.set(utc(2026, 3, 10, 13, 30))  # Tue 08:30 CDT: the on-call person is told
    engine.tick()
    sent = sent_to(fake)
    data = with_cal_covering(
        team, "2026-03-10T09:00:00-05:00", "2026-03-10T10:00:00-05:00", "entered late"
    )
    clock.set(utc(2026, 3, 10, 16))  # 11:00 CDT
    reimport(team, json.dumps(data), clock.now())
    engine.tick()
    assert sent_to(fake) == sent
