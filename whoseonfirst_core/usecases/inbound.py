"""Texts people send to the team's number, from the database's side (SPEC §4, two-way texts).

The service polls the SMS provider for inbound messages (no webhook: it runs where nothing can
reach it) and hands each poll's messages to :func:`record_inbound`, in one transaction with the
poll cursor. Every message is processed exactly once — ``inbound_messages.twilio_sid`` is unique
and the row is inserted with ``ON CONFLICT DO NOTHING`` before anything it asks for is done —
so a poll repeated after a crash, overlapping listings and a second service change nothing.

What a message does (:mod:`whoseonfirst_core.domain.replies` reads it): STOP marks the phone
opted out (:class:`~whoseonfirst_core.db.models.PhoneOptOut`; the planner then texts it
nothing, see ``outbox.load_team``) and tells the escalation contacts once; START texts it
again; WHO and HELP are answered by a ``reply`` text through the outbox; OK confirms the
sender's running shift, or else their next one starting within 12 hours. Error 21610 from the
provider marks the phone opted out too (:func:`opt_out`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from whoseonfirst_core.db.dialect import dialect_insert, rowcount
from whoseonfirst_core.db.models import (
    EscalationContact,
    InboundMessage,
    Member,
    Meta,
    PhoneOptOut,
    SpanConfirmation,
)
from whoseonfirst_core.db.session import UnitOfWork
from whoseonfirst_core.domain.masking import mask_phone
from whoseonfirst_core.domain.notification import Kind, Status
from whoseonfirst_core.domain.phones import display_phone
from whoseonfirst_core.domain.replies import Asks, InboundText, asks, help_text, who_text
from whoseonfirst_core.domain.texts import PlannedText, TeamSnapshot
from whoseonfirst_core.domain.timeutil import fmt_local
from whoseonfirst_core.domain.wording import render_wording
from whoseonfirst_core.usecases import outbox
from whoseonfirst_core.usecases.common import record_audit
from whoseonfirst_core.usecases.dto import OptOutDTO
from whoseonfirst_core.usecases.schedule import resolve_window

#: Until when the last complete poll listed messages (``Meta``).
CURSOR_KEY = "inbound_cursor"
#: Each poll lists again from this long before the cursor: the provider's clock and ours may
#: differ, and a message can appear in its list a little after it was sent. Messages already
#: recorded are skipped by their SID.
POLL_OVERLAP = timedelta(minutes=10)
#: OK confirms the running shift, or else the next one starting within this.
CONFIRM_AHEAD = timedelta(hours=12)
#: A reply or an alert not handed to the provider within this is stale.
REPLY_VALIDITY = timedelta(hours=1)
ALERT_VALIDITY = timedelta(hours=12)
#: How far ahead WHO looks for who is next.
WHO_AHEAD = timedelta(days=14)


def poll_since(session: Session, now: datetime) -> datetime:
    """From when the next poll lists messages: the cursor less the overlap (the first poll on
    a database: ``now`` less the overlap — what was sent before the service ever polled is not
    fetched)."""
    raw = session.scalar(select(Meta.value).where(Meta.key == CURSOR_KEY))
    cursor = datetime.fromisoformat(raw) if raw else now
    return min(cursor, now) - POLL_OVERLAP


def advance_cursor(session: Session, polled_from: datetime) -> None:
    """Record that a poll started at ``polled_from`` listed everything sent before it."""
    raw = session.scalar(select(Meta.value).where(Meta.key == CURSOR_KEY))
    if raw is None:
        session.add(Meta(key=CURSOR_KEY, value=polled_from.isoformat()))
    elif datetime.fromisoformat(raw) < polled_from:
        session.get(Meta, CURSOR_KEY).value = polled_from.isoformat()  # type: ignore[union-attr]


def opted_out_phones(session: Session) -> set[str]:
    return set(session.scalars(select(PhoneOptOut.phone)))


def opt_outs(uow: UnitOfWork) -> dict[str, OptOutDTO]:
    """Every opted-out phone (a handful at most), by its number: what the Team page shows."""
    rows = uow.session.scalars(select(PhoneOptOut))
    return {o.phone: OptOutDTO(o.phone, o.opted_out_at, o.source) for o in rows}


def opt_out(
    uow: UnitOfWork, now: datetime, phone: str, *, source: str, because: str
) -> list[PlannedText]:
    """Mark ``phone`` opted out (``source``: ``stop`` or ``21610``) unless it is already, and
    queue one alert to the escalation contacts naming whose phone it is; returns the alerts."""
    session = uow.session
    insert = dialect_insert(session)
    added = session.execute(
        insert(PhoneOptOut.__table__)
        .values(phone=phone, opted_out_at=now, source=source)
        .on_conflict_do_nothing(index_elements=["phone"])
        .returning(PhoneOptOut.__table__.c.phone)
    ).first()
    if added is None:
        return []
    owner = _owner_name(session, phone)
    record_audit(
        uow,
        now,
        "phone.opt_out",
        "phone",
        mask_phone(phone),
        f"{owner or 'an unknown number'} opted out on {display_phone(phone)} ({because})",
    )
    team = outbox.load_team(session)
    values = {
        "name": owner or "someone",
        "phone": display_phone(phone),
        "reason": because,
        "team": team.team_name,
    }
    body = render_wording(team.templates, Kind.OPT_OUT_ALERT, values)
    alerts = [
        PlannedText(
            key=f"{Kind.OPT_OUT_ALERT}:{phone}:{now.isoformat()}:c{c.id}:{to}",
            kind=Kind.OPT_OUT_ALERT,
            due_at=now,
            expires_at=now + ALERT_VALIDITY,
            member_id=None,
            recipient_name=c.name,
            recipient_phone=to,
            body=body,
        )
        for c in team.alert_contacts
        for to in c.phones[:1]
        if to != phone
    ]
    for text in alerts:
        outbox.insert_planned(session, text, status=Status.QUEUED, now=now, actor=uow.actor)
    return alerts


def _owner_name(session: Session, phone: str) -> str | None:
    member = session.scalar(
        select(Member.name).where((Member.phone == phone) | (Member.secondary_phone == phone))
    )
    if member is not None:
        return member
    contact: str | None = session.scalar(
        select(EscalationContact.name).where(EscalationContact.phone == phone)
    )
    return contact


@dataclass(frozen=True, slots=True)
class Handled:
    """What one new inbound message asked for and did; ``texts``: replies and alerts queued."""

    sid: str
    sender: str
    asks: Asks
    outcome: str
    texts: tuple[PlannedText, ...] = ()


def record_inbound(
    uow: UnitOfWork, now: datetime, messages: Iterable[InboundText]
) -> list[Handled]:
    """Record and act on each message not recorded before, oldest first (the caller commits,
    with the poll cursor)."""
    session = uow.session
    team = outbox.load_team(session)
    members = {m.id: m for m in session.scalars(select(Member).where(Member.archived.is_(False)))}
    by_phone: dict[str, Member] = {}
    for m in members.values():
        by_phone[m.phone] = m
        if m.secondary_phone:
            by_phone.setdefault(m.secondary_phone, m)
    contacts = {c.phone: c for c in session.scalars(select(EscalationContact))}
    out: list[Handled] = []
    for msg in sorted(messages, key=lambda m: (m.sent_at, m.sid)):
        row_id = _claim(session, msg, now)
        if row_id is None:
            continue  # recorded by an earlier poll (or another service)
        member = by_phone.get(msg.sender)
        contact = contacts.get(msg.sender)
        handled = _act(uow, now, msg, team, member, contact is not None, row_id)
        row = session.get(InboundMessage, row_id)
        assert row is not None
        row.member_id = member.id if member else None
        row.contact_id = contact.id if contact else None
        row.asks, row.outcome = handled.asks, handled.outcome
        out.append(handled)
    return out


def _claim(session: Session, msg: InboundText, now: datetime) -> int | None:
    insert = dialect_insert(session)
    got = session.execute(
        insert(InboundMessage.__table__)
        .values(
            twilio_sid=msg.sid,
            sender=msg.sender[:20],
            recipient=msg.to[:20],
            body=msg.body,
            sent_at=msg.sent_at,
            received_at=now,
            asks=Asks.OTHER,
            outcome="",
        )
        .on_conflict_do_nothing(index_elements=["twilio_sid"])
        .returning(InboundMessage.__table__.c.id)
    ).first()
    return None if got is None else int(got[0])


def _act(
    uow: UnitOfWork,
    now: datetime,
    msg: InboundText,
    team: TeamSnapshot,
    member: Member | None,
    is_contact: bool,
    row_id: int,
) -> Handled:
    session = uow.session
    opted = msg.sender in opted_out_phones(session)
    what = asks(msg.body, opted_out=opted)
    known = member is not None or is_contact
    if what == Asks.STOP:
        alerts = opt_out(uow, now, msg.sender, source="stop", because="it replied STOP")
        outcome = "opted out: nothing more is texted to this phone"
        return Handled(msg.sid, msg.sender, what, outcome, tuple(alerts))
    if what == Asks.START:
        gone = session.execute(delete(PhoneOptOut).where(PhoneOptOut.phone == msg.sender))
        if not rowcount(gone):
            return Handled(msg.sid, msg.sender, what, "texts to this phone were not stopped")
        record_audit(
            uow,
            now,
            "phone.opt_in",
            "phone",
            mask_phone(msg.sender),
            f"{member.name if member else 'a phone'} replied START on {display_phone(msg.sender)}",
        )
        return Handled(msg.sid, msg.sender, what, "texts to this phone start again")
    if not known:
        return Handled(msg.sid, msg.sender, what, "from a number the team does not know: no reply")
    if opted:
        return Handled(msg.sid, msg.sender, what, "this phone has opted out: no reply")
    if what == Asks.WHO:
        return _reply(uow, now, msg, member, _who(uow, now, team))
    if what == Asks.HELP:
        return _reply(uow, now, msg, member, help_text(team.team_name))
    if what == Asks.CONFIRM:
        if member is None:
            return Handled(
                msg.sid, msg.sender, what, "no shift to confirm: not a member of the team"
            )
        return _confirm(uow, now, msg, member, row_id)
    return Handled(msg.sid, msg.sender, what, "kept; no reply")


def _who(uow: UnitOfWork, now: datetime, team: TeamSnapshot) -> str:
    spans = resolve_window(uow, now, now + WHO_AHEAD, clip=False)
    names = {m.id: m.name for m in team.members.values()}
    phones = {m.id: m.call for m in team.members.values() if m.call}
    return who_text(now, spans, names, phones, team.tz)


def _reply(
    uow: UnitOfWork, now: datetime, msg: InboundText, member: Member | None, body: str
) -> Handled:
    text = PlannedText(
        key=f"{Kind.REPLY}:{msg.sid}",
        kind=Kind.REPLY,
        due_at=now,
        expires_at=now + REPLY_VALIDITY,
        member_id=member.id if member else None,
        recipient_name=member.name if member else "",
        recipient_phone=msg.sender,
        body=body,
    )
    outbox.insert_planned(uow.session, text, status=Status.QUEUED, now=now, actor=uow.actor)
    return Handled(
        msg.sid, msg.sender, asks(msg.body, opted_out=False), f"answered: {body}", (text,)
    )


def _confirm(
    uow: UnitOfWork,
    now: datetime,
    msg: InboundText,
    member: Member,
    inbound_id: int,
) -> Handled:
    """Confirm ``member``'s running shift, or else their next one starting within
    :data:`CONFIRM_AHEAD` (once: a second OK changes nothing)."""
    session = uow.session
    spans = [
        s
        for s in resolve_window(uow, now, now + CONFIRM_AHEAD, clip=False)
        if s.member_id == member.id
    ]
    span = next((s for s in spans if s.start <= now), None) or next(
        (s for s in spans if s.start > now), None
    )
    if span is None:
        outcome = "no shift to confirm (none running or within 12 hours)"
        return Handled(msg.sid, msg.sender, Asks.CONFIRM, outcome)
    insert = dialect_insert(session)
    session.execute(
        insert(SpanConfirmation.__table__)
        .values(
            member_id=member.id,
            span_start=span.start,
            confirmed_at=msg.sent_at,
            phone=msg.sender,
            inbound_id=inbound_id,
        )
        .on_conflict_do_nothing(index_elements=["member_id", "span_start"])
    )
    tz = outbox.load_team(session).tz
    record_audit(
        uow,
        now,
        "shift.confirm",
        "member",
        member.id,
        f"{member.name} confirmed the shift starting {fmt_local(span.start, tz)}",
    )
    outcome = f"confirmed the shift starting {fmt_local(span.start, tz)}"
    return Handled(msg.sid, msg.sender, Asks.CONFIRM, outcome)


def confirmations(
    session: Session, member_ids: Sequence[int], since: datetime
) -> dict[tuple[int, datetime], datetime]:
    """``(member_id, span_start) → confirmed_at`` for spans starting at or after ``since``."""
    rows = session.execute(
        select(
            SpanConfirmation.member_id, SpanConfirmation.span_start, SpanConfirmation.confirmed_at
        ).where(SpanConfirmation.member_id.in_(member_ids), SpanConfirmation.span_start >= since)
    ).tuples()
    return {(m, s): c for m, s, c in rows}


__all__ = [
    "CURSOR_KEY",
    "Handled",
    "advance_cursor",
    "confirmations",
    "opt_out",
    "opt_outs",
    "opted_out_phones",
    "poll_since",
    "record_inbound",
]
