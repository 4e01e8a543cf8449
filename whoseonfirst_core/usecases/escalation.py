"""Escalation of unconfirmed shifts, from the database's side: the spans whose person was asked
to confirm, what the rules in :mod:`whoseonfirst_core.domain.escalation` call for at ``now``
(queued through the outbox, each text once by its key), the instants the next steps come due,
and whether the service should poll for replies often (a confirmation may arrive any second).

The engine calls :func:`escalate` each tick after recording the texts people sent, so an OK
that came in this tick stops the escalation before anything more is planned. Instants are UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from whoseonfirst_core.db.models import Notification
from whoseonfirst_core.db.session import UnitOfWork
from whoseonfirst_core.domain.escalation import (
    AskedSpan,
    SentAlert,
    confirm_window,
    escalating,
    escalation_instants,
    escalation_texts,
)
from whoseonfirst_core.domain.notification import (
    HANDED_OVER_STATUSES,
    PROBLEM_STATUSES,
    Kind,
    Status,
    ordered,
)
from whoseonfirst_core.domain.rotation import SHIFT_MARGIN
from whoseonfirst_core.domain.texts import PlannedText, TeamSnapshot
from whoseonfirst_core.usecases import outbox
from whoseonfirst_core.usecases.inbound import confirmations
from whoseonfirst_core.usecases.schedule import resolve_window

#: Spans that started longer ago than this are no longer looked at: an OK after an alert is
#: still told within it (a shift is at most a few days long).
LOOKBACK = SHIFT_MARGIN
#: While a span that started within the last ``2 × N`` minutes is unconfirmed, the service polls
#: for replies this often.
CONFIRM_POLL_INTERVAL = timedelta(seconds=10)


def _asked(uow: UnitOfWork, now: datetime, team: TeamSnapshot) -> list[AskedSpan]:
    """Every span started within :data:`LOOKBACK` whose shift_start text went to Twilio on at
    least one phone."""
    session = uow.session
    rows = session.execute(
        select(
            Notification.span_start,
            Notification.member_id,
            func.max(Notification.span_end),
            func.max(Notification.shift_name),
            func.min(func.coalesce(Notification.sent_at, Notification.created_at)),
        )
        .where(
            Notification.kind == Kind.SHIFT_START,
            Notification.status.in_(ordered(HANDED_OVER_STATUSES)),
            Notification.span_start > now - LOOKBACK,
            Notification.span_start <= now,
            Notification.member_id.is_not(None),
        )
        .group_by(Notification.span_start, Notification.member_id)
    ).tuples()
    found = [
        (start, member_id, end, shift or "", asked)
        for start, member_id, end, shift, asked in rows
        if start is not None and member_id is not None and end is not None
    ]
    if not found:
        return []
    confirmed = confirmations(session, sorted({m for _, m, *_ in found}), now - LOOKBACK)
    running = {
        (s.start, s.member_id): s.end
        for s in resolve_window(uow, now - LOOKBACK, now + timedelta(microseconds=1), clip=False)
        if s.start <= now < s.end
    }
    out: list[AskedSpan] = []
    for start, member_id, end, shift, asked in found:
        member = team.members.get(member_id)
        out.append(
            AskedSpan(
                member_id=member_id,
                member_name=member.name if member else "",
                shift_name=shift,
                span_start=start,
                # A cover that cut the span short moved its end.
                span_end=running.get((start, member_id), end),
                confirmed_at=confirmed.get((member_id, start)),
                still_theirs=(start, member_id) in running,
                asked_at=asked or start,
            )
        )
    return out


#: Why a second ask or an alert still in the outbox was not sent.
CONFIRMED_FIRST = "the shift was confirmed before it was sent"


def _sent_alerts(
    session: Session, spans: list[AskedSpan], now: datetime
) -> tuple[dict[tuple[datetime, int], list[SentAlert]], list[int]]:
    """The unconfirmed alerts about the confirmed ``spans`` that went (or may have gone) to
    Twilio, by ``(span_start, member_id)``, and the ids of the texts expired: a second ask or
    an alert about them still queued expires first (the shift was confirmed, so it is not
    sent, and no notice follows it)."""
    starts = {s.span_start for s in spans}
    if not starts:
        return {}, []
    rows = session.execute(
        select(
            Notification.id,
            Notification.span_start,
            Notification.kind,
            Notification.status,
            Notification.idempotency_key,
            Notification.recipient_name,
            Notification.recipient_phone,
        ).where(
            Notification.kind.in_((Kind.UNCONFIRMED_ALERT, Kind.CONFIRM_REMINDER)),
            Notification.span_start.in_(starts),
            Notification.status.not_in(ordered(PROBLEM_STATUSES)),
        )
    ).all()
    mine = [
        ((span.span_start, span.member_id), r)
        for span in spans
        for r in rows
        if r.span_start == span.span_start and f":m{span.member_id}:" in r.idempotency_key
    ]
    unsent = [r.id for _, r in mine if r.status == Status.QUEUED]
    if unsent:
        session.execute(
            update(Notification)
            .where(Notification.id.in_(unsent), Notification.status == Status.QUEUED)
            .values(
                status=Status.EXPIRED, failed_at=now, error_message=CONFIRMED_FIRST, alerted=True
            )
            .execution_options(synchronize_session=False)
        )
    out: dict[tuple[datetime, int], list[SentAlert]] = {}
    for about, r in mine:
        if r.kind == Kind.UNCONFIRMED_ALERT and r.status != Status.QUEUED:
            out.setdefault(about, []).append(
                SentAlert(r.idempotency_key, r.recipient_name, r.recipient_phone)
            )
    return out, unsent


@dataclass(frozen=True, slots=True)
class Escalated:
    """What one escalation step changed: the texts queued, the ids of those expired unsent."""

    queued: list[PlannedText]
    expired: list[int]


def escalate(uow: UnitOfWork, now: datetime) -> Escalated:
    """Queue the second asks, the unconfirmed alerts and the confirmed notices due at ``now``,
    and expire those a confirmation made pointless. The caller commits."""
    session = uow.session
    team = outbox.load_team(session)
    within = confirm_window(team)
    spans = [
        s
        for s in _asked(uow, now, team)
        if (within is not None and escalating(s, now, within)) or s.confirmed_at is not None
    ]
    alerts, expired = _sent_alerts(session, [s for s in spans if s.confirmed_at is not None], now)
    inserted: list[PlannedText] = []
    for span in spans:
        sent = alerts.get((span.span_start, span.member_id), [])
        for text in escalation_texts(span, sent, now, team):
            if outbox.insert_planned(session, text, status=Status.QUEUED, now=now, actor=uow.actor):
                inserted.append(text)
    return Escalated(inserted, expired)


def next_escalation_at(uow: UnitOfWork, now: datetime) -> datetime | None:
    """The next instant (UTC) after ``now`` at which an unconfirmed span takes a step."""
    team = outbox.load_team(uow.session)
    within = confirm_window(team)
    if within is None:
        return None
    instants = [
        at
        for s in _asked(uow, now, team)
        if s.confirmed_at is None
        for at in escalation_instants(s, now, within)
    ]
    return min(instants) if instants else None


def awaiting_confirmation(uow: UnitOfWork, now: datetime) -> bool:
    """Whether a span that started (was asked) within the last ``2 × N`` minutes is still
    unconfirmed: the service then polls for replies every :data:`CONFIRM_POLL_INTERVAL`."""
    team = outbox.load_team(uow.session)
    within = confirm_window(team)
    if within is None:
        return False
    return any(
        s.confirmed_at is None and s.still_theirs and now < s.counted_from + 2 * within
        for s in _asked(uow, now, team)
    )
