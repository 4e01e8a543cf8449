"""The planner in the database: time off, holidays, conflicts, cover suggestions, fairness.

The rules are :mod:`whoseonfirst_core.domain.planner` (conflicts, suggestions, the ledger) and
:mod:`whoseonfirst_core.domain.holidays`; this module reads what they need and writes time off
and its audit trail (the holiday settings are :mod:`whoseonfirst_core.usecases.holidays`,
re-exported here). Suggestions become covers through
:func:`whoseonfirst_core.usecases.calendar.apply_calendar_plan`, like every calendar edit, so
the change notices tell the people.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from whoseonfirst_core.db.models import Member
from whoseonfirst_core.db.models import TimeOff as TimeOffRow
from whoseonfirst_core.db.session import UnitOfWork
from whoseonfirst_core.domain.overrides import Cover
from whoseonfirst_core.domain.planner import (
    TimeOff,
    conflicts,
    ledger,
    suggest_covers,
)
from whoseonfirst_core.domain.resolution import ResolvedSpan
from whoseonfirst_core.domain.templates import SummaryMarks
from whoseonfirst_core.domain.timeutil import day_start, fmt_local_long, local_date, to_utc
from whoseonfirst_core.usecases.calendar import apply_calendar_plan
from whoseonfirst_core.usecases.common import (
    check_text,
    record_audit,
    rotation_members,
    settings_row,
    team_zone,
)
from whoseonfirst_core.usecases.dto import OverrideDTO
from whoseonfirst_core.usecases.errors import ConflictError, NotFoundError, UseCaseError
from whoseonfirst_core.usecases.holidays import (
    holiday_settings,
    holidays_between,
    set_holiday_settings,
)
from whoseonfirst_core.usecases.planner_dto import (
    ConflictDTO,
    FairnessDTO,
    FairnessRowDTO,
    HolidaySettingsDTO,
    SuggestionDTO,
    TimeOffDTO,
)
from whoseonfirst_core.usecases.schedule import horizon_end, member_names, resolve_window

__all__ = [
    "ConflictDTO",
    "FairnessDTO",
    "FairnessRowDTO",
    "HolidaySettingsDTO",
    "SuggestionDTO",
    "TimeOffDTO",
    "add_time_off",
    "apply_suggestions",
    "away_during",
    "cancel_time_off",
    "conflicts_in",
    "default_fairness_window",
    "edit_time_off",
    "fairness",
    "holiday_settings",
    "holidays_between",
    "list_time_off",
    "set_holiday_settings",
    "span_marks",
    "suggest_covers_in",
    "suggestion_covers",
    "summary_marks",
]

#: The longest reason time off may carry.
MAX_TIME_OFF_REASON = 200
#: The fairness window looks back this far by default (and suggestions weigh this much past).
LEDGER_LOOKBACK = timedelta(days=365)
#: Suggestions look this far around a window for the spans just before and after a conflict.
REST_MARGIN = timedelta(days=8)


# --- time off -------------------------------------------------------------------------------


def _dto(row: TimeOffRow, names: Mapping[int, str]) -> TimeOffDTO:
    return TimeOffDTO(
        id=row.id,
        member_id=row.member_id,
        member_name=names.get(row.member_id, "?"),
        start=row.start_at,
        end=row.end_at,
        reason=row.reason,
        created_by=row.created_by,
        created_at=row.created_at,
        cancelled_at=row.cancelled_at,
        version=row.version,
    )


def _clean_reason(reason: str) -> str:
    reason = " ".join(reason.split())
    if len(reason) > MAX_TIME_OFF_REASON:
        raise UseCaseError(f"reason: longer than {MAX_TIME_OFF_REASON} characters")
    return check_text(reason, "reason")


def _checked(
    uow: UnitOfWork, member_id: int, start: datetime, end: datetime, *, other_than: int | None
) -> tuple[Member, datetime, datetime]:
    member = uow.session.get(Member, member_id)
    if member is None or member.archived:
        raise NotFoundError("that member no longer exists: reload the Team page")
    start, end = to_utc(start), to_utc(end)
    if end <= start:
        raise UseCaseError("time off must end after it starts")
    clash = next(
        (t for t in _rows(uow, start, end, member_id) if t.id != other_than),
        None,
    )
    if clash is not None:
        tz = team_zone(uow)
        raise UseCaseError(
            f"{member.name} is already away from {fmt_local_long(clash.start_at, tz)} to "
            f"{fmt_local_long(clash.end_at, tz)}: edit that time off instead"
        )
    return member, start, end


def _rows(
    uow: UnitOfWork, start: datetime, end: datetime, member_id: int | None = None
) -> list[TimeOffRow]:
    stmt = select(TimeOffRow).where(
        TimeOffRow.end_at > start, TimeOffRow.start_at < end, TimeOffRow.cancelled_at.is_(None)
    )
    if member_id is not None:
        stmt = stmt.where(TimeOffRow.member_id == member_id)
    return list(uow.session.scalars(stmt.order_by(TimeOffRow.start_at, TimeOffRow.id)))


def _summary(name: str, start: datetime, end: datetime, reason: str, uow: UnitOfWork) -> str:
    tz = team_zone(uow)
    why = f" ({reason})" if reason else ""
    return f"{name} away {fmt_local_long(start, tz)} → {fmt_local_long(end, tz)}{why}"


def add_time_off(
    uow: UnitOfWork, member_id: int, start: datetime, end: datetime, reason: str, now: datetime
) -> TimeOffDTO:
    """Record that a member is away during ``[start, end)``; refused when it overlaps their
    other time off (edit that one instead)."""
    member, start, end = _checked(uow, member_id, start, end, other_than=None)
    reason = _clean_reason(reason)
    row = TimeOffRow(
        member_id=member.id,
        start_at=start,
        end_at=end,
        reason=reason,
        created_at=now,
        created_by=uow.actor,
    )
    uow.session.add(row)
    uow.session.flush()
    record_audit(
        uow,
        now,
        "time_off.add",
        "time_off",
        row.id,
        _summary(member.name, start, end, reason, uow),
        None,
        {"member": member.name, "start": start, "end": end, "reason": reason},
    )
    return _dto(row, {member.id: member.name})


def _live(uow: UnitOfWork, time_off_id: int, expected_version: int | None) -> TimeOffRow:
    row = uow.session.get(TimeOffRow, time_off_id)
    if row is None or row.cancelled_at is not None:
        raise NotFoundError("that time off was cancelled meanwhile: reload to see the latest")
    if expected_version is not None and row.version != expected_version:
        raise ConflictError("someone changed that time off meanwhile: reload to see the latest")
    return row


def edit_time_off(
    uow: UnitOfWork,
    time_off_id: int,
    start: datetime,
    end: datetime,
    reason: str,
    now: datetime,
    *,
    expected_version: int | None = None,
) -> TimeOffDTO:
    """Change the dates or the reason of time off (the member stays the same)."""
    row = _live(uow, time_off_id, expected_version)
    member, start, end = _checked(uow, row.member_id, start, end, other_than=row.id)
    reason = _clean_reason(reason)
    before = {"start": row.start_at, "end": row.end_at, "reason": row.reason}
    row.start_at, row.end_at, row.reason = start, end, reason
    uow.session.flush()
    record_audit(
        uow,
        now,
        "time_off.edit",
        "time_off",
        row.id,
        _summary(member.name, start, end, reason, uow),
        before,
        {"start": start, "end": end, "reason": reason},
    )
    return _dto(row, {member.id: member.name})


def cancel_time_off(
    uow: UnitOfWork, time_off_id: int, now: datetime, *, expected_version: int | None = None
) -> TimeOffDTO:
    """Cancel time off: the row stays, with ``cancelled_at`` set."""
    row = _live(uow, time_off_id, expected_version)
    row.cancelled_at = now
    uow.session.flush()
    names = member_names(uow)
    record_audit(
        uow,
        now,
        "time_off.cancel",
        "time_off",
        row.id,
        "cancelled " + _summary(names.get(row.member_id, "?"), row.start_at, row.end_at, "", uow),
        {"cancelled_at": None},
        {"cancelled_at": now},
    )
    return _dto(row, names)


def list_time_off(
    uow: UnitOfWork, start: datetime, end: datetime, *, member_id: int | None = None
) -> list[TimeOffDTO]:
    """Time off (not cancelled) overlapping ``[start, end)``, by start; only ``member_id``'s
    when given (the Team page's list for one person)."""
    names = member_names(uow)
    return [_dto(r, names) for r in _rows(uow, start, end, member_id)]


def away_during(
    uow: UnitOfWork, member_id: int, start: datetime, end: datetime
) -> TimeOffDTO | None:
    """The member's first time off overlapping ``[start, end)``, or None: what a cover that
    assigns them asks the admin to confirm."""
    rows = _rows(uow, to_utc(start), to_utc(end), member_id)
    return _dto(rows[0], member_names(uow)) if rows else None


def _facts(uow: UnitOfWork, start: datetime, end: datetime) -> list[TimeOff]:
    """The time off overlapping ``[start, end)`` as the rules take it (columns, not rows: a
    year of a large team's time off is read for every ledger)."""
    rows = uow.session.execute(
        select(
            TimeOffRow.id,
            TimeOffRow.member_id,
            TimeOffRow.start_at,
            TimeOffRow.end_at,
            TimeOffRow.reason,
        ).where(
            TimeOffRow.end_at > start,
            TimeOffRow.start_at < end,
            TimeOffRow.cancelled_at.is_(None),
        )
    ).tuples()
    return [TimeOff(*r) for r in rows]


# --- holidays: see usecases.holidays ---------------------------------------------------------


def _holidays_for(uow: UnitOfWork, start: datetime, end: datetime, tz: ZoneInfo) -> dict[date, str]:
    return holidays_between(uow, local_date(start, tz), local_date(end, tz))


# --- conflicts and suggestions --------------------------------------------------------------


def conflicts_in(uow: UnitOfWork, start: datetime, end: datetime) -> list[ConflictDTO]:
    """Spans overlapping ``[start, end)`` whose person on call is away, in time order (spans
    whole, not cut to the window)."""
    spans = resolve_window(uow, start, end, clip=False)
    lo = min([start] + [s.start for s in spans])
    hi = max([end] + [s.end for s in spans])
    names = member_names(uow)
    return [
        ConflictDTO(
            c.span_start,
            c.span_end,
            c.member_id,
            names.get(c.member_id, "?"),
            c.time_off_id,
            c.reason,
            c.away_start,
            c.away_end,
        )
        for c in conflicts(spans, _facts(uow, lo, hi))
    ]


def _ledger_window(uow: UnitOfWork, now: datetime, end: datetime) -> tuple[datetime, datetime]:
    stored = horizon_end(uow)
    return now - LEDGER_LOOKBACK, max(end, stored) if stored is not None else end


def suggest_covers_in(
    uow: UnitOfWork, start: datetime, end: datetime, now: datetime
) -> list[SuggestionDTO]:
    """A fair cover for every conflict in ``[max(start, now), end)`` (see
    :func:`~whoseonfirst_core.domain.planner.suggest_covers`); the load is the ledger from a
    year before ``now`` to the end of the planned schedule."""
    start = max(to_utc(start), now)
    end = to_utc(end)
    if end <= start:
        return []
    tz = team_zone(uow)
    led_lo, led_hi = _ledger_window(uow, now, end)
    lo, hi = min(led_lo, start - REST_MARGIN), max(led_hi, end + REST_MARGIN)
    spans = resolve_window(uow, lo, hi, clip=False)
    time_off = _facts(uow, lo, hi)
    holidays = _holidays_for(uow, led_lo, led_hi, tz)
    rotation = [m.id for m in rotation_members(uow)]
    rows = ledger(spans, time_off, holidays, tz, led_lo, led_hi, members=rotation)
    names = member_names(uow)
    found = suggest_covers(
        [s for s in spans if s.end > start - REST_MARGIN and s.start < end + REST_MARGIN],
        time_off,
        rotation=rotation,
        ledger_rows=rows,
        holidays=holidays,
        tz=tz,
        start=start,
        end=end,
    )
    return [
        SuggestionDTO(
            s.start,
            s.end,
            s.away_member_id,
            names.get(s.away_member_id, "?"),
            s.suggested_member_id,
            names.get(s.suggested_member_id) if s.suggested_member_id is not None else None,
            s.reason,
            s.conflict,
            s.time_off_id,
        )
        for s in found
    ]


def suggestion_covers(suggestions: Sequence[SuggestionDTO]) -> list[Cover]:
    """The calendar edits that apply ``suggestions`` (those naming someone): each a cover that
    expects the away member on call, so a schedule changed meanwhile refuses it."""
    return [
        Cover(s.suggested_member_id, s.start, s.end, s.conflict, s.away_member_id)
        for s in suggestions
        if s.suggested_member_id is not None
    ]


def apply_suggestions(
    uow: UnitOfWork, now: datetime, suggestions: Sequence[SuggestionDTO]
) -> list[OverrideDTO]:
    """Create the covers of ``suggestions`` in one calendar plan (all or none)."""
    return apply_calendar_plan(uow, now, suggestion_covers(suggestions))


# --- fairness -------------------------------------------------------------------------------


def default_fairness_window(uow: UnitOfWork, now: datetime) -> tuple[date, date]:
    """The last 12 months and the planned schedule: local dates, both included."""
    tz = team_zone(uow)
    lo, hi = _ledger_window(uow, now, now)
    return local_date(lo, tz), local_date(hi - timedelta(microseconds=1), tz)


def fairness(uow: UnitOfWork, first: date | None, last: date | None, now: datetime) -> FairnessDTO:
    """The fairness ledger for local dates ``first`` to ``last`` (both included; None: the
    default window, see :func:`default_fairness_window`)."""
    default_first, default_last = default_fairness_window(uow, now)
    first = default_first if first is None else first
    last = default_last if last is None else last
    if last < first:
        raise UseCaseError("the window ends before it starts")
    tz = team_zone(uow)
    start, end = day_start(first, tz), day_start(last + timedelta(days=1), tz)
    spans = resolve_window(uow, start, end)
    holidays = holidays_between(uow, first, last)
    rotation = [m.id for m in rotation_members(uow)]
    rows = ledger(spans, _facts(uow, start, end), holidays, tz, start, end, members=rotation)
    names = member_names(uow)
    return FairnessDTO(
        first=first,
        last=last,
        timezone=settings_row(uow).timezone,
        rows=tuple(
            FairnessRowDTO(
                member_id=r.member_id,
                member_name=names.get(r.member_id, "?"),
                shifts=r.shifts,
                hours=r.hours,
                weekend_hours=r.weekend_hours,
                holiday_hours=r.holiday_hours,
                night_hours=r.night_hours,
                covers_given=r.covers_given,
                covers_received=r.covers_received,
                time_off_days=r.time_off_days,
            )
            for r in rows
        ),
    )


def span_marks(uow: UnitOfWork, start: datetime, end: datetime) -> SummaryMarks:
    """What the calendar and ``preview`` mark on the spans overlapping ``[start, end)``: see
    :func:`summary_marks`."""
    return summary_marks(uow, resolve_window(uow, start, end, clip=False), start, end)


def summary_marks(
    uow: UnitOfWork, spans: Sequence[ResolvedSpan], start: datetime, end: datetime
) -> SummaryMarks:
    """The marks of ``spans`` (resolved, unclipped, overlapping ``[start, end)``): the conflict
    reason by (span start, member id) and the holidays of every local date they touch (see
    :func:`~whoseonfirst_core.domain.planner.holiday_names`)."""
    lo = min([start] + [s.start for s in spans])
    hi = max([end] + [s.end for s in spans])
    by_span: dict[tuple[datetime, int], str] = {}
    for c in conflicts(spans, _facts(uow, lo, hi)):
        by_span.setdefault((c.span_start, c.member_id), c.reason)
    tz = team_zone(uow)
    return SummaryMarks(by_span, _holidays_for(uow, lo, hi - timedelta(microseconds=1), tz))
