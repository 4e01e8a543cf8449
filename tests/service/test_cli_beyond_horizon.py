"""``simulate`` and ``preview`` for windows beyond the stored horizon show what the service will
do: the schedule is planned the way the service's own extensions will plan it (in a transaction
that is rolled back), so the output is the same as for the same window once the ticks have
extended the horizon past it, and a weekly summary always covers its whole week."""

from __future__ import annotations

import io
import itertools
import json
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from whoseonfirst_service.cli import main

from tests.service.conftest import utc
from whoseonfirst_core.clock import FixedClock
from whoseonfirst_core.db.models import ScheduleEntry
from whoseonfirst_core.db.session import Database
from whoseonfirst_core.usecases.schedule import extend_horizon

MONDAY = "2027-04-05"  # a year past the demo team's 12-week horizon


def run(clock: FixedClock, *argv: str) -> Any:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), clock=clock, out=out, err=err)
    assert code == 0, err.getvalue()
    return out.getvalue()


def stored_entries(db: Database) -> int:
    with db.reader() as uow:
        return int(uow.session.scalar(select(func.count()).select_from(ScheduleEntry)) or 0)


def extend_as_the_ticks_would(db: Database, clock: FixedClock, until: Any) -> None:
    """What a service running from now until ``until`` stores: an extension per day of ticks."""
    at = clock.now()
    while at < until:
        with db.uow("service") as uow:
            if extend_horizon(uow, at):
                uow.commit()
        at += timedelta(days=1)


@pytest.fixture
def env(team: Database, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Database:
    monkeypatch.setenv("WHOSEONFIRST_DATABASE_URL", db_url)
    monkeypatch.setenv("WHOSEONFIRST_SMS_BACKEND", "dry-run")
    return team


def test_simulate_beyond_the_horizon_is_what_the_service_will_send(
    env: Database, clock: FixedClock
) -> None:
    before = stored_entries(env)
    one_day = json.loads(run(clock, "simulate", "--from", MONDAY, "--days", "1", "--json"))
    week = json.loads(run(clock, "simulate", "--from", MONDAY, "--days", "7", "--json"))
    assert stored_entries(env) == before  # nothing written

    [summary] = [m for m in one_day["messages"] if m["kind"] == "weekly_summary"]
    assert "NO COVERAGE" not in summary["body"]
    assert len(summary["body"].splitlines()) == 8  # the header and all seven days
    # The summary of a one-day window is the one of the whole week's window.
    assert summary in week["messages"]

    extend_as_the_ticks_would(env, clock, utc(2027, 4, 20))
    assert stored_entries(env) > before
    after = json.loads(run(clock, "simulate", "--from", MONDAY, "--days", "7", "--json"))
    assert week == after
    assert json.loads(run(clock, "simulate", "--from", MONDAY, "--days", "1", "--json")) == one_day


def test_preview_beyond_the_horizon_shows_no_false_gap(env: Database, clock: FixedClock) -> None:
    before = stored_entries(env)
    beyond = run(clock, "preview", "--from", MONDAY, "--days", "2")
    beyond_json = json.loads(run(clock, "preview", "--from", MONDAY, "--days", "2", "--json"))
    assert "NO COVERAGE" not in beyond
    assert stored_entries(env) == before
    entries = beyond_json["entries"]
    assert entries[0]["start"] <= "2027-04-05T00:00:00-05:00"  # Sunday's shift runs into it
    assert all(a["end"] == b["start"] for a, b in itertools.pairwise(entries))
    assert entries[-1]["end"] >= "2027-04-07T00:00:00-05:00"

    extend_as_the_ticks_would(env, clock, utc(2027, 4, 20))
    assert run(clock, "preview", "--from", MONDAY, "--days", "2") == beyond


def test_a_viewer_role_previews_and_simulates_inside_the_stored_horizon(
    pg_url: str, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Planning ahead writes nothing (and so needs no write grant) while the stored schedule
    already covers the window."""
    from tests.pg_roles import VIEWER_GRANTS, login_role
    from whoseonfirst_core.roster import create_demo_team

    db = Database(pg_url)
    try:
        with db.uow("test") as uow:
            create_demo_team(uow, clock.now(), utc(2026, 3, 2).date())
            uow.commit()
    finally:
        db.dispose()
    monkeypatch.setenv("WHOSEONFIRST_SMS_BACKEND", "dry-run")
    # Three weeks on, the stored 12 weeks still cover the window but end before now + 12 weeks.
    clock.set(utc(2026, 3, 23, 13))
    with login_role(pg_url, VIEWER_GRANTS) as viewer_url:
        monkeypatch.setenv("WHOSEONFIRST_DATABASE_URL", viewer_url)
        assert "NO COVERAGE" not in run(clock, "preview", "--from", "2026-03-09", "--days", "7")
        assert "shift_start" in run(clock, "simulate", "--from", "2026-03-09", "--days", "7")
