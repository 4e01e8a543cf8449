"""Calendar edits and their rules (SPEC §3, *Override*): what a cover, a swap or the
cancellation of an override does, and whether it is allowed.

:func:`decide_edits` is the one place that decides it. The use case that saves edits
(:func:`whoseonfirst_core.usecases.calendar.apply_calendar_plan`, one transaction) and the app's
pending view (what the calendar shows before Save) both call it; who is on call is always
:func:`~whoseonfirst_core.domain.resolution.resolve_on_call`.

* A **cover** (:class:`Cover`) creates one override: the member covers ``[start, end)``.
* A **swap** (:class:`Swap`) creates two: the person on call for each entry
  (:func:`on_call_for_entry`) covers the other entry, from its start or, while it runs, from
  ``now`` (what has passed stays as it was).
* A **cancellation** (:class:`CancelOverride`) ends an active override that is not over yet.

Edits are decided in order, each over the effects of the ones before it (a swap planned after a
cover sees that cover), which is how Save applies them. New overrides get provisional ids above
every stored id, so they resolve as the newest, as they will once saved.

The same rules are met at two :class:`Stage` s, and a refusal is phrased for each: while an
admin plans an edit on the calendar they have loaded (reload it, times and names spelled out;
an edit that would change nothing is refused too), and when Save writes it to the database.

Pure: no database, no clock (``now`` is a parameter). Instants are timezone-aware; results UTC.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from enum import Enum
from typing import Protocol, TypeVar

from whoseonfirst_core.domain.resolution import (
    OverrideSpan,
    ResolvedSpan,
    ScheduledEntry,
    on_call_at,
    resolve_on_call,
)
from whoseonfirst_core.domain.templates import control_characters
from whoseonfirst_core.domain.timeutil import Timed, fmt_local_compact, fmt_local_long, to_utc

#: The longest reason an override may carry, in characters.
MAX_REASON = 500
#: Overrides an edit creates get provisional ids from here up: above every stored id, so they
#: resolve as the newest, exactly as they will once the database has given them real ids.
PROVISIONAL_ID_BASE = 10**15


# --- the edits ------------------------------------------------------------------------------


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


# --- what the rules look at -----------------------------------------------------------------


class Stage(Enum):
    """When an edit is checked, which decides how a refusal is phrased."""

    #: An admin planning the edit on the calendar they have loaded (the app, before Save).
    PLANNING = "planning"
    #: Save writing it to the database.
    SAVING = "saving"


@dataclass(frozen=True, slots=True)
class MemberRef:
    """A member as the rules see them: who may cover, by what name refusals call them."""

    member_id: int
    name: str
    archived: bool


@dataclass(frozen=True, slots=True)
class StoredOverride:
    """An override as stored; ``status`` is ``active``, ``completed`` or ``cancelled``."""

    override_id: int
    member_id: int
    start: datetime
    end: datetime
    status: str
    version: int


@dataclass(frozen=True, slots=True)
class CalendarFacts:
    """The calendar the rules look at.

    ``entries`` and ``overrides`` hold every row overlapping the times the edits touch, plus
    any override an edit cancels whatever its status (cancelled ones take no part in
    resolution). ``members``: everyone an edit may name, archived members included. ``tz``: the
    team's zone, for the times in messages.
    """

    tz: tzinfo
    entries: tuple[ScheduledEntry, ...]
    overrides: tuple[StoredOverride, ...]
    members: tuple[MemberRef, ...]


# --- what they decide -----------------------------------------------------------------------


class RefusalKind(Enum):
    """What sort of refusal it is (the use case raises a different error for each)."""

    #: The edit is not allowed as it stands (the past, a shift with itself, too long a reason…).
    INVALID = "invalid"
    #: Something it names is gone (a member, an override).
    GONE = "gone"
    #: The calendar changed since the edit was planned.
    CONFLICT = "conflict"


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why an edit may not be made."""

    kind: RefusalKind
    #: What is wrong and what to do, for people to read.
    message: str
    #: For a conflict: what differs, one line each.
    conflicts: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class NewOverride:
    """An override an edit creates: ``member_id`` covers ``[start, end)`` (UTC)."""

    #: Provisional (see :data:`PROVISIONAL_ID_BASE`); the database assigns the real one.
    override_id: int
    member_id: int
    start: datetime
    end: datetime
    #: As stored: trimmed.
    reason: str


@dataclass(frozen=True, slots=True)
class EditDecision:
    """What one edit does, and whether it may.

    The effects are worked out for a refused edit too whenever they can be (a cover always, a
    swap when both entries are there and someone is on call in each, a cancellation when the
    override is there), so the app can still draw an unsaved edit that went out of date.
    """

    edit: CalendarEdit
    creates: tuple[NewOverride, ...] = ()
    cancels: tuple[StoredOverride, ...] = ()
    refusal: Refusal | None = None

    @property
    def allowed(self) -> bool:
        return self.refusal is None

    @property
    def stale(self) -> bool:
        """Refused with no effect left to show: the edit no longer fits the calendar at all."""
        return self.refusal is not None and not self.creates and not self.cancels


@dataclass(frozen=True, slots=True)
class PlanDecision:
    """The decisions for a sequence of edits, in order."""

    decisions: tuple[EditDecision, ...]
    #: The overrides in force once every edit's effects are laid over the stored ones (pass them
    #: to :func:`resolve_on_call` with the entries to see the calendar the edits make).
    overrides: tuple[OverrideSpan, ...]

    @property
    def refusal(self) -> Refusal | None:
        """The first refusal (edits are saved all or none), or None when every edit may."""
        return next((d.refusal for d in self.decisions if d.refusal is not None), None)


# --- the rules ------------------------------------------------------------------------------


def decide_edits(
    facts: CalendarFacts,
    edits: Sequence[CalendarEdit],
    now: datetime,
    stage: Stage = Stage.SAVING,
) -> PlanDecision:
    """Decide ``edits`` in order at instant ``now``, each over the effects of the ones before."""
    now = to_utc(now)
    work = _Working(facts)
    decisions: list[EditDecision] = []
    for edit in edits:
        if isinstance(edit, Cover):
            decision = _decide_cover(work, edit, now, stage)
        elif isinstance(edit, Swap):
            decision = _decide_swap(work, edit, now, stage)
        else:
            decision = _decide_cancel(work, edit, now, stage)
        work.take(decision)
        decisions.append(decision)
    return PlanDecision(tuple(decisions), tuple(work.in_force))


class _InEntry(Timed, Protocol):
    @property
    def entry_id(self) -> int | None: ...


SpanT = TypeVar("SpanT", bound=_InEntry)


def on_call_for_entry(
    spans: Sequence[SpanT], entry_id: int, entry_start: datetime, now: datetime
) -> SpanT | None:
    """Whom a swap takes out of an entry: the span of ``spans`` (resolved, in time order) on
    call at the entry's start, or at ``now`` while it runs; the entry's first span when nobody
    is on call then; None when the entry has no span at all."""
    mine = [s for s in spans if s.entry_id == entry_id]
    at = max(entry_start, now)
    return next((s for s in mine if s.start <= at < s.end), mine[0] if mine else None)


class _Working:
    """The calendar while a sequence of edits is decided: the stored overrides with the
    effects of the edits decided so far laid over them."""

    def __init__(self, facts: CalendarFacts) -> None:
        self.facts = facts
        self.entries = {e.entry_id: e for e in facts.entries}
        self.members = {m.member_id: m for m in facts.members}
        self.names = {m.member_id: m.name for m in facts.members}
        self.stored = {o.override_id: o for o in facts.overrides}
        self.in_force = [
            OverrideSpan(o.override_id, o.member_id, o.start, o.end)
            for o in facts.overrides
            if o.status != "cancelled"
        ]
        self.cancelled_here: set[int] = set()
        self._next_id = PROVISIONAL_ID_BASE
        self._spans: list[ResolvedSpan] | None = None

    def spans(self) -> list[ResolvedSpan]:
        if self._spans is None:
            self._spans = resolve_on_call(self.facts.entries, self.in_force)
        return self._spans

    def new_override(
        self, member_id: int, start: datetime, end: datetime, reason: str
    ) -> NewOverride:
        self._next_id += 1
        return NewOverride(self._next_id, member_id, start, end, reason.strip())

    def take(self, decision: EditDecision) -> None:
        """Lay ``decision``'s effects over the calendar (refused or not: see EditDecision)."""
        gone = {o.override_id for o in decision.cancels}
        self.cancelled_here |= gone
        self.in_force = [o for o in self.in_force if o.override_id not in gone]
        self.in_force += [
            OverrideSpan(n.override_id, n.member_id, n.start, n.end) for n in decision.creates
        ]
        if decision.creates or decision.cancels:
            self._spans = None

    def when(self, at: datetime) -> str:
        return fmt_local_compact(at, self.facts.tz)


def _refuse(
    stage: Stage,
    planning: str,
    saving: str | None = None,
    kind: RefusalKind = RefusalKind.INVALID,
    conflicts: tuple[str, ...] = (),
) -> Refusal:
    """A refusal phrased for ``stage`` (``saving`` defaults to the ``planning`` phrase)."""
    text = saving if stage is Stage.SAVING and saving is not None else planning
    return Refusal(kind, text, conflicts)


def _decide_cover(w: _Working, c: Cover, now: datetime, stage: Stage) -> EditDecision:
    start, end = to_utc(c.start), to_utc(c.end)
    return EditDecision(
        c,
        creates=(w.new_override(c.member_id, start, end, c.reason),),
        refusal=_cover_refusal(w, c, start, end, now, stage),
    )


def _cover_refusal(
    w: _Working, c: Cover, start: datetime, end: datetime, now: datetime, stage: Stage
) -> Refusal | None:
    if end <= start:
        return _refuse(
            stage, "a cover must end after it starts", "an override must end after it starts"
        )
    if end <= now:
        return _over(stage, f"{w.when(start)} – {w.when(end)} is over")
    refusal = _reason_refusal(c.reason, stage) or _coverer_refusal(w, c.member_id, stage)
    if refusal is not None:
        return refusal
    if stage is Stage.PLANNING:
        pieces = [s for s in w.spans() if s.end > max(start, now) and s.start < end]
        if pieces and all(s.member_id == c.member_id for s in pieces):
            return Refusal(
                RefusalKind.INVALID,
                f"{w.names[c.member_id]} is already on call then: nothing to change",
            )
    if c.expected_member_id is None:
        return None
    current = on_call_at(w.spans(), start)
    if current is not None and current.member_id == c.expected_member_id:
        return None
    who = w.names.get(current.member_id, "nobody") if current is not None else "nobody"
    saw = w.names.get(c.expected_member_id, "?")
    return Refusal(
        RefusalKind.CONFLICT,
        "the calendar changed since you planned this edit",
        (f"{fmt_local_long(start, w.facts.tz)}: you saw {saw}, now {who} is on call",),
    )


def _decide_swap(w: _Working, s: Swap, now: datetime, stage: Stage) -> EditDecision:
    a, b = w.entries.get(s.entry_a), w.entries.get(s.entry_b)
    spans = w.spans()
    who_a = on_call_for_entry(spans, a.entry_id, a.start, now) if a is not None else None
    who_b = on_call_for_entry(spans, b.entry_id, b.start, now) if b is not None else None
    creates: tuple[NewOverride, ...] = ()
    if a is not None and b is not None and who_a is not None and who_b is not None:
        reason = s.reason or "swap"
        creates = (
            w.new_override(who_b.member_id, max(a.start, now), a.end, reason),
            w.new_override(who_a.member_id, max(b.start, now), b.end, reason),
        )
    return EditDecision(s, creates, refusal=_swap_refusal(w, s, a, b, who_a, who_b, now, stage))


def _swap_refusal(
    w: _Working,
    s: Swap,
    a: ScheduledEntry | None,
    b: ScheduledEntry | None,
    who_a: ResolvedSpan | None,
    who_b: ResolvedSpan | None,
    now: datetime,
    stage: Stage,
) -> Refusal | None:
    if s.entry_a == s.entry_b:
        return _refuse(stage, "a shift cannot be swapped with itself")
    if a is None or b is None:
        return _refuse(
            stage,
            "that shift is not in the loaded calendar any more (press F5)",
            "a shift you planned to swap was regenerated; refresh and retry",
            RefusalKind.CONFLICT,
        )
    for e in (a, b):
        if e.end <= now:
            return _over(stage, f"the {e.shift_name} shift ({w.when(e.start)}) is over")
    refusal = _reason_refusal(s.reason, stage)
    if refusal is not None:
        return refusal
    if who_a is None or who_b is None:
        return _refuse(
            stage,
            "nobody is on call for one of those shifts: use Cover instead",
            "nobody is on call for one of those shifts",
        )
    if (s.expected_a is not None and who_a.member_id != s.expected_a) or (
        s.expected_b is not None and who_b.member_id != s.expected_b
    ):
        return Refusal(RefusalKind.CONFLICT, "the calendar changed since you planned this swap")
    if who_a.member_id == who_b.member_id:
        return _refuse(
            stage,
            f"both shifts are with {w.names.get(who_a.member_id, '?')}: nothing to swap",
            "both shifts are with the same person: nothing to swap",
        )
    return _coverer_refusal(w, who_b.member_id, stage) or _coverer_refusal(
        w, who_a.member_id, stage
    )


def _decide_cancel(w: _Working, c: CancelOverride, now: datetime, stage: Stage) -> EditDecision:
    o = w.stored.get(c.override_id)
    if o is None:
        return EditDecision(
            c,
            refusal=_refuse(
                stage,
                "that override is not in the loaded calendar any more (press F5)",
                "that override no longer exists (refresh)",
                RefusalKind.GONE,
            ),
        )
    return EditDecision(c, cancels=(o,), refusal=_cancel_refusal(w, c, o, now, stage))


def _cancel_refusal(
    w: _Working, c: CancelOverride, o: StoredOverride, now: datetime, stage: Stage
) -> Refusal | None:
    if c.expected_version is not None and o.version != c.expected_version:
        return Refusal(
            RefusalKind.CONFLICT, "that override was changed by someone else since you opened it"
        )
    if o.override_id in w.cancelled_here:
        return _refuse(
            stage,
            "that override is already being cancelled (Save to apply)",
            "that override is already cancelled",
        )
    if o.status != "active":
        return _refuse(stage, f"that override is already {o.status}")
    if o.end <= now:
        return _refuse(
            stage,
            "that override is over: past shifts are read-only",
            "that override is over: past shifts cannot be changed",
        )
    return None


# --- rules that covers and swaps share ------------------------------------------------------


def _over(stage: Stage, what: str) -> Refusal:
    """``what`` (spelled out for the admin planning it) has ended: the past stays as it was."""
    return _refuse(
        stage,
        f"{what}: past shifts are read-only",
        "that time is already over: past shifts cannot be changed",
    )


def _reason_refusal(reason: str, stage: Stage) -> Refusal | None:
    if len(reason) > MAX_REASON:
        return _refuse(
            stage,
            f"the reason is longer than {MAX_REASON} characters",
            f"reason: longer than {MAX_REASON} characters",
        )
    if bad := control_characters(reason):
        return _refuse(stage, f"reason: contains control characters ({', '.join(bad)})")
    return None


def _coverer_refusal(w: _Working, member_id: int, stage: Stage) -> Refusal | None:
    m = w.members.get(member_id)
    if m is None:
        return _refuse(
            stage,
            "that member is not in this team any more (press F5 to reload)",
            "that member no longer exists (refresh)",
            RefusalKind.GONE,
        )
    if m.archived:
        return _refuse(stage, f"{m.name} is archived and cannot cover shifts")
    return None
