"""The rotation in the database: epochs, generated entries, horizon, and resolved views."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, text

from whoseonfirst_core.db.models import (
    Member,
    Override,
    RotationEpoch,
    ScheduleEntry,
)
from whoseonfirst_core.db.session import UnitOfWork
from whoseonfirst_core.domain.resolution import (
    OverrideSpan,
    ResolvedSpan,
    ScheduledEntry,
    clip_spans,
    coverage_gaps,
    resolve_on_call,
)
from whoseonfirst_core.domain.rotation import (
    SHIFT_MARGIN,
    Epoch,
    PlannedEntry,
    clip_to_floor,
    meet_at_seam,
    plan_entries,
)
from whoseonfirst_core.domain.timeutil import day_start, local_date
from whoseonfirst_core.usecases.common import (
    all_members,
    member_dto,
    override_dto,
    pattern_from_json,
    settings_row,
    team_zone,
)
from whoseonfirst_core.usecases.dto import (
    EntryDTO,
    MemberDTO,
    ScheduleView,
    SpanDTO,
)
from whoseonfirst_core.usecases.errors import UseCaseError

_Row = TypeVar("_Row", ScheduleEntry, Override)

#: The horizon extends itself when fewer than this many weeks of schedule remain.
EXTEND_WHEN_WEEKS_LEFT = 4
#: PostgreSQL advisory lock that makes generators of schedule entries take turns ("WOF" 1).
GENERATION_LOCK_KEY = 0x574F4601


def epoch_of(row: RotationEpoch) -> Epoch:
    return Epoch(
        effective_from=row.effective_from,
        member_ids=tuple(int(i) for i in row.member_ids),
        pattern=pattern_from_json(row.pattern),
        start_index=row.start_index,
        seq_offset=row.seq_offset,
    )


def epochs(uow: UnitOfWork) -> list[RotationEpoch]:
    return list(uow.session.scalars(select(RotationEpoch).order_by(RotationEpoch.effective_from)))


def earliest_change_date(uow: UnitOfWork, now: datetime) -> date:
    """The first local date a team or pattern change may take effect from.

    A change never touches a shift that has started: it may start today only while none of
    today's shifts has begun (and no generated entry starting today or later has started).
    """
    tz = team_zone(uow)
    today = local_date(now, tz)
    started = uow.session.scalar(
        select(func.max(ScheduleEntry.start_at)).where(ScheduleEntry.start_at <= now)
    )
    if started is not None and local_date(started, tz) >= today:
        return local_date(started, tz) + timedelta(days=1)
    return today


def _planned_for_epoch(
    row: RotationEpoch,
    next_row: RotationEpoch | None,
    tz: ZoneInfo,
    until: datetime,
    after_seq: int,
) -> list[PlannedEntry]:
    return plan_entries(
        epoch_of(row),
        tz,
        until,
        after_seq=after_seq,
        stop_before=next_row.effective_from if next_row is not None else None,
    )


def extend_horizon(
    uow: UnitOfWork, now: datetime, *, force: bool = False, previous_zone: ZoneInfo | None = None
) -> int:
    """Generate entries up to ``horizon_weeks`` ahead when fewer than 4 weeks remain.

    Returns the number of entries added. Existing entries are never changed (P4): each epoch
    continues from its highest stored ``seq``. ``previous_zone``: the team's zone before a
    change of zone that deleted the future to regenerate it (see :func:`meet_at_seam`).
    """
    settings = settings_row(uow)
    tz = ZoneInfo(settings.timezone)
    if not force and not _horizon_is_short(uow, now):
        return 0
    _take_generation_lock(uow)
    if not force and not _horizon_is_short(uow, now):
        return 0  # another transaction extended it while this one waited for the lock
    until = now + timedelta(weeks=settings.horizon_weeks)
    rows = epochs(uow)
    max_seq: dict[int, int] = {
        int(epoch_id): int(seq)
        for epoch_id, seq in uow.session.execute(
            select(ScheduleEntry.epoch_id, func.max(ScheduleEntry.seq)).group_by(
                ScheduleEntry.epoch_id
            )
        ).tuples()
    }
    planned: list[tuple[int, PlannedEntry]] = []
    for i, row in enumerate(rows):
        nxt = rows[i + 1] if i + 1 < len(rows) else None
        if nxt is not None and row.id in max_seq and nxt.id in max_seq:
            continue  # a closed epoch whose successor already started generating
        planned += [
            (row.id, p) for p in _planned_for_epoch(row, nxt, tz, until, max_seq.get(row.id, -1))
        ]
    if not planned:
        return 0
    # An epoch may start a shift while the one before still runs (a 48 h shift across a
    # pattern change, or a new time zone moving the wall clock): the running shift keeps its
    # end and the new one starts there (see clip_to_floor), or where it ends if a zone to the
    # west would start it later (meet_at_seam).
    floor = uow.session.scalar(
        select(func.max(ScheduleEntry.end_at)).where(ScheduleEntry.start_at < planned[0][1].start)
    )
    if previous_zone is None:
        kept = clip_to_floor(planned, floor)
    else:
        kept = meet_at_seam(planned, floor, tz, previous_zone)
    for epoch_id, p in kept:
        uow.session.add(
            ScheduleEntry(
                epoch_id=epoch_id,
                seq=p.seq,
                shift_name=p.shift_name,
                start_at=p.start,
                end_at=p.end,
                member_id=p.member_id,
            )
        )
    uow.session.flush()
    return len(kept)


def extend_through(uow: UnitOfWork, now: datetime, until: datetime) -> int:
    """Generate the schedule up to at least ``until`` (UTC) the way the service's own
    extensions would by the time they got there: entries continue each epoch's sequence, so
    generating far ahead in one go gives the entries the ticks add week by week. For previews
    of any window (``preview``, ``simulate``) in a transaction the caller rolls back; returns
    the number of entries added. Writes nothing when the stored schedule already reaches
    ``until`` (so a read-only connection can preview any window inside it)."""
    stored = horizon_end(uow)
    if stored is not None and stored >= until:
        return 0
    weeks = timedelta(weeks=settings_row(uow).horizon_weeks)
    return extend_horizon(uow, max(now, until - weeks), force=True)


def _horizon_is_short(uow: UnitOfWork, now: datetime) -> bool:
    last_start = uow.session.scalar(select(func.max(ScheduleEntry.start_at)))
    return last_start is None or last_start < now + timedelta(weeks=EXTEND_WHEN_WEEKS_LEFT)


def _take_generation_lock(uow: UnitOfWork) -> None:
    """Let one transaction at a time generate entries, so two service instances (or the service
    and the app) extending the horizon together cannot both insert the same entries (a unique
    violation that failed the second one's whole tick).

    PostgreSQL: a transaction-scoped advisory lock, released at commit or rollback; every
    statement after it sees what the previous holder committed. SQLite needs nothing: its write
    transactions start with ``BEGIN IMMEDIATE`` and so already take turns.
    """
    if uow.session.get_bind().dialect.name == "postgresql":
        uow.session.execute(
            text("SELECT pg_advisory_xact_lock(:key)"), {"key": GENERATION_LOCK_KEY}
        )


def horizon_end(uow: UnitOfWork) -> datetime | None:
    return uow.session.scalar(select(func.max(ScheduleEntry.end_at)))


# --- reading the resolved schedule ----------------------------------------------------------


def scheduled_entries(uow: UnitOfWork, start: datetime, end: datetime) -> list[ScheduleEntry]:
    return list(
        uow.session.scalars(
            select(ScheduleEntry)
            .where(ScheduleEntry.end_at > start, ScheduleEntry.start_at < end)
            .order_by(ScheduleEntry.start_at)
        )
    )


def effective_overrides(uow: UnitOfWork, start: datetime, end: datetime) -> list[Override]:
    """Overrides that apply in ``[start, end)``: active and completed ones, not cancelled."""
    return list(
        uow.session.scalars(
            select(Override)
            .where(
                Override.end_at > start,
                Override.start_at < end,
                Override.status != "cancelled",
            )
            .order_by(Override.id)
        )
    )


#: How far around a window its rows are read in the first go. A generated entry lasts at most
#: 168 h, so the hull of what overlaps a window (see :func:`_window_rows`) nearly always lies
#: within this margin and resolving costs two queries, not four.
READ_MARGIN = SHIFT_MARGIN


@dataclass(frozen=True, slots=True)
class _WindowRows:
    entries: list[ScheduleEntry]  # overlapping the window
    overrides: list[Override]  # overlapping the window, not cancelled
    hull_entries: list[ScheduleEntry]  # overlapping the hull (what resolution needs)
    hull_overrides: list[Override]


def _overlapping(rows: list[_Row], start: datetime, end: datetime) -> list[_Row]:
    return [r for r in rows if r.end_at > start and r.start_at < end]


def _window_rows(uow: UnitOfWork, start: datetime, end: datetime) -> _WindowRows:
    """The entries and overrides overlapping ``[start, end)``, and those overlapping its hull.

    A span overlapping the window is cut at every boundary inside the entry (or override) it
    belongs to, even beyond the window: an override starting after ``end`` still ends the span
    running at ``end``. So resolution runs over the hull of everything overlapping the window:
    unclipped spans come out whole (their end is a text's validity) and entries that overlap an
    override but not the window still say who is scheduled. Rows are read once for the window
    widened by :data:`READ_MARGIN` and filtered here; only a hull reaching past that (a very
    long override) is read again.
    """
    lo_read, hi_read = start - READ_MARGIN, end + READ_MARGIN
    near_entries = scheduled_entries(uow, lo_read, hi_read)
    near_overrides = effective_overrides(uow, lo_read, hi_read)
    entries = _overlapping(near_entries, start, end)
    ovs = _overlapping(near_overrides, start, end)
    lo = min([start] + [e.start_at for e in entries] + [o.start_at for o in ovs])
    hi = max([end] + [e.end_at for e in entries] + [o.end_at for o in ovs])
    if lo == start and hi == end:
        return _WindowRows(entries, ovs, entries, ovs)
    if lo >= lo_read and hi <= hi_read:
        return _WindowRows(
            entries, ovs, _overlapping(near_entries, lo, hi), _overlapping(near_overrides, lo, hi)
        )
    return _WindowRows(
        entries, ovs, scheduled_entries(uow, lo, hi), effective_overrides(uow, lo, hi)
    )


def _resolve_rows(rows: _WindowRows) -> list[ResolvedSpan]:
    return resolve_on_call(
        [
            ScheduledEntry(e.id, e.shift_name, e.start_at, e.end_at, e.member_id)
            for e in rows.hull_entries
        ],
        [OverrideSpan(o.id, o.member_id, o.start_at, o.end_at) for o in rows.hull_overrides],
    )


def resolve_window(
    uow: UnitOfWork, start: datetime, end: datetime, *, clip: bool = True
) -> list[ResolvedSpan]:
    """Resolved spans overlapping ``[start, end)`` (UTC); with ``clip`` cut to the window."""
    spans = _resolve_rows(_window_rows(uow, start, end))
    if not clip:
        return [s for s in spans if s.end > start and s.start < end]
    return clip_spans(spans, start, end)


def _span_dto(
    s: ResolvedSpan, by_id: dict[int, MemberDTO], override_reason: dict[int, str]
) -> SpanDTO:
    member = by_id.get(s.member_id)
    scheduled = by_id.get(s.scheduled_member_id) if s.scheduled_member_id is not None else None
    return SpanDTO(
        start=s.start,
        end=s.end,
        shift_name=s.shift_name,
        member_id=s.member_id,
        member_name=member.name if member else "?",
        member_color=member.color if member else "#888",
        entry_id=s.entry_id,
        scheduled_member_id=s.scheduled_member_id,
        scheduled_member_name=scheduled.name if scheduled else None,
        override_id=s.override_id,
        override_reason=override_reason.get(s.override_id) if s.override_id else None,
        notify=s.notify,
    )


def schedule_view(uow: UnitOfWork, start: datetime, end: datetime) -> ScheduleView:
    """Spans (unclipped, so a 48 h chip keeps its real ends), entries, overrides and gaps."""
    settings = settings_row(uow)
    members = tuple(member_dto(m) for m in all_members(uow))
    by_id = {m.id: m for m in members}
    names = {m.id: m.name for m in members}
    rows = _window_rows(uow, start, end)
    spans = [s for s in _resolve_rows(rows) if s.end > start and s.start < end]
    override_reason = {o.id: o.reason for o in rows.hull_overrides}
    gaps = tuple((g.start, g.end) for g in coverage_gaps(spans, start, end))
    return ScheduleView(
        start=start,
        end=end,
        timezone=settings.timezone,
        spans=tuple(_span_dto(s, by_id, override_reason) for s in spans),
        entries=tuple(
            EntryDTO(
                e.id, e.shift_name, e.start_at, e.end_at, e.member_id, names.get(e.member_id, "?")
            )
            for e in rows.entries
        ),
        overrides=tuple(override_dto(o, names) for o in rows.overrides),
        gaps=gaps,
        members=members,
    )


def span_at(
    uow: UnitOfWork, at: datetime, members: Sequence[MemberDTO] | None = None
) -> SpanDTO | None:
    """The resolved span (unclipped, with names) running at instant ``at``, or None when
    nobody was on call. ``members`` saves reading them when the caller already has them."""
    rows = _window_rows(uow, at, at + timedelta(microseconds=1))
    span = next((s for s in _resolve_rows(rows) if s.start <= at < s.end), None)
    if span is None:
        return None
    listed = members if members is not None else [member_dto(m) for m in all_members(uow)]
    return _span_dto(span, {m.id: m for m in listed}, {o.id: o.reason for o in rows.hull_overrides})


def preview(uow: UnitOfWork, first_day: date, days: int) -> ScheduleView:
    """The resolved schedule overlapping ``[first_day 00:00, first_day+days 00:00)`` local."""
    if days < 1 or days > 3660:
        raise UseCaseError("--days must be between 1 and 3660")
    tz = team_zone(uow)
    return schedule_view(
        uow, day_start(first_day, tz), day_start(first_day + timedelta(days=days), tz)
    )


def member_names(uow: UnitOfWork) -> dict[int, str]:
    return dict(uow.session.execute(select(Member.id, Member.name)).tuples().all())
