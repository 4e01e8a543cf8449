"""Reading the audit log (read-only; entries are written by ``common.record_audit``)."""

from __future__ import annotations

from sqlalchemy import func, select

from whoseonfirst_core.db.models import AuditEntry
from whoseonfirst_core.db.session import UnitOfWork
from whoseonfirst_core.usecases.common import from_row, matching_text
from whoseonfirst_core.usecases.dto import AuditDTO


def audit_page(
    uow: UnitOfWork, *, text: str = "", offset: int = 0, limit: int = 200
) -> tuple[list[AuditDTO], int]:
    """One page of the audit log, newest first, and the total matching ``text``.

    ``text`` matches the actor, action, entity or summary (case-insensitive substring).
    """
    limit = max(1, min(limit, 1000))
    stmt = select(AuditEntry)
    if text.strip():
        stmt = stmt.where(
            matching_text(
                text, AuditEntry.actor, AuditEntry.action, AuditEntry.entity, AuditEntry.summary
            )
        )
    # maintain_column_froms: without a WHERE clause the count must still read FROM audit_log.
    total = (
        uow.session.scalar(
            stmt.with_only_columns(func.count(), maintain_column_froms=True).order_by(None)
        )
        or 0
    )
    rows = uow.session.scalars(
        stmt.order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .offset(max(0, offset))
        .limit(limit)
    )
    return [
        from_row(
            AuditDTO,
            r,
            before=dict(r.before) if r.before is not None else None,
            after=dict(r.after) if r.after is not None else None,
        )
        for r in rows
    ], int(total)
