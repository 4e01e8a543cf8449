"""Calendar feeds: the iCalendar file of the team's or one member's shifts, and the secret
links the service serves them under (``GET /calendar/<token>.ics``).

A link's token is 256 random bits (:func:`secrets.token_urlsafe`); only its SHA-256 is stored,
so a link is shown once, when it is made, and a stolen database gives no working link. A
presented token is hashed and looked up by its hash: the lookup's time depends on the hash,
which says nothing about how close a guess came, and the found row is compared once more in
constant time (:func:`hmac.compare_digest`).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import socket
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from whoseonfirst_core.db.models import FeedToken, Member, Override, RotationEpoch, ScheduleEntry
from whoseonfirst_core.db.session import UnitOfWork
from whoseonfirst_core.domain.ical import (
    FeedEvent,
    SpanRevision,
    calendar_bytes,
    feed_window,
    span_description,
    span_pieces,
    span_summary,
)
from whoseonfirst_core.domain.resolution import (
    OverrideSpan,
    ResolvedSpan,
    ScheduledEntry,
    resolve_on_call,
)
from whoseonfirst_core.domain.rotation import SHIFT_MARGIN
from whoseonfirst_core.domain.timeutil import day_start, local_date
from whoseonfirst_core.usecases.common import all_members, record_audit, settings_row, team_zone
from whoseonfirst_core.usecases.errors import NotFoundError
from whoseonfirst_core.usecases.schedule import (
    effective_overrides,
    extend_through,
    scheduled_entries,
)

#: Random bytes in a link's token (256 bits).
TOKEN_BYTES = 32
#: The feeds' port in a link while no listen address is known.
DEFAULT_FEEDS_PORT = 8788


@dataclass(frozen=True, slots=True)
class FeedOwner:
    """Whose feed a link opens: ``member_id`` None is the team's."""

    member_id: int | None


def feed_window_bounds(uow: UnitOfWork, now: datetime) -> tuple[datetime, datetime]:
    """``[start, end)`` (UTC) of a feed made at ``now``: whole local days, 90 back, 365 ahead."""
    tz = team_zone(uow)
    first, end = feed_window(local_date(now, tz))
    return day_start(first, tz), day_start(end, tz)


def calendar_ics(
    uow: UnitOfWork, now: datetime, member_id: int | None = None, *, cancelled: bool = False
) -> bytes:
    """The team's calendar (``member_id`` None) or one member's: every resolved span of the
    stored schedule in the feed window (:func:`feed_window_bounds`) as a VEVENT. A member's
    feed holds the spans they are on call for, with the numbers the team texts them on; the
    team's feed has no phone number. With ``cancelled``, also the pieces cancelled covers had
    made, marked cancelled (for files: see :mod:`whoseonfirst_core.domain.ical`). Reads only."""
    settings = settings_row(uow)
    tz = team_zone(uow)
    start, end = feed_window_bounds(uow, now)
    members = {m.id: m for m in all_members(uow)}
    owner = members.get(member_id) if member_id is not None else None
    if member_id is not None and (owner is None or owner.archived):
        raise NotFoundError(f"no member with id {member_id}")
    entries = scheduled_entries(uow, start - SHIFT_MARGIN, end + SHIFT_MARGIN)
    overrides = effective_overrides(uow, start - SHIFT_MARGIN, end + SHIFT_MARGIN)
    spans = _resolve(entries, overrides)
    revisions = _revisions(uow, entries, start - SHIFT_MARGIN, end + SHIFT_MARGIN)
    by_entry = {e.id: e for e in entries}
    starts = {e.id: e.start_at for e in entries}
    pieces = span_pieces(spans, starts)
    live = {uid for _, uid in pieces}
    if cancelled:
        # Two cancelled covers of one shift both had a hand-back: the newer one's is kept.
        gone = {uid: span for span, uid in _cancelled_pieces(entries, overrides, revisions, starts)}
        pieces += [(span, uid) for uid, span in gone.items() if uid not in live]
    events: list[FeedEvent] = []
    for span, uid in pieces:
        if span.end <= start or span.start >= end:
            continue
        if member_id is not None and span.member_id != member_id:
            continue
        person = members.get(span.member_id)
        scheduled = (
            members.get(span.scheduled_member_id) if span.scheduled_member_id is not None else None
        )
        entry = by_entry.get(span.entry_id) if span.entry_id is not None else None
        revision = revisions.entry(entry) if entry is not None else revisions.cover(span)
        events.append(
            FeedEvent(
                uid=uid,
                start=span.start,
                end=span.end,
                summary=span_summary(
                    person.name if person else "?",
                    scheduled.name if scheduled else None,
                    span.is_override,
                ),
                description=span_description(
                    span.shift_name,
                    _phones(owner) if owner is not None else (),
                ),
                sequence=revision.sequence,
                last_modified=revision.last_modified,
                cancelled=uid not in live,
            )
        )
    name = f"On call: {settings.name}" if owner is None else f"{owner.name}: on call"
    return calendar_bytes(events, tz, name)


def calendar_file(uow: UnitOfWork, now: datetime, member_id: int | None = None) -> bytes:
    """:func:`calendar_ics` over the whole window, for a file (``export-ics``, File ▸ Export
    calendar…): beyond the stored horizon the schedule is planned the way the service will
    plan it (as ``preview`` does), so this writes; the caller rolls back."""
    extend_through(uow, now, feed_window_bounds(uow, now)[1] + SHIFT_MARGIN)
    return calendar_ics(uow, now, member_id, cancelled=True)


def _resolve(entries: list[ScheduleEntry], overrides: list[Override]) -> list[ResolvedSpan]:
    return resolve_on_call(
        [ScheduledEntry(e.id, e.shift_name, e.start_at, e.end_at, e.member_id) for e in entries],
        [OverrideSpan(o.id, o.member_id, o.start_at, o.end_at) for o in overrides],
    )


def _cancelled_pieces(
    entries: list[ScheduleEntry],
    overrides: list[Override],
    revisions: _Revisions,
    starts: dict[int, datetime],
) -> list[tuple[ResolvedSpan, str]]:
    """The pieces each cancelled cover made while it stood (oldest cover first): the entries
    it touched resolved with it laid over the covers in force (which of them stood then is
    not known)."""
    out: list[tuple[ResolvedSpan, str]] = []
    for gone in (o for o in revisions.overrides if o.status == "cancelled"):
        touched = [e for e in entries if e.end_at > gone.start_at and e.start_at < gone.end_at]
        lo = min([gone.start_at] + [e.start_at for e in touched])
        hi = max([gone.end_at] + [e.end_at for e in touched])
        laid = [o for o in overrides if o.end_at > lo and o.start_at < hi] + [gone]
        spans = resolve_on_call(
            [
                ScheduledEntry(e.id, e.shift_name, e.start_at, e.end_at, e.member_id)
                for e in touched
            ],
            [OverrideSpan(o.id, o.member_id, o.start_at, o.end_at) for o in laid],
        )
        out += span_pieces(spans, starts)
    return out


def _phones(member: Member) -> tuple[str, ...]:
    return (member.phone,) + ((member.secondary_phone,) if member.secondary_phone else ())


@dataclass(frozen=True, slots=True)
class _Revisions:
    """Every override (cancelled ones too) near the window, and when each rotation was set up:
    what :class:`~whoseonfirst_core.domain.ical.SpanRevision` is derived from."""

    overrides: list[Override]
    epoch_created: dict[int, datetime]

    def _of(self, touching: list[Override], since: datetime) -> SpanRevision:
        changed = [since] + [o.cancelled_at or o.created_at for o in touching]
        return SpanRevision(sum(o.version for o in touching), max(changed))

    def entry(self, entry: ScheduleEntry) -> SpanRevision:
        """Every piece of an entry changes when an override over any part of it does."""
        touching = [
            o for o in self.overrides if o.end_at > entry.start_at and o.start_at < entry.end_at
        ]
        return self._of(touching, self.epoch_created.get(entry.epoch_id, entry.start_at))

    def cover(self, span: ResolvedSpan) -> SpanRevision:
        touching = [o for o in self.overrides if o.end_at > span.start and o.start_at < span.end]
        first = min((o.created_at for o in touching), default=span.start)
        return self._of(touching, first)


def _revisions(
    uow: UnitOfWork, entries: list[ScheduleEntry], lo: datetime, hi: datetime
) -> _Revisions:
    overrides = list(
        uow.session.scalars(
            select(Override)
            .where(Override.end_at > lo, Override.start_at < hi)
            .order_by(Override.id)
        )
    )
    epoch_ids = {e.epoch_id for e in entries}
    created = dict(
        uow.session.execute(
            select(RotationEpoch.id, RotationEpoch.created_at).where(
                RotationEpoch.id.in_(epoch_ids)
            )
        )
        .tuples()
        .all()
    )
    return _Revisions(overrides, created)


# --- links ----------------------------------------------------------------------------------


def token_hash(token: str) -> str:
    """The SHA-256 (hex) a link's token is stored as."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def has_link(uow: UnitOfWork, member_id: int | None) -> bool:
    """Whether the team's feed (``member_id`` None) or the member's has a link."""
    return _links(uow, member_id) != []


def _links(uow: UnitOfWork, member_id: int | None) -> list[FeedToken]:
    owner = FeedToken.member_id.is_(None) if member_id is None else FeedToken.member_id == member_id
    return list(uow.session.scalars(select(FeedToken).where(owner)))


def create_link(
    uow: UnitOfWork, now: datetime, member_id: int | None, *, reset: bool = False
) -> str | None:
    """A new link's token for the team's feed (``member_id`` None) or the member's, or None
    when one exists and ``reset`` is False (it cannot be shown again: only its hash is kept).
    With ``reset`` the old link stops working. The caller commits."""
    if member_id is not None:
        member = uow.session.get(Member, member_id)
        if member is None or member.archived:
            raise NotFoundError(f"no member with id {member_id}")
    old = _links(uow, member_id)
    if old and not reset:
        return None
    for row in old:
        uow.session.delete(row)
    uow.session.flush()
    token = secrets.token_urlsafe(TOKEN_BYTES)
    uow.session.add(FeedToken(member_id=member_id, token_hash=token_hash(token), created_at=now))
    whose = "the team's calendar feed" if member_id is None else "a member's calendar feed"
    record_audit(
        uow,
        now,
        "reset" if old else "create",
        "feed_link",
        member_id,
        f"{'reset the link of' if old else 'made a link for'} {whose}",
    )
    return token


def member_for_token(uow: UnitOfWork, token: str) -> FeedOwner | None:
    """Whose feed ``token`` opens, or None (unknown, replaced by a reset, or its member
    archived)."""
    wanted = token_hash(token)
    row = uow.session.scalar(select(FeedToken).where(FeedToken.token_hash == wanted))
    if row is None or not hmac.compare_digest(row.token_hash, wanted):
        return None
    if row.member_id is not None:
        member = uow.session.get(Member, row.member_id)
        if member is None or member.archived:
            return None
    return FeedOwner(row.member_id)


def feed_base_url(public_url: str | None, bind: tuple[str, int] | None) -> str:
    """Where calendars reach the feeds: ``public_url`` (``WHOSEONFIRST_FEEDS_URL``, e.g. a
    reverse proxy's ``https://oncall.example.com``) when given, else ``http://`` this host's
    name and the port of ``bind`` (``WHOSEONFIRST_FEEDS``; :data:`DEFAULT_FEEDS_PORT`)."""
    if public_url:
        return public_url.rstrip("/")
    host, port = bind or ("", DEFAULT_FEEDS_PORT)
    if host in ("", "0.0.0.0", "::"):
        host = socket.getfqdn()
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def feed_url(base: str, token: str) -> str:
    """The link a calendar subscribes to: ``{base}/calendar/{token}.ics``."""
    return f"{base.rstrip('/')}/calendar/{token}.ics"
