"""The Dashboard's waiting change notices (issue 12): who gets one, when, and why it waits.

The demo team from Mon 2026-03-02: Cal Chen is on call Thu 3/5 08:00 CST for 24 hours.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select, update

from whoseonfirst_core.clock import FixedClock
from whoseonfirst_core.db.models import Member, TeamSettings
from whoseonfirst_core.db.session import Database
from whoseonfirst_core.domain.notification import Kind
from whoseonfirst_core.roster import create_demo_team
from whoseonfirst_core.usecases.calendar import Cover, apply_calendar_plan
from whoseonfirst_core.usecases.dashboard import load_dashboard, waiting_notices
from whoseonfirst_core.usecases.notices import plan_notices

MON_10 = datetime(2026, 3, 2, 16, tzinfo=UTC)  # Mon 10:00 CST
THU = datetime(2026, 3, 5, 14, tzinfo=UTC)  # Thu 08:00 CST


@pytest.fixture
def demo(db: Database, clock: FixedClock) -> Database:
    """The demo team, everyone's on-call recorded as told by a first tick."""
    with db.uow("setup") as uow:
        create_demo_team(uow, clock.now(), date(2026, 3, 2))
        uow.commit()
    with db.uow("service") as uow:
        plan_notices(uow, clock.now(), actor="service")
        uow.commit()
    return db


def _cover(db: Database, now: datetime, name: str, start: datetime) -> None:
    with db.uow("admin") as uow:
        fay = uow.session.scalars(select(Member.id).where(Member.name == name)).one()
        apply_calendar_plan(uow, now, [Cover(fay, start, start + timedelta(days=1), "trip")])
        uow.commit()


def _tick(db: Database, now: datetime) -> None:
    with db.uow("service") as uow:
        plan_notices(uow, now, actor="service")
        uow.commit()


def test_notices_within_the_bundling_delay_are_waiting_for_both_people(demo: Database) -> None:
    _cover(demo, MON_10, "Fay Fisher", THU)
    with demo.reader() as uow:  # no tick has seen the cover yet
        before = waiting_notices(uow, MON_10)
    _tick(demo, MON_10)
    with demo.reader() as uow:
        view = load_dashboard(uow, MON_10 + timedelta(minutes=1))
    assert [w.text for w in view.waiting] == [
        "Change notice to Cal Chen at 10:02 CST (bundling delay)",
        "Change notice to Fay Fisher at 10:02 CST (bundling delay)",
    ]
    assert [w.text for w in before] == [w.text for w in view.waiting]
    assert {(w.kind, w.reason, w.due_at) for w in view.waiting} == {
        (Kind.CHANGE_NOTICE, "bundling delay", MON_10 + timedelta(minutes=2))
    }


def test_once_due_they_are_sent_by_the_next_tick_and_no_longer_waiting(demo: Database) -> None:
    _cover(demo, MON_10, "Fay Fisher", THU)
    _tick(demo, MON_10)
    with demo.reader() as uow:
        assert waiting_notices(uow, MON_10 + timedelta(minutes=2)) == ()
    _tick(demo, MON_10 + timedelta(minutes=2))
    with demo.reader() as uow:
        assert load_dashboard(uow, MON_10 + timedelta(minutes=3)).waiting == ()


def test_a_notice_held_by_quiet_hours_says_when_it_goes(demo: Database) -> None:
    tue_01 = datetime(2026, 3, 3, 7, tzinfo=UTC)  # Tue 01:00 CST, in quiet hours
    _cover(demo, tue_01, "Fay Fisher", THU + timedelta(days=7))
    _tick(demo, tue_01 + timedelta(minutes=5))  # past the delay: quiet hours hold it
    with demo.reader() as uow:
        waiting = waiting_notices(uow, tue_01 + timedelta(minutes=6))
    assert "Change notice to Fay Fisher at 07:00 CST (quiet hours)" in [w.text for w in waiting]
    assert {w.due_at for w in waiting} == {datetime(2026, 3, 3, 13, tzinfo=UTC)}


def test_a_notice_held_until_tomorrow_names_the_day(demo: Database) -> None:
    mon_22 = datetime(2026, 3, 3, 4, tzinfo=UTC)  # Mon 22:00 CST
    _cover(demo, mon_22, "Fay Fisher", THU + timedelta(days=7))
    with demo.reader() as uow:
        waiting = waiting_notices(uow, mon_22 + timedelta(minutes=5))
    assert "Change notice to Fay Fisher at Tue 3/3 07:00 CST (quiet hours)" in [
        w.text for w in waiting
    ]


def test_nothing_waits_when_notices_are_off(demo: Database) -> None:
    with demo.uow("admin") as uow:
        uow.session.execute(update(TeamSettings).values(notice_window_days=0))
        uow.commit()
    _cover(demo, MON_10, "Fay Fisher", THU)
    with demo.reader() as uow:
        assert load_dashboard(uow, MON_10 + timedelta(minutes=1)).waiting == ()
