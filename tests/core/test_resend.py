"""Resend queues a copy to the number the earlier text went to, never one re-derived from
the member (SPEC §4: the admin confirms "to Ann (+1 312-555-0199)" and that is where it goes)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from tests.core.helpers import load, roster
from whoseonfirst_core.db.models import Member, Notification
from whoseonfirst_core.db.session import Database
from whoseonfirst_core.domain.notification import Kind, Status
from whoseonfirst_core.usecases.notifications import resend

NOW = datetime(2026, 3, 2, 15, tzinfo=UTC)
PRIMARY = "+13125550101"
SECONDARY = "+13125550199"


def _team_with_secondary(db: Database) -> int:
    data = roster(2)
    data["members"][0]["secondary_phone"] = SECONDARY
    load(db, data)
    with db.reader() as uow:
        return uow.session.scalars(select(Member.id).where(Member.phone == PRIMARY)).one()


def _sent_text(db: Database, member_id: int, phone: str) -> int:
    with db.uow("service") as uow:
        n = Notification(
            idempotency_key=f"shift_start:test:{phone}",
            kind=Kind.SHIFT_START,
            status=Status.DELIVERED,
            member_id=member_id,
            recipient_name="Ann",
            recipient_phone=phone,
            body="WhoseOnFirst: Hi Ann, you are on call from Mon 08:00 CST until Tue 08:00 CST.",
            due_at=NOW - timedelta(hours=7),
            attempts=1,
            created_at=NOW - timedelta(hours=7),
            triggered_by="service@host",
            twilio_sid="SM" + "1" * 32,
        )
        uow.session.add(n)
        uow.session.flush()
        uow.commit()
        return n.id


def test_a_text_to_the_secondary_phone_is_resent_to_the_secondary_phone(db: Database) -> None:
    ann = _team_with_secondary(db)
    old = _sent_text(db, ann, SECONDARY)
    with db.uow("admin@host") as uow:
        copy = resend(uow, NOW, old)
        uow.commit()
    assert copy.recipient_phone == SECONDARY
    assert copy.member_id == ann  # the history still knows whose text it was
    assert copy.recipient_name == "Ann"
    assert copy.kind == Kind.MANUAL and copy.status == Status.QUEUED
    assert copy.twilio_sid is None and copy.id != old
    with db.reader() as uow:
        body = uow.session.scalar(select(Notification.body).where(Notification.id == old))
    assert copy.body == body


def test_resend_goes_to_the_old_number_after_the_member_changed_phones(db: Database) -> None:
    ann = _team_with_secondary(db)
    old = _sent_text(db, ann, PRIMARY)
    with db.uow("admin@host") as uow:
        uow.session.execute(update(Member).where(Member.id == ann).values(phone="+13125550177"))
        copy = resend(uow, NOW, old)
        uow.commit()
    assert (copy.recipient_phone, copy.member_id) == (PRIMARY, ann)
