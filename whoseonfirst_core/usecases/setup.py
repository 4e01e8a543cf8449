"""Creating a team and opening its rotation; a team from a roster file (the demo team too) is
:mod:`whoseonfirst_core.roster`'s."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from whoseonfirst_core.db.models import ShiftDefinition, TeamSettings
from whoseonfirst_core.db.session import UnitOfWork
from whoseonfirst_core.domain.rotation import ShiftDef, default_pattern, validate_pattern
from whoseonfirst_core.domain.templates import DEFAULT_SHIFT_START_TEMPLATE, validate_template
from whoseonfirst_core.domain.timeutil import parse_hhmm, zone
from whoseonfirst_core.usecases.common import clean_name, has_team, record_audit
from whoseonfirst_core.usecases.errors import UseCaseError
from whoseonfirst_core.usecases.rotation import open_rotation

DEFAULT_TIMEZONE = "America/Chicago"


def create_team(
    uow: UnitOfWork,
    now: datetime,
    *,
    name: str,
    timezone: str = DEFAULT_TIMEZONE,
    anchor_date: date,
    pattern: Sequence[ShiftDef] | None = None,
    shift_start_template: str = DEFAULT_SHIFT_START_TEMPLATE,
    weekly_summary_day: int = 0,
    weekly_summary_time: str = "08:00",
    weekly_summary_enabled: bool = True,
    horizon_weeks: int = 12,
) -> None:
    """Create the team row, the pattern and the first rotation epoch (no members yet)."""
    if has_team(uow):
        raise UseCaseError("this database already has a team (use import --replace to replace it)")
    try:
        zone(timezone)
    except ValueError as exc:
        raise UseCaseError(f"time zone: {exc}") from exc
    shifts = list(pattern) if pattern is not None else list(default_pattern())
    problems = validate_pattern(shifts)
    if problems:
        raise UseCaseError("; ".join(problems))
    try:
        validate_template(shift_start_template)
        parse_hhmm(weekly_summary_time)
    except ValueError as exc:
        raise UseCaseError(str(exc)) from exc
    uow.session.add(
        TeamSettings(
            id=1,
            name=clean_name(name, "team name"),
            timezone=timezone,
            anchor_date=anchor_date,
            shift_start_template=shift_start_template,
            weekly_summary_enabled=weekly_summary_enabled,
            weekly_summary_day=weekly_summary_day,
            weekly_summary_time=weekly_summary_time,
            horizon_weeks=horizon_weeks,
        )
    )
    for pos, s in enumerate(shifts):
        uow.session.add(
            ShiftDefinition(
                position=pos,
                name=s.name,
                start_day=s.start_day,
                start_time=f"{s.start_time:%H:%M}",
                duration_hours=s.duration_hours,
            )
        )
    uow.session.flush()
    record_audit(
        uow,
        now,
        "team.create",
        "team",
        1,
        f"created team {name}",
        None,
        {"name": name, "timezone": timezone, "anchor_date": anchor_date},
    )


def open_first_epoch(uow: UnitOfWork, now: datetime, anchor_date: date) -> None:
    """Start the rotation at ``anchor_date`` with the members present now, and generate."""
    open_rotation(uow, now, anchor_date)
