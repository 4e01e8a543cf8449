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
The plan itself keeps the pending edits, turns gestures into proposals and describes edits.

Days in the calendar: a span is drawn on the local day it starts on, and a span longer than 24
wall-clock hours is cut into 24-hour slices, one per day (``Tue 08:00 → Wed 08:00`` on Tuesday,
``Wed 08:00 → Thu 08:00`` on Wednesday). Dropping a member on one slice of a multi-day shift covers
that slice only; that is what "cover one day of the 48 h shift" means.

All instants are timezone-aware UTC; local dates and wall-clock times are in the team's zone.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from whoseonfirst_core.clock import Clock
from whoseonfirst_core.db.session import Database, UnitOfWork
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
    on_call_at,
    resolve_on_call,
)
from whoseonfirst_core.domain.timeutil import (
    WEEKDAY_ABBR,
    add_wall_hours,
    day_start,
    fmt_duration,
    fmt_local_compact,
    local_date,
    to_utc,
    zone,
)
from whoseonfirst_core.usecases.calendar import apply_calendar_plan
from whoseonfirst_core.usecases.common import team_zone
from whoseonfirst_core.usecases.dto import (
    EntryDTO,
    MemberDTO,
    NotificationDTO,
    OverrideDTO,
    ScheduleView,
)
from whoseonfirst_core.usecases.errors import UseCaseError
from whoseonfirst_core.usecases.notifications import HistoryFilter, history_page
from whoseonfirst_core.usecases.schedule import schedule_view

#: At most this many shift-start texts are read with a calendar window (a 6-week month view of
#: a busy pattern with two phones each is a few hundred).
SHIFT_TEXTS_LIMIT = 1000

ViewMode = Literal["week", "month"]
Range = tuple[datetime, datetime]


class PlanError(ValueError):
    """An edit the plan refuses; the message says what is wrong and what to do."""


# --- what the calendar shows ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PlannedSpan:
    """One person on call for ``[start, end)`` (UTC), with the pending edits applied."""

    start: datetime
    end: datetime
    shift_name: str
    member_id: int
    member_name: str
    member_color: str
    entry_id: int | None
    scheduled_member_id: int | None
    scheduled_member_name: str | None
    #: The stored override that puts ``member_id`` here (None for none, or for a pending one).
    override_id: int | None
    override_reason: str | None
    #: Covered by an override, stored or pending.
    is_override: bool
    #: Differs from the database because of a pending edit (drawn with a dashed outline).
    pending: bool
    #: The service texts the person when this span starts (False when the same person simply
    #: carries on from the span before).
    notify: bool = True


@dataclass(frozen=True, slots=True)
class PendingView:
    """The resolved calendar with pending edits applied."""

    spans: tuple[PlannedSpan, ...]
    gaps: tuple[tuple[datetime, datetime], ...]
    #: Pending edits that no longer fit the loaded schedule (an entry was regenerated, an
    #: override is gone); Save would report them as conflicts.
    stale: tuple[CalendarEdit, ...]


@dataclass(frozen=True, slots=True)
class ChipSegment:
    """The part of a span drawn on one day: slice ``index`` of ``count`` (24 h slices)."""

    span: PlannedSpan
    start: datetime
    end: datetime
    index: int
    count: int
    past: bool
    running: bool

    @property
    def multi_day(self) -> bool:
        return self.count > 1


@dataclass(frozen=True, slots=True)
class DayCell:
    """One local calendar day: ``[start, end)`` is local midnight to midnight, in UTC."""

    day: date
    start: datetime
    end: datetime
    chips: tuple[ChipSegment, ...]
    gaps: tuple[tuple[datetime, datetime], ...]
    past: bool
    today: bool
    #: ``"CST → CDT"`` on the day the clocks change, else None.
    dst_change: str | None
    #: False for the leading/trailing days of a month view that belong to another month.
    in_focus: bool


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


def without_expectations(edit: CalendarEdit) -> CalendarEdit:
    """``edit`` without the "who I saw there" checks: the "keep mine" form of a conflicting edit."""
    if isinstance(edit, Cover):
        return dataclasses.replace(edit, expected_member_id=None)
    if isinstance(edit, Swap):
        return dataclasses.replace(edit, expected_a=None, expected_b=None)
    return dataclasses.replace(edit, expected_version=None)


# --- the plan ---------------------------------------------------------------------------------


class CalendarPlan:
    """The loaded schedule plus the pending edits, and every rule about adding one.

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

    # --- building edits from gestures ----------------------------------------------------

    def cover_proposal(
        self, target: ChipSegment | DayCell, member_id: int, *, whole_span: bool = False
    ) -> Proposal:
        """Member ``member_id`` covers what the admin dropped on (or chose in the menu).

        On a chip: the chip's span; on one day of a multi-day chip: that day's slice (the whole
        span is offered as the alternative), unless ``whole_span``. On a day: that day's on-call
        time (its chips), or the whole local day when nobody's shift starts that day. Time that
        has already passed stays with whoever had it: the cover starts now (to the minute).
        """
        m = self.member(member_id)
        if m is None:
            raise PlanError("that member is not in this team any more (press F5 to reload)")
        if isinstance(target, ChipSegment):
            span = target.span
            if target.multi_day and not whole_span:
                main = self._cover(member_id, target.start, target.end, span.member_id)
                whole = self._cover(member_id, span.start, span.end, span.member_id)
                self.check(main)
                alternatives: tuple[Alternative, ...] = (
                    Alternative(f"Only {self._day_label(target.start)}", main),
                )
                if self.validation_error(whole) is None:
                    alternatives += (
                        Alternative(
                            f"The whole shift ({fmt_duration(span.start, span.end, self._tz)}, "
                            f"{self._when(span.start)} → {self._when(span.end)})",
                            whole,
                        ),
                    )
                return Proposal(main, self.describe(main), alternatives)
            edit = self._cover(member_id, span.start, span.end, span.member_id)
        else:
            if target.chips:
                start, end = target.chips[0].start, target.chips[-1].end
                who = target.chips[0].span.member_id
            else:
                start, end, who = target.start, target.end, None
            edit = self._cover(member_id, start, end, who)
        self.check(edit)
        return Proposal(edit, self.describe(edit))

    def _cover(self, member_id: int, start: datetime, end: datetime, expected: int | None) -> Cover:
        now_minute = self.now().replace(second=0, microsecond=0)
        if start < now_minute < end:
            start = now_minute
        # The core checks who is on call at the cover's start; ask it about that instant.
        on_call = on_call_at(self._resolved(), start) if expected is not None else None
        return Cover(
            member_id,
            start,
            end,
            "",
            on_call.member_id if on_call is not None else expected,
        )

    def swap_proposal(self, entry_a: int, entry_b: int) -> Proposal:
        """The people on call for two entries trade places (two overrides on Save)."""
        a, b = self.entry(entry_a), self.entry(entry_b)
        who_a = self.on_call_for_entry(a) if a is not None else None
        who_b = self.on_call_for_entry(b) if b is not None else None
        edit = Swap(
            entry_a,
            entry_b,
            "",
            who_a.member_id if who_a is not None else None,
            who_b.member_id if who_b is not None else None,
        )
        self.check(edit)
        return Proposal(edit, self.describe(edit))

    def cancel_proposal(self, override_id: int) -> Proposal:
        o = self.stored_override(override_id)
        edit = CancelOverride(override_id, o.version if o is not None else None)
        self.check(edit)
        return Proposal(edit, self.describe(edit))

    def swap_candidates(self, entry_id: int, first_day: date, days: int) -> list[PlannedSpan]:
        """Entries starting in the ``days`` days from ``first_day`` that ``entry_id`` could swap
        with: one span per entry (who is on call at its start, or now), in time order."""
        source = self.entry(entry_id)
        if source is None:
            return []
        lo = day_start(first_day, self._tz)
        hi = day_start(first_day + timedelta(days=days), self._tz)
        out: list[PlannedSpan] = []
        for e in self.view.entries:
            if e.id == entry_id or not lo <= e.start < hi:
                continue
            if self.validation_error(Swap(entry_id, e.id)) is not None:
                continue
            who = self.on_call_for_entry(e)
            if who is not None:
                out.append(who)
        return out

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
        return fmt_local_compact(at, self._tz)

    def _day_label(self, at: datetime) -> str:
        local = to_utc(at).astimezone(self._tz)
        return f"{WEEKDAY_ABBR[local.weekday()]} {local.month}/{local.day}"

    # --- the pending view -----------------------------------------------------------------

    def _decide(self, edits: Sequence[CalendarEdit]) -> PlanDecision:
        assert self._facts is not None, "the calendar has not been loaded yet"
        return decide_edits(self._facts, edits, self.now(), Stage.PLANNING)

    def _resolved(self, decided: PlanDecision | None = None) -> list[ResolvedSpan]:
        """The loaded calendar with the pending edits laid over it, resolved."""
        decided = decided or self._decide(self._edits)
        assert self._facts is not None
        return resolve_on_call(self._facts.entries, decided.overrides)

    def pending_view(self) -> PendingView:
        """Spans overlapping the loaded window with every pending edit applied (unclipped, so a
        48 h chip keeps its real ends), the coverage gaps, and the edits that went stale."""
        view = self.view
        decided = self._decide(self._edits)
        resolved = self._resolved(decided)
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
                    is_override=s.override_id is not None,
                    pending=pending_override or uncovered,
                    notify=s.notify,
                )
            )
        gaps = tuple((g.start, g.end) for g in coverage_gaps(resolved, view.start, view.end))
        stale = tuple(d.edit for d in decided.decisions if d.stale)
        return PendingView(tuple(spans), gaps, stale)


# --- days ----------------------------------------------------------------------------------


def visible_days(anchor: date, mode: ViewMode) -> tuple[date, int, int | None]:
    """``(first_day, day_count, focus_month)`` for the week or month containing ``anchor``.

    Weeks run Monday to Sunday; a month view shows whole weeks, from the Monday on or before the
    1st to the Sunday on or after the last day (35 or 42 days), with ``focus_month`` set.
    """
    if mode == "week":
        return anchor - timedelta(days=anchor.weekday()), 7, None
    first = anchor.replace(day=1)
    next_month = (first + timedelta(days=32)).replace(day=1)
    last = next_month - timedelta(days=1)
    start = first - timedelta(days=first.weekday())
    end = last + timedelta(days=6 - last.weekday())
    return start, (end - start).days + 1, first.month


def step(anchor: date, mode: ViewMode, direction: int) -> date:
    """The anchor one week or one month earlier (``direction`` −1) or later (+1)."""
    if mode == "week":
        return anchor + timedelta(weeks=direction)
    first = anchor.replace(day=1)
    if direction > 0:
        return (first + timedelta(days=32)).replace(day=1)
    return (first - timedelta(days=1)).replace(day=1)


def range_title(first_day: date, days: int, focus_month: int | None) -> str:
    """``Mar 2 – Mar 8, 2026`` (week), ``March 2026`` (month), years shown when they differ."""
    if focus_month is not None:
        middle = first_day + timedelta(days=days // 2)
        return f"{middle:%B %Y}"
    last = first_day + timedelta(days=days - 1)
    if first_day.year != last.year:
        return (
            f"{first_day:%b} {first_day.day}, {first_day.year} – {last:%b} {last.day}, {last.year}"
        )
    return f"{first_day:%b} {first_day.day} – {last:%b} {last.day}, {last.year}"


def slices(span: PlannedSpan, tz: ZoneInfo) -> list[tuple[datetime, datetime]]:
    """``span`` cut into consecutive 24 wall-clock-hour pieces from its start (UTC)."""
    out: list[tuple[datetime, datetime]] = []
    cursor = span.start
    while cursor < span.end:
        nxt = min(add_wall_hours(cursor, 24, tz), span.end)
        if nxt <= cursor:  # defensive: never loop forever on odd zone data
            nxt = span.end
        out.append((cursor, nxt))
        cursor = nxt
    return out


def layout_days(
    spans: Iterable[PlannedSpan],
    gaps: Iterable[tuple[datetime, datetime]],
    first_day: date,
    days: int,
    tz: ZoneInfo,
    now: datetime,
    focus_month: int | None = None,
) -> list[DayCell]:
    """The calendar's days with the chips drawn on each (see the module docstring)."""
    today = local_date(now, tz)
    cells: dict[date, list[ChipSegment]] = {first_day + timedelta(days=i): [] for i in range(days)}
    for span in spans:
        pieces = slices(span, tz)
        for k, (a, b) in enumerate(pieces):
            d = local_date(a, tz)
            if d in cells:
                cells[d].append(
                    ChipSegment(span, a, b, k, len(pieces), past=b <= now, running=a <= now < b)
                )
    gap_list = list(gaps)
    out: list[DayCell] = []
    for d, chips in cells.items():
        start, end = day_start(d, tz), day_start(d + timedelta(days=1), tz)
        before = start.astimezone(tz).tzname()
        after = (end - timedelta(seconds=1)).astimezone(tz).tzname()
        out.append(
            DayCell(
                day=d,
                start=start,
                end=end,
                chips=tuple(sorted(chips, key=lambda c: (c.start, c.end))),
                gaps=tuple(
                    (max(a, start), min(b, end)) for a, b in gap_list if a < end and b > start
                ),
                past=end <= now,
                today=d == today,
                dst_change=f"{before} → {after}" if before != after else None,
                in_focus=focus_month is None or d.month == focus_month,
            )
        )
    return out


# --- reading and saving (these run on a worker thread) ---------------------------------------


@dataclass(frozen=True, slots=True)
class LoadedCalendar:
    view: ScheduleView
    anchor: date
    first_day: date
    days: int
    focus_month: int | None
    today: date
    #: Shift-start texts of the spans in view (for the chip tooltips), oldest first.
    texts: tuple[NotificationDTO, ...] = ()


def fetch_calendar(
    uow: UnitOfWork,
    now: datetime,
    anchor: date | None,
    mode: ViewMode,
    extra: tuple[datetime, datetime] | None = None,
) -> LoadedCalendar:
    """Read the schedule for the week/month around ``anchor`` (today when None), widened to
    ``extra`` (the range pending edits touch, so they still resolve)."""
    tz = team_zone(uow)
    today = local_date(now, tz)
    anchor = anchor or today
    first_day, days, focus = visible_days(anchor, mode)
    start = day_start(first_day, tz)
    end = day_start(first_day + timedelta(days=days), tz)
    if extra is not None:
        start, end = min(start, extra[0]), max(end, extra[1])
    view = schedule_view(uow, start, end)
    earliest = min((s.start for s in view.spans), default=start)
    texts, _ = history_page(
        uow,
        HistoryFilter(kinds=("shift_start",), since=min(earliest, start), until=end),
        limit=SHIFT_TEXTS_LIMIT,
        count=False,
    )
    return LoadedCalendar(view, anchor, first_day, days, focus, today, tuple(reversed(texts)))


@dataclass(frozen=True, slots=True)
class SaveResult:
    applied: int
    #: Descriptions of edits that no longer made sense when re-applied over newer changes.
    dropped: tuple[str, ...] = ()


def save_edits(
    db: Database,
    actor: str,
    clock: Clock,
    edits: Sequence[tuple[CalendarEdit, str]],
    *,
    force: bool = False,
) -> SaveResult:
    """Write ``edits`` (each with its description) in one transaction.

    Normal save: all or nothing; a calendar changed since planning raises ``ConflictError``.
    ``force`` ("keep mine" after a conflict): each edit is re-applied without the "who I saw"
    checks on the current calendar, inside a savepoint; the ones that no longer make sense (the
    shift is over, the override is gone, the entry was regenerated, nothing left to swap) are
    skipped and named in the result. Still one transaction.
    """
    now = to_utc(clock.now())
    with db.uow(actor) as uow:
        if not force:
            apply_calendar_plan(uow, now, [e for e, _ in edits])
            uow.commit()
            return SaveResult(len(edits))
        applied = 0
        dropped: list[str] = []
        for edit, description in edits:
            try:
                with uow.session.begin_nested():
                    apply_calendar_plan(uow, now, [without_expectations(edit)])
            except UseCaseError as exc:
                dropped.append(f"{description}: {exc}")
            else:
                applied += 1
        if applied:
            uow.commit()
        return SaveResult(applied, tuple(dropped))
