"""The team's holidays: the settings (country, subdivision, own dates) and the calendar they
give.

Saving a country stores the library's days for the years around now in
``team_settings.holiday_calendar``, so that reading holidays (the weekly summary in the
service, the calendar, the ledger) does not load the ``holidays`` library, which costs about
10 MB and most of a second: it loads every country at once. Only a year outside the stored
ones loads it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime

from whoseonfirst_core.db.models import TeamSettings
from whoseonfirst_core.db.session import UnitOfWork
from whoseonfirst_core.domain.holidays import check_region, public_holidays, with_extra
from whoseonfirst_core.domain.plurals import plural
from whoseonfirst_core.usecases.common import check_text, record_audit, settings_row
from whoseonfirst_core.usecases.errors import ConflictError, UseCaseError
from whoseonfirst_core.usecases.planner_dto import HolidaySettingsDTO

#: Saving holiday settings stores the library's days from this many years before now…
STORED_YEARS_BEFORE = 2
#: …to this many after.
STORED_YEARS_AFTER = 10


def holiday_settings(uow: UnitOfWork) -> HolidaySettingsDTO:
    s = settings_row(uow)
    return HolidaySettingsDTO(
        country=s.holiday_country,
        subdivision=s.holiday_subdivision,
        extra={date.fromisoformat(d): n for d, n in sorted((s.extra_holidays or {}).items())},
        version=s.version,
    )


def store_holiday_calendar(row: TeamSettings, now: datetime) -> None:
    """Store the library's days of ``row``'s country and subdivision for the years around
    ``now`` (nothing when it has no country)."""
    if row.holiday_country is None:
        row.holiday_calendar = {}
        return
    first, last = now.year - STORED_YEARS_BEFORE, now.year + STORED_YEARS_AFTER
    days = public_holidays(row.holiday_country, row.holiday_subdivision, range(first, last + 1))
    row.holiday_calendar = {
        "first_year": first,
        "last_year": last,
        "days": {d.isoformat(): n for d, n in days.items()},
    }


def _public(row: TeamSettings, years: Iterable[int]) -> dict[date, str]:
    wanted = sorted(set(years))
    if row.holiday_country is None or not wanted:
        return {}
    stored = row.holiday_calendar or {}
    first, last = stored.get("first_year"), stored.get("last_year")
    if (
        isinstance(first, int)
        and isinstance(last, int)
        and first <= wanted[0] <= wanted[-1] <= last
    ):
        days = stored.get("days")
        if isinstance(days, dict):
            return {
                d: str(n)
                for d, n in ((date.fromisoformat(k), v) for k, v in sorted(days.items()))
                if d.year in wanted
            }
    return public_holidays(row.holiday_country, row.holiday_subdivision, wanted)


def set_holiday_settings(
    uow: UnitOfWork,
    now: datetime,
    country: str | None,
    subdivision: str | None,
    extra: Mapping[date, str],
    *,
    expected_version: int | None = None,
) -> HolidaySettingsDTO:
    """Choose the team's public holidays (``holidays`` library codes, e.g. US / TX; None: none)
    and its own dates; a calendar the library does not know is refused, saying what to use."""
    country = (country or "").strip().upper() or None
    subdivision = (subdivision or "").strip().upper() or None
    if problem := check_region(country, subdivision):
        raise UseCaseError(problem)
    cleaned: dict[str, str] = {}
    for d, name in sorted(extra.items()):
        label = " ".join(name.split())
        if not label:
            raise UseCaseError(f"holiday {d.isoformat()}: the name is empty")
        if len(label) > 100:
            raise UseCaseError(f"holiday {d.isoformat()}: the name is longer than 100 characters")
        cleaned[d.isoformat()] = check_text(label, f"holiday {d.isoformat()}")
    s = settings_row(uow)
    if expected_version is not None and s.version != expected_version:
        raise ConflictError("someone changed the settings meanwhile: reload to see the latest")
    before = {
        "country": s.holiday_country,
        "subdivision": s.holiday_subdivision,
        "extra": dict(s.extra_holidays or {}),
    }
    after = {"country": country, "subdivision": subdivision, "extra": cleaned}
    if before != after:
        s.holiday_country, s.holiday_subdivision, s.extra_holidays = country, subdivision, cleaned
        store_holiday_calendar(s, now)
        uow.session.flush()
        region = "/".join(p for p in (country, subdivision) if p) or "none"
        record_audit(
            uow,
            now,
            "settings.holidays",
            "team_settings",
            1,
            f"holidays: {region}, {plural(len(cleaned), 'own date')}",
            before,
            after,
        )
    return holiday_settings(uow)


def holidays_between(uow: UnitOfWork, first: date, last: date) -> dict[date, str]:
    """The team's holidays from local date ``first`` to ``last`` (both included): the
    country's (observed days included) and the team's own."""
    s = settings_row(uow)
    years = range(first.year, last.year + 1)
    extra = {date.fromisoformat(d): n for d, n in (s.extra_holidays or {}).items()}
    days = with_extra(_public(s, years), extra, years)
    return {d: n for d, n in days.items() if first <= d <= last}
