"""Reading the calendar and saving its edits (these run on a worker thread)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from whoseonfirst_core.clock import Clock
from whoseonfirst_core.db.session import Database, UnitOfWork
from whoseonfirst_core.domain.notification import Kind
from whoseonfirst_core.domain.overrides import CalendarEdit, Cover, Swap
from whoseonfirst_core.domain.timeutil import day_start, local_date, to_utc
from whoseonfirst_core.usecases.calendar import apply_calendar_plan
from whoseonfirst_core.usecases.common import team_zone
from whoseonfirst_core.usecases.dto import NotificationDTO, ScheduleView
from whoseonfirst_core.usecases.errors import UseCaseError
from whoseonfirst_core.usecases.inbound import confirmations
from whoseonfirst_core.usecases.notifications import HistoryFilter, history_page
from whoseonfirst_core.usecases.schedule import schedule_view
from whoseonfirst_gui.calendar.days import ViewMode, visible_days
from whoseonfirst_gui.tell import change_uow

#: At most this many shift-start texts are read with a calendar window (a 6-week month view of
#: a busy pattern with two phones each is a few hundred).
SHIFT_TEXTS_LIMIT = 1000


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
    #: When each span in view that its person confirmed by text was confirmed (UTC), by
    #: ``(member_id, span start)`` (for the chip tooltips).
    confirmed: Mapping[tuple[int, datetime], datetime] = field(default_factory=dict)


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
        HistoryFilter(kinds=(Kind.SHIFT_START,), since=min(earliest, start), until=end),
        limit=SHIFT_TEXTS_LIMIT,
        count=False,
    )
    since = min(earliest, start)
    confirmed = confirmations(uow.session, [m.id for m in view.members], since)
    return LoadedCalendar(
        view, anchor, first_day, days, focus, today, tuple(reversed(texts)), confirmed
    )


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
    tell: bool = True,
) -> SaveResult:
    """Write ``edits`` (each with its description) in one transaction; ``tell`` False: without
    telling the people affected.

    Normal save: all or nothing; a calendar changed since planning raises ``ConflictError``.
    ``force`` ("keep mine" after a conflict): each edit is re-applied without the "who I saw"
    checks on the current calendar, inside a savepoint; the ones that no longer make sense (the
    shift is over, the override is gone, the entry was regenerated, nothing left to swap) are
    skipped and named in the result. Still one transaction.
    """
    now = to_utc(clock.now())
    with change_uow(db, actor, now, tell=tell) as uow:
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


def without_expectations(edit: CalendarEdit) -> CalendarEdit:
    """``edit`` without the "who I saw there" checks: the "keep mine" form of a conflicting edit."""
    if isinstance(edit, Cover):
        return dataclasses.replace(edit, expected_member_id=None)
    if isinstance(edit, Swap):
        return dataclasses.replace(edit, expected_a=None, expected_b=None)
    return dataclasses.replace(edit, expected_version=None)
