"""The calendar's in-memory plan: the loaded schedule plus the admin's pending edits.

No Qt here. The plan holds a :class:`~whoseonfirst_core.usecases.dto.ScheduleView` read from the
database and an ordered list of pending core edits (:class:`Cover`, :class:`Swap`,
:class:`CancelOverride`). Nothing reaches the database until Save, which hands the edits to
:func:`whoseonfirst_core.usecases.calendar.apply_calendar_plan` in one transaction.

Every rule about an edit — what it does, whether it is allowed, what the refusal says — is the
core's :func:`~whoseonfirst_core.domain.overrides.decide_edits`, asked here at its planning
stage over the loaded calendar. What the calendar draws is :meth:`CalendarPlan.pending_view`: the
overrides those decisions leave in force, resolved by the core's one resolution function
(:func:`~whoseonfirst_core.domain.resolution.resolve_on_call`), exactly as Save will apply them.
The plan itself keeps the pending edits and describes them; gestures become edits in
:mod:`~whoseonfirst_gui.calendar.proposals`.

All instants are timezone-aware UTC; local dates and wall-clock times are in the team's zone.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from whoseonfirst_core.clock import Clock
from whoseonfirst_core.domain.overrides import (
    CalendarEdit,
    CalendarFacts,
    CancelOverride,
    Cover,
    MemberRef,
    PlanDecision,
    Stage,
    StoredOverride,
    Swap,
    decide_edits,
    on_call_for_entry,
)
from whoseonfirst_core.domain.resolution import (
    ResolvedSpan,
    ScheduledEntry,
    coverage_gaps,
    resolve_on_call,
)
from whoseonfirst_core.domain.timeutil import to_utc, zone
from whoseonfirst_core.usecases.dto import EntryDTO, MemberDTO, OverrideDTO, ScheduleView
from whoseonfirst_gui import format as fmt
from whoseonfirst_gui.calendar.days import PlannedSpan


class PlanError(ValueError):
    """An edit the plan refuses; the message says what is wrong and what to do."""


# --- what the calendar shows ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PendingView:
    """The resolved calendar with pending edits applied."""

    spans: tuple[PlannedSpan, ...]
    gaps: tuple[tuple[datetime, datetime], ...]
    #: Pending edits that no longer fit the loaded schedule (an entry was regenerated, an
    #: override is gone); Save would report them as conflicts.
    stale: tuple[CalendarEdit, ...]


# --- the plan ---------------------------------------------------------------------------------


class CalendarPlan:
    """The loaded schedule plus the pending edits (checked by the core's rules as they come).

    Observers registered with :meth:`subscribe` are called after every change (an edit added or
    removed, a new view loaded), so the Qt model can rebuild.
    """

    def __init__(self, clock: Clock, view: ScheduleView | None = None) -> None:
        self._clock = clock
        self._view: ScheduleView | None = None
        self._facts: CalendarFacts | None = None
        self._tz: ZoneInfo = zone("America/Chicago")
        self._edits: list[CalendarEdit] = []
        self._observers: list[Callable[[], None]] = []
        # Bounds of entries and overrides that pending edits refer to, so a reload can keep them
        # in the loaded window even after the admin navigated away (UTC).
        self._entry_bounds: dict[int, tuple[datetime, datetime]] = {}
        self._override_bounds: dict[int, tuple[datetime, datetime]] = {}
        if view is not None:
            self._set_view(view)

    # --- observing ------------------------------------------------------------------------

    def subscribe(self, callback: Callable[[], None]) -> Callable[[], None]:
        """Call ``callback()`` after every change; returns the function that unsubscribes."""
        self._observers.append(callback)

        def unsubscribe() -> None:
            if callback in self._observers:
                self._observers.remove(callback)

        return unsubscribe

    def _changed(self) -> None:
        for callback in list(self._observers):
            callback()

    # --- state ----------------------------------------------------------------------------

    @property
    def loaded(self) -> bool:
        return self._view is not None

    @property
    def view(self) -> ScheduleView:
        if self._view is None:
            raise RuntimeError("the calendar has not been loaded yet")
        return self._view

    @property
    def tz(self) -> ZoneInfo:
        return self._tz

    def now(self) -> datetime:
        return to_utc(self._clock.now())

    @property
    def edits(self) -> tuple[CalendarEdit, ...]:
        return tuple(self._edits)

    @property
    def pending_count(self) -> int:
        return len(self._edits)

    @property
    def members(self) -> tuple[MemberDTO, ...]:
        return self._view.members if self._view is not None else ()

    def member(self, member_id: int) -> MemberDTO | None:
        return next((m for m in self.members if m.id == member_id), None)

    def entry(self, entry_id: int) -> EntryDTO | None:
        if self._view is None:
            return None
        return next((e for e in self._view.entries if e.id == entry_id), None)

    def stored_override(self, override_id: int) -> OverrideDTO | None:
        if self._view is None:
            return None
        return next((o for o in self._view.overrides if o.id == override_id), None)

    def set_view(self, view: ScheduleView) -> None:
        """Replace the loaded schedule (a reload); pending edits are kept."""
        self._set_view(view)
        self._changed()

    def _set_view(self, view: ScheduleView) -> None:
        self._view = view
        self._tz = zone(view.timezone)
        self._facts = CalendarFacts(
            self._tz,
            tuple(
                ScheduledEntry(e.id, e.shift_name, e.start, e.end, e.member_id)
                for e in view.entries
            ),
            tuple(
                StoredOverride(o.id, o.member_id, o.start, o.end, o.status, o.version)
                for o in view.overrides
            ),
            tuple(MemberRef(m.id, m.name, m.archived) for m in view.members),
        )
        for e in view.entries:
            if e.id in self._entry_bounds:
                self._entry_bounds[e.id] = (e.start, e.end)
        for o in view.overrides:
            if o.id in self._override_bounds:
                self._override_bounds[o.id] = (o.start, o.end)

    def required_window(self) -> tuple[datetime, datetime] | None:
        """The UTC range every pending edit touches (load at least this much), or None."""
        ranges: list[tuple[datetime, datetime]] = []
        for edit in self._edits:
            if isinstance(edit, Cover):
                ranges.append((to_utc(edit.start), to_utc(edit.end)))
            elif isinstance(edit, Swap):
                ranges += [
                    self._entry_bounds[i]
                    for i in (edit.entry_a, edit.entry_b)
                    if i in self._entry_bounds
                ]
            elif edit.override_id in self._override_bounds:
                ranges.append(self._override_bounds[edit.override_id])
        if not ranges:
            return None
        return min(r[0] for r in ranges), max(r[1] for r in ranges)

    # --- changing the plan ----------------------------------------------------------------

    def add(self, edit: CalendarEdit, *, validate: bool = True) -> None:
        """Append a pending edit (checked with :meth:`check` unless ``validate`` is False)."""
        if validate:
            self.check(edit)
        self._remember_bounds(edit)
        self._edits.append(edit)
        self._changed()

    def remove(self, edit: CalendarEdit) -> None:
        """Remove a pending edit (that very object; an equal one if it is not there)."""
        for i in range(len(self._edits) - 1, -1, -1):
            if self._edits[i] is edit:
                del self._edits[i]
                break
        else:
            self._edits.remove(edit)  # ValueError when it was never added: a bug
        self._changed()

    def clear(self) -> None:
        """Drop every pending edit (after Save, or "take theirs")."""
        if self._edits:
            self._edits.clear()
            self._changed()

    def _remember_bounds(self, edit: CalendarEdit) -> None:
        if isinstance(edit, Swap):
            for entry_id in (edit.entry_a, edit.entry_b):
                e = self.entry(entry_id)
                if e is not None:
                    self._entry_bounds[entry_id] = (e.start, e.end)
        elif isinstance(edit, CancelOverride):
            o = self.stored_override(edit.override_id)
            if o is not None:
                self._override_bounds[o.id] = (o.start, o.end)

    # --- validation -----------------------------------------------------------------------

    def check(self, edit: CalendarEdit) -> None:
        """Raise :class:`PlanError` when ``edit`` cannot be planned after the pending edits,
        saying why (the core's rules: :func:`~whoseonfirst_core.domain.overrides.decide_edits`)."""
        if self._facts is None:
            raise PlanError("the calendar is still loading; try again in a moment")
        refusal = self._decide([*self._edits, edit]).decisions[-1].refusal
        if refusal is not None:
            raise PlanError(refusal.message)

    def validation_error(self, edit: CalendarEdit) -> str | None:
        try:
            self.check(edit)
        except PlanError as exc:
            return str(exc)
        return None

    def on_call_for_entry(self, e: EntryDTO) -> PlannedSpan | None:
        """Who the pending view has on call for entry ``e`` at its start (or now, if running),
        the way the core's swap decides it."""
        return on_call_for_entry(self.pending_view().spans, e.id, e.start, self.now())

    # --- describing ------------------------------------------------------------------------

    def describe(self, edit: CalendarEdit) -> str:
        """One line for the undo history, the Save tooltip and messages."""
        if isinstance(edit, Cover):
            m = self.member(edit.member_id)
            name = m.name if m is not None else "?"
            text = f"{name} covers {self._when(edit.start)} → {self._when(edit.end)}"
        elif isinstance(edit, Swap):
            parts = []
            for entry_id in (edit.entry_a, edit.entry_b):
                e = self.entry(entry_id)
                who = self.on_call_for_entry(e) if e is not None else None
                label = self._when(e.start) if e is not None else f"shift #{entry_id}"
                parts.append(f"{label} ({who.member_name})" if who is not None else label)
            text = f"Swap {parts[0]} ⇄ {parts[1]}"
        else:
            o = self.stored_override(edit.override_id)
            if o is None:
                return f"Cancel override #{edit.override_id}"
            text = f"Cancel {o.member_name}'s cover {self._when(o.start)} → {self._when(o.end)}"
        reason = getattr(edit, "reason", "")
        return f"{text} — “{reason}”" if reason else text

    def _when(self, at: datetime) -> str:
        return fmt.when_compact(at, self._tz)

    # --- the pending view -----------------------------------------------------------------

    def _decide(self, edits: Sequence[CalendarEdit]) -> PlanDecision:
        assert self._facts is not None, "the calendar has not been loaded yet"
        return decide_edits(self._facts, edits, self.now(), Stage.PLANNING)

    def resolved(self, decided: PlanDecision | None = None) -> list[ResolvedSpan]:
        """The loaded calendar with the pending edits laid over it, resolved."""
        decided = decided or self._decide(self._edits)
        assert self._facts is not None
        return resolve_on_call(self._facts.entries, decided.overrides)

    def pending_view(self) -> PendingView:
        """Spans overlapping the loaded window with every pending edit applied (unclipped, so a
        48 h chip keeps its real ends), the coverage gaps, and the edits that went stale."""
        view = self.view
        decided = self._decide(self._edits)
        resolved = self.resolved(decided)
        reasons = {n.override_id: n.reason for d in decided.decisions for n in d.creates}
        cancelled = [(o.start, o.end) for d in decided.decisions for o in d.cancels]
        names = {m.id: m.name for m in view.members}
        colors = {m.id: m.color for m in view.members}
        stored_reason = {o.id: o.reason for o in view.overrides}
        spans: list[PlannedSpan] = []
        for s in resolved:
            if s.end <= view.start or s.start >= view.end:
                continue
            pending_override = s.override_id in reasons
            uncovered = any(s.start < b and a < s.end for a, b in cancelled)
            spans.append(
                PlannedSpan(
                    start=s.start,
                    end=s.end,
                    shift_name=s.shift_name,
                    member_id=s.member_id,
                    member_name=names.get(s.member_id, "?"),
                    member_color=colors.get(s.member_id, "#888888"),
                    entry_id=s.entry_id,
                    scheduled_member_id=s.scheduled_member_id,
                    scheduled_member_name=(
                        names.get(s.scheduled_member_id)
                        if s.scheduled_member_id is not None
                        else None
                    ),
                    override_id=None if pending_override else s.override_id,
                    override_reason=(
                        None
                        if s.override_id is None
                        else reasons.get(s.override_id)
                        if pending_override
                        else stored_reason.get(s.override_id)
                    ),
                    notify=s.notify,
                    unsaved_override=pending_override,
                    pending=pending_override or uncovered,
                )
            )
        gaps = tuple((g.start, g.end) for g in coverage_gaps(resolved, view.start, view.end))
        stale = tuple(d.edit for d in decided.decisions if d.stale)
        return PendingView(tuple(spans), gaps, stale)
