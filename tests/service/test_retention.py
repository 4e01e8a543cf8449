"""Retention: history older than the team's ``retention_days`` goes, a batch per tick, and
nothing younger, nothing unfinished and no audit entry the database calls young, on SQLite and
PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import DBAPIError
from whoseonfirst_service.delivery import EngineSettings

from tests.service.conftest import MakeEngine, utc
from whoseonfirst_core.clock import FixedClock
from whoseonfirst_core.db.models import (
    AuditEntry,
    InboundMessage,
    Notification,
    NotificationAttempt,
    SpanConfirmation,
    TeamSettings,
)
from whoseonfirst_core.db.session import Database
from whoseonfirst_core.usecases import retention
from whoseonfirst_core.usecases.config import SettingsChange, settings_problems

#: Older than three years before the test clock (2026-03-02) and the real one.
OLD = utc(2021, 6, 1, 12)
#: Within three years of the test clock.
YOUNG = utc(2025, 6, 1, 12)


def _text(key: str, due: datetime, status: str, related: int | None = None) -> Notification:
    return Notification(
        idempotency_key=key,
        kind="test",
        status=status,
        member_id=None,
        recipient_name="Lead",
        recipient_phone="+13125559999",
        body="WhoseOnFirst: test",
        due_at=due,
        created_at=due,
        triggered_by="admin",
        related_id=related,
    )


def _seed(db: Database, old_texts: int = 3, *, stuck_text: bool = True) -> dict[str, int]:
    with db.uow("admin") as uow:
        s = uow.session
        olds = [
            _text(f"old:{i}", OLD + timedelta(minutes=i), "delivered") for i in range(old_texts)
        ]
        stuck = _text("old:queued", OLD, "queued")
        young = _text("young", YOUNG, "failed")
        s.add_all([*olds, young, *([stuck] if stuck_text else [])])
        s.flush()
        # An alert made recently about an old text keeps its row, without the reference.
        s.add(_text("alert", YOUNG, "delivered", related=olds[0].id))
        for n in olds:
            s.add(
                NotificationAttempt(
                    notification_id=n.id,
                    number=1,
                    started_at=n.due_at,
                    finished_at=n.due_at,
                    outcome="sent",
                    instance_id="t",
                )
            )
        inbound = InboundMessage(
            twilio_sid="SMold",
            sender="+13125550101",
            recipient="+13125550100",
            body="OK",
            sent_at=OLD,
            received_at=OLD,
            asks="confirm",
            outcome="confirmed",
        )
        s.add(inbound)
        s.flush()
        s.add(
            SpanConfirmation(
                member_id=1,
                span_start=OLD,
                confirmed_at=OLD,
                phone="+13125550101",
                inbound_id=inbound.id,
            )
        )
        s.add_all(
            [
                AuditEntry(at=OLD, actor="a", action="x", entity="e", summary="old"),
                AuditEntry(at=YOUNG, actor="a", action="x", entity="e", summary="young"),
            ]
        )
        uow.commit()
        return {"young": young.id, **({"stuck": stuck.id} if stuck_text else {})}


def _count(db: Database, what: object, *where: object) -> int:
    with db.reader() as uow:
        return int(uow.session.scalar(select(func.count()).select_from(what).where(*where)) or 0)  # type: ignore[arg-type]


def test_old_final_history_goes_and_the_rest_stays(team: Database, clock: FixedClock) -> None:
    ids = _seed(team)
    texts_before = _count(team, Notification)
    with team.uow("service") as uow:
        pruned = retention.prune_batch(uow, clock.now())
        uow.commit()
    assert pruned.deleted == {
        "texts": 3,
        "attempts": 3,
        "confirmations": 1,
        "inbound": 1,
        "audit": 1,
    }
    assert not pruned.more and not pruned.audit_kept
    assert _count(team, Notification) == texts_before - 3
    assert _count(team, Notification, Notification.id.in_(list(ids.values()))) == 2
    assert _count(team, Notification, Notification.idempotency_key == "alert") == 1
    assert _count(team, Notification, Notification.related_id.is_not(None)) == 0
    assert _count(team, AuditEntry, AuditEntry.summary == "old") == 0
    assert _count(team, AuditEntry, AuditEntry.summary == "young") == 1
    assert _count(team, InboundMessage) == 0


def test_batches_leave_more_until_done(team: Database, clock: FixedClock) -> None:
    _seed(team, old_texts=5)
    rounds = []
    while True:
        with team.uow("service") as uow:
            pruned = retention.prune_batch(uow, clock.now(), batch=2)
            uow.commit()
        rounds.append(pruned.deleted.get("texts", 0))
        if not pruned.more:
            break
    assert rounds == [2, 2, 1]


def test_zero_keeps_everything(team: Database, clock: FixedClock) -> None:
    _seed(team)
    with team.uow("admin") as uow:
        uow.session.execute(update(TeamSettings).values(retention_days=0))
        uow.commit()
    with team.uow("service") as uow:
        assert retention.prune_batch(uow, clock.now()) == retention.Pruned()
    # And the database itself refuses to delete audit entries then.
    with pytest.raises(DBAPIError, match="append-only"), team.uow("x") as uow:
        uow.session.execute(AuditEntry.__table__.delete())
        uow.commit()


def test_the_database_keeps_audit_entries_its_clock_calls_young(
    team: Database, clock: FixedClock
) -> None:
    """A service clock far ahead: it may delete what its clock calls old among the texts, but
    the audit log's trigger judges by the database's clock and keeps the young entry."""
    _seed(team)
    ahead = utc(2029, 1, 1)
    with team.uow("service") as uow:
        pruned = retention.prune_batch(uow, ahead)
        uow.commit()
    assert pruned.audit_kept
    assert "audit" not in pruned.deleted and pruned.deleted["texts"] >= 3
    assert _count(team, AuditEntry, AuditEntry.summary.in_(["old", "young"])) == 2
    with pytest.raises(DBAPIError, match="append-only"), team.uow("x") as uow:
        uow.session.execute(update(AuditEntry).values(summary="changed"))
        uow.commit()


def test_the_service_prunes_daily_a_batch_per_tick(
    team: Database, clock: FixedClock, make_engine: MakeEngine
) -> None:
    _seed(team, old_texts=5, stuck_text=False)
    engine = make_engine(settings=EngineSettings(retention_batch=2))
    olds = Notification.idempotency_key.like("old:%")
    left = []
    for _ in range(4):
        engine.tick()
        left.append(_count(team, Notification, olds, Notification.status == "delivered"))
        clock.advance(timedelta(seconds=30))
    assert left == [3, 1, 0, 0]
    with team.reader() as uow:
        passes = uow.session.execute(
            select(AuditEntry.after, AuditEntry.summary).where(AuditEntry.action == "retention")
        ).all()
    assert len(passes) == 1
    assert passes[0].after == {
        "texts": 5,
        "attempts": 5,
        "confirmations": 1,
        "inbound": 1,
        "audit": 1,
    }
    assert "2023-03-03" in passes[0].summary
    # Nothing more today; the next pass comes a day later.
    _seed_more = _text("old:late", OLD, "delivered")
    with team.uow("admin") as uow:
        uow.session.add(_seed_more)
        uow.commit()
    engine.tick()
    assert _count(team, Notification, Notification.idempotency_key == "old:late") == 1
    clock.advance(timedelta(hours=24))
    engine.tick()
    assert _count(team, Notification, Notification.idempotency_key == "old:late") == 0


def test_the_setting_is_checked() -> None:
    assert settings_problems(SettingsChange(retention_days=30)) == [
        "retention: 0 (keep everything) or 90 to 36500 days"
    ]
    assert settings_problems(SettingsChange(retention_days=0)) == []
    assert settings_problems(SettingsChange(retention_days=365)) == []
