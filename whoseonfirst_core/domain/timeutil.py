"""Wall-clock arithmetic in the team's zone and the formats people read.

Instants are timezone-aware UTC everywhere; local wall-clock times exist only at the edges
(shift starts, texts, the calendar). Durations of shifts are wall-clock: 24 h from 08:00 ends
at 08:00 the next day even across a DST change.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

WEEKDAYS: tuple[str, ...] = (
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
)
WEEKDAY_ABBR: tuple[str, ...] = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


class Timed(Protocol):
    """Anything that runs over ``[start, end)``, both UTC: a span, an entry, a chip."""

    @property
    def start(self) -> datetime: ...

    @property
    def end(self) -> datetime: ...


def zone(name: str) -> ZoneInfo:
    """The IANA zone ``name``; raises ``ValueError`` naming it when unknown."""
    if not name or name != name.strip() or name.startswith("/") or ".." in name:
        raise ValueError(f"unknown time zone {name!r}")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise ValueError(f"unknown time zone {name!r}") from exc


def all_zone_names() -> list[str]:
    return sorted(available_timezones())


def ensure_aware(at: datetime) -> datetime:
    if at.tzinfo is None or at.tzinfo.utcoffset(at) is None:
        raise ValueError("naive datetime: every instant must carry its UTC offset")
    return at


def to_utc(at: datetime) -> datetime:
    return ensure_aware(at).astimezone(UTC)


def local_instant(day: date, at: time, tz: tzinfo) -> datetime:
    """The UTC instant at wall-clock ``at`` on ``day`` in ``tz``.

    A wall-clock time that does not exist (the spring-forward gap) resolves *forward* by the
    length of the gap, the way a wall clock is set: 02:30 on 2026-03-08 in America/Chicago is
    03:30 CDT, and midnight of 2026-09-06 in America/Santiago is 01:00. An ambiguous time (the
    autumn fold) takes its first occurrence: 01:30 on 2026-11-01 in Chicago is 01:30 CDT.

    Both are PEP 495's ``fold=0``: in a fold it picks the first occurrence; in a gap it applies
    the offset in force *before* the transition, which lands after the gap. (``fold=1`` would
    apply the later offset and land before the gap, an hour early.)
    """
    return datetime.combine(day, at).replace(tzinfo=tz, fold=0).astimezone(UTC)


def wall_span(day: date, at: time, hours: int, tz: tzinfo) -> tuple[datetime, datetime]:
    """The UTC start and end of a span starting at wall-clock ``at`` on ``day`` and lasting
    ``hours`` wall-clock hours.

    The end is the *nominal* local start plus ``hours``, resolved like any wall-clock time, so
    spans of one pattern tile the time line across a DST change: a shift starting in the
    spring-forward gap starts at the gap's end but still ends at the nominal time of the next
    shift's start, and a 24 h shift is 23 or 25 real hours long across a change.
    """
    nominal = datetime.combine(day, at)
    end = nominal + timedelta(hours=hours)
    return local_instant(day, at, tz), local_instant(end.date(), end.time(), tz)


def add_wall_hours(start_utc: datetime, hours: int, tz: tzinfo) -> datetime:
    """``start_utc`` plus ``hours`` of wall-clock time in ``tz`` (DST-aware).

    For spans that start at a nominal wall-clock time use :func:`wall_span`, which counts from
    the nominal start (an instant that was resolved out of a gap has lost it).
    """
    local = to_utc(start_utc).astimezone(tz)
    naive_end = local.replace(tzinfo=None) + timedelta(hours=hours)
    return local_instant(naive_end.date(), naive_end.time(), tz)


def local_date(at: datetime, tz: tzinfo) -> date:
    return to_utc(at).astimezone(tz).date()


def day_start(day: date, tz: tzinfo) -> datetime:
    return local_instant(day, time(0, 0), tz)


def fmt_local(at: datetime, tz: tzinfo) -> str:
    """``Tue 08:00 CST`` / ``Thu 08:00 CDT``: weekday, 24 h time and that instant's abbreviation."""
    local = to_utc(at).astimezone(tz)
    return f"{WEEKDAY_ABBR[local.weekday()]} {local:%H:%M} {local.tzname()}"


def fmt_local_compact(at: datetime, tz: tzinfo) -> str:
    """``Tue 3/3 08:00 CST`` for dense tables and one-line notes: weekday, month/day, 24 h time
    and that instant's abbreviation (no year)."""
    local = to_utc(at).astimezone(tz)
    return (
        f"{WEEKDAY_ABBR[local.weekday()]} {local.month}/{local.day} {local:%H:%M} {local.tzname()}"
    )


def fmt_local_long(at: datetime, tz: tzinfo) -> str:
    """``Tue 2026-03-03 08:00 CST`` for tables, logs and details."""
    local = to_utc(at).astimezone(tz)
    return f"{WEEKDAY_ABBR[local.weekday()]} {local:%Y-%m-%d %H:%M} {local.tzname()}"


def fmt_duration(start: datetime, end: datetime, tz: tzinfo) -> str:
    """A span's length as people say it: ``24h``, ``48h``, ``2h30m`` (wall-clock hours)."""
    ls = to_utc(start).astimezone(tz).replace(tzinfo=None)
    le = to_utc(end).astimezone(tz).replace(tzinfo=None)
    minutes = int((le - ls).total_seconds() // 60)
    hours, rest = divmod(minutes, 60)
    return f"{hours}h" if rest == 0 else f"{hours}h{rest:02d}m"


def parse_hhmm(text: str) -> time:
    """``HH:MM`` (24 h) to a ``time``; raises ``ValueError`` with the reason."""
    parts = text.split(":") if isinstance(text, str) else []
    if len(parts) != 2 or not all(p.isdigit() and len(p) == 2 for p in parts):
        raise ValueError(f"time {text!r} is not HH:MM (24-hour, e.g. 08:00)")
    hh, mm = int(parts[0]), int(parts[1])
    if hh > 23 or mm > 59:
        raise ValueError(f"time {text!r} is out of range (00:00-23:59)")
    return time(hh, mm)


def weekday_index(name: str) -> int:
    try:
        return WEEKDAYS.index(name.strip().lower())
    except (ValueError, AttributeError) as exc:
        raise ValueError(f"day {name!r} is not a weekday name (monday … sunday)") from exc


def parse_instant(text: str) -> datetime:
    """ISO 8601 with an offset (``2026-03-02T08:00:00-06:00`` or ``…Z``) to UTC."""
    if not isinstance(text, str):
        raise ValueError("expected an ISO 8601 date-time string")
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00") if text.endswith("Z") else text)
    except ValueError as exc:
        raise ValueError(f"{text!r} is not an ISO 8601 date-time") from exc
    if value.tzinfo is None:
        raise ValueError(f"{text!r} has no UTC offset (write e.g. 2026-03-02T08:00:00-06:00)")
    return value.astimezone(UTC)


def iso_local(at: datetime, tz: tzinfo) -> str:
    """ISO 8601 in the team's zone with its offset, seconds precision."""
    return to_utc(at).astimezone(tz).isoformat(timespec="seconds")
