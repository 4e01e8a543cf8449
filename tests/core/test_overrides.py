"""The calendar edit rules (``domain/overrides.py``), pure: frozen facts in, decisions out.

The week (America/Chicago, shifts at 08:00 CST): Mon Ann, Tue–Wed Ben (48 h), Thu Cal, Fri Dee;
Eve is free, Zed is archived. It is Wed 10:00 CST: Monday is over, Ben's 48 h shift is running.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from whoseonfirst_core.domain.overrides import (
    MAX_REASON,
    PROVISIONAL_ID_BASE,
    CalendarEdit,
    CalendarFacts,
    CancelOverride,
    Cover,
    MemberRef,
    NewOverride,
    RefusalKind,
    Stage,
    StoredOverride,
    Swap,
    decide_edits,
    on_call_for_entry,
)
from whoseonfirst_core.domain.resolution import ScheduledEntry, resolve_on_call
from whoseonfirst_core.domain.timeutil import zone

CHI = zone("America/Chicago")
ANN, BEN, CAL, DEE, EVE, ZED = 1, 2, 3, 4, 5, 9
MON, TUE, THU, FRI = 11, 12, 13, 14
NOW = datetime(2026, 3, 4, 16, tzinfo=UTC)  # Wed 10:00 CST
PLAN, SAVE = Stage.PLANNING, Stage.SAVING


def at(day: int, hour: int = 14) -> datetime:
    return datetime(2026, 3, day, hour, tzinfo=UTC)


ENTRIES = (
    ScheduledEntry(MON, "Monday", at(2), at(3), ANN),
    ScheduledEntry(TUE, "Tuesday-Wednesday", at(3), at(5), BEN),
    ScheduledEntry(THU, "Thursday", at(5), at(6), CAL),
    ScheduledEntry(FRI, "Friday", at(6), at(7), DEE),
)
MEMBERS = (
    MemberRef(ANN, "Ann Archer", False),
    MemberRef(BEN, "Ben Brooks", False),
    MemberRef(CAL, "Cal Chen", False),
    MemberRef(DEE, "Dee Diaz", False),
    MemberRef(EVE, "Eve Evans", False),
    MemberRef(ZED, "Zed Zero", True),
)
#: Eve covers Friday (active), a finished cover on Monday, a cancelled one on Thursday.
OVERRIDES = (
    StoredOverride(1, EVE, at(6), at(7), "active", 3),
    StoredOverride(2, CAL, at(2), at(3), "completed", 1),
    StoredOverride(3, ANN, at(5), at(6), "cancelled", 2),
)


def facts(overrides: tuple[StoredOverride, ...] = OVERRIDES) -> CalendarFacts:
    return CalendarFacts(CHI, ENTRIES, overrides, MEMBERS)


def decide(edit: CalendarEdit, stage: Stage, *before: CalendarEdit) -> str | None:
    """The refusal message for ``edit`` planned after ``before`` (None: allowed)."""
    refusal = decide_edits(facts(), [*before, edit], NOW, stage).decisions[-1].refusal
    return refusal.message if refusal is not None else None


def who(edits: list[CalendarEdit], at_: datetime) -> int:
    """Who is on call at ``at_`` once ``edits`` are laid over the calendar."""
    plan = decide_edits(facts(), edits, NOW, PLAN)
    return next(
        s.member_id for s in resolve_on_call(ENTRIES, plan.overrides) if s.start <= at_ < s.end
    )


# --- what an edit does ------------------------------------------------------------------------


def test_a_cover_creates_one_override_newer_than_every_stored_one() -> None:
    plan = decide_edits(facts(), [Cover(EVE, at(5), at(6), "  dentist ")], NOW)
    (decision,) = plan.decisions
    assert decision.allowed and decision.cancels == ()
    assert decision.creates == (NewOverride(PROVISIONAL_ID_BASE + 1, EVE, at(5), at(6), "dentist"),)
    assert plan.overrides[-1].override_id > max(o.override_id for o in OVERRIDES)


def test_a_swap_trades_places_from_now_while_a_shift_runs() -> None:
    (decision,) = decide_edits(facts(), [Swap(TUE, THU, "trade")], NOW).decisions
    assert decision.allowed
    assert [(n.member_id, n.start, n.end, n.reason) for n in decision.creates] == [
        (CAL, NOW, at(5), "trade"),  # the running 48 h shift: what has passed stays with Ben
        (BEN, at(5), at(6), "trade"),
    ]
    (default,) = decide_edits(facts(), [Swap(THU, FRI)], NOW).decisions
    assert {n.reason for n in default.creates} == {"swap"}
    assert [n.member_id for n in default.creates] == [EVE, CAL]  # Eve covers Friday


def test_a_cancellation_ends_the_override_and_hands_the_shift_back() -> None:
    plan = decide_edits(facts(), [CancelOverride(1, expected_version=3)], NOW)
    (decision,) = plan.decisions
    assert decision.allowed and decision.cancels == (OVERRIDES[0],) and decision.creates == ()
    assert who([CancelOverride(1)], at(6)) == DEE
    # A cancelled override never took part: Thursday is Cal's.
    assert who([], at(5)) == CAL


def test_edits_are_decided_in_order_each_over_the_ones_before() -> None:
    # The swap planned after the cover sees the cover (Ann on Thursday), as Save applies them.
    cover, swap = Cover(ANN, at(5), at(6)), Swap(THU, FRI)
    plan = decide_edits(facts(), [cover, swap], NOW)
    assert [n.member_id for n in plan.decisions[1].creates] == [EVE, ANN]
    assert (who([cover, swap], at(5)), who([cover, swap], at(6))) == (EVE, ANN)
    # A cancellation then a cover of the same day: the cover is what remains.
    assert who([CancelOverride(1), Cover(ZED, at(6), at(7))], at(6)) == ZED


def test_the_person_a_swap_moves_is_on_call_at_the_start_or_now() -> None:
    spans = resolve_on_call(ENTRIES, [])
    thursday = on_call_for_entry(spans, THU, at(5), NOW)
    assert thursday is not None and thursday.member_id == CAL
    # Eve takes Ben's running shift over from Wed 12:00 CST.
    eve_from_noon = decide_edits(facts(()), [Cover(EVE, at(4, 18), at(5))], NOW).overrides
    covered = resolve_on_call(ENTRIES, eve_from_noon)
    running = on_call_for_entry(covered, TUE, at(3), NOW)
    assert running is not None and running.member_id == BEN  # at now (10:00), not at its start
    later = on_call_for_entry(covered, TUE, at(3), at(4, 19))
    assert later is not None and later.member_id == EVE
    # After the entry, nobody is on call in it at "now": its first span answers.
    first = on_call_for_entry(spans, MON, at(2), NOW)
    assert first is not None and first.member_id == ANN
    assert on_call_for_entry(spans, 999, at(2), NOW) is None


# --- what is refused, and how each stage says it ----------------------------------------------

REFUSALS: list[tuple[str, CalendarEdit, str | None, str | None]] = [
    (
        "cover ends before it starts",
        Cover(EVE, at(5), at(5)),
        "a cover must end after it starts",
        "an override must end after it starts",
    ),
    (
        "cover in the past",
        Cover(EVE, at(2), at(3)),
        "Mon 3/2 08:00 CST – Tue 3/3 08:00 CST is over: past shifts are read-only",
        "that time is already over: past shifts cannot be changed",
    ),
    (
        "cover reason too long",
        Cover(EVE, at(5), at(6), "x" * (MAX_REASON + 1)),
        "the reason is longer than 500 characters",
        "reason: longer than 500 characters",
    ),
    (
        "cover reason with control characters",
        Cover(EVE, at(5), at(6), "a\x1bb"),
        "reason: contains control characters (U+001B)",
        "reason: contains control characters (U+001B)",
    ),
    (
        "cover by a member who is gone",
        Cover(77, at(5), at(6)),
        "that member is not in this team any more (press F5 to reload)",
        "that member no longer exists (refresh)",
    ),
    (
        "cover by an archived member",
        Cover(ZED, at(5), at(6)),
        "Zed Zero is archived and cannot cover shifts",
        "Zed Zero is archived and cannot cover shifts",
    ),
    (
        # Only a planned gesture is refused for changing nothing; an override naming the person
        # already scheduled may be saved (it sends nothing new).
        "cover by whoever is on call",
        Cover(CAL, at(5), at(6)),
        "Cal Chen is already on call then: nothing to change",
        None,
    ),
    (
        "cover planned while someone else was on call",
        Cover(EVE, at(5), at(6), expected_member_id=BEN),
        "the calendar changed since you planned this edit",
        "the calendar changed since you planned this edit",
    ),
    (
        "swap with itself",
        Swap(THU, THU),
        "a shift cannot be swapped with itself",
        "a shift cannot be swapped with itself",
    ),
    (
        "swap with a regenerated shift",
        Swap(THU, 999),
        "that shift is not in the loaded calendar any more (press F5)",
        "a shift you planned to swap was regenerated; refresh and retry",
    ),
    (
        "swap of a past shift",
        Swap(MON, THU),
        "the Monday shift (Mon 3/2 08:00 CST) is over: past shifts are read-only",
        "that time is already over: past shifts cannot be changed",
    ),
    (
        "swap reason too long",
        Swap(THU, FRI, "y" * (MAX_REASON + 1)),
        "the reason is longer than 500 characters",
        "reason: longer than 500 characters",
    ),
    (
        "swap planned while someone else was on call",
        Swap(THU, FRI, expected_a=ANN),
        "the calendar changed since you planned this swap",
        "the calendar changed since you planned this swap",
    ),
    (
        "cancel an override that is gone",
        CancelOverride(999),
        "that override is not in the loaded calendar any more (press F5)",
        "that override no longer exists (refresh)",
    ),
    (
        "cancel an override changed since",
        CancelOverride(1, expected_version=2),
        "that override was changed by someone else since you opened it",
        "that override was changed by someone else since you opened it",
    ),
    (
        "cancel a completed override",
        CancelOverride(2),
        "that override is already completed",
        "that override is already completed",
    ),
    (
        "cancel a cancelled override",
        CancelOverride(3),
        "that override is already cancelled",
        "that override is already cancelled",
    ),
]


@pytest.mark.parametrize(
    ("edit", "planning", "saving"),
    [r[1:] for r in REFUSALS],
    ids=[r[0] for r in REFUSALS],
)
def test_refusals_are_phrased_for_each_stage(
    edit: CalendarEdit, planning: str | None, saving: str | None
) -> None:
    assert decide(edit, PLAN) == planning
    assert decide(edit, SAVE) == saving


def test_a_refusal_says_what_kind_it_is_and_what_changed() -> None:
    def refusal(edit: CalendarEdit):  # type: ignore[no-untyped-def]
        return decide_edits(facts(), [edit], NOW).refusal

    conflict = refusal(Cover(EVE, at(5), at(6), expected_member_id=BEN))
    assert conflict.kind is RefusalKind.CONFLICT
    assert conflict.conflicts == (
        "Thu 2026-03-05 08:00 CST: you saw Ben Brooks, now Cal Chen is on call",
    )
    assert refusal(Swap(THU, 999)).kind is RefusalKind.CONFLICT
    assert refusal(Cover(77, at(5), at(6))).kind is RefusalKind.GONE
    assert refusal(CancelOverride(999)).kind is RefusalKind.GONE
    assert refusal(Swap(THU, THU)).kind is RefusalKind.INVALID
    assert refusal(Cover(EVE, at(5), at(6))) is None


def test_refusals_that_depend_on_the_edits_before() -> None:
    # Both shifts end up with one person.
    ann_thu = Cover(ANN, at(5), at(6))
    ann_fri = Cover(ANN, at(6), at(7))
    assert decide(Swap(THU, FRI), PLAN, ann_thu, ann_fri) == (
        "both shifts are with Ann Archer: nothing to swap"
    )
    assert decide(Swap(THU, FRI), SAVE, ann_thu, ann_fri) == (
        "both shifts are with the same person: nothing to swap"
    )
    # The same override cancelled twice in one plan.
    first = CancelOverride(1)
    assert decide(CancelOverride(1), PLAN, first) == (
        "that override is already being cancelled (Save to apply)"
    )
    assert decide(CancelOverride(1), SAVE, first) == "that override is already cancelled"
    # Once Ann covers Thursday, covering it with Ann again changes nothing.
    assert decide(ann_thu, PLAN, ann_thu) == "Ann Archer is already on call then: nothing to change"


def test_a_swap_refuses_to_hand_a_shift_to_an_archived_member() -> None:
    zed_thu = Cover(ZED, at(5), at(6))  # saved before Zed was archived, say: laid over anyway
    assert decide(Swap(THU, FRI), PLAN, zed_thu) == "Zed Zero is archived and cannot cover shifts"


def test_nobody_on_call_in_a_shift_leaves_nothing_to_swap() -> None:
    gap = (ScheduledEntry(FRI, "Friday", at(6), at(6), DEE),)  # an entry with no time in it
    hollow = CalendarFacts(CHI, ENTRIES[:3] + gap, (), MEMBERS)
    for stage, text in (
        (PLAN, "nobody is on call for one of those shifts: use Cover instead"),
        (SAVE, "nobody is on call for one of those shifts"),
    ):
        refusal = decide_edits(hollow, [Swap(THU, FRI)], NOW, stage).refusal
        assert refusal is not None and refusal.message == text


def test_an_edit_that_no_longer_fits_is_stale_but_a_refused_cover_still_shows() -> None:
    plan = decide_edits(
        facts(),
        [Swap(THU, 999), CancelOverride(999), Cover(EVE, at(2), at(3)), CancelOverride(2)],
        NOW,
        PLAN,
    )
    assert [d.stale for d in plan.decisions] == [True, True, False, False]
    assert [d.allowed for d in plan.decisions] == [False, False, False, False]
    # The refused cover and the refused cancellation are still laid over (the app draws them).
    assert any(o.member_id == EVE and o.start == at(2) for o in plan.overrides)
    assert all(o.override_id != 2 for o in plan.overrides)
