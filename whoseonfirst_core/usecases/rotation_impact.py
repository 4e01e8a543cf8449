"""The impact of a proposed rotation change: who gains or loses which shifts, "N shifts change
hands", the planned changes it meets, in the one wording the app and the command line print."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from whoseonfirst_core.db.models import ScheduleEntry
from whoseonfirst_core.db.session import UnitOfWork
from whoseonfirst_core.domain.resolution import OverrideSpan
from whoseonfirst_core.domain.rotation import (
    Epoch,
    RotationChange,
    RotationState,
    SlotChange,
    apply_change,
    change_order,
    compare_slots,
    derive_epochs,
    timeline,
)
from whoseonfirst_core.domain.timeutil import day_start, fmt_local_long, iso_local, zone
from whoseonfirst_core.usecases.common import (
    all_members,
    settings_row,
    team_zone,
)
from whoseonfirst_core.usecases.dto import PersonDiff
from whoseonfirst_core.usecases.rotation import (
    MIN_PREVIEW_WEEKS,
    check_effective_date,
    describe_change,
    load_changes,
)
from whoseonfirst_core.usecases.schedule import (
    effective_overrides,
)


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
