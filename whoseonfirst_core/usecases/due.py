"""What is due, read from the database and the resolved schedule (SPEC §4 delivery contract
point 3): the texts the schedule calls for now, the ones nobody sent in time, the failure
alerts to raise, and the next instant something becomes due.

The engine calls these once per tick; the rules of which text is due when live in
:mod:`whoseonfirst_core.domain.texts`. Instants are UTC.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from whoseonfirst_core.db.dialect import rowcount
from whoseonfirst_core.db.models import Notification, NotificationAttempt
from whoseonfirst_core.db.session import UnitOfWork
from whoseonfirst_core.domain.notification import HANDED_OVER_STATUSES, Kind, Status, ordered
from whoseonfirst_core.domain.resolution import ResolvedSpan
from whoseonfirst_core.domain.rotation import SHIFT_MARGIN
from whoseonfirst_core.domain.texts import (
    FailureAlert,
    PlannedText,
    TeamSnapshot,
    failure_alert,
    reminder_texts,
    shift_start_texts,
    summary_week,
    weekly_summary_due_instants,
    weekly_summary_texts,
)
from whoseonfirst_core.domain.timeutil import day_start, fmt_local_compact
from whoseonfirst_core.usecases import alert_rows, outbox
from whoseonfirst_core.usecases.escalation import next_escalation_at
from whoseonfirst_core.usecases.heartbeat import TickMarks
from whoseonfirst_core.usecases.notices import decide, next_notice_at
from whoseonfirst_core.usecases.planner import summary_marks
from whoseonfirst_core.usecases.schedule import extend_through, resolve_window

#: How far before the planning window spans are resolved, so a running span's real start (cut
#: by an override that has already ended) is known.
RESOLUTION_LOOKBACK = SHIFT_MARGIN
#: How far ahead :func:`next_due_at` looks for the next due instant (a weekly pattern and the
#: weekly summary both recur within it).
LOOKAHEAD = SHIFT_MARGIN


@dataclass(frozen=True, slots=True)
class DueTexts:
    """``queue``: due now and still valid. ``missed``: their validity ran out while no service
    ran (recorded ``missed`` with ``missed_reason``, alerted, never texted)."""

    queue: tuple[PlannedText, ...]
    missed: tuple[PlannedText, ...]
    missed_reason: str
    #: Every shift_start text the schedule calls for now whose span has started, whatever its
    #: validity: what queued texts follow (:func:`follow_spans`).
    current: tuple[PlannedText, ...] = ()


#: A shift_start row in one of these told its person (or is telling them now).
_TOLD = HANDED_OVER_STATUSES | {Status.SENDING}


def told_inside(session: Session, late: Sequence[PlannedText], now: datetime) -> set[str]:
    """The keys of the running spans' shift_start texts in ``late`` whose phone was already
    told of this duty: a text for the same member and phone about a span that started inside
    this one, by ``now``. A span whose start moved earlier (a cover entered again from an
    earlier time, a re-imported roster) is the same duty to its person; they are not told it
    twice. A span that merely follows a told one (back on call after a cover) is told."""
    spans = [
        t
        for t in late
        if t.kind == Kind.SHIFT_START and t.member_id is not None and t.span_start is not None
    ]
    if not spans:
        return set()
    first = min(t.span_start for t in spans if t.span_start is not None)
    rows = session.execute(
        select(Notification.member_id, Notification.recipient_phone, Notification.span_start).where(
            Notification.kind == Kind.SHIFT_START,
            Notification.member_id.in_({t.member_id for t in spans}),
            Notification.status.in_(ordered(_TOLD)),
            Notification.span_start > first,
            Notification.span_start <= now,
        )
    ).tuples()
    told: dict[tuple[int | None, str], list[datetime]] = {}
    for member_id, phone, start in rows:
        if start is not None:
            told.setdefault((member_id, phone), []).append(start)
    return {
        t.key
        for t in spans
        if any(
            t.span_start is not None
            and t.span_end is not None
            and t.span_start < start < t.span_end
            for start in told.get((t.member_id, t.recipient_phone), ())
        )
    }


def planned_texts(
    uow: UnitOfWork,
    team: TeamSnapshot,
    since: datetime,
    until: datetime,
    *,
    summary_validity: timedelta,
) -> list[PlannedText]:
    """The texts the resolved schedule calls for around ``[since, until)`` (UTC), in this order:
    shift_start texts and reminders due before ``until`` that are still valid after ``since``
    (a late shift_start is still due while its span runs), then weekly summaries due in
    ``[since, until)``, each valid ``summary_validity``.

    The one planning pass: the engine's tick (:func:`due_texts`) and ``simulate``
    (:func:`simulated_texts`) both call it.
    """
    # Far enough ahead for reminders, which are due before their span starts.
    ahead = timedelta(minutes=team.reminder_minutes or 0)
    spans = resolve_window(uow, since - RESOLUTION_LOOKBACK, until + ahead, clip=False)
    texts = [
        t
        for t in shift_start_texts(spans, team) + reminder_texts(spans, team)
        if t.due_at < until and t.expires_at > since
    ]
    if not team.summary_contacts:
        return texts
    for due in weekly_summary_due_instants(team, since, until):
        _, week_start, week_end = summary_week(due, team)
        week_spans = resolve_window(uow, week_start, week_end, clip=False)
        marks = summary_marks(uow, week_spans, week_start, week_end)
        texts += weekly_summary_texts(due, summary_validity, week_spans, team, marks)
    return texts


def due_texts(
    uow: UnitOfWork,
    now: datetime,
    marks: TickMarks,
    *,
    missed_lookback: timedelta,
    summary_validity: timedelta,
) -> DueTexts:
    """Every text due at ``now`` and every text nobody sent in time.

    A span still running gets its text, late and unchanged; a span that ended since the last
    completed tick without any text is missed; spans that ended before the first tick on this
    database (``marks.first``), or more than ``missed_lookback`` ago, are ignored. A weekly
    summary is sent while it is valid, also one due before the last tick.
    """
    first = marks.first or now
    floor = min(max(first, marks.last or first, now - missed_lookback), now)
    team = outbox.load_team(uow.session)
    texts = planned_texts(
        uow,
        team,
        min(floor, now - summary_validity),
        now + timedelta(microseconds=1),
        summary_validity=summary_validity,
    )
    # Reminders are only ever sent in time; the others are missed once their validity ran out
    # after the last tick.
    late = [t for t in texts if t.kind != Kind.REMINDER and floor < t.expires_at <= now]
    running = [t for t in texts if t.due_at < now < t.expires_at]
    # Spans whose person was told of the same duty at a later start are neither texted nor
    # missed (see told_inside).
    told = told_inside(uow.session, running + late, now)
    late = [t for t in late if t.key not in told]
    queue = [t for t in texts if now < t.expires_at and t.key not in told]
    have = outbox.spans_with_texts(
        uow.session,
        (
            (t.span_start, t.member_id)
            for t in late
            if t.kind == Kind.SHIFT_START and t.span_start is not None and t.member_id is not None
        ),
    )
    missed = [
        t for t in late if t.kind != Kind.SHIFT_START or (t.span_start, t.member_id) not in have
    ]
    current = tuple(t for t in texts if t.kind == Kind.SHIFT_START and t.due_at <= now)
    return DueTexts(tuple(queue), tuple(missed), _missed_reason(marks, now, team.tz), current)


#: Why a queued shift_start text was not sent because its span is no longer on the schedule.
SUPERSEDED = "its span was changed on the schedule before it could be sent"


def follow_spans(
    session: Session, now: datetime, current: Iterable[PlannedText]
) -> tuple[int, list[int]]:
    """Shift_start texts not yet at Twilio follow their span as the schedule resolves it ``now``.

    A span cut short (or lengthened) by an override moves its text's validity, and so the
    ValidityPeriod Twilio gets, to the new end; the body follows too unless an earlier attempt
    may have reached Twilio (reconciliation looks for the body as it was). A span that no longer
    exists (same start, member and phone) expires its text, without an alert: nobody is on call
    for it. The rows that change: those still ``queued``, and those ``sending`` that wait to be
    reconciled after an ambiguous attempt — their validity only (their body may be at Twilio);
    for a span that no longer exists their validity ends now, so a reconciliation that finds
    nothing expires them instead of sending them. The caller commits. Returns how many texts
    moved with their span, and the ids of the expired ones.
    """
    by_key = {t.key: t for t in current}
    queued = Notification.status == Status.QUEUED
    waiting = and_(Notification.status == Status.SENDING, Notification.next_attempt_at.is_not(None))
    rows = session.execute(
        select(
            Notification.id,
            Notification.idempotency_key,
            Notification.body,
            Notification.expires_at,
            Notification.status,
        ).where(
            Notification.kind == Kind.SHIFT_START,
            or_(queued, waiting),
            Notification.due_at <= now,
            Notification.expires_at > now,
        )
    ).all()
    superseded: list[int] = []
    moved = 0
    for row in rows:
        # Still as read: a claim in between (it clears next_attempt_at) keeps the row as it is.
        unchanged = and_(
            Notification.id == row.id, queued if row.status == Status.QUEUED else waiting
        )
        text = by_key.get(row.idempotency_key)
        if text is None:
            if row.status == Status.QUEUED:
                values: dict[str, object] = {
                    "status": Status.EXPIRED,
                    "failed_at": now,
                    "error_message": SUPERSEDED,
                    "alerted": True,
                }
            else:
                values = {"expires_at": now, "alerted": True}
            result = session.execute(
                update(Notification)
                .where(unchanged)
                .values(**values)
                .execution_options(synchronize_session=False)
            )
            if rowcount(result):
                if row.status == Status.QUEUED:
                    superseded.append(row.id)
                else:
                    moved += 1
            continue
        if text.expires_at == row.expires_at and text.body == row.body:
            continue
        values = {"expires_at": text.expires_at, "span_end": text.span_end}
        if text.body != row.body and not _maybe_sent(session, row.id):
            values["body"] = text.body
        moved += rowcount(
            session.execute(
                update(Notification)
                .where(unchanged)
                .values(**values)
                .execution_options(synchronize_session=False)
            )
        )
    return moved, superseded


def _maybe_sent(session: Session, notification_id: int) -> bool:
    return (
        session.scalar(
            select(func.count()).where(
                NotificationAttempt.notification_id == notification_id,
                NotificationAttempt.outcome.in_(outbox.MAYBE_SENT_OUTCOMES),
            )
        )
        or 0
    ) > 0


#: The order of texts due at the same instant in :func:`simulated_texts` (the order the
#: service plans them in: the schedule's texts, then the change notices).
_KIND_ORDER = {
    Kind.REMINDER: 0,
    Kind.SHIFT_START: 1,
    Kind.WEEKLY_SUMMARY: 2,
    Kind.OFF_CALL: 3,
    Kind.CHANGE_NOTICE: 4,
}


def simulated_texts(
    uow: UnitOfWork, now: datetime, first_day: date, days: int, *, summary_validity: timedelta
) -> list[PlannedText]:
    """Every text the service would send in ``[first_day 00:00, first_day+days 00:00)`` local
    if it ran throughout, by due instant: the planning pass of every tick in that window.

    Generates the schedule in ``uow`` as far as the texts of the window need it, beyond the
    stored horizon too, as the service's own extensions would (a weekly summary due in the
    window covers its whole week, which may end a week after the window): the caller rolls it
    back (never commits), so nothing is written. Failure alerts (unpredictable) and
    hand-queued texts are not listed. The notices of changes already saved are, at the instant
    they are due (:func:`saved_change_notices`), even before a tick has seen the change.
    """
    team = outbox.load_team(uow.session)
    start = day_start(first_day, team.tz)
    end = day_start(first_day + timedelta(days=days), team.tz)
    # SHIFT_MARGIN (8 days) covers a summary's week and the spans overlapping its end;
    # reminders look ahead of their span start.
    ahead = timedelta(minutes=team.reminder_minutes or 0)
    extend_through(uow, now, end + SHIFT_MARGIN + ahead)
    texts = [
        t
        for t in planned_texts(uow, team, start, end, summary_validity=summary_validity)
        if t.due_at >= start
    ]
    texts += [n for n in saved_change_notices(uow, now, texts) if start <= n.due_at < end]
    texts.sort(
        key=lambda t: (t.due_at, _KIND_ORDER.get(t.kind, 9), t.recipient_name, t.recipient_phone)
    )
    return texts


def saved_change_notices(
    uow: UnitOfWork, now: datetime, shift_starts: Sequence[PlannedText]
) -> list[PlannedText]:
    """The notices the changes saved so far call for, due now (a running span, or the delay and
    quiet hours are over) or later (still waiting): what the ticks from ``now`` send if nothing
    else changes.

    An "on call from now" notice is left out for someone whose shift-start text for that
    running span is in ``shift_starts``: the tick plans that text first, and it tells them.
    """
    listed = {
        (t.member_id, t.span_start, t.span_end) for t in shift_starts if t.kind == Kind.SHIFT_START
    }

    def told_by(span: ResolvedSpan, _told: object) -> bool:
        return (span.member_id, span.start, span.end) in listed

    return [t for d in decide(uow, now, told_by=told_by) for t in d.texts]


def _missed_reason(marks: TickMarks, now: datetime, tz: tzinfo) -> str:
    """Why texts were missed, in the team's local time like every other text (it is quoted in
    the failure alert)."""
    if marks.last is not None:
        return (
            f"the service did not run between {fmt_local_compact(marks.last, tz)} "
            f"and {fmt_local_compact(now, tz)}, and this ended in between"
        )
    return "the service did not run while this was due"


def next_due_at(
    uow: UnitOfWork, now: datetime, *, stale_claim_after: timedelta | None = None
) -> datetime | None:
    """The next instant (UTC) something becomes due: a shift start, a reminder, the weekly
    summary, a waiting change notice, the next step of an unconfirmed shift's escalation, a
    queued row's retry, a text waiting to be reconciled after an ambiguous attempt, or (given
    ``stale_claim_after``) a claim left by a stopped process turning stale. None when nothing
    is due within ``LOOKAHEAD``."""
    team = outbox.load_team(uow.session)
    spans = resolve_window(uow, now, now + LOOKAHEAD, clip=False)
    candidates = [t.due_at for t in shift_start_texts(spans, team) if t.due_at > now]
    candidates += [t.due_at for t in reminder_texts(spans, team) if t.due_at > now]
    candidates += weekly_summary_due_instants(
        team, now + timedelta(microseconds=1), now + LOOKAHEAD
    )
    retry = outbox.next_retry_at(uow.session, now, stale_claim_after)
    if retry is not None:
        candidates.append(retry)
    notice = next_notice_at(uow.session, now)
    if notice is not None:
        candidates.append(notice)
    escalation = next_escalation_at(uow, now)
    if escalation is not None:
        candidates.append(escalation)
    return min(candidates) if candidates else None


@dataclass(frozen=True, slots=True)
class RaisedAlert:
    """A failure alert planned this tick; ``queued`` of its texts are new rows."""

    alert: FailureAlert
    queued: int


def raise_failure_alerts(
    uow: UnitOfWork,
    now: datetime,
    *,
    deadline: timedelta,
    lookback: timedelta,
    validity: timedelta,
) -> list[RaisedAlert]:
    """Queue one alert per opted-in escalation contact for every span (planned within
    ``lookback``) whose shift_start failed on every phone, or was not delivered ``deadline``
    after it was planned; mark those rows alerted so it happens once. The caller commits."""
    session = uow.session
    groups = alert_rows.unalerted_problem_spans(session, now, deadline, lookback)
    if not groups:
        return []
    team = outbox.load_team(session)
    raised: list[RaisedAlert] = []
    for span_start, member_id in groups:
        rows = alert_rows.shift_start_rows(session, span_start, member_id)
        alert = failure_alert(rows, now=now, deadline=deadline, validity=validity, team=team)
        if alert is None:
            continue
        queued = sum(
            outbox.insert_planned(
                session, t, status=Status.QUEUED, now=now, actor=uow.actor, related_id=rows[0].id
            )
            for t in alert.texts
        )
        alert_rows.mark_alerted(session, [r.id for r in rows])
        raised.append(RaisedAlert(alert, queued))
    return raised
