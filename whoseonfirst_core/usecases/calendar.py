"""Calendar edits: overrides (cover, swap, cancel), applied as one plan in one transaction.

What an edit does and whether it may is decided by
:func:`whoseonfirst_core.domain.overrides.decide_edits`; this module reads what it needs from the
database, asks, and writes the overrides and the audit trail.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, tzinfo
from typing import TypeVar

from sqlalchemy import and_, case, or_, select, update

from whoseonfirst_core.db.models import Member, Override, ScheduleEntry
from whoseonfirst_core.db.session import UnitOfWork
from whoseonfirst_core.domain.overrides import (
    MAX_REASON,
    CalendarEdit,
    CalendarFacts,
    CancelOverride,
    Cover,
    MemberRef,
    NewOverride,
    Refusal,
    RefusalKind,
    StoredOverride,
    Swap,
    decide_edits,
)
from whoseonfirst_core.domain.resolution import ScheduledEntry as EntryFacts
from whoseonfirst_core.domain.timeutil import fmt_local_long, to_utc
from whoseonfirst_core.usecases.common import override_dto, record_audit, team_zone
from whoseonfirst_core.usecases.dto import OverrideDTO
from whoseonfirst_core.usecases.errors import ConflictError, NotFoundError, UseCaseError
from whoseonfirst_core.usecases.schedule import effective_overrides, member_names, scheduled_entries

__all__ = [
    "MAX_REASON",
    "CalendarEdit",
    "CancelOverride",
    "Cover",
    "Swap",
    "add_override",
    "apply_calendar_plan",
    "calendar_facts",
    "complete_ended_overrides",
    "list_overrides",
]

_Row = TypeVar("_Row", ScheduleEntry, Override)


def apply_calendar_plan(
    uow: UnitOfWork, now: datetime, edits: Sequence[CalendarEdit]
) -> list[OverrideDTO]:
    """Apply a set of calendar edits atomically: all of them or (on any error) none.

    Returns the overrides created or cancelled, in the order of the edits (a swap gives two).
    """
    if not edits:
        return []
    facts = calendar_facts(uow, edits)
    plan = decide_edits(facts, edits, now)
    if plan.refusal is not None:
        raise _error(plan.refusal)
    names = {m.member_id: m.name for m in facts.members}
    results: list[OverrideDTO] = []
    for decision in plan.decisions:
        results += [_insert(uow, now, new, names, facts.tz) for new in decision.creates]
        results += [_cancel(uow, now, old.override_id, names) for old in decision.cancels]
    return results


def add_override(uow: UnitOfWork, now: datetime, cover: Cover) -> OverrideDTO:
    """One cover (see :func:`apply_calendar_plan`)."""
    return apply_calendar_plan(uow, now, [cover])[0]


def calendar_facts(uow: UnitOfWork, edits: Sequence[CalendarEdit]) -> CalendarFacts:
    """What the edit rules need to decide ``edits``: the entries and overrides overlapping the
    times they touch (the overrides they cancel whatever their status), and every member."""
    entry_ids = {i for e in edits if isinstance(e, Swap) for i in (e.entry_a, e.entry_b)}
    override_ids = {e.override_id for e in edits if isinstance(e, CancelOverride)}
    swapped = _by_id(uow, ScheduleEntry, entry_ids)
    cancelled = _by_id(uow, Override, override_ids)
    ranges = [(to_utc(e.start), to_utc(e.end)) for e in edits if isinstance(e, Cover)]
    ranges += [(e.start_at, e.end_at) for e in swapped]
    ranges += [(o.start_at, o.end_at) for o in cancelled]
    entries = {e.id: e for e in swapped}
    overrides = {o.id: o for o in cancelled}
    if ranges:
        lo, hi = min(r[0] for r in ranges), max(r[1] for r in ranges)
        entries |= {e.id: e for e in scheduled_entries(uow, lo, hi)}
        overrides |= {o.id: o for o in effective_overrides(uow, lo, hi)}
    members = uow.session.execute(select(Member.id, Member.name, Member.archived)).tuples()
    return CalendarFacts(
        tz=team_zone(uow),
        entries=tuple(
            EntryFacts(e.id, e.shift_name, e.start_at, e.end_at, e.member_id)
            for e in sorted(entries.values(), key=lambda e: e.start_at)
        ),
        overrides=tuple(
            StoredOverride(o.id, o.member_id, o.start_at, o.end_at, o.status, o.version)
            for o in sorted(overrides.values(), key=lambda o: o.id)
        ),
        members=tuple(MemberRef(i, name, archived) for i, name, archived in members),
    )


def _by_id(uow: UnitOfWork, model: type[_Row], ids: set[int]) -> list[_Row]:
    if not ids:
        return []
    return list(uow.session.scalars(select(model).where(model.id.in_(ids))))


def _error(refusal: Refusal) -> UseCaseError:
    if refusal.kind is RefusalKind.CONFLICT:
        return ConflictError(refusal.message, list(refusal.conflicts))
    if refusal.kind is RefusalKind.GONE:
        return NotFoundError(refusal.message)
    return UseCaseError(refusal.message)


def _insert(
    uow: UnitOfWork, now: datetime, new: NewOverride, names: dict[int, str], tz: tzinfo
) -> OverrideDTO:
    o = Override(
        member_id=new.member_id,
        start_at=new.start,
        end_at=new.end,
        reason=new.reason,
        status="active",
        created_at=now,
        created_by=uow.actor,
    )
    uow.session.add(o)
    uow.session.flush()
    name = names[new.member_id]
    record_audit(
        uow,
        now,
        "override.add",
        "override",
        o.id,
        f"{name} covers {fmt_local_long(new.start, tz)} → {fmt_local_long(new.end, tz)}",
        None,
        {"member": name, "start": new.start, "end": new.end, "reason": o.reason},
    )
    return override_dto(o, names)


def _cancel(uow: UnitOfWork, now: datetime, override_id: int, names: dict[int, str]) -> OverrideDTO:
    o = uow.session.get(Override, override_id)
    assert o is not None  # decide_edits saw it in calendar_facts
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


def complete_ended_overrides(uow: UnitOfWork, now: datetime) -> int:
    """Make each override's status follow ``now``: active ones that have ended become
    completed, and completed ones that have not ended become active again (a wall clock that
    ran ahead completed them; once it is corrected they can be edited and cancelled again).
    Returns how many changed."""
    ended = Override.end_at <= now
    result = uow.session.execute(
        update(Override)
        .where(
            or_(
                and_(Override.status == "active", ended),
                and_(Override.status == "completed", ~ended),
            )
        )
        .values(status=case((ended, "completed"), else_="active"), version=Override.version + 1)
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
