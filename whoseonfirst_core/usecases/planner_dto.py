"""Frozen views of the planner for the app and the command line (see ``usecases.planner``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime


@dataclass(frozen=True, slots=True)
class TimeOffDTO:
    """``member_name`` is away during ``[start, end)`` (UTC)."""

    id: int
    member_id: int
    member_name: str
    start: datetime
    end: datetime
    reason: str
    created_by: str
    created_at: datetime
    cancelled_at: datetime | None
    version: int


@dataclass(frozen=True, slots=True)
class ConflictDTO:
    """The span ``[span_start, span_end)`` puts ``member_name`` on call while they are away
    during ``[away_start, away_end)``; ``reason`` reads ``"time off: vacation"``."""

    span_start: datetime
    span_end: datetime
    member_id: int
    member_name: str
    time_off_id: int
    reason: str
    away_start: datetime
    away_end: datetime


@dataclass(frozen=True, slots=True)
class SuggestionDTO:
    """Cover ``[start, end)`` (UTC) for ``away_name`` by ``suggested_name`` (None: nobody is
    available); ``reason`` says why that person, ``conflict`` what the cover is for."""

    start: datetime
    end: datetime
    away_member_id: int
    away_name: str
    suggested_member_id: int | None
    suggested_name: str | None
    reason: str
    conflict: str
    time_off_id: int


@dataclass(frozen=True, slots=True)
class FairnessRowDTO:
    """What one member carried in the window; hours are real hours."""

    member_id: int
    member_name: str
    shifts: int
    hours: float
    weekend_hours: float
    holiday_hours: float
    night_hours: float
    covers_given: int
    covers_received: int
    time_off_days: int

    def figures(self) -> dict[str, str | int | float]:
        """The row as ``fairness --json`` writes it: hours to 2 decimals."""
        return {
            "member": self.member_name,
            "shifts": self.shifts,
            "hours": round(self.hours, 2),
            "weekend_hours": round(self.weekend_hours, 2),
            "holiday_hours": round(self.holiday_hours, 2),
            "night_hours": round(self.night_hours, 2),
            "covers_given": self.covers_given,
            "covers_received": self.covers_received,
            "time_off_days": self.time_off_days,
        }


@dataclass(frozen=True, slots=True)
class FairnessDTO:
    """The ledger for local dates ``first`` to ``last`` (both included), one row per current
    member in rotation order, then anyone else who carried hours in it."""

    first: date
    last: date
    timezone: str
    rows: tuple[FairnessRowDTO, ...]

    @property
    def average_hours(self) -> float:
        """The mean on-call hours of the rows (0 with none): the chart's team average line."""
        return sum(r.hours for r in self.rows) / len(self.rows) if self.rows else 0.0

    def to_json(self) -> dict[str, object]:
        """``{"from", "to", "members": [...]}``: what ``fairness --json`` prints."""
        return {
            "from": self.first.isoformat(),
            "to": self.last.isoformat(),
            "members": [r.figures() for r in self.rows],
        }


@dataclass(frozen=True, slots=True)
class HolidaySettingsDTO:
    """The team's holidays: the library's calendar for ``country``/``subdivision`` (None:
    none) plus ``extra`` (date → name)."""

    country: str | None
    subdivision: str | None
    extra: Mapping[date, str]
    version: int
