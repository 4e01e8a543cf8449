"""The Settings page's "next summary" instant is the core's wall-clock rule (DST-safe): the
read model behind the page asks :func:`next_weekly_summary_at`, which the service uses too."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from whoseonfirst_core.domain.texts import TeamSnapshot, next_weekly_summary_at
from whoseonfirst_core.domain.timeutil import local_instant, zone


def _team(day: int, at: time) -> TeamSnapshot:
    return TeamSnapshot(
        team_name="Support",
        tz=zone("America/Chicago"),
        shift_start_template="",
        weekly_summary_enabled=True,
        weekly_summary_day=day,
        weekly_summary_time=at,
        reminder_minutes=None,
        members={},
        summary_contacts=(),
        alert_contacts=(),
    )


def test_next_summary_in_the_spring_forward_gap_is_the_core_instant() -> None:
    tz = zone("America/Chicago")
    now = datetime(2026, 3, 7, 12, tzinfo=UTC)  # Saturday
    at = time(2, 30)  # does not exist on Sunday 2026-03-08
    when = next_weekly_summary_at(now, _team(6, at))
    assert when == local_instant(date(2026, 3, 8), at, tz)
    assert when.astimezone(tz).isoformat() == "2026-03-08T03:30:00-05:00"


def test_next_summary_in_the_autumn_fold_is_the_first_occurrence() -> None:
    tz = zone("America/Chicago")
    when = next_weekly_summary_at(datetime(2026, 10, 31, 12, tzinfo=UTC), _team(6, time(1, 30)))
    assert when.astimezone(tz).isoformat() == "2026-11-01T01:30:00-05:00"
