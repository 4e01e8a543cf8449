"""Gestures into edits: what a drop or a menu choice on the calendar proposes (no Qt).

A :class:`Proposal` is the edit the admin is about to make, before the reason prompt; it is checked
against the plan (the core's rules) when it is made and again when it is pushed.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

from whoseonfirst_core.domain.overrides import CalendarEdit, CancelOverride, Cover, Swap
from whoseonfirst_core.domain.resolution import on_call_at
from whoseonfirst_core.domain.timeutil import (
    day_start,
    fmt_duration,
    local_date,
)
from whoseonfirst_gui import format as fmt
from whoseonfirst_gui.calendar import chip_text
from whoseonfirst_gui.calendar.days import ChipSegment, DayCell, PlannedSpan, day_label
from whoseonfirst_gui.calendar.plan import CalendarPlan, PlanError


@dataclass(frozen=True, slots=True)
class Alternative:
    label: str
    edit: CalendarEdit


@dataclass(frozen=True, slots=True)
class Proposal:
    """An edit the admin is about to make (a drop or a menu choice), before the reason prompt.

    ``alternatives`` are other readings of the same gesture (cover the whole 48 h shift instead
    of the day it was dropped on); ``edit`` is the default.
    """

    edit: CalendarEdit
    summary: str
    alternatives: tuple[Alternative, ...] = ()

    @property
    def asks_reason(self) -> bool:
        return isinstance(self.edit, Cover | Swap)


def with_reason(edit: CalendarEdit, reason: str) -> CalendarEdit:
    """``edit`` with ``reason`` (trimmed); a cancellation has no reason and is returned as is."""
    if isinstance(edit, Cover | Swap):
        return dataclasses.replace(edit, reason=reason.strip())
    return edit


def cover_proposal(
    plan: CalendarPlan, target: ChipSegment | DayCell, member_id: int, *, whole_span: bool = False
) -> Proposal:
    """Member ``member_id`` covers what the admin dropped on (or chose in the menu).

    On a chip: the chip's span; on one day of a multi-day chip: that day's slice (the whole
    span is offered as the alternative), unless ``whole_span``. On a day: that day's on-call
    time (its chips), or the whole local day when nobody's shift starts that day. Time that
    has already passed stays with whoever had it: the cover starts now (to the minute).
    Raises :class:`~whoseonfirst_gui.calendar.plan.PlanError` when the plan refuses it.
    """
    if isinstance(target, ChipSegment):
        span = target.span
        if target.multi_day and not whole_span:
            main = _cover(plan, member_id, target.start, target.end, span.member_id)
            whole = _cover(plan, member_id, span.start, span.end, span.member_id)
            plan.check(main)
            alternatives: tuple[Alternative, ...] = (
                Alternative(f"Only {day_label(local_date(target.start, plan.tz))}", main),
            )
            if plan.validation_error(whole) is None:
                tz = plan.tz
                alternatives += (
                    Alternative(
                        f"The whole shift ({fmt_duration(span.start, span.end, tz)}, "
                        f"{fmt.when_compact(span.start, tz)} → {fmt.when_compact(span.end, tz)})",
                        whole,
                    ),
                )
            return Proposal(main, plan.describe(main), alternatives)
        edit = _cover(plan, member_id, span.start, span.end, span.member_id)
    else:
        if target.chips:
            start, end = target.chips[0].start, target.chips[-1].end
            who = target.chips[0].span.member_id
        else:
            start, end, who = target.start, target.end, None
        edit = _cover(plan, member_id, start, end, who)
    plan.check(edit)
    return Proposal(edit, plan.describe(edit))


def _cover(
    plan: CalendarPlan, member_id: int, start: datetime, end: datetime, expected: int | None
) -> Cover:
    now_minute = plan.now().replace(second=0, microsecond=0)
    if start < now_minute < end:
        start = now_minute
    # The core checks who is on call at the cover's start; ask it about that instant.
    on_call = on_call_at(plan.resolved(), start) if expected is not None else None
    return Cover(member_id, start, end, "", on_call.member_id if on_call is not None else expected)


def swap_proposal(plan: CalendarPlan, entry_a: int, entry_b: int) -> Proposal:
    """The people on call for two entries trade places (two overrides on Save)."""
    a, b = plan.entry(entry_a), plan.entry(entry_b)
    who_a = plan.on_call_for_entry(a) if a is not None else None
    who_b = plan.on_call_for_entry(b) if b is not None else None
    edit = Swap(
        entry_a,
        entry_b,
        "",
        who_a.member_id if who_a is not None else None,
        who_b.member_id if who_b is not None else None,
    )
    plan.check(edit)
    return Proposal(edit, plan.describe(edit))


def cancel_proposal(plan: CalendarPlan, override_id: int) -> Proposal:
    o = plan.stored_override(override_id)
    edit = CancelOverride(override_id, o.version if o is not None else None)
    plan.check(edit)
    return Proposal(edit, plan.describe(edit))


def refuse_past(target: ChipSegment | DayCell, tz: tzinfo) -> None:
    """Raise :class:`PlanError` when ``target`` is over: the past is read-only."""
    if isinstance(target, ChipSegment) and target.past:
        raise PlanError(
            f"{target.span.member_name}'s shift {chip_text.times(target, tz)} is over: "
            "past shifts are read-only"
        )
    if isinstance(target, DayCell) and target.past:
        raise PlanError(f"{fmt.day_compact(target.day)} is over: past days are read-only")


def swap_drop_proposal(
    plan: CalendarPlan,
    target: ChipSegment | DayCell,
    entry_id: int | None,
    start: datetime,
    end: datetime,
) -> Proposal:
    """A chip (``entry_id``'s ``[start, end)``) dropped on ``target``: swap the two entries."""
    if not isinstance(target, ChipSegment):
        raise PlanError("drop a shift on another shift to swap them")
    if entry_id is None or target.span.entry_id is None:
        raise PlanError("only scheduled shifts can be swapped (this is a cover outside any)")
    source = plan.entry(entry_id)
    if source is None or not (source.start <= start and end <= source.end):
        raise PlanError("that shift is not in this calendar (press F5 to reload)")
    return swap_proposal(plan, entry_id, target.span.entry_id)


def swap_with_proposal(
    plan: CalendarPlan, target: ChipSegment | DayCell, other_entry_id: int
) -> Proposal:
    """ "Swap with ▸ shift" from ``target``'s menu."""
    if not isinstance(target, ChipSegment) or target.span.entry_id is None:
        raise PlanError("only scheduled shifts can be swapped")
    return swap_proposal(plan, target.span.entry_id, other_entry_id)


def cancel_on_proposal(plan: CalendarPlan, target: ChipSegment | DayCell) -> Proposal:
    """ "Cancel override" from ``target``'s menu: the stored override that covers it."""
    if not isinstance(target, ChipSegment) or target.span.override_id is None:
        raise PlanError("this shift has no saved override to cancel")
    return cancel_proposal(plan, target.span.override_id)


def swap_candidates(
    plan: CalendarPlan, entry_id: int, first_day: date, days: int
) -> list[PlannedSpan]:
    """Entries starting in the ``days`` days from ``first_day`` that ``entry_id`` could swap
    with: one span per entry (who is on call at its start, or now), in time order."""
    if plan.entry(entry_id) is None:
        return []
    lo = day_start(first_day, plan.tz)
    hi = day_start(first_day + timedelta(days=days), plan.tz)
    out: list[PlannedSpan] = []
    for e in plan.view.entries:
        if e.id == entry_id or not lo <= e.start < hi:
            continue
        if plan.validation_error(Swap(entry_id, e.id)) is not None:
            continue
        who = plan.on_call_for_entry(e)
        if who is not None:
            out.append(who)
    return out
