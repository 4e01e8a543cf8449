"""The outbox seen from the app: queue test and manual texts, read the history and the
problems. The service's side of the same table is :mod:`whoseonfirst_core.usecases.outbox`.

The Texts page lists both ways in one newest-first list (:func:`texts_page`): the texts the
team sent (``notifications``, by when they were due) and the texts people sent to the team
(``inbound_messages``, by when they were sent), each with what it did."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import Integer, Select, Subquery, and_, false, func, literal_column, or_, select

from whoseonfirst_core.db.models import (
    EscalationContact,
    InboundMessage,
    Member,
    Notification,
    NotificationAttempt,
)
from whoseonfirst_core.db.session import UnitOfWork
from whoseonfirst_core.domain.masking import mask_phone
from whoseonfirst_core.domain.notification import (
    BY_HAND_KINDS,
    PROBLEM_STATUSES,
    Kind,
    Status,
    ordered,
)
from whoseonfirst_core.domain.phones import PhoneError, normalize_phone
from whoseonfirst_core.domain.templates import segment_info
from whoseonfirst_core.usecases.common import (
    from_row,
    matching_text,
    record_audit,
    settings_row,
)
from whoseonfirst_core.usecases.dto import AttemptDTO, InboundDTO, NotificationDTO, TextRow
from whoseonfirst_core.usecases.errors import NotFoundError, UseCaseError

_T = TypeVar("_T", bound=tuple[Any, ...])

#: How long a queued test or manual text stays sendable.
MANUAL_VALIDITY = timedelta(hours=1)
MAX_MANUAL_BODY = 1600


def notification_dto(n: Notification) -> NotificationDTO:
    return from_row(NotificationDTO, n)


def queue_text(
    uow: UnitOfWork,
    now: datetime,
    *,
    to: str | int,
    body: str | None = None,
    kind: Kind = Kind.TEST,
) -> NotificationDTO:
    """Queue a test (or manual) text to a member (id) or any number; the service sends it.

    Independent of the schedule: a test text works on a day with nobody on call.
    """
    if kind not in BY_HAND_KINDS:
        raise UseCaseError("only test and manual texts can be queued by hand")
    settings = settings_row(uow)
    member: Member | None = None
    if isinstance(to, int):
        member = uow.session.get(Member, to)
        if member is None:
            raise NotFoundError("that member no longer exists (refresh)")
        phone, name = member.phone, member.name
    else:
        try:
            phone = normalize_phone(to)
        except PhoneError as exc:
            raise UseCaseError(f"to: {exc}") from exc
        owner = uow.session.scalar(
            select(Member).where(
                or_(Member.phone == phone, Member.secondary_phone == phone),
                Member.archived.is_(False),
            )
        )
        member = owner
        name = owner.name if owner else phone
    text = (body or "").strip() or (
        f"WhoseOnFirst test text for {settings.name}: if you can read this, texts reach you."
    )
    if len(text) > MAX_MANUAL_BODY:
        raise UseCaseError(f"message: longer than {MAX_MANUAL_BODY} characters")
    return _queue(
        uow,
        now,
        kind=kind,
        phone=phone,
        name=name,
        member_id=member.id if member else None,
        body=text,
    )


def resend(uow: UnitOfWork, now: datetime, notification_id: int) -> NotificationDTO:
    """Queue a manual copy of an earlier text: the same number, name and body.

    The copy goes to the number the earlier text went to (a text to a member's secondary
    phone is resent to that phone, and a number the member has changed since is still the
    one resent to, as the app's confirmation shows), and keeps the member for the history.
    """
    old = uow.session.get(Notification, notification_id)
    if old is None:
        raise NotFoundError("that text no longer exists (refresh)")
    settings_row(uow)
    return _queue(
        uow,
        now,
        kind=Kind.MANUAL,
        phone=old.recipient_phone,
        name=old.recipient_name,
        member_id=old.member_id,
        body=old.body,
    )


def _queue(
    uow: UnitOfWork,
    now: datetime,
    *,
    kind: Kind,
    phone: str,
    name: str,
    member_id: int | None,
    body: str,
) -> NotificationDTO:
    """Insert one queued by-hand text (the service sends it) and audit it."""
    n = Notification(
        idempotency_key=f"{kind}:{uuid.uuid4().hex}",
        kind=kind,
        status=Status.QUEUED,
        member_id=member_id,
        recipient_name=name,
        recipient_phone=phone,
        body=body,
        due_at=now,
        expires_at=now + MANUAL_VALIDITY,
        attempts=0,
        next_attempt_at=now,
        created_at=now,
        triggered_by=uow.actor,
    )
    uow.session.add(n)
    uow.session.flush()
    record_audit(
        uow,
        now,
        f"notification.{kind}",
        "notification",
        n.id,
        f"queued a {kind} text to {name} ({segment_info(body).describe()})",
    )
    return notification_dto(n)


#: :attr:`HistoryFilter.direction`: only the texts the team sent, or only those sent to it.
OUT = "out"
IN = "in"


@dataclass(frozen=True, slots=True)
class HistoryFilter:
    """What the Texts page lists. ``kinds`` and ``statuses`` are those of the texts the team
    sent: with either set, no text sent to the team matches (it has neither)."""

    kinds: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    member_id: int | None = None
    since: datetime | None = None
    until: datetime | None = None
    text: str = ""
    direction: str | None = None


def _filtered(stmt: Select[_T], f: HistoryFilter) -> Select[_T]:
    if f.direction == IN:
        stmt = stmt.where(false())
    if f.kinds:
        stmt = stmt.where(Notification.kind.in_(f.kinds))
    if f.statuses:
        stmt = stmt.where(Notification.status.in_(f.statuses))
    if f.member_id is not None:
        stmt = stmt.where(Notification.member_id == f.member_id)
    if f.since is not None:
        stmt = stmt.where(Notification.due_at >= f.since)
    if f.until is not None:
        stmt = stmt.where(Notification.due_at < f.until)
    if f.text.strip():
        stmt = stmt.where(
            matching_text(
                f.text,
                Notification.body,
                Notification.recipient_name,
                Notification.recipient_phone,
                Notification.twilio_sid,
            )
        )
    return stmt


def history_page(
    uow: UnitOfWork, f: HistoryFilter, *, offset: int = 0, limit: int = 100, count: bool = True
) -> tuple[list[NotificationDTO], int]:
    """One page of the texts the team sent, newest first, and the total count matching the
    filter (the Texts page lists both ways: :func:`texts_page`).

    ``count=False`` skips counting (the total comes back as -1): for callers that need only
    the rows, or that count with :func:`history_counts`.
    """
    limit = max(1, min(limit, 1000))
    rows = uow.session.scalars(
        _filtered(select(Notification), f)
        .order_by(Notification.due_at.desc(), Notification.id.desc())
        .offset(max(0, offset))
        .limit(limit)
    )
    page = [notification_dto(n) for n in rows]
    if not count:
        return page, -1
    return page, int(uow.session.scalar(_total_query(f)) or 0)


def _total_query(f: HistoryFilter) -> Select[tuple[int]]:
    return select(func.count()).select_from(_filtered(select(Notification.id), f).subquery())


def _inbound_filtered(stmt: Select[_T], f: HistoryFilter) -> Select[_T]:
    if f.direction == OUT or f.kinds or f.statuses:
        stmt = stmt.where(false())
    if f.member_id is not None:
        stmt = stmt.where(InboundMessage.member_id == f.member_id)
    if f.since is not None:
        stmt = stmt.where(InboundMessage.sent_at >= f.since)
    if f.until is not None:
        stmt = stmt.where(InboundMessage.sent_at < f.until)
    if f.text.strip():
        known = or_(InboundMessage.member_id.is_not(None), InboundMessage.contact_id.is_not(None))
        stmt = stmt.where(
            or_(
                matching_text(
                    f.text, InboundMessage.body, InboundMessage.outcome, InboundMessage.twilio_sid
                ),
                # An unknown number is shown masked, so it is not found by its digits either.
                and_(known, matching_text(f.text, InboundMessage.sender)),
                InboundMessage.member_id.in_(
                    select(Member.id).where(matching_text(f.text, Member.name))
                ),
                InboundMessage.contact_id.in_(
                    select(EscalationContact.id).where(
                        matching_text(f.text, EscalationContact.name)
                    )
                ),
            )
        )
    return stmt


def _newest_keys(f: HistoryFilter, rows: int) -> Subquery:
    """``(inbound, id, at)`` of the ``rows`` newest texts each way that match ``f``: the first
    ``rows`` of the interleaved list are among them. Each side reads its time index
    (``notifications.due_at``, ``inbound_messages.sent_at``) no further than ``rows``."""
    sent = (
        _filtered(
            select(
                literal_column("0", Integer).label("inbound"),
                Notification.id.label("id"),
                Notification.due_at.label("at"),
            ),
            f,
        )
        .order_by(Notification.due_at.desc(), Notification.id.desc())
        .limit(rows)
        .subquery()
    )
    received = (
        _inbound_filtered(
            select(
                literal_column("1", Integer).label("inbound"),
                InboundMessage.id.label("id"),
                InboundMessage.sent_at.label("at"),
            ),
            f,
        )
        .order_by(InboundMessage.sent_at.desc(), InboundMessage.id.desc())
        .limit(rows)
        .subquery()
    )
    # Each side in its own subquery: SQLite takes no ORDER BY/LIMIT inside a bare UNION member.
    return select(sent).union_all(select(received)).subquery()


def texts_page(
    uow: UnitOfWork, f: HistoryFilter, *, offset: int = 0, limit: int = 100
) -> list[TextRow]:
    """One page of the texts both ways, newest first (a text the team sent by when it was
    due, one sent to it by when it was sent); :func:`history_counts` counts them."""
    limit = max(1, min(limit, 1000))
    offset = max(0, offset)
    keys = _newest_keys(f, offset + limit)
    picked = [
        (bool(inbound), int(row_id))
        for inbound, row_id in uow.session.execute(
            select(keys.c.inbound, keys.c.id)
            # At one instant the answer is above the text it answers: sent before received.
            .order_by(keys.c.at.desc(), keys.c.inbound, keys.c.id.desc())
            .offset(offset)
            .limit(limit)
        ).tuples()
    ]
    sent_ids = [i for inbound, i in picked if not inbound]
    received_ids = [i for inbound, i in picked if inbound]
    sent: dict[int, TextRow] = {}
    if sent_ids:
        rows = uow.session.scalars(select(Notification).where(Notification.id.in_(sent_ids)))
        sent = {n.id: notification_dto(n) for n in rows}
    received: dict[int, TextRow] = {}
    if received_ids:
        received = {m.id: m for m in inbound_messages(uow, received_ids)}
    # A row deleted between the two reads (texts purged) is left out, not an error.
    return [
        row for inbound, i in picked if (row := (received if inbound else sent).get(i)) is not None
    ]


def inbound_messages(uow: UnitOfWork, ids: Sequence[int]) -> list[InboundDTO]:
    """The texts sent to the team with these ids, with their senders' names."""
    rows = uow.session.execute(
        select(InboundMessage, Member.name, EscalationContact.name)
        .outerjoin(Member, Member.id == InboundMessage.member_id)
        .outerjoin(EscalationContact, EscalationContact.id == InboundMessage.contact_id)
        .where(InboundMessage.id.in_(ids))
    ).tuples()
    return [
        InboundDTO(
            id=m.id,
            sender=m.sender if member or contact else mask_phone(m.sender),
            sender_name=member or contact or "",
            member_id=m.member_id,
            body=m.body,
            sent_at=m.sent_at,
            received_at=m.received_at,
            asks=m.asks,
            outcome=m.outcome,
            twilio_sid=m.twilio_sid,
        )
        for m, member, contact in rows
    ]


def _texts_total_query(f: HistoryFilter) -> Select[tuple[int]]:
    """How many texts match ``f`` both ways (as :func:`texts_page` lists them)."""
    received = select(func.count()).select_from(
        _inbound_filtered(select(InboundMessage.id), f).subquery()
    )
    return select(_total_query(f).scalar_subquery() + received.scalar_subquery())


#: Problem texts are listed (and counted) up to this many.
PROBLEMS_LIMIT = 50


def _problems_query(since: datetime) -> Select[tuple[Notification]]:
    return (
        select(Notification)
        .where(Notification.status.in_(ordered(PROBLEM_STATUSES)), Notification.due_at >= since)
        .order_by(Notification.due_at.desc())
        .limit(PROBLEMS_LIMIT)
    )


def history_counts(uow: UnitOfWork, f: HistoryFilter, problems_since: datetime) -> tuple[int, int]:
    """The number of texts both ways matching ``f`` (as :func:`texts_page` lists them), and of
    problem texts since ``problems_since`` (as :func:`problem_notifications` lists them, at
    most ``PROBLEMS_LIMIT``) — one query."""
    problems = select(func.count()).select_from(
        _problems_query(problems_since).with_only_columns(Notification.id).subquery()
    )
    total, problem_count = uow.session.execute(
        select(_texts_total_query(f).scalar_subquery(), problems.scalar_subquery())
    ).one()
    return int(total or 0), int(problem_count or 0)


def get_notification(uow: UnitOfWork, notification_id: int) -> NotificationDTO:
    n = uow.session.get(Notification, notification_id)
    if n is None:
        raise NotFoundError("that text no longer exists")
    return notification_dto(n)


def attempts_of(uow: UnitOfWork, notification_id: int) -> list[AttemptDTO]:
    rows = uow.session.scalars(
        select(NotificationAttempt)
        .where(NotificationAttempt.notification_id == notification_id)
        .order_by(NotificationAttempt.number)
    )
    return [
        AttemptDTO(a.number, a.started_at, a.finished_at, a.outcome, a.error_code, a.error_message)
        for a in rows
    ]


def problem_notifications(uow: UnitOfWork, since: datetime) -> list[NotificationDTO]:
    """Texts with a problem status (failed, undelivered, missed, expired) due since ``since``
    (dashboard warnings), newest first, at most ``PROBLEMS_LIMIT``."""
    return [notification_dto(n) for n in uow.session.scalars(_problems_query(since))]
