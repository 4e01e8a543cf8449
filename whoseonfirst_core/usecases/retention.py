"""Retention: history older than the team's ``retention_days`` is deleted, a little at a time.

The service calls :func:`prune_batch` once per tick while a daily pass has rows left, so a first
pass over years of history spreads over many ticks and no tick waits long on it; when a batch
finds nothing more, :func:`optimize` refreshes the planner's statistics. What goes:

- texts due before the cut-off that are final (a text still queued, sending or at Twilio
  stays, whatever its age), with their attempts; a younger text that referred to one
  (an alert about it) keeps its row and loses only the reference;
- inbound texts sent before the cut-off, and confirmations of shifts that started before it;
- audit entries before the cut-off. The audit log's own trigger allows that only for rows older
  than the retention by the database's clock (migration 0011), so a service whose clock runs
  ahead cannot delete younger entries: it keeps them and says so in the result.

``retention_days`` 0 keeps everything.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from whoseonfirst_core.db.models import (
    AuditEntry,
    InboundMessage,
    Notification,
    NotificationAttempt,
    SpanConfirmation,
)
from whoseonfirst_core.db.session import Database, UnitOfWork
from whoseonfirst_core.domain.notification import FINAL_STATUSES, ordered
from whoseonfirst_core.usecases.common import record_audit, settings_row

#: Rows of each kind deleted per batch (one batch per tick).
BATCH = 2000
#: Bounds of the setting: 0 (keep forever), or at least this many days.
MIN_RETENTION_DAYS = 90
MAX_RETENTION_DAYS = 36_500
DEFAULT_RETENTION_DAYS = 1095

#: The tables the daily statistics refresh covers on PostgreSQL (SQLite: ``PRAGMA optimize``).
HISTORY_TABLES = ("notifications", "notification_attempts", "inbound_messages", "audit_log")


def retention_problems(days: int | None) -> list[str]:
    """What is wrong with a retention given in days (None: not given)."""
    if days is None or days == 0 or MIN_RETENTION_DAYS <= days <= MAX_RETENTION_DAYS:
        return []
    return [f"retention: 0 (keep everything) or {MIN_RETENTION_DAYS} to {MAX_RETENTION_DAYS} days"]


def cutoff(uow: UnitOfWork, now: datetime) -> datetime | None:
    """The instant before which history goes, or None when the team keeps everything."""
    days = settings_row(uow).retention_days
    return now - timedelta(days=days) if days > 0 else None


@dataclass(frozen=True, slots=True)
class Pruned:
    """What one batch deleted, by kind, and whether more is left."""

    deleted: dict[str, int] = field(default_factory=dict)
    more: bool = False
    #: Audit entries the database's trigger kept (its clock says they are younger).
    audit_kept: bool = False

    @property
    def total(self) -> int:
        return sum(self.deleted.values())


def prune_batch(uow: UnitOfWork, now: datetime, batch: int = BATCH) -> Pruned:
    """Delete up to ``batch`` rows of each kind older than the retention (the caller commits;
    the audit entries go in a savepoint of their own, see the module's doc)."""
    cut = cutoff(uow, now)
    if cut is None:
        return Pruned()
    s = uow.session
    deleted: dict[str, int] = {}
    ids = _oldest(
        s,
        Notification.id,
        Notification.due_at,
        cut,
        batch,
        Notification.status.in_(ordered(FINAL_STATUSES)),
    )
    if ids:
        _forget(s, Notification.related_id, ids)
        attempts = s.execute(
            delete(NotificationAttempt).where(NotificationAttempt.notification_id.in_(ids))
        )
        s.execute(delete(Notification).where(Notification.id.in_(ids)))
        deleted["texts"] = len(ids)
        deleted["attempts"] = int(attempts.rowcount or 0)  # type: ignore[attr-defined]
    confirmations = s.execute(delete(SpanConfirmation).where(SpanConfirmation.span_start < cut))
    if confirmations.rowcount:  # type: ignore[attr-defined]
        deleted["confirmations"] = int(confirmations.rowcount)  # type: ignore[attr-defined]
    inbound = _oldest(s, InboundMessage.id, InboundMessage.sent_at, cut, batch)
    if inbound:
        _forget(s, SpanConfirmation.inbound_id, inbound)
        s.execute(delete(InboundMessage).where(InboundMessage.id.in_(inbound)))
        deleted["inbound"] = len(inbound)
    audit = _oldest(s, AuditEntry.id, AuditEntry.at, cut, batch)
    audit_kept = False
    if audit:
        try:
            with s.begin_nested():
                s.execute(delete(AuditEntry).where(AuditEntry.id.in_(audit)))
            deleted["audit"] = len(audit)
        except DBAPIError as exc:
            if "append-only" not in str(exc.orig):
                raise
            audit_kept = True
    more = len(ids) == batch or len(inbound) == batch or (len(audit) == batch and not audit_kept)
    return Pruned(deleted=deleted, more=more, audit_kept=audit_kept)


def _oldest(s: Session, key: Any, at: Any, cut: datetime, batch: int, *where: Any) -> list[int]:
    """The ids of up to ``batch`` rows with ``at`` before ``cut``, oldest first."""
    return list(s.scalars(select(key).where(at < cut, *where).order_by(at).limit(batch)))


def _forget(s: Session, reference: Any, ids: list[int]) -> None:
    """Clear ``reference`` where it points at one of ``ids`` (the rows about to go)."""
    s.execute(
        update(reference.class_)
        .where(reference.in_(ids))
        .values({reference.key: None})
        .execution_options(synchronize_session=False)
    )


def record_pass(uow: UnitOfWork, now: datetime, totals: dict[str, int]) -> None:
    """One audit entry for a daily pass that deleted something."""
    if not any(totals.values()):
        return
    cut = cutoff(uow, now)
    parts = ", ".join(f"{n:,} {kind}" for kind, n in totals.items() if n)
    record_audit(
        uow,
        now,
        "retention",
        "history",
        None,
        f"deleted history older than {cut:%Y-%m-%d}: {parts}" if cut else f"deleted {parts}",
        after=dict(totals),
    )


def optimize(db: Database) -> None:
    """Refresh the planner's statistics of the history tables (cheap when nothing changed on
    SQLite, which decides itself what needs analysing)."""
    with db.engine.connect() as conn:
        if db.is_sqlite:
            conn.exec_driver_sql("PRAGMA optimize")
        else:
            conn.exec_driver_sql("ANALYZE " + ", ".join(HISTORY_TABLES))
        conn.commit()
