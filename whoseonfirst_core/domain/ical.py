"""Resolved spans as an iCalendar (RFC 5545) file: one VEVENT per span, written with
``icalendar``.

A span's identity across edits is its *piece*: the scheduled entry it lies in (named by the
entry's start instant, which is unique and survives the regeneration of the future after a
team or pattern change), the override that puts its person on call (0: none) and its place
among the pieces of that entry held under that override (0 for the first, 1 for the hand-back
after a cover in the middle of a shift, …). So covering part of a shift changes the
scheduled event's end but not its UID, cancelling the cover gives it back its end under the
same UID, and a re-imported file updates events instead of duplicating them. A cover outside
any entry is named by the override's start instead.

SEQUENCE and LAST-MODIFIED come from the rows that changed the span (see
:class:`SpanRevision`), so producing a feed writes nothing. A file also lists, cancelled, the
pieces a cancelled cover had made (``FeedEvent.cancelled``): an imported file is merged by UID,
so an event missing from a newer one would stay; a subscribed feed replaces the whole calendar
and leaves them out.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from whoseonfirst_core.domain.resolution import ResolvedSpan

#: The window of a feed: this many days back and ahead of today (local days).
DAYS_BACK = 90
DAYS_AHEAD = 365
#: The right-hand side of every UID: the product's name, so no other calendar's UIDs meet ours.
UID_DOMAIN = "whoseonfirst"
PRODID = "-//WhoseOnFirst//On-call calendar//EN"
#: What calendar clients are asked to wait between two polls of a subscribed feed.
REFRESH = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class SpanRevision:
    """How often, and when last, a span was changed: ``sequence`` counts the revisions of the
    overrides touching its entry (each override's ``version``: 1 when made, +1 when cancelled
    or edited), ``last_modified`` (UTC) is the latest of their creation or cancellation, else
    when the entry's rotation was set up."""

    sequence: int
    last_modified: datetime


@dataclass(frozen=True, slots=True)
class FeedEvent:
    """One VEVENT; instants UTC (written in the team's zone)."""

    uid: str
    start: datetime
    end: datetime
    summary: str
    description: str
    sequence: int
    last_modified: datetime
    #: A piece a cancelled cover made (the cover itself, or the hand-back after it), written
    #: with STATUS:CANCELLED so that a calendar that imported an older file drops it.
    cancelled: bool = False


def span_pieces(
    spans: Sequence[ResolvedSpan], entry_starts: dict[int, datetime]
) -> list[tuple[ResolvedSpan, str]]:
    """Each span (in time order) with its UID; ``entry_starts`` maps entry ids to their start.

    ``spans`` must hold every piece of each entry they touch (resolve over whole entries),
    or the place of a piece among its entry's would depend on where the list was cut.
    """
    seen: dict[tuple[int, int | None], int] = {}
    out: list[tuple[ResolvedSpan, str]] = []
    for s in spans:
        if s.entry_id is None:  # a cover in a gap of the pattern: its own start names it
            out.append((s, piece_uid(s.start, s.override_id, 0)))
            continue
        key = (s.entry_id, s.override_id)
        place = seen.get(key, 0)
        seen[key] = place + 1
        out.append((s, piece_uid(entry_starts[s.entry_id], s.override_id, place)))
    return out


def piece_uid(anchor: datetime, override_id: int | None, place: int) -> str:
    """``20260302T140000Z-7-0@whoseonfirst``: entry start (UTC), override (0: none), place."""
    return f"{anchor:%Y%m%dT%H%M%SZ}-{override_id or 0}-{place}@{UID_DOMAIN}"


def span_summary(member: str, scheduled: str | None, is_override: bool) -> str:
    """``On call: Ann Archer``, or ``Ann Archer covers Cal Chen`` for a cover of a shift."""
    if is_override and scheduled is not None and scheduled != member:
        return f"{member} covers {scheduled}"
    return f"On call: {member}"


def span_description(shift_name: str, phones: Sequence[str] = ()) -> str:
    """The shift's name, and in a person's own feed the numbers the team texts them on."""
    lines = [f"Shift: {shift_name}"]
    if phones:
        lines.append("The team texts you at " + " and then ".join(phones))
    return "\n".join(lines)


def feed_window(today: date) -> tuple[date, date]:
    """The local days ``[first, end)`` a feed made on ``today`` covers."""
    return today - timedelta(days=DAYS_BACK), today + timedelta(days=DAYS_AHEAD + 1)


def calendar_bytes(events: Iterable[FeedEvent], tz: ZoneInfo, name: str) -> bytes:
    """The VCALENDAR of ``events`` with the VTIMEZONE of ``tz`` (covering their years).

    DTSTAMP is each event's LAST-MODIFIED, not the time of writing, so the same schedule gives
    the same bytes (and the same ETag) on every request.
    """
    from icalendar import Calendar, Event, Timezone  # 3.5 MB: only when a calendar is made

    listed = sorted(events, key=lambda e: (e.start, e.uid))
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", tz.key)
    cal.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", REFRESH)
    if listed:
        first, last = listed[0].start.date(), listed[-1].end.date()
    else:
        first = last = date(2000, 1, 1)
    cal.add_component(
        Timezone.from_tzid(
            tz.key,
            first_date=first - timedelta(days=366),
            last_date=last + timedelta(days=366),
        )
    )
    for e in listed:
        ev = Event()
        ev.add("uid", e.uid)
        ev.add("dtstamp", e.last_modified)
        ev.add("last-modified", e.last_modified)
        ev.add("sequence", e.sequence)
        ev.add("dtstart", e.start.astimezone(tz))
        ev.add("dtend", e.end.astimezone(tz))
        ev.add("summary", e.summary)
        ev.add("description", e.description)
        ev.add("status", "CANCELLED" if e.cancelled else "CONFIRMED")
        ev.add("transp", "TRANSPARENT")
        cal.add_component(ev)
    return bytes(cal.to_ical())
