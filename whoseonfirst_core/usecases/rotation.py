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

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import delete, func, select

from whoseonfirst_core.db.models import RotationChange as ChangeRow
from whoseonfirst_core.db.models import RotationEpoch, ScheduleEntry, ShiftDefinition
from whoseonfirst_core.db.session import UnitOfWork
from whoseonfirst_core.domain.resolution import OverrideSpan
from whoseonfirst_core.domain.rotation import (
    Epoch,
    RotationChange,
    RotationState,
    ShiftDef,
    SlotChange,
    apply_change,
    change_order,
    compare_slots,
    derive_epochs,
    fold_changes,
    state_on,
    timeline,
    validate_pattern,
)
from whoseonfirst_core.domain.timeutil import day_start, fmt_local_long, iso_local, zone
from whoseonfirst_core.usecases.common import (
    all_members,
    current_pattern,
    pattern_from_json,
    pattern_to_json,
    record_audit,
    settings_row,
    team_zone,
)
from whoseonfirst_core.usecases.dto import PersonDiff
from whoseonfirst_core.usecases.errors import NotFoundError, UseCaseError
from whoseonfirst_core.usecases.schedule import (
    earliest_change_date,
    effective_overrides,
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


def materialise(uow: UnitOfWork, now: datetime, *, regenerate_from: date | None = None) -> None:
    """Bring the derived tables in line with the changes.

    Stored epochs that still match the fold are kept; from the first date that differs (or
    ``regenerate_from``, for a new time zone) epochs are replaced and schedule entries
    regenerated. Raises a UseCaseError rather than rewrite a shift that has started.
    """
    tz = team_zone(uow)
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
            f"this would rewrite {started} shift(s) that have started; shifts that have "
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
    extend_horizon(uow, now, force=True)


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


# --- impact of a proposed change ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Interaction:
    """A planned change the proposed one meets, and how."""

    change_id: int
    effective_from: date
    description: str
    #: ``same day`` (planned for the same date: applied first), ``still applies`` (it keeps its
    #: effect on top of the proposed change) or ``ends it`` (from its date the proposed change
    #: makes no difference any more).
    relation: str

    def text(self) -> str:
        how = {
            "same day": "planned for the same day; this change applies after it",
            "still applies": "planned; still applies after this change",
            "ends it": "planned; from then on this change makes no difference",
        }[self.relation]
        return f"{self.effective_from:%a %Y-%m-%d}: {self.description} ({how})"


@dataclass(frozen=True, slots=True)
class Impact:
    """What a proposed change does to the schedule from ``effective_from`` to ``until``.

    Shifts are compared by *slot*: the week (its local Monday) and the shift's place among that
    week's shifts in time order, with overrides laid over both sides (the resolved timeline).
    A slot *changes hands* when the people on call in it differ before and after; it is
    *retimed* when the same people hold it at other times (a new duration or start time).
    ``people`` lists who gains or loses which slots (by the slot's start, after the change
    where it exists). Nothing before ``effective_from`` ever changes.
    """

    effective_from: date
    until: datetime
    timezone: str
    people: tuple[PersonDiff, ...]
    changes_hands: int
    retimed: int
    interactions: tuple[Interaction, ...]
    notes: tuple[str, ...]


def shifts_change_hands(n: int) -> str:
    """``1 shift changes hands`` / ``3 shifts change hands``: the one wording for the count."""
    return f"{n} shift changes hands" if n == 1 else f"{n} shifts change hands"


def impact_headline(impact: Impact) -> str:
    text = f"From {impact.effective_from:%a %Y-%m-%d}: {shifts_change_hands(impact.changes_hands)}"
    if impact.retimed:
        verb = "keeps its person" if impact.retimed == 1 else "keep their person"
        noun = "shift" if impact.retimed == 1 else "shifts"
        text += f"; {impact.retimed} {noun} {verb} at new times"
    if impact.people:
        text += f" ({len(impact.people)} {'person' if len(impact.people) == 1 else 'people'})"
    return text + "."


def person_summary(diff: PersonDiff) -> str:
    """``gains 2, loses 1``."""
    parts = (
        f"gains {len(diff.gained)}" if diff.gained else "",
        f"loses {len(diff.lost)}" if diff.lost else "",
    )
    return ", ".join(p for p in parts if p)


def shift_label(at: datetime, shift_name: str, timezone: str) -> str:
    """``Mon 2026-12-14 08:00 CST · Monday``."""
    return f"{fmt_local_long(at, zone(timezone))} · {shift_name}"


def impact_lines(impact: Impact) -> list[str]:
    """The whole preview as text lines (the command line prints these; the app shows the same
    pieces)."""
    lines = [impact_headline(impact)]
    for d in impact.people:
        lines.append(f"  {d.member_name}: {person_summary(d)}")
        changes = [(at, n, "+") for at, n in d.gained] + [(at, n, "−") for at, n in d.lost]
        for at, n, sign in sorted(changes):
            lines.append(f"    {sign} {shift_label(at, n, impact.timezone)}")
    if impact.interactions:
        lines.append("Planned changes it meets:")
        lines += [f"  {i.text()}" for i in impact.interactions]
    lines += [f"Note: {n}" for n in impact.notes]
    return lines


def impact_json(impact: Impact) -> dict[str, object]:
    tz = zone(impact.timezone)
    return {
        "effective_from": impact.effective_from.isoformat(),
        "until": iso_local(impact.until, tz),
        "changes_hands": impact.changes_hands,
        "retimed": impact.retimed,
        "summary": impact_headline(impact),
        "people": [
            {
                "member": d.member_name,
                "gains": [{"start": iso_local(at, tz), "shift": n} for at, n in d.gained],
                "loses": [{"start": iso_local(at, tz), "shift": n} for at, n in d.lost],
            }
            for d in impact.people
        ],
        "planned": [
            {
                "effective_from": i.effective_from.isoformat(),
                "change": i.description,
                "relation": i.relation,
            }
            for i in impact.interactions
        ],
        "notes": list(impact.notes),
    }


def two_people_note() -> str:
    return (
        "with two people in the rotation they swap halves of the pattern every week so both "
        "get every shift and the same hours; at that turn one of them works two shifts in a "
        "row (once a week)."
    )


def preview_changes(
    uow: UnitOfWork,
    now: datetime,
    proposed: Sequence[RotationChange],
    *,
    names: dict[int, str] | None = None,
) -> Impact:
    """The impact of adding ``proposed`` (all dated the same day) to the stored changes.

    Pure reading: nothing is written. ``names`` names members that do not exist yet
    (:data:`NEW_MEMBER_ID`).
    """
    if not proposed:
        raise ValueError("nothing to preview")
    day = proposed[0].effective_from
    check_effective_date(uow, now, day)
    settings = settings_row(uow)
    tz = team_zone(uow)
    changes = load_changes(uow)
    next_id = max((c.id for c in changes), default=0) + 1
    proposed = [replace(c, id=next_id + i) for i, c in enumerate(proposed)]
    before = derive_epochs(changes)
    after = derive_epochs([*changes, *proposed])
    start = day_start(day, tz)
    until = max(
        now + timedelta(weeks=settings.horizon_weeks), start + timedelta(weeks=MIN_PREVIEW_WEEKS)
    )
    floor = uow.session.scalar(
        select(func.max(ScheduleEntry.end_at)).where(ScheduleEntry.start_at < start)
    )
    overrides = [
        OverrideSpan(o.id, o.member_id, o.start_at, o.end_at)
        for o in effective_overrides(uow, start, until)
    ]
    diff = compare_slots(
        timeline(before, tz, start, until, floor=floor),
        timeline(after, tz, start, until, floor=floor),
        overrides,
    )
    all_names = {m.id: m.name for m in all_members(uow)} | dict(names or {})
    return Impact(
        effective_from=day,
        until=until,
        timezone=settings.timezone,
        people=_people(diff, all_names),
        changes_hands=sum(1 for c in diff if c.changes_hands),
        retimed=sum(1 for c in diff if not c.changes_hands),
        interactions=_interactions(changes, proposed, all_names, day),
        notes=_notes(after, day, tz, until),
    )


def _people(diff: Sequence[SlotChange], names: dict[int, str]) -> tuple[PersonDiff, ...]:
    gained: dict[int, list[tuple[datetime, str]]] = {}
    lost: dict[int, list[tuple[datetime, str]]] = {}
    for c in diff:
        before, after = set(c.members_before), set(c.members_after)
        for m in after - before:
            gained.setdefault(m, []).append((c.start, c.shift_name))
        for m in before - after:
            lost.setdefault(m, []).append((c.start, c.shift_name))
    people = sorted(set(gained) | set(lost), key=lambda i: (names.get(i, "?"), i))
    return tuple(
        PersonDiff(i, names.get(i, "?"), tuple(gained.get(i, [])), tuple(lost.get(i, [])))
        for i in people
    )


def _interactions(
    changes: Sequence[RotationChange],
    proposed: Sequence[RotationChange],
    names: dict[int, str],
    day: date,
) -> tuple[Interaction, ...]:
    """Planned changes dated on or after ``day``, and how the proposed ones meet them."""
    before_states = _states_after_each(changes)
    after_states = _states_after_each([*changes, *proposed])
    out: list[Interaction] = []
    for c in change_order(changes):
        if c.effective_from < day:
            continue
        if c.effective_from == day:
            relation = "same day"
        elif before_states[c.id] != after_states[c.id]:
            relation = "still applies"
        else:
            relation = "ends it"
        out.append(Interaction(c.id, c.effective_from, describe_change(c, names), relation))
    return tuple(out)


def _states_after_each(changes: Sequence[RotationChange]) -> dict[int, RotationState]:
    state = RotationState()
    out: dict[int, RotationState] = {}
    for c in change_order(changes):
        state = apply_change(state, c)
        out[c.id] = state
    return out


def _notes(after: Sequence[Epoch], day: date, tz: Any, until: datetime) -> tuple[str, ...]:
    notes: list[str] = []
    in_window = [
        e
        for i, e in enumerate(after)
        if day_start(e.effective_from, tz) < until
        and (i + 1 == len(after) or after[i + 1].effective_from > day)
    ]
    if any(len(e.member_ids) == 2 and len(e.pattern) % 2 == 0 for e in in_window):
        notes.append(two_people_note())
    empty = next((e for e in in_window if not e.member_ids), None)
    if empty is not None:
        when = max(empty.effective_from, day)
        notes.append(
            f"from {when:%a %Y-%m-%d} nobody is left in the rotation: shifts from then on "
            "have nobody on call."
        )
    return tuple(notes)


# --- proposals by name (the command line) ---------------------------------------------------


def member_by_name(uow: UnitOfWork, name: str) -> int:
    wanted = " ".join(name.split()).casefold()
    for m in all_members(uow):
        if not m.archived and m.name.casefold() == wanted:
            return m.id
    raise UseCaseError(f"no member named {name!r}")


def shifts_from_json(raw: bytes | str) -> tuple[ShiftDef, ...]:
    """Shifts as in the roster file: a JSON list of shifts, or a roster with ``shifts``."""
    from pydantic import ValidationError

    from whoseonfirst_core.roster import ShiftIn

    try:
        data = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise UseCaseError(f"shifts: not valid JSON ({exc})") from None
    if isinstance(data, dict):
        data = data.get("shifts")
    if not isinstance(data, list):
        raise UseCaseError("shifts: expected a JSON list of shifts (or a roster with 'shifts')")
    shifts: list[ShiftDef] = []
    for i, item in enumerate(data):
        try:
            shifts.append(ShiftIn.model_validate(item).to_def())
        except ValidationError as exc:
            reason = exc.errors(include_url=False)[0]
            where = ".".join(str(p) for p in reason["loc"])
            raise UseCaseError(
                f"shifts[{i}]{'.' + where if where else ''}: {reason['msg']}"
            ) from None
    problems = validate_pattern(shifts)
    if problems:
        raise UseCaseError("shifts: " + "; ".join(problems))
    return tuple(shifts)


def preview_named_change(
    uow: UnitOfWork,
    now: datetime,
    effective_from: date,
    *,
    join: str | None = None,
    leave: str | None = None,
    add: str | None = None,
    order: Sequence[str] | None = None,
    shifts: bytes | str | None = None,
) -> Impact:
    """The impact of one change named the way an operator types it (exactly one option)."""
    given = [x for x in (join, leave, add, order, shifts) if x is not None]
    if len(given) != 1:
        raise UseCaseError("name exactly one change: --join, --leave, --add, --order or --shifts")
    names: dict[int, str] = {}
    if join is not None:
        change = RotationChange(0, effective_from, "join", member_by_name(uow, join))
    elif leave is not None:
        change = RotationChange(0, effective_from, "leave", member_by_name(uow, leave))
    elif add is not None:
        clean = " ".join(add.split())
        if not clean:
            raise UseCaseError("--add: the new member's name is empty")
        names[NEW_MEMBER_ID] = clean
        change = RotationChange(0, effective_from, "join", NEW_MEMBER_ID)
    elif order is not None:
        ids = [member_by_name(uow, n) for n in order if n.strip()]
        team = [m.id for m in all_members(uow) if not m.archived]
        if sorted(ids) != sorted(team):
            raise UseCaseError("--order must name every member of the team exactly once")
        change = RotationChange(0, effective_from, "order", order=tuple(ids))
    else:
        assert shifts is not None
        change = RotationChange(0, effective_from, "pattern", pattern=shifts_from_json(shifts))
    return preview_changes(uow, now, [change], names=names)
