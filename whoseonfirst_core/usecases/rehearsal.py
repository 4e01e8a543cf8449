"""Whether a database is one the service uses, which decides what ``tick --now`` may do there.

A database the service uses is one with a heartbeat or a tick mark from a real-time tick
(``run``, a plain ``tick``, ``send-test``). A ``tick --now`` there is a *rehearsal*: it must
never consume, pre-empt or fake a real text, heartbeat or tick mark, so the command runs it in
a transaction that is rolled back. A database where only ``tick --now`` ever ticked (a drill, a
copy made to try things on) keeps what each such tick does, as drills need.

The same holds for a dry-run ``tick`` on a database where a service with a real SMS backend
ticks (its heartbeat says so): it would record the texts due now as ``simulated``.

Which kind a database is, is remembered in ``Meta``: the first tick on a database that has no
marks yet writes :data:`PRETENDED_KEY` when it pretends the time, and every real-time tick
removes it.
"""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from whoseonfirst_core.db.dialect import dialect_insert
from whoseonfirst_core.db.models import Meta, ServiceHeartbeat
from whoseonfirst_core.usecases.heartbeat import read_tick_marks

#: Present while every tick on this database pretended the time (``tick --now``).
PRETENDED_KEY = "service_ticks_pretended"
#: The SMS backend name of the dry run (``SmsBackend.name``), as heartbeats record it.
DRY_RUN_BACKEND = "dry-run"


def _has_marks(session: Session) -> bool:
    marks = read_tick_marks(session)
    if marks.first is not None or marks.last is not None:
        return True
    return session.scalar(select(ServiceHeartbeat.instance_id).limit(1)) is not None


def in_service(session: Session) -> bool:
    """Whether a real-time tick has run on this database (so ``tick --now`` is a rehearsal)."""
    if not _has_marks(session):
        return False
    return session.scalar(select(Meta.value).where(Meta.key == PRETENDED_KEY)) is None


def sends_for_real(session: Session) -> bool:
    """Whether a service with a real SMS backend (not the dry run) has a heartbeat here."""
    return (
        session.scalar(
            select(ServiceHeartbeat.instance_id)
            .where(ServiceHeartbeat.sms_backend != DRY_RUN_BACKEND)
            .limit(1)
        )
        is not None
    )


def is_rehearsal(session: Session, *, pretended: bool, dry_run: bool) -> bool:
    """Whether a one-off tick (``tick``) here must keep nothing: one that pretends the time on
    a database the service uses, or a dry run where a service sends real texts (it would
    record their due texts as ``simulated``, and they would never go out)."""
    return (pretended and in_service(session)) or (dry_run and sends_for_real(session))


def note_tick(session: Session, *, pretended: bool) -> None:
    """Record what kind of tick is starting, before it writes its own marks."""
    if not pretended:
        session.execute(delete(Meta).where(Meta.key == PRETENDED_KEY))
    elif not _has_marks(session):
        session.execute(
            dialect_insert(session)(Meta.__table__)
            .values(key=PRETENDED_KEY, value="tick --now")
            .on_conflict_do_nothing(index_elements=["key"])
        )
