"""The calendar use case: the edit rules decided over what the database holds, then written in
one transaction with the audit trail (the rules themselves: ``test_overrides.py``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from tests.core.helpers import d, load, roster
from whoseonfirst_core.db.models import AuditEntry, Member, Override
from whoseonfirst_core.db.session import Database
from whoseonfirst_core.usecases import calendar, schedule, team
from whoseonfirst_core.usecases.errors import ConflictError, NotFoundError, UseCaseError

NOW = datetime(2026, 3, 4, 16, tzinfo=UTC)  # Wed 10:00 CST: Monday is over, Ben's 48 h runs


def week(db: Database) -> tuple[dict[str, int], dict[str, int]]:
    """(entry id by shift name, member id by name) of the week of Mon 2026-03-02."""
    load(db, roster(7))
    with db.reader() as uow:
        view = schedule.preview(uow, d("2026-03-02"), 7)
        members = {m.name: m.id for m in team.list_members(uow)}
    return {e.shift_name: e.id for e in view.entries}, members


def overrides(db: Database) -> list[tuple[int, str, str]]:
    with db.reader() as uow:
        return [
            (o.member_id, o.status, o.reason)
            for o in uow.session.scalars(select(Override).order_by(Override.id))
        ]


def test_every_kind_of_refusal_is_its_own_error_and_nothing_is_written(db: Database) -> None:
    entries, members = week(db)
    thu = datetime(2026, 3, 5, 14, tzinfo=UTC)
    good = calendar.Cover(members["Gus"], thu, thu + timedelta(days=1))
    cases: list[tuple[calendar.CalendarEdit, type[UseCaseError], str]] = [
        (calendar.Cover(999, thu, thu + timedelta(days=1)), NotFoundError, "no longer exists"),
        (calendar.Swap(entries["Thursday"], 999), ConflictError, "was regenerated"),
        (calendar.CancelOverride(999), NotFoundError, "that override no longer exists"),
        (calendar.Swap(entries["Thursday"], entries["Thursday"]), UseCaseError, "with itself"),
    ]
    for bad, error, text in cases:
        with db.uow("t") as uow, pytest.raises(error, match=text):
            calendar.apply_calendar_plan(uow, NOW, [good, bad])
    assert overrides(db) == []


def test_swapping_a_shift_that_is_over_says_so_when_saved(db: Database) -> None:
    entries, _ = week(db)
    swap = calendar.Swap(entries["Monday"], entries["Thursday"])
    with db.uow("t") as uow, pytest.raises(UseCaseError) as refused:
        calendar.apply_calendar_plan(uow, NOW, [swap])
    assert str(refused.value) == "that time is already over: past shifts cannot be changed"


def test_a_plan_is_decided_in_order_and_written_with_its_audit_trail(db: Database) -> None:
    entries, members = week(db)
    thu = datetime(2026, 3, 5, 14, tzinfo=UTC)
    with db.uow("t") as uow:
        made = calendar.apply_calendar_plan(
            uow,
            NOW,
            [
                calendar.Cover(members["Gus"], thu, thu + timedelta(days=1), " flu "),
                # Sees Gus on Thursday: Gus and the running Tue–Wed shift's Ben trade places.
                calendar.Swap(entries["Tuesday-Wednesday"], entries["Thursday"]),
            ],
        )
        uow.commit()
    assert [(o.member_name, o.start, o.end, o.reason) for o in made] == [
        ("Gus", thu, thu + timedelta(days=1), "flu"),
        ("Gus", NOW, thu, "swap"),
        ("Ben", thu, thu + timedelta(days=1), "swap"),
    ]
    with db.uow("t") as uow:
        cancelled = calendar.apply_calendar_plan(uow, NOW, [calendar.CancelOverride(made[0].id)])
        uow.commit()
    assert [(o.id, o.status) for o in cancelled] == [(made[0].id, "cancelled")]
    with db.reader() as uow:
        audit = [
            (a.action, a.summary)
            for a in uow.session.scalars(
                select(AuditEntry)
                .where(AuditEntry.action.like("override.%"))
                .order_by(AuditEntry.id)
            )
        ]
    assert audit == [
        ("override.add", "Gus covers Thu 2026-03-05 08:00 CST → Fri 2026-03-06 08:00 CST"),
        ("override.add", "Gus covers Wed 2026-03-04 10:00 CST → Thu 2026-03-05 08:00 CST"),
        ("override.add", "Ben covers Thu 2026-03-05 08:00 CST → Fri 2026-03-06 08:00 CST"),
        ("override.cancel", "cancelled cover by Gus"),
    ]
    # Cancelling it again, or having a cancelled coverer archived: the rules see the database.
    with db.uow("t") as uow, pytest.raises(UseCaseError, match="already cancelled"):
        calendar.apply_calendar_plan(uow, NOW, [calendar.CancelOverride(made[0].id)])
    with db.uow("t") as uow:
        gus = uow.session.get(Member, members["Gus"])
        assert gus is not None
        gus.archived = True
        uow.commit()
    with db.uow("t") as uow, pytest.raises(UseCaseError, match="Gus is archived"):
        calendar.apply_calendar_plan(
            uow, NOW, [calendar.Swap(entries["Tuesday-Wednesday"], entries["Friday"])]
        )
