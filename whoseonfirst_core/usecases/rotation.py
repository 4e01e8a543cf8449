"""Dated rotation changes in the database: record, cancel, fold, materialise, and preview.

The rotation's source of truth is the table of dated changes (``rotation_changes``, see
:class:`~whoseonfirst_core.domain.rotation.RotationChange`). Everything else is derived from
their fold and rewritten only from the first date that differs:

- ``rotation_epochs``: one row per date where the folded rotation changes;
- ``schedule_entries``: regenerated from that date on; nothing before it, and nothing that has
  started, is touched;
- ``members.active`` / ``members.position`` and ``shift_definitions``: the rotation *after every
  planned change* (who stays in it, in which order, on which pattern). They are what the roster
  export writes and what "the team" means without a date; what holds on a given day is
  :func:`rotation_status` and :func:`pattern_on`.

Changes on the same date are applied in the order they were entered (by id); on different
dates, in date order, whatever order they were entered in.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, select

from whoseonfirst_core.db.models import RotationChange as ChangeRow
from whoseonfirst_core.db.models import RotationEpoch, ScheduleEntry, ShiftDefinition
from whoseonfirst_core.db.session import UnitOfWork
from whoseonfirst_core.domain.plurals import plural
from whoseonfirst_core.domain.rotation import (
    Epoch,
    RotationChange,
    RotationState,
    ShiftDef,
    apply_change,
    change_order,
    derive_epochs,
    fold_changes,
    state_on,
    validate_pattern,
)
from whoseonfirst_core.domain.timeutil import day_start
from whoseonfirst_core.usecases.common import (
    all_members,
    current_pattern,
    pattern_from_json,
    pattern_to_json,
    record_audit,
    team_zone,
)
from whoseonfirst_core.usecases.errors import NotFoundError, UseCaseError
from whoseonfirst_core.usecases.schedule import (
    earliest_change_date,
    epochs,
    extend_horizon,
)

#: Member id a proposed new member has in a preview, before they exist.
NEW_MEMBER_ID = -1
#: A preview compares at least this far past its effective date.
MIN_PREVIEW_WEEKS = 4


# --- reading --------------------------------------------------------------------------------


def _change_of(row: ChangeRow, known: set[int]) -> RotationChange:
    payload: dict[str, Any] = dict(row.payload or {})

    def ids(key: str) -> tuple[int, ...]:
        return tuple(int(i) for i in payload.get(key, ()) if int(i) in known)

    pattern = pattern_from_json(payload["pattern"]) if "pattern" in payload else ()
    start_index = payload.get("start_index")
    seq_offset = payload.get("seq_offset")
    pin_members = tuple(int(i) for i in payload.get("pin_members", ()))
    return RotationChange(
        id=row.id,
        effective_from=row.effective_from,
        kind=row.kind,
        member_id=row.member_id,
        order=ids("order"),
        members=ids("members"),
        pattern=pattern,
        start_index=int(start_index) if start_index is not None else None,
        seq_offset=int(seq_offset) if seq_offset is not None else None,
        pin_members=pin_members,
    )


def _rows(uow: UnitOfWork) -> list[ChangeRow]:
    return list(
        uow.session.scalars(
            select(ChangeRow)
            .where(ChangeRow.cancelled_at.is_(None))
            .order_by(ChangeRow.effective_from, ChangeRow.id)
        )
    )


def load_changes(uow: UnitOfWork) -> list[RotationChange]:
    """Every change that is not cancelled, in fold order (member ids of deleted members are
    dropped from orders and snapshots)."""
    known = {m.id for m in all_members(uow)}
    return [_change_of(r, known) for r in _rows(uow)]


def pattern_on(uow: UnitOfWork, day: date) -> tuple[ShiftDef, ...]:
    """The weekly pattern in effect on local date ``day`` (the final pattern before the first
    change)."""
    changes = load_changes(uow)
    state = state_on(changes, day)
    return state.pattern or current_pattern(uow)


@dataclass(frozen=True, slots=True)
class RotationStatus:
    """Whether a member is in the rotation on a date, and their next planned change after it."""

    member_id: int
    in_rotation: bool
    next_change: date | None = None  # first later date their membership flips

    def text(self) -> str:
        """``yes``, ``no``, ``yes, until Mon 12/14`` (leaves from then), ``no, from Mon 12/14``."""
        base = "yes" if self.in_rotation else "no"
        if self.next_change is None:
            return base
        word = "until" if self.in_rotation else "from"
        return f"{base}, {word} {short_day(self.next_change)}"


def short_day(day: date) -> str:
    """``Mon 12/14``, the way the app names days."""
    return f"{day:%a} {day.month}/{day.day}"


def rotation_status(uow: UnitOfWork, day: date) -> dict[int, RotationStatus]:
    """For every member: in the rotation on local date ``day``, and the first later date they
    join or leave it (planned changes)."""
    return _statuses(load_changes(uow), all_members(uow), day)


class _MemberLike(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def name(self) -> str: ...
    @property
    def archived(self) -> bool: ...


def _statuses(
    changes: Sequence[RotationChange], members: Iterable[_MemberLike], day: date
) -> dict[int, RotationStatus]:
    now_state = state_on(changes, day)
    later = [f for f in fold_changes(changes) if f.day > day]
    out: dict[int, RotationStatus] = {}
    for m in members:
        inside = m.id in now_state.in_rotation and not m.archived
        flip = next((f.day for f in later if (m.id in f.state.in_rotation) != inside), None)
        out[m.id] = RotationStatus(m.id, inside, None if m.archived else flip)
    return out


@dataclass(frozen=True, slots=True)
class RotationOverview:
    """What the Team and Shifts pages show about the rotation, read in one go."""

    day: date
    earliest: date
    status: dict[int, RotationStatus]  # on ``day``
    planned: tuple[PlannedChangeDTO, ...]
    pattern: tuple[ShiftDef, ...]  # in effect on ``day``
    last_change_id: int


def rotation_overview(
    uow: UnitOfWork,
    now: datetime,
    day: date | None = None,
    members: Sequence[_MemberLike] | None = None,
) -> RotationOverview:
    """Statuses and pattern on local date ``day`` (default and at the earliest: the earliest
    change date), the planned changes and the earliest change date, with one read of the
    changes (``members``: already read by the caller)."""
    listed: Sequence[_MemberLike] = members if members is not None else all_members(uow)
    names = {m.id: m.name for m in listed}
    rows = _rows(uow)
    changes = [_change_of(r, set(names)) for r in rows]
    earliest = earliest_change_date(uow, now)
    day = earliest if day is None else day
    planned = tuple(
        PlannedChangeDTO(
            c.id,
            c.effective_from,
            c.kind,
            c.member_id,
            describe_change(c, names),
            r.created_by,
            r.created_at,
        )
        for r, c in zip(rows, changes, strict=True)
        if c.effective_from >= earliest and c.kind != "snapshot"
    )
    return RotationOverview(
        day=day,
        earliest=earliest,
        status=_statuses(changes, listed, day),
        planned=planned,
        pattern=state_on(changes, day).pattern or current_pattern(uow),
        last_change_id=max((r.id for r in rows), default=0),
    )


# --- writing --------------------------------------------------------------------------------


def add_change(
    uow: UnitOfWork,
    now: datetime,
    kind: str,
    effective_from: date,
    *,
    member_id: int | None = None,
    order: Sequence[int] | None = None,
    pattern: Sequence[ShiftDef] | None = None,
    snapshot: RotationState | None = None,
    pin: tuple[int, int] | None = None,
) -> ChangeRow:
    """Store one dated change (the caller then calls :func:`materialise`)."""
    payload: dict[str, object] = {}
    if kind in ("join", "leave"):
        if member_id is None:
            raise ValueError(f"a {kind} change names a member")
    elif kind == "order":
        payload["order"] = [int(i) for i in order or ()]
    elif kind == "pattern":
        payload["pattern"] = pattern_to_json(tuple(pattern or ()))
    elif kind == "snapshot":
        assert snapshot is not None
        payload["order"] = list(snapshot.order)
        payload["members"] = list(snapshot.member_ids)
        payload["pattern"] = pattern_to_json(snapshot.pattern)
        if pin is not None:
            payload["start_index"], payload["seq_offset"] = pin
            payload["pin_members"] = list(snapshot.member_ids)
    else:
        raise ValueError(f"unknown rotation change kind {kind!r}")
    row = ChangeRow(
        effective_from=effective_from,
        kind=kind,
        member_id=member_id,
        payload=payload,
        created_at=now,
        created_by=uow.actor,
    )
    uow.session.add(row)
    uow.session.flush()
    return row


def check_effective_date(uow: UnitOfWork, now: datetime, effective_from: date) -> None:
    """Refuse a date before the earliest one that rewrites no started shift."""
    earliest = earliest_change_date(uow, now)
    if effective_from < earliest:
        raise UseCaseError(
            f"a change can take effect from {earliest:%a %Y-%m-%d} at the earliest: "
            "shifts that have started are never rewritten (use an override for those)"
        )


def cancel_changes(
    uow: UnitOfWork,
    now: datetime,
    *,
    after: date,
    member_id: int | None = None,
    kinds: Iterable[str],
) -> int:
    """Cancel planned changes dated after ``after`` of these kinds (for one member when given).
    Returns how many; the caller materialises."""
    wanted = set(kinds)
    n = 0
    for row in _rows(uow):
        if row.effective_from <= after or row.kind not in wanted:
            continue
        if member_id is not None and row.member_id != member_id:
            continue
        row.cancelled_at, row.cancelled_by = now, uow.actor
        n += 1
    if n:
        uow.session.flush()
    return n


def cancel_change(uow: UnitOfWork, now: datetime, change_id: int) -> None:
    """Cancel one planned change; the rotation is re-derived without it from its date."""
    row = uow.session.get(ChangeRow, change_id)
    if row is None or row.cancelled_at is not None:
        raise NotFoundError("that planned change no longer exists (refresh and try again)")
    if row.kind == "snapshot":
        raise UseCaseError("the rotation's starting point cannot be cancelled")
    check_effective_date(uow, now, row.effective_from)
    names = {m.id: m.name for m in all_members(uow)}
    text = describe_change(_change_of(row, set(names)), names)
    row.cancelled_at, row.cancelled_by = now, uow.actor
    uow.session.flush()
    materialise(uow, now)
    record_audit(
        uow,
        now,
        "rotation.cancel",
        "rotation_change",
        row.id,
        f"cancelled the change planned for {row.effective_from.isoformat()}: {text}",
        {"effective_from": row.effective_from, "kind": row.kind, "change": text},
        None,
    )


def _same(row: RotationEpoch, epoch: Epoch) -> bool:
    return (
        row.effective_from == epoch.effective_from
        and tuple(int(i) for i in row.member_ids) == epoch.member_ids
        and pattern_from_json(row.pattern) == epoch.pattern
        and row.start_index == epoch.start_index
        and row.seq_offset == epoch.seq_offset
    )


def materialise(
    uow: UnitOfWork, now: datetime, *, zone_changed_from: ZoneInfo | None = None
) -> None:
    """Bring the derived tables in line with the changes.

    Stored epochs that still match the fold are kept; from the first date that differs (or,
    when the team's zone just changed from ``zone_changed_from``, the first date a change may
    take effect: wall-clock times now mean other instants) epochs are replaced and schedule
    entries regenerated. Raises a UseCaseError rather than rewrite a shift that has started.
    """
    tz = team_zone(uow)
    regenerate_from = None if zone_changed_from is None else earliest_change_date(uow, now)
    changes = load_changes(uow)
    derived = derive_epochs(changes)
    stored = epochs(uow)
    j = 0
    while j < len(derived) and j < len(stored) and _same(stored[j], derived[j]):
        j += 1
    cuts = [e.effective_from for e in stored[j : j + 1]]
    cuts += [e.effective_from for e in derived[j : j + 1]]
    if regenerate_from is not None:
        cuts.append(regenerate_from)
    _update_team_rows(uow, now, changes)
    if not cuts:
        return
    cut = min(cuts)
    first = day_start(cut, tz)
    gone = [r.id for r in stored[j:]]
    doomed = (ScheduleEntry.start_at >= first) | ScheduleEntry.epoch_id.in_(gone)
    started = uow.session.scalar(
        select(func.count()).select_from(ScheduleEntry).where(doomed, ScheduleEntry.start_at <= now)
    )
    if started:
        raise UseCaseError(
            f"this would rewrite {plural(started, 'shift')} that have started; shifts that have "
            "started are never rewritten (use an override for those)"
        )
    uow.session.execute(delete(ScheduleEntry).where(doomed))
    for r in stored[j:]:
        uow.session.delete(r)
    uow.session.flush()
    for e in derived[j:]:
        uow.session.add(
            RotationEpoch(
                effective_from=e.effective_from,
                member_ids=list(e.member_ids),
                pattern=pattern_to_json(e.pattern),
                start_index=e.start_index,
                seq_offset=e.seq_offset,
                created_at=now,
                created_by=uow.actor,
            )
        )
    uow.session.flush()
    extend_horizon(uow, now, force=True, previous_zone=zone_changed_from)


def _update_team_rows(uow: UnitOfWork, now: datetime, changes: Sequence[RotationChange]) -> None:
    """Members' ``active`` / ``position`` and the stored pattern: the rotation after every
    planned change."""
    final = RotationState()
    for c in change_order(changes):
        final = apply_change(final, c)
    members = all_members(uow)
    by_id = {m.id: m for m in members}
    order = [i for i in final.order if i in by_id]
    order += [m.id for m in members if m.id not in set(order)]
    for pos, mid in enumerate(order):
        m = by_id[mid]
        active = mid in final.in_rotation and not m.archived
        if (m.position, m.active) != (pos, active):
            m.position, m.active, m.updated_at = pos, active, now
    if final.pattern and final.pattern != current_pattern(uow):
        write_pattern_rows(uow, final.pattern)
    uow.session.flush()


def write_pattern_rows(uow: UnitOfWork, shifts: Sequence[ShiftDef]) -> None:
    """Store ``shifts`` as the team's pattern (``shift_definitions``), after validating them."""
    problems = validate_pattern(shifts)
    if problems:
        raise UseCaseError("; ".join(problems))
    uow.session.execute(delete(ShiftDefinition))
    for pos, s in enumerate(shifts):
        uow.session.add(
            ShiftDefinition(
                position=pos,
                name=s.name.strip(),
                start_day=s.start_day,
                start_time=f"{s.start_time:%H:%M}",
                duration_hours=s.duration_hours,
            )
        )
    uow.session.flush()


def open_rotation(uow: UnitOfWork, now: datetime, anchor_date: date) -> None:
    """The first change: the members present now (active ones in the rotation, in position
    order) and the stored pattern, from ``anchor_date``; then generate."""
    members = [m for m in all_members(uow) if not m.archived]
    state = RotationState(
        tuple(m.id for m in members),
        frozenset(m.id for m in members if m.active),
        current_pattern(uow),
    )
    add_change(uow, now, "snapshot", anchor_date, snapshot=state, pin=(0, 0))
    materialise(uow, now)


def last_change_id(uow: UnitOfWork) -> int:
    """The newest change's id (0 without any): what a page saw when it loaded."""
    return int(uow.session.scalar(select(func.max(ChangeRow.id))) or 0)


def changed_since(
    uow: UnitOfWork, seen_id: int, kind: str, first: date, last: date
) -> list[ChangeRow]:
    """Changes of ``kind`` recorded after ``seen_id`` and dated in ``[first, last]``."""
    return list(
        uow.session.scalars(
            select(ChangeRow).where(
                ChangeRow.id > seen_id,
                ChangeRow.kind == kind,
                ChangeRow.cancelled_at.is_(None),
                ChangeRow.effective_from >= first,
                ChangeRow.effective_from <= last,
            )
        )
    )


def first_change_date(uow: UnitOfWork) -> date | None:
    return uow.session.scalar(
        select(func.min(ChangeRow.effective_from)).where(ChangeRow.cancelled_at.is_(None))
    )


def final_state(uow: UnitOfWork) -> RotationState:
    """The rotation after every planned change."""
    state = RotationState()
    for c in load_changes(uow):
        state = apply_change(state, c)
    return state


# --- describing -----------------------------------------------------------------------------


def describe_change(change: RotationChange, names: dict[int, str]) -> str:
    """One line for a change: ``Eve Evans leaves the rotation``."""

    def name(i: int | None) -> str:
        return names.get(i, "?") if i is not None else "?"

    if change.kind == "join":
        return f"{name(change.member_id)} joins the rotation"
    if change.kind == "leave":
        return f"{name(change.member_id)} leaves the rotation"
    if change.kind == "order":
        shown = ", ".join(name(i) for i in change.order[:4])
        more = f" and {len(change.order) - 4} more" if len(change.order) > 4 else ""
        return f"new rotation order: {shown}{more}"
    if change.kind == "pattern":
        hours = sum(s.duration_hours for s in change.pattern)
        return f"new shift pattern: {len(change.pattern)} shifts, {hours} h a week"
    return (
        f"the whole rotation set: {len(change.members)} people, {len(change.pattern)} shifts a week"
    )


@dataclass(frozen=True, slots=True)
class PlannedChangeDTO:
    id: int
    effective_from: date
    kind: str
    member_id: int | None
    description: str
    created_by: str
    created_at: datetime

    def text(self) -> str:
        return f"{self.effective_from:%a %Y-%m-%d}: {self.description}"


def planned_changes(uow: UnitOfWork, now: datetime) -> list[PlannedChangeDTO]:
    """Changes that have not taken effect yet (dated on or after the earliest change date),
    leaving out the rotation's starting point (a snapshot)."""
    return list(rotation_overview(uow, now).planned)
