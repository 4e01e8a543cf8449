"""The outbox rows the failure alerts read (SPEC §4, failure alerts): shift-start texts that
failed or were not delivered in time and have not been alerted yet, a span's rows, and marking
them alerted. ``usecases.due`` decides what an alert says and to whom."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from whoseonfirst_core.db.models import Notification
from whoseonfirst_core.db.plans import indexed_by
from whoseonfirst_core.domain.notification import (
    IN_FLIGHT_STATUSES,
    PROBLEM_STATUSES,
    Kind,
    ordered,
)
from whoseonfirst_core.domain.texts import ShiftStartRow


def unalerted_problem_spans(
    session: Session, now: datetime, deadline: timedelta, lookback: timedelta
) -> list[tuple[datetime, int]]:
    """``(span_start, member_id)`` of spans with a shift_start row that failed, or is still
    undelivered ``deadline`` after it was created, and that has not been alerted yet."""
    query = (
        select(Notification.span_start, Notification.member_id)
        .where(
            Notification.kind == Kind.SHIFT_START,
            Notification.alerted.is_(False),
            Notification.created_at >= now - lookback,
            Notification.member_id.is_not(None),
            Notification.span_start.is_not(None),
            or_(
                Notification.status.in_(ordered(PROBLEM_STATUSES)),
                and_(
                    Notification.status.in_(ordered(IN_FLIGHT_STATUSES)),
                    Notification.created_at <= now - deadline,
                ),
            ),
        )
        .distinct()
    )
    rows = session.execute(
        indexed_by(query, Notification, "ix_notifications_kind_created")
    ).tuples()
    return [(s, m) for s, m in rows if s is not None and m is not None]


def shift_start_rows(session: Session, span_start: datetime, member_id: int) -> list[ShiftStartRow]:
    rows = session.scalars(
        select(Notification)
        .where(
            Notification.kind == Kind.SHIFT_START,
            Notification.span_start == span_start,
            Notification.member_id == member_id,
        )
        .order_by(Notification.id)
    )
    return [
        ShiftStartRow(
            n.id,
            n.status,
            n.recipient_phone,
            member_id,
            n.recipient_name,
            span_start,
            n.span_end,
            n.shift_name or "",
            n.created_at,
            n.error_code,
            n.error_message,
        )
        for n in rows
    ]


def mark_alerted(session: Session, ids: Sequence[int]) -> None:
    if ids:
        session.execute(
            update(Notification)
            .where(Notification.id.in_(list(ids)))
            .values(alerted=True)
            .execution_options(synchronize_session=False)
        )
