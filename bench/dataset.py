"""The large database of the page and memory benchmarks, built quickly with bulk inserts.

``build_large(db, now, size)``: ``size.members`` members on the default pattern, rotating since
``size.years`` years before ``now`` (so the schedule holds that much history plus the normal
12-week horizon), one override a week, and ``size.notifications`` texts spread over those years,
each with one attempt row (the realistic mix: mostly delivered shift starts; some weekly
summaries, test and manual texts, failure alerts; a few failed, undelivered and missed ones).
No row is left queued or sent, so a service ticking on the copy has no old work to do.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import insert, select

from bench.common import big_roster
from whoseonfirst_core.db.models import (
    Member,
    Notification,
    NotificationAttempt,
    Override,
    ScheduleEntry,
)
from whoseonfirst_core.db.session import Database
from whoseonfirst_core.roster import import_roster_data


@dataclass(frozen=True)
class Size:
    members: int
    years: int
    notifications: int

    def describe(self) -> str:
        return f"{self.members} members, {self.years} y of schedule, {self.notifications:,} texts"


LARGE = Size(members=200, years=5, notifications=100_000)
QUICK = Size(members=50, years=1, notifications=5_000)

_KINDS = (
    ["shift_start"] * 80
    + ["weekly_summary"] * 5
    + ["test"] * 9
    + ["manual"] * 4
    + ["failure_alert"] * 2
)
_STATUSES = (
    ["delivered"] * 88
    + ["undelivered"] * 3
    + ["failed"] * 3
    + ["missed"] * 2
    + ["expired"] * 2
    + ["simulated"] * 2
)
_ERRORS = {
    "undelivered": (30003, "Twilio could not deliver it: the phone is unreachable (error 30003)"),
    "failed": (21211, "The 'To' number is not a valid phone number."),
    "missed": (None, "the service did not run while this was due"),
    "expired": (None, "its validity ran out before it could be sent"),
}


_CHUNK = 10_000


def _text_row(
    i: int, due: datetime, rng: random.Random, members: list[tuple[int, str, str]]
) -> dict[str, object]:
    """Text number ``i`` of the history, due at ``due``."""
    kind = rng.choice(_KINDS)
    status = rng.choice(_STATUSES)
    mid: int | None
    mid, name, phone = rng.choice(members)
    if kind in ("weekly_summary", "failure_alert"):
        mid, name, phone = None, "Lead", "+13125559999"
    code, message = _ERRORS.get(status, (None, None))
    sent = due + timedelta(seconds=1) if status not in ("missed", "expired") else None
    return {
        "idempotency_key": f"bench:{i}",
        "kind": kind,
        "status": status,
        "member_id": mid,
        "recipient_name": name,
        "recipient_phone": phone,
        "body": (
            f"WhoseOnFirst: Hi {name}, you are on call from Tue 08:00 CST "
            "until Thu 08:00 CST (48 hours)."
        ),
        "due_at": due,
        "expires_at": due + timedelta(hours=24),
        "span_start": due if kind == "shift_start" else None,
        "span_end": due + timedelta(hours=24) if kind == "shift_start" else None,
        "shift_name": "Monday" if kind == "shift_start" else None,
        "attempts": 0 if sent is None else 1,
        "created_at": due,
        "sending_at": sent,
        "sent_at": sent,
        "delivered_at": due + timedelta(seconds=4) if status == "delivered" else None,
        "failed_at": due + timedelta(seconds=2)
        if status in ("failed", "undelivered", "missed", "expired")
        else None,
        "last_polled_at": sent,
        "twilio_sid": f"SM{i:032x}" if sent is not None else None,
        "error_code": code,
        "error_message": message,
        "triggered_by": "service@bench",
        "alerted": status in ("failed", "undelivered", "missed", "expired"),
    }


def build_large(db: Database, now: datetime, size: Size, *, seed: int = 7) -> dict[str, float]:
    """Fill the (migrated, empty) database; returns counts and the seconds it took."""
    t0 = time.perf_counter()
    rng = random.Random(seed)
    anchor = (now - timedelta(days=365 * size.years)).date()
    with db.uow("bench") as uow:
        import_roster_data(uow, now, big_roster(size.members, anchor.isoformat()))
        uow.commit()
    with db.uow("bench") as uow:
        s = uow.session
        conn = s.connection()  # Core executemany: one statement per chunk, no ORM bookkeeping
        members = list(s.execute(select(Member.id, Member.name, Member.phone)).tuples())
        entries = list(
            s.execute(
                select(
                    ScheduleEntry.start_at, ScheduleEntry.end_at, ScheduleEntry.shift_name
                ).order_by(ScheduleEntry.start_at)
            ).tuples()
        )
        # One override a week: somebody covers the first 12 hours of a shift.
        overrides = []
        for start, end, _name in entries[::6]:
            who = rng.choice(members)
            cut = min(end, start + timedelta(hours=12))
            overrides.append(
                {
                    "member_id": who[0],
                    "start_at": start,
                    "end_at": cut,
                    "reason": "swap (bench)",
                    "status": "completed" if cut <= now else "active",
                    "created_at": start - timedelta(days=3),
                    "created_by": "bench@host",
                    "version": 1,
                }
            )
        conn.execute(insert(Override.__table__), overrides)

        first = now - timedelta(days=365 * size.years)
        step = (now - timedelta(hours=1) - first) / max(1, size.notifications)
        texts = attempts = 0
        # In chunks: a million rows as dicts would not fit in memory at once.
        for lo in range(0, size.notifications, _CHUNK):
            rows = [
                _text_row(i, first + step * i, rng, members)
                for i in range(lo, min(size.notifications, lo + _CHUNK))
            ]
            conn.execute(insert(Notification.__table__), rows)
            ids = dict(
                s.execute(
                    select(Notification.idempotency_key, Notification.id).where(
                        Notification.idempotency_key.in_([r["idempotency_key"] for r in rows])
                    )
                )
                .tuples()
                .all()
            )
            tries = [
                {
                    "notification_id": ids[r["idempotency_key"]],
                    "number": 1,
                    "started_at": r["sending_at"],
                    "finished_at": r["sent_at"],
                    "outcome": "permanent" if r["status"] == "failed" else "sent",
                    "error_code": r["error_code"] if r["status"] == "failed" else None,
                    "error_message": r["error_message"] if r["status"] == "failed" else None,
                    "instance_id": "bench",
                }
                for r in rows
                if r["sending_at"] is not None
            ]
            if tries:
                conn.execute(insert(NotificationAttempt.__table__), tries)
            texts += len(rows)
            attempts += len(tries)
        uow.commit()
    if not db.is_sqlite:
        with db.engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE")
            conn.commit()
    else:
        with db.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    return {
        "members": len(members),
        "entries": len(entries),
        "overrides": len(overrides),
        "notifications": texts,
        "attempts": attempts,
        "seconds": time.perf_counter() - t0,
    }


def next_shift_start(db: Database, after: datetime) -> datetime:
    """The first scheduled shift start after ``after``."""
    with db.reader() as uow:
        start = uow.session.scalar(
            select(ScheduleEntry.start_at)
            .where(ScheduleEntry.start_at > after)
            .order_by(ScheduleEntry.start_at)
            .limit(1)
        )
    assert start is not None, "the schedule has no shift after that"
    return start
