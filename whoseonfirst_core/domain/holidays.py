"""A team's holidays: a country's (and subdivision's) public holidays plus the team's own dates.

The calendars come from the ``holidays`` library, imported only when a team has a country set,
so the service loads it only if it needs it. Observed days (a Saturday holiday kept on the
Friday) count as holidays.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date


def check_region(country: str | None, subdivision: str | None) -> str | None:
    """Why ``country``/``subdivision`` is not a calendar the library knows, or None when it is
    (no country at all is fine: the team has only its own dates)."""
    if country is None:
        return (
            "a subdivision needs a country (e.g. country US, subdivision TX)"
            if subdivision is not None
            else None
        )
    import holidays

    supported = holidays.list_supported_countries()
    if country not in supported:
        return (
            f"unknown holiday country {country!r}: use a two-letter ISO code such as US, GB or DE"
        )
    if subdivision is not None and subdivision not in supported[country]:
        known = ", ".join(supported[country][:12])
        more = ", …" if len(supported[country]) > 12 else ""
        return (
            f"unknown subdivision {subdivision!r} of {country}: use one of {known}{more}"
            if known
            else f"{country} has no subdivisions: leave the subdivision empty"
        )
    return None


def public_holidays(country: str, subdivision: str | None, years: Iterable[int]) -> dict[date, str]:
    """The library's holidays (observed days included) of ``country``/``subdivision`` for
    ``years``, by date."""
    import holidays

    calendar = holidays.country_holidays(
        country, subdiv=subdivision, years=sorted(set(years)), observed=True, language="en_US"
    )
    return {d: str(name) for d, name in sorted(calendar.items())}


def with_extra(
    public: Mapping[date, str], extra: Mapping[date, str], years: Iterable[int]
) -> dict[date, str]:
    """``public`` and the team's own ``extra`` dates of ``years``; a date in both gets both
    names."""
    wanted = set(years)
    out = dict(public)
    for d, name in sorted(extra.items()):
        if d.year in wanted:
            out[d] = f"{out[d]}; {name}" if d in out and out[d] != name else name
    return dict(sorted(out.items()))


def team_holidays(
    country: str | None,
    subdivision: str | None,
    extra: Mapping[date, str],
    years: Iterable[int],
) -> dict[date, str]:
    """Holiday date → name for ``years``: the library's days (observed ones included) for
    ``country``/``subdivision`` (None: none), then ``extra``; a date in both gets both names."""
    wanted = sorted(set(years))
    public = public_holidays(country, subdivision, wanted) if country and wanted else {}
    return with_extra(public, extra, wanted)
