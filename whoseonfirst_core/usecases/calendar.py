"""Calendar edits: overrides (cover, swap), applied as one plan in one transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update

from whoseonfirst_core.db.models import Member, Override, ScheduleEntry
from whoseonfirst_core.db.session import UnitOfWork
from whoseonfirst_core.domain.resolution import on_call_at
from whoseonfirst_core.domain.timeutil import fmt_local_long, to_utc
from whoseonfirst_core.usecases.common import check_text, override_dto, record_audit, team_zone
from whoseonfirst_core.usecases.dto import OverrideDTO
from whoseonfirst_core.usecases.errors import ConflictError, NotFoundError, UseCaseError
from whoseonfirst_core.usecases.schedule import member_names, resolve_window

MAX_REASON = 500


@dataclass(frozen=True, slots=True)
class Cover:
    """``member_id`` covers ``[start, end)``. ``expected_member_id``: who the admin saw on call
    there when planning the edit (None: do not check)."""

    member_id: int
    start: datetime
    end: datetime
    reason: str = ""
    expected_member_id: int | None = None


@dataclass(frozen=True, slots=True)
class Swap:
    """The people on call for two entries trade places: two overrides."""

    entry_a: int
    entry_b: int
    reason: str = ""
    expected_a: int | None = None
    expected_b: int | None = None


@dataclass(frozen=True, slots=True)
class CancelOverride:
    override_id: int
    expected_version: int | None = None


CalendarEdit = Cover | Swap | CancelOverride


def _validate_cover(uow: UnitOfWork, now: datetime, c: Cover) -> tuple[Member, datetime, datetime]:
    start, end = to_utc(c.start), to_utc(c.end)
    if end <= start:
        raise UseCaseError("an override must end after it starts")
    if end <= now:
        raise UseCaseError("that time is already over: past shifts cannot be changed")
    if len(c.reason) > MAX_REASON:
        raise UseCaseError(f"reason: longer than {MAX_REASON} characters")
    check_text(c.reason, "reason")
    m = uow.session.get(Member, c.member_id)
    if m is None:
        raise NotFoundError("that member no longer exists (refresh)")
    if m.archived:
        raise UseCaseError(f"{m.name} is archived and cannot cover shifts")
    return m, start, end


def add_override(uow: UnitOfWork, now: datetime, cover: Cover) -> OverrideDTO:
    m, start, end = _validate_cover(uow, now, cover)
    tz = team_zone(uow)
    if cover.expected_member_id is not None:
        _check_expected(uow, start, end, cover.expected_member_id)
    o = Override(
        member_id=m.id,
        start_at=start,
        end_at=end,
        reason=cover.reason.strip(),
        status="active",
        created_at=now,
        created_by=uow.actor,
    )
    uow.session.add(o)
    uow.session.flush()
    record_audit(
        uow,
        now,
        "override.add",
        "override",
        o.id,
        f"{m.name} covers {fmt_local_long(start, tz)} → {fmt_local_long(end, tz)}",
        None,
        {"member": m.name, "start": start, "end": end, "reason": o.reason},
    )
    return override_dto(o, {m.id: m.name})


def _check_expected(uow: UnitOfWork, start: datetime, end: datetime, expected: int) -> None:
    spans = resolve_window(uow, start, end)
    current = on_call_at(spans, start)
    names = member_names(uow)
    if current is None or current.member_id != expected:
        who = names.get(current.member_id, "nobody") if current else "nobody"
        raise ConflictError(
            "the calendar changed since you planned this edit",
            [
                f"{fmt_local_long(start, team_zone(uow))}: you saw {names.get(expected, '?')}, "
                f"now {who} is on call"
            ],
        )


def _entry(uow: UnitOfWork, entry_id: int) -> ScheduleEntry:
    e = uow.session.get(ScheduleEntry, entry_id)
    if e is None:
        raise ConflictError("a shift you planned to swap was regenerated; refresh and retry")
    return e


def swap_entries(uow: UnitOfWork, now: datetime, swap: Swap) -> list[OverrideDTO]:
    a, b = _entry(uow, swap.entry_a), _entry(uow, swap.entry_b)
    if a.id == b.id:
        raise UseCaseError("a shift cannot be swapped with itself")
    spans_a = resolve_window(uow, a.start_at, a.end_at)
    spans_b = resolve_window(uow, b.start_at, b.end_at)
    who_a = on_call_at(spans_a, max(a.start_at, now)) or (spans_a[0] if spans_a else None)
    who_b = on_call_at(spans_b, max(b.start_at, now)) or (spans_b[0] if spans_b else None)
    if who_a is None or who_b is None:
        raise UseCaseError("nobody is on call for one of those shifts")
    if swap.expected_a is not None and who_a.member_id != swap.expected_a:
        raise ConflictError("the calendar changed since you planned this swap")
    if swap.expected_b is not None and who_b.member_id != swap.expected_b:
        raise ConflictError("the calendar changed since you planned this swap")
    if who_a.member_id == who_b.member_id:
        raise UseCaseError("both shifts are with the same person: nothing to swap")
    reason = swap.reason or "swap"
    first = add_override(uow, now, Cover(who_b.member_id, max(a.start_at, now), a.end_at, reason))
    second = add_override(uow, now, Cover(who_a.member_id, max(b.start_at, now), b.end_at, reason))
    return [first, second]


def cancel_override(
    uow: UnitOfWork, now: datetime, override_id: int, expected_version: int | None = None
) -> OverrideDTO:
    o = uow.session.get(Override, override_id)
    if o is None:
        raise NotFoundError("that override no longer exists (refresh)")
    if expected_version is not None and o.version != expected_version:
        raise ConflictError("that override was changed by someone else since you opened it")
    if o.status != "active":
        raise UseCaseError(f"that override is already {o.status}")
    if o.end_at <= now:
        raise UseCaseError("that override is over: past shifts cannot be changed")
    names = member_names(uow)
    before = {"status": o.status}
    o.status = "cancelled"
    o.cancelled_at = now
    uow.session.flush()
    record_audit(
        uow,
        now,
        "override.cancel",
        "override",
        o.id,
        f"cancelled cover by {names.get(o.member_id, '?')}",
        before,
        {"status": "cancelled"},
    )
    return override_dto(o, names)


def apply_calendar_plan(
    uow: UnitOfWork, now: datetime, edits: Sequence[CalendarEdit]
) -> list[OverrideDTO]:
    """Apply a set of calendar edits atomically: all of them or (on any error) none."""
    if not edits:
        return []
    results: list[OverrideDTO] = []
    for edit in edits:
        if isinstance(edit, Cover):
            results.append(add_override(uow, now, edit))
        elif isinstance(edit, Swap):
            results.extend(swap_entries(uow, now, edit))
        else:
            results.append(cancel_override(uow, now, edit.override_id, edit.expected_version))
    return results


def complete_ended_overrides(uow: UnitOfWork, now: datetime) -> int:
    """Mark active overrides that have ended as completed; returns how many."""
    result = uow.session.execute(
        update(Override)
        .where(Override.status == "active", Override.end_at <= now)
        .values(status="completed", version=Override.version + 1)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def list_overrides(
    uow: UnitOfWork, start: datetime, end: datetime, *, include_cancelled: bool = False
) -> list[OverrideDTO]:
    stmt = select(Override).where(Override.end_at > start, Override.start_at < end)
    if not include_cancelled:
        stmt = stmt.where(Override.status != "cancelled")
    names = member_names(uow)
    return [override_dto(o, names) for o in uow.session.scalars(stmt.order_by(Override.start_at))]
