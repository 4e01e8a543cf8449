"""The service's marks in the database: its heartbeats (shown by the app), the instants of
its first and last completed tick (``Meta``), which decide what catch-up may send, and when
each instance last stopped cleanly (``Meta``, so a stop needs no column of its own).

The service writes them; the app reads them through :func:`service_status`. Instants UTC.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from whoseonfirst_core.db.dialect import dialect_insert
from whoseonfirst_core.db.models import Meta, Notification, NotificationAttempt, ServiceHeartbeat
from whoseonfirst_core.db.session import UnitOfWork
from whoseonfirst_core.domain.notification import Status
from whoseonfirst_core.domain.service_state import (
    DECIDED_OUTCOMES,
    FAILED_IN_A_ROW,
    HANDED_OVER_OUTCOMES,
    OVERDUE_AFTER,
    SendAttemptFact,
    ServiceState,
    SmsFacts,
    SmsHealth,
    service_state,
    sms_health,
)
from whoseonfirst_core.domain.sms_errors import CREDENTIAL_CODES
from whoseonfirst_core.usecases.dto import HeartbeatDTO

FIRST_TICK_KEY = "service_first_tick_at"
LAST_TICK_KEY = "service_last_tick_at"
#: ``{instance_id: instant}`` (UTC ISO): when each instance last stopped cleanly.
STOPPED_KEY = "service_stopped_at"


# --- tick marks (Meta) ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TickMarks:
    """When the service first and last completed a tick on this database (UTC)."""

    first: datetime | None
    last: datetime | None


def read_tick_marks(session: Session) -> TickMarks:
    rows = dict(
        session.execute(
            select(Meta.key, Meta.value).where(Meta.key.in_((FIRST_TICK_KEY, LAST_TICK_KEY)))
        )
        .tuples()
        .all()
    )

    def parse(key: str) -> datetime | None:
        value = rows.get(key)
        return datetime.fromisoformat(value) if value else None

    return TickMarks(parse(FIRST_TICK_KEY), parse(LAST_TICK_KEY))


def _put_meta(session: Session, key: str, value: datetime, *, keep: str) -> None:
    """Store ``value`` under ``key`` unless the stored instant is already ``keep`` (min/max)."""
    text = value.isoformat()
    insert = dialect_insert(session)
    session.execute(
        insert(Meta.__table__)
        .values(key=key, value=text)
        .on_conflict_do_nothing(index_elements=["key"])
    )
    current = session.scalar(select(Meta.value).where(Meta.key == key))
    stored = datetime.fromisoformat(current) if current else None
    if stored is None or (value < stored if keep == "min" else value > stored):
        session.execute(update(Meta).where(Meta.key == key).values(value=text))


def mark_first_tick(session: Session, now: datetime) -> None:
    """Remember the earliest instant the service ticked on this database."""
    _put_meta(session, FIRST_TICK_KEY, now, keep="min")


def mark_last_tick(session: Session, now: datetime) -> None:
    """Remember the latest instant a tick completed on this database."""
    _put_meta(session, LAST_TICK_KEY, now, keep="max")


# --- the SMS side ----------------------------------------------------------------------------


def sms_facts(session: Session, now: datetime) -> SmsFacts:
    """What the outbox says about sending at ``now`` (UTC), for :func:`sms_health`."""
    attempts = select(
        NotificationAttempt.outcome,
        NotificationAttempt.error_code,
        NotificationAttempt.error_message,
        NotificationAttempt.finished_at,
    ).where(NotificationAttempt.finished_at.is_not(None))
    newest = (NotificationAttempt.finished_at.desc(), NotificationAttempt.id.desc())

    def facts(stmt: Any) -> list[SendAttemptFact]:
        return [SendAttemptFact(*row) for row in session.execute(stmt.order_by(*newest)).tuples()]

    # Newest first along the finished_at index: each stops at its first rows.
    decided = facts(
        attempts.where(NotificationAttempt.outcome.in_(DECIDED_OUTCOMES)).limit(FAILED_IN_A_ROW)
    )
    handed_rows = facts(
        attempts.where(NotificationAttempt.outcome.in_(HANDED_OVER_OUTCOMES)).limit(1)
    )
    handed = handed_rows[0].finished_at if handed_rows else None
    # Only a refusal newer than the last text that got through counts.
    refusals = attempts.where(NotificationAttempt.error_code.in_(CREDENTIAL_CODES))
    if handed is not None:
        refusals = refusals.where(NotificationAttempt.finished_at > handed)
    refused = facts(refusals.limit(1))
    overdue, oldest = session.execute(
        select(func.count(), func.min(Notification.due_at)).where(
            Notification.status.in_((Status.QUEUED, Status.SENDING)),
            Notification.due_at <= now - OVERDUE_AFTER,
        )
    ).one()
    return SmsFacts(
        decided=tuple(decided),
        credentials_refused=refused[0] if refused else None,
        last_handed_over_at=handed,
        overdue=int(overdue),
        oldest_overdue_due_at=oldest,
    )


def sms_health_at(session: Session, now: datetime) -> SmsHealth:
    """Whether texts are going out at ``now``, from the outbox (see :func:`sms_health`)."""
    return sms_health(sms_facts(session, now), now)


# --- heartbeats -------------------------------------------------------------------------------


def write_heartbeat(session: Session, beat: HeartbeatDTO, *, prune_before: datetime) -> None:
    """Upsert this instance's heartbeat row; drop rows of instances silent since
    ``prune_before``."""
    insert = dialect_insert(session)
    values = {
        "instance_id": beat.instance_id[:100],
        "host": beat.host[:200],
        "version": beat.version[:40],
        "sms_backend": beat.sms_backend[:40],
        "started_at": beat.started_at,
        "last_tick_at": beat.last_tick_at,
        "next_due_at": beat.next_due_at,
        "last_error": beat.last_error,
        "sms_problem": beat.sms_problem,
    }
    stmt = insert(ServiceHeartbeat.__table__).values(**values)
    stmt = stmt.on_conflict_do_update(
        index_elements=["instance_id"],
        set_={k: stmt.excluded[k] for k in values if k != "instance_id"},
    )
    session.execute(stmt)
    session.execute(
        delete(ServiceHeartbeat)
        .where(ServiceHeartbeat.last_tick_at < prune_before)
        .execution_options(synchronize_session=False)
    )


def _read_stops(session: Session) -> dict[str, str]:
    value = session.scalar(select(Meta.value).where(Meta.key == STOPPED_KEY))
    stops = json.loads(value) if value else {}
    return stops if isinstance(stops, dict) else {}


def mark_stopped(session: Session, instance_id: str, now: datetime) -> None:
    """Record that ``instance_id`` stopped cleanly at ``now`` (UTC): until it ticks again the
    app shows it stopped, not silent. Instances whose heartbeat was pruned are forgotten."""
    live = set(session.scalars(select(ServiceHeartbeat.instance_id)))
    stops = {k: v for k, v in _read_stops(session).items() if k in live}
    stops[instance_id] = now.isoformat()
    text = json.dumps(stops, sort_keys=True)
    insert = dialect_insert(session)
    stmt = insert(Meta.__table__).values(key=STOPPED_KEY, value=text)
    session.execute(
        stmt.on_conflict_do_update(index_elements=["key"], set_={"value": stmt.excluded.value})
    )


def heartbeats(uow: UnitOfWork) -> list[HeartbeatDTO]:
    """Every instance's heartbeat, the most recent tick first, with when it stopped cleanly."""
    stops = _read_stops(uow.session)
    rows = uow.session.scalars(
        select(ServiceHeartbeat).order_by(ServiceHeartbeat.last_tick_at.desc())
    )
    beats = [
        HeartbeatDTO(
            r.instance_id,
            r.host,
            r.version,
            r.sms_backend,
            r.started_at,
            r.last_tick_at,
            r.next_due_at,
            r.last_error,
            r.sms_problem,
        )
        for r in rows
    ]
    return [
        replace(b, stopped_at=datetime.fromisoformat(stops[b.instance_id]))
        if b.instance_id in stops
        else b
        for b in beats
    ]


@dataclass(frozen=True, slots=True)
class ServiceStatus:
    """The service as the app shows it: its state and the newest heartbeat (None: never ran)."""

    state: ServiceState
    heartbeat: HeartbeatDTO | None

    @property
    def alive(self) -> bool:
        return self.state is ServiceState.UP


def status_of(beat: HeartbeatDTO | None, now: datetime) -> ServiceStatus:
    """The status a service whose newest heartbeat is ``beat`` has at ``now``."""
    if beat is None:
        return ServiceStatus(service_state(None, now), None)
    return ServiceStatus(service_state(beat.last_tick_at, now, beat.stopped_at), beat)


def service_status(uow: UnitOfWork, now: datetime) -> ServiceStatus:
    """Whether any service instance is up at ``now``, from the newest heartbeat."""
    beats = heartbeats(uow)
    return status_of(beats[0] if beats else None, now)
