"""The outbox in the database as the service works it (SPEC §4 delivery contract): the team
snapshot it plans from, idempotent inserts, expiry, the atomic claim, results, status polls,
failure-alert lookups and the counts ``/healthz`` reports. The app's side of the same table
(queueing a test text, the history) is :mod:`whoseonfirst_core.usecases.notifications`.

Every function takes a SQLAlchemy ``Session`` that belongs to the caller's unit of work (the
caller commits) and returns plain values or frozen DTOs, so no ORM object leaves this module.
All instants are timezone-aware UTC.

The atomic claim (point 2): ``UPDATE notifications SET status='sending', claimed_by=…, … WHERE
id=… AND (status='queued' AND next_attempt_at <= now  OR  status='sending' AND claimed_at <=
stale)`` and a check that exactly one row changed. On PostgreSQL a concurrent claimer blocks on
the row lock and then re-checks the ``WHERE`` against the committed row, so exactly one wins; on
SQLite write transactions are serialised by ``BEGIN IMMEDIATE``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select, true, update
from sqlalchemy.orm import Session, aliased

from whoseonfirst_core.db.dialect import dialect_insert, rowcount
from whoseonfirst_core.db.models import (
    EscalationContact,
    Member,
    Notification,
    NotificationAttempt,
    PhoneOptOut,
    TeamSettings,
)
from whoseonfirst_core.db.plans import indexed_by
from whoseonfirst_core.domain.notices import NoticeSettings
from whoseonfirst_core.domain.notification import (
    OUTBOX_STATUSES,
    PROBLEM_STATUSES,
    Kind,
    Status,
    ordered,
)
from whoseonfirst_core.domain.texts import PlannedText, Recipient, TeamSnapshot
from whoseonfirst_core.domain.timeutil import parse_hhmm, zone
from whoseonfirst_core.usecases.errors import NoTeamError

#: Attempt outcomes after which Twilio may hold the message: list before any retry.
MAYBE_SENT_OUTCOMES = ("ambiguous", "interrupted")


# --- team snapshot ----------------------------------------------------------------------------


def load_team(session: Session) -> TeamSnapshot:
    """The settings, members and escalation contacts as one frozen snapshot."""
    settings = session.get(TeamSettings, 1)
    if settings is None:
        raise NoTeamError()
    # A phone that opted out (STOP, or Twilio error 21610) is texted nothing: every planned
    # text goes to the phones listed here.
    stopped = set(session.scalars(select(PhoneOptOut.phone)))

    def phones(*numbers: str | None) -> tuple[str, ...]:
        return tuple(p for p in numbers if p and p not in stopped)

    # Columns, not entities: the tick reads this several times, and 200 ORM objects a time
    # cost more than every query of an idle tick together.
    members = {
        mid: Recipient(mid, name, phones(phone, secondary), phone)
        for mid, name, phone, secondary in session.execute(
            select(Member.id, Member.name, Member.phone, Member.secondary_phone)
        ).tuples()
    }
    contacts = session.execute(
        select(
            EscalationContact.id,
            EscalationContact.name,
            EscalationContact.phone,
            EscalationContact.weekly_summary,
            EscalationContact.failure_alerts,
        ).order_by(EscalationContact.id)
    ).all()
    return TeamSnapshot(
        team_name=settings.name,
        tz=zone(settings.timezone),
        shift_start_template=settings.shift_start_template,
        weekly_summary_enabled=settings.weekly_summary_enabled,
        weekly_summary_day=settings.weekly_summary_day,
        weekly_summary_time=parse_hhmm(settings.weekly_summary_time),
        reminder_minutes=settings.reminder_minutes,
        members=members,
        summary_contacts=tuple(
            Recipient(c.id, c.name, phones(c.phone)) for c in contacts if c.weekly_summary
        ),
        alert_contacts=tuple(
            Recipient(c.id, c.name, phones(c.phone)) for c in contacts if c.failure_alerts
        ),
        notices=NoticeSettings.stored(
            settings.notice_window_days, settings.notice_delay_minutes, settings.quiet_hours
        ),
        templates=dict(settings.text_templates or {}),
        confirm_requested=settings.confirm_requested,
        confirm_within_minutes=settings.confirm_within_minutes,
    )


# --- planning support ------------------------------------------------------------------------


def spans_with_texts(
    session: Session, pairs: Iterable[tuple[datetime, int]]
) -> set[tuple[datetime, int]]:
    """Which ``(span_start, member_id)`` pairs already have a shift_start row (any phone)."""
    wanted = set(pairs)
    if not wanted:
        return set()
    starts = {start for start, _ in wanted}
    rows = session.execute(
        select(Notification.span_start, Notification.member_id).where(
            Notification.kind == Kind.SHIFT_START, Notification.span_start.in_(starts)
        )
    ).tuples()
    return {(start, member) for start, member in rows if start is not None and member is not None}


def insert_planned(
    session: Session,
    text: PlannedText,
    *,
    status: Status,
    now: datetime,
    actor: str,
    error_message: str | None = None,
    related_id: int | None = None,
) -> bool:
    """Insert ``text`` unless a row with its idempotency key exists; True when inserted.

    ``INSERT … ON CONFLICT (idempotency_key) DO NOTHING`` on both dialects: a concurrent
    inserter of the same key waits for the first to commit and then inserts nothing.
    """
    insert = dialect_insert(session)
    values: dict[str, Any] = {
        "idempotency_key": text.key,
        "kind": text.kind,
        "status": status,
        "member_id": text.member_id,
        "recipient_name": text.recipient_name[:100],
        "recipient_phone": text.recipient_phone,
        "body": text.body,
        "due_at": text.due_at,
        "expires_at": text.expires_at,
        "span_start": text.span_start,
        "span_end": text.span_end,
        "shift_name": text.shift_name,
        "related_id": related_id,
        "attempts": 0,
        "next_attempt_at": text.due_at if status == Status.QUEUED else None,
        "created_at": now,
        "failed_at": now if status == Status.MISSED else None,
        "error_message": error_message,
        "triggered_by": actor,
        "alerted": False,
    }
    table = Notification.__table__
    inserted = session.execute(
        insert(table)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["idempotency_key"])
        .returning(table.c.id)
    ).first()
    return inserted is not None


# --- expiry, claim, record --------------------------------------------------------------------


def expire_overdue(session: Session, now: datetime) -> list[int]:
    """Queued rows whose validity ran out become ``expired``; returns their ids."""
    ids = list(
        session.scalars(
            select(Notification.id).where(
                Notification.status == Status.QUEUED,
                Notification.expires_at.is_not(None),
                Notification.expires_at <= now,
            )
        )
    )
    expired: list[int] = []
    for notification_id in ids:
        result = session.execute(
            update(Notification)
            .where(Notification.id == notification_id, Notification.status == Status.QUEUED)
            .values(
                status=Status.EXPIRED,
                failed_at=now,
                error_message=func.coalesce(
                    Notification.error_message, "it could not be sent before it expired"
                ),
            )
            .execution_options(synchronize_session=False)
        )
        if rowcount(result):
            expired.append(notification_id)
    return expired


def _claimable(now: datetime, stale_before: datetime) -> Any:
    queued = and_(
        Notification.status == Status.QUEUED,
        Notification.due_at <= now,
        or_(Notification.next_attempt_at.is_(None), Notification.next_attempt_at <= now),
    )
    # 'sending' with a retry time: an ambiguous attempt waiting to be reconciled. Without one:
    # a claim whose process may have died; only taken over once it is clearly stale.
    waiting = and_(
        Notification.status == Status.SENDING,
        Notification.next_attempt_at.is_not(None),
        Notification.next_attempt_at <= now,
    )
    stale = and_(
        Notification.status == Status.SENDING,
        Notification.next_attempt_at.is_(None),
        Notification.claimed_at <= stale_before,
    )
    return or_(queued, waiting, stale)


def claimable_ids(
    session: Session,
    now: datetime,
    stale_before: datetime,
    limit: int,
    kinds: Sequence[str] | None = None,
) -> list[int]:
    """Rows that may be claimed now: queued and due (and past their backoff); ``sending`` after
    an ambiguous attempt, once its retry time has come; or stuck in ``sending`` since before
    ``stale_before`` (a process died mid-send). Oldest due first."""
    stmt = indexed_by(
        select(Notification.id).where(
            # Implied by every branch; lets the lookup seek the two statuses' few rows.
            Notification.status.in_((Status.QUEUED, Status.SENDING)),
            _claimable(now, stale_before),
        ),
        Notification,
        "ix_notifications_status_next",
    )
    if kinds:
        stmt = stmt.where(Notification.kind.in_(kinds))
    return list(session.scalars(stmt.order_by(Notification.due_at, Notification.id).limit(limit)))


@dataclass(frozen=True, slots=True)
class ClaimedText:
    """A row this process now owns, with what the send needs. Instants UTC.

    ``reconcile_since`` is set when an earlier attempt may have reached Twilio (ambiguous reply,
    or a process that died after claiming): the start of the earliest such attempt.
    """

    id: int
    kind: str
    to: str
    recipient_name: str
    body: str
    expires_at: datetime | None
    claimed_at: datetime
    attempt_id: int
    attempt_number: int
    reconcile_since: datetime | None
    #: True when the row was taken over from a process that died after claiming it.
    was_stale: bool


def claim(
    session: Session, notification_id: int, *, now: datetime, token: str, stale_before: datetime
) -> ClaimedText | None:
    """Claim one row atomically for ``token`` and write the attempt before anything is sent.

    Returns None when another process got it first (or it is no longer claimable).
    """
    result = session.execute(
        update(Notification)
        .where(Notification.id == notification_id, _claimable(now, stale_before))
        .values(
            status=Status.SENDING,
            claimed_by=token,
            claimed_at=now,
            sending_at=now,
            attempts=Notification.attempts + 1,
            next_attempt_at=None,
        )
        .execution_options(synchronize_session=False)
    )
    if rowcount(result) != 1:
        return None
    # An attempt still marked "sending" belongs to a process that died before recording.
    interrupted = session.execute(
        update(NotificationAttempt)
        .where(
            NotificationAttempt.notification_id == notification_id,
            NotificationAttempt.outcome == "sending",
        )
        .values(
            outcome="interrupted",
            finished_at=now,
            error_message="the sending process stopped before it recorded a result",
        )
        .execution_options(synchronize_session=False)
    )
    row = session.execute(
        select(
            Notification.kind,
            Notification.recipient_phone,
            Notification.recipient_name,
            Notification.body,
            Notification.expires_at,
            Notification.attempts,
        ).where(Notification.id == notification_id)
    ).one()
    since = session.scalar(
        select(func.min(NotificationAttempt.started_at)).where(
            NotificationAttempt.notification_id == notification_id,
            NotificationAttempt.outcome.in_(MAYBE_SENT_OUTCOMES),
        )
    )
    attempt = NotificationAttempt(
        notification_id=notification_id,
        number=int(row.attempts),
        started_at=now,
        outcome="sending",
        instance_id=token[:100],
    )
    session.add(attempt)
    session.flush()
    return ClaimedText(
        id=notification_id,
        kind=row.kind,
        to=row.recipient_phone,
        recipient_name=row.recipient_name,
        body=row.body,
        expires_at=row.expires_at,
        claimed_at=now,
        attempt_id=attempt.id,
        attempt_number=int(row.attempts),
        reconcile_since=since,
        was_stale=rowcount(interrupted) > 0,
    )


def sids_of_others(session: Session, phone: str, notification_id: int) -> frozenset[str]:
    """The Twilio SIDs recorded on rows to ``phone`` other than ``notification_id``: none of
    them can be the message of an attempt of ``notification_id``."""
    return frozenset(
        session.scalars(
            select(Notification.twilio_sid).where(
                Notification.recipient_phone == phone,
                Notification.id != notification_id,
                Notification.twilio_sid.is_not(None),
            )
        )
    )


def finish(
    session: Session,
    claimed: ClaimedText,
    *,
    token: str,
    now: datetime,
    status: Status,
    outcome: str,
    error_code: int | None = None,
    error_message: str | None = None,
    **values: Any,
) -> bool:
    """Record the result of ``claimed``'s attempt and move the row to ``status``.

    The row only changes while this process still owns the claim, and a reconciled row never
    takes a Twilio SID another row already holds (two rows never share one message). False
    means it did not change: another process took the row over as stale, or the SID was taken
    (either way the row is reconciled again by listing, so nothing is lost or sent twice).
    """
    row_values: dict[str, Any] = {"status": status, **values}
    # A SID found by listing (reconciliation) may be another row's message; one Twilio has
    # just answered a create with is new, and checking it would scan the history every send.
    sid = values.get("twilio_sid")
    other = aliased(Notification)
    sid_free = (
        ~select(other.id).where(other.twilio_sid == sid, other.id != claimed.id).exists()
        if sid is not None and outcome == "reconciled"
        else true()
    )
    if (
        error_code is not None
        or error_message is not None
        or status in (Status.SENT, Status.SIMULATED)
    ):
        row_values.setdefault("error_code", error_code)
        row_values.setdefault("error_message", error_message)
    result = session.execute(
        update(Notification)
        .where(
            Notification.id == claimed.id,
            Notification.status == Status.SENDING,
            Notification.claimed_by == token,
            Notification.claimed_at == claimed.claimed_at,
            sid_free,
        )
        .values(**row_values)
        .execution_options(synchronize_session=False)
    )
    session.execute(
        update(NotificationAttempt)
        .where(NotificationAttempt.id == claimed.attempt_id)
        .values(
            finished_at=now,
            outcome=outcome,
            error_code=error_code,
            error_message=error_message,
        )
        .execution_options(synchronize_session=False)
    )
    return rowcount(result) == 1


# --- status polling ---------------------------------------------------------------------------


def poll_candidates(
    session: Session, now: datetime, interval: timedelta, horizon: timedelta, limit: int
) -> list[tuple[int, str]]:
    """``(id, twilio_sid)`` of ``sent`` rows due for a status check (not polled within
    ``interval``, sent less than ``horizon`` ago)."""
    rows = session.execute(
        select(Notification.id, Notification.twilio_sid)
        .where(
            Notification.status == Status.SENT,
            Notification.twilio_sid.is_not(None),
            Notification.sent_at >= now - horizon,
            or_(
                Notification.last_polled_at.is_(None),
                Notification.last_polled_at <= now - interval,
            ),
        )
        .order_by(Notification.sent_at)
        .limit(limit)
    ).tuples()
    return [(i, str(sid)) for i, sid in rows]


def record_poll(
    session: Session,
    notification_id: int,
    *,
    now: datetime,
    status: Status | None,
    error_code: int | None = None,
    error_message: str | None = None,
) -> bool:
    """Store a status check; ``status`` None means "still on its way". True if it changed."""
    values: dict[str, Any] = {"last_polled_at": now}
    if status == Status.DELIVERED:
        values.update(status=Status.DELIVERED, delivered_at=now)
    elif status is not None:
        values.update(
            status=status, failed_at=now, error_code=error_code, error_message=error_message
        )
    result = session.execute(
        update(Notification)
        .where(Notification.id == notification_id, Notification.status == Status.SENT)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return status is not None and rowcount(result) == 1


# --- counts, next due --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OutboxCounts:
    """``pending``: queued or sending now; ``problems``: failed/undelivered/missed/expired
    texts due in the last 24 hours."""

    pending: int
    problems: int


def outbox_counts(session: Session, now: datetime) -> OutboxCounts:
    pending = session.scalar(
        select(func.count())
        .select_from(Notification)
        .where(Notification.status.in_(ordered(OUTBOX_STATUSES)))
    )
    problems = session.scalar(
        select(func.count())
        .select_from(Notification)
        .where(
            Notification.status.in_(ordered(PROBLEM_STATUSES)),
            Notification.due_at >= now - timedelta(hours=24),
        )
    )
    return OutboxCounts(int(pending or 0), int(problems or 0))


def next_retry_at(
    session: Session, now: datetime, stale_after: timedelta | None = None
) -> datetime | None:
    """The earliest future instant a row becomes claimable (see :func:`_claimable`): a queued
    row's backoff or future due time, a ``sending`` row's reconciliation time after an
    ambiguous attempt, or (given ``stale_after``) the instant a claim left in ``sending`` by
    a process that may have died counts as stale."""
    candidates = [
        session.scalar(
            select(func.min(Notification.next_attempt_at)).where(
                Notification.status.in_((Status.QUEUED, Status.SENDING)),
                Notification.next_attempt_at > now,
            )
        ),
        session.scalar(
            select(func.min(Notification.due_at)).where(
                Notification.status == Status.QUEUED, Notification.due_at > now
            )
        ),
    ]
    if stale_after is not None:
        claimed = session.scalar(
            select(func.min(Notification.claimed_at)).where(
                Notification.status == Status.SENDING,
                Notification.next_attempt_at.is_(None),
                Notification.claimed_at > now - stale_after,
            )
        )
        if claimed is not None:
            candidates.append(claimed + stale_after)
    found = [c for c in candidates if c is not None]
    return min(found) if found else None
