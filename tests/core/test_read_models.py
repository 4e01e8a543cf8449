"""The pages' read models (Dashboard, Settings) and the service's state, without Qt."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from whoseonfirst_core.clock import FixedClock
from whoseonfirst_core.db.models import Notification, ServiceHeartbeat
from whoseonfirst_core.db.session import Database
from whoseonfirst_core.domain.notification import PROBLEM_STATUSES, Status
from whoseonfirst_core.domain.service_state import ALIVE_WITHIN, ServiceState, service_state
from whoseonfirst_core.domain.texts import next_weekly_summary_at, weekly_summary_body
from whoseonfirst_core.roster import create_demo_team
from whoseonfirst_core.usecases.config import SettingsChange, update_settings
from whoseonfirst_core.usecases.dashboard import Severity, Where, load_dashboard
from whoseonfirst_core.usecases.errors import NoTeamError
from whoseonfirst_core.usecases.heartbeat import service_status
from whoseonfirst_core.usecases.notifications import problem_notifications
from whoseonfirst_core.usecases.outbox import load_team, outbox_counts
from whoseonfirst_core.usecases.schedule import resolve_window
from whoseonfirst_core.usecases.settings_view import load_settings_view

MON_0900 = datetime(2026, 3, 2, 15, tzinfo=UTC)  # Mon 09:00 CST: Ann is on call


@pytest.fixture
def demo(db: Database, clock: FixedClock) -> Database:
    with db.uow("setup") as uow:
        create_demo_team(uow, clock.now(), date(2026, 3, 2))
        uow.commit()
    return db


def _text(db: Database, status: Status, due: datetime, n: int) -> None:
    with db.uow("service") as uow:
        uow.session.add(
            Notification(
                idempotency_key=f"test:{status}:{n}",
                kind="shift_start",
                status=status,
                recipient_name="Ann Archer",
                recipient_phone="+13125550101",
                body="on call",
                due_at=due,
                created_at=due,
                triggered_by="service",
                error_message=f"went {status}",
            )
        )
        uow.commit()


def _heartbeat(db: Database, last_tick_at: datetime, sms_problem: str | None = None) -> None:
    with db.uow("service") as uow:
        uow.session.add(
            ServiceHeartbeat(
                instance_id="vm1",
                host="rhel-vm-01",
                version="1.0.0",
                sms_backend="twilio",
                started_at=last_tick_at - timedelta(hours=1),
                last_tick_at=last_tick_at,
                sms_problem=sms_problem,
            )
        )
        uow.commit()


# --- dashboard -----------------------------------------------------------------------------


def test_dashboard_now_next_week_and_attention(demo: Database) -> None:
    with demo.reader() as uow:
        data = load_dashboard(uow, MON_0900)
    assert data.current is not None and data.current.member_name == "Ann Archer"
    assert data.current_phone == "+13125550101"
    assert [s.member_name for s in data.upcoming] == ["Ben Brooks", "Cal Chen", "Dee Diaz"]
    chips = [cell.chips[0].member_name + cell.chips[0].suffix for cell in data.week]
    assert chips == [
        "Ann Archer",
        "Ben Brooks (48h)",
        "Ben Brooks (continues)",
        "Cal Chen",
        "Dee Diaz",
        "Eve Evans",
        "Fay Fisher",
    ]
    never = [a for a in data.attention if "never run" in a.text]  # no service yet
    assert [(a.severity, a.where) for a in never] == [(Severity.ERROR, None)]
    assert data.service.state is ServiceState.NEVER_SEEN


def test_every_problem_status_is_on_the_dashboard_and_counted_by_healthz(demo: Database) -> None:
    """``expired`` is a problem like ``failed`` (it never reached the phone): the Dashboard,
    the Texts page's filter and ``/healthz`` count the same rows."""
    for n, status in enumerate(Status):
        _text(demo, status, MON_0900 - timedelta(hours=1, minutes=n), n)
    with demo.reader() as uow:
        listed = problem_notifications(uow, MON_0900 - timedelta(days=1))
        counts = outbox_counts(uow.session, MON_0900)
        data = load_dashboard(uow, MON_0900)
    assert {n.status for n in listed} == PROBLEM_STATUSES
    assert Status.EXPIRED in PROBLEM_STATUSES
    assert counts.problems == len(listed) == 4
    texts = [a.text for a in data.attention if a.where is Where.TEXTS]
    assert len(texts) == 4
    assert "Ann Archer's shift start text Mon 3/2 07:52 CST expired (went expired)" in texts
    assert all(a.severity is Severity.ERROR for a in data.attention if a.where is Where.TEXTS)


def test_coverage_gaps_are_warnings_pointing_at_the_calendar(demo: Database) -> None:
    from whoseonfirst_core.usecases.config import get_pattern, set_pattern

    with demo.uow("admin") as uow:
        shifts = list(get_pattern(uow))
        monday = shifts[0]
        shifts[0] = type(monday)(monday.name, monday.start_day, monday.start_time, 12)
        set_pattern(uow, MON_0900, shifts, date(2026, 3, 9))
        uow.commit()
    with demo.reader() as uow:
        data = load_dashboard(uow, MON_0900)
    gaps = [a for a in data.attention if a.where is Where.CALENDAR]
    assert gaps and all(a.severity is Severity.WARNING for a in gaps)
    assert gaps[0].text == "Nobody is on call Mon 3/9 20:00 CDT → Tue 3/10 08:00 CDT"


# --- the service's state -------------------------------------------------------------------


def test_one_alive_threshold(demo: Database) -> None:
    assert timedelta(minutes=2) == ALIVE_WITHIN
    assert service_state(None, MON_0900) is ServiceState.NEVER_SEEN
    last = MON_0900 - ALIVE_WITHIN
    assert service_state(last + timedelta(seconds=1), MON_0900) is ServiceState.UP
    assert service_state(last, MON_0900) is ServiceState.SILENT
    _heartbeat(demo, MON_0900 - timedelta(seconds=100))
    with demo.reader() as uow:
        status = service_status(uow, MON_0900)
        data = load_dashboard(uow, MON_0900)
    assert status.alive and status.heartbeat is not None
    assert data.service == status
    assert not [a for a in data.attention if "service" in a.text]
    with demo.reader() as uow:
        later = load_dashboard(uow, MON_0900 + timedelta(seconds=20))
    assert later.service.state is ServiceState.SILENT
    assert any(
        a.text.startswith("The service has been silent since Mon 2026-03-02 08:58 CST")
        for a in later.attention
    )


def test_the_dashboard_says_when_texts_are_not_going_out(demo: Database) -> None:
    problem = "the last 5 texts all failed permanently (the newest: Twilio rejected the number)"
    _heartbeat(demo, MON_0900 - timedelta(seconds=10), sms_problem=problem)
    with demo.reader() as uow:
        data = load_dashboard(uow, MON_0900)
    [item] = [a for a in data.attention if a.text.startswith("Texts are not going out")]
    assert item.text == f"Texts are not going out: {problem}."
    assert item.severity is Severity.ERROR and item.where is Where.TEXTS


# --- settings ------------------------------------------------------------------------------


def test_the_settings_preview_is_the_summary_the_service_sends(demo: Database) -> None:
    with demo.uow("admin") as uow:
        update_settings(
            uow, MON_0900, SettingsChange(weekly_summary_day=2), expected_version=None
        )  # Wednesdays
        uow.commit()
    with demo.reader() as uow:
        view = load_settings_view(uow, MON_0900)
        team = load_team(uow.session)
        due = next_weekly_summary_at(MON_0900, team)
        week = resolve_window(uow, due, due + timedelta(days=7), clip=False)
    assert due == datetime(2026, 3, 4, 14, tzinfo=UTC)  # Wed 08:00 CST
    assert view.summary_preview.splitlines()[0] == "WhoseOnFirst schedule Mar 4 - Mar 10"
    assert view.summary_preview == weekly_summary_body(due, week, team)
    assert view.next_span is not None and view.next_span.member_name == "Ben Brooks"


def test_next_summary_instant_counts_now_and_keeps_wall_clock_across_dst() -> None:
    from zoneinfo import ZoneInfo

    from whoseonfirst_core.domain.texts import TeamSnapshot

    team = TeamSnapshot(
        team_name="Ops",
        tz=ZoneInfo("America/Chicago"),
        shift_start_template="{name}",
        weekly_summary_enabled=False,  # previewed all the same
        weekly_summary_day=0,
        weekly_summary_time=time(8),
        reminder_minutes=None,
        members={},
        summary_contacts=(),
        alert_contacts=(),
    )
    at_0800 = datetime(2026, 3, 2, 14, tzinfo=UTC)
    assert next_weekly_summary_at(at_0800, team) == at_0800
    # The next Monday is after the spring-forward Sunday: 08:00 CDT, 13:00 UTC.
    assert next_weekly_summary_at(at_0800 + timedelta(seconds=1), team) == datetime(
        2026, 3, 9, 13, tzinfo=UTC
    )


def test_a_database_without_a_team_says_so_with_its_own_error(db: Database) -> None:
    with db.reader() as uow:
        with pytest.raises(NoTeamError, match="no team yet"):
            load_dashboard(uow, MON_0900)
        with pytest.raises(NoTeamError, match="no team yet"):
            load_settings_view(uow, MON_0900)
        with pytest.raises(NoTeamError, match="no team yet"):
            load_team(uow.session)
