"""Where a confirmed shift shows (issue 13: "confirmed 08:03"): the Dashboard's read model
and the Calendar's load carry when each shown span's person confirmed it by text."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from whoseonfirst_core.db.session import Database
from whoseonfirst_core.domain.replies import InboundText
from whoseonfirst_core.roster import create_demo_team
from whoseonfirst_core.usecases import inbound
from whoseonfirst_core.usecases.dashboard import load_dashboard

MON_0800 = datetime(2026, 3, 2, 14, tzinfo=UTC)  # Ann's shift starts (Mon 08:00 CST)
ANN, BEN = "+13125550101", "+13125550102"


@pytest.fixture
def team(db: Database) -> Database:
    with db.uow("setup") as uow:
        create_demo_team(uow, MON_0800 - timedelta(hours=1), date(2026, 3, 2))
        uow.commit()
    return db


def confirm(db: Database, sender: str, at: datetime) -> None:
    with db.uow("service") as uow:
        message = InboundText(f"SM{sender}{at:%H%M}", sender, "+13125550100", "OK", at)
        inbound.record_inbound(uow, at + timedelta(seconds=5), [message])
        uow.commit()


def test_the_dashboard_knows_who_confirmed_the_current_and_the_next_shift(
    team: Database,
) -> None:
    with team.reader() as uow:
        before = load_dashboard(uow, MON_0800 + timedelta(minutes=1))
    assert before.current is not None and before.confirmed_at(before.current) is None
    confirm(team, ANN, MON_0800 + timedelta(minutes=3))
    confirm(team, BEN, MON_0800 + timedelta(hours=12, minutes=15))  # Mon 20:15: his Tue shift
    with team.reader() as uow:
        data = load_dashboard(uow, MON_0800 + timedelta(hours=13))
    assert data.current is not None and data.current.member_name == "Ann Archer"
    assert data.confirmed_at(data.current) == MON_0800 + timedelta(minutes=3)
    ben, cal = data.upcoming[:2]
    assert ben.member_name == "Ben Brooks"
    assert data.confirmed_at(ben) == MON_0800 + timedelta(hours=12, minutes=15)
    assert data.confirmed_at(cal) is None
