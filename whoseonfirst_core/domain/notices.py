"""Change notices: what changed in a person's on-call since they were last told (pure functions).

Each person has a *told state*: the on-call intervals they were last told about (see
:class:`whoseonfirst_core.db.models.ToldState`). Every tick compares it with the resolved
schedule inside the notice window; a difference is one notice to that person, listing the net
effect (SPEC §4, "Everyone is told"):

- about the future: ``+`` stretches they are now on call for, ``−`` stretches they are no longer
  on call for, sent once the bundling delay has passed since the difference last changed, and —
  when it is about shifts starting more than :data:`SOON` later — not in quiet hours;
- about now: a person newly on call (or whose running stretch now ends at another time) is told
  "you are on call from now … until …", and a person no longer on call "you are off call from
  …"; both at once, whatever the delay or the hour.

A person newly on call whose shift-start text goes out in the same tick needs no second text;
the use case decides that (it knows the outbox), see :meth:`Difference.without_on_call`.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta, tzinfo

from whoseonfirst_core.domain.intervals import Interval, clip, containing, subtract, union
from whoseonfirst_core.domain.resolution import ResolvedSpan
from whoseonfirst_core.domain.timeutil import fmt_local_compact, local_date, local_instant, to_utc

_log = logging.getLogger(__name__)

#: Quiet hours never hold a notice about a shift that starts within this of when it is due.
SOON = timedelta(hours=12)
#: A notice not handed to Twilio within this of being due is stale: it expires.
NOTICE_VALIDITY = timedelta(hours=12)
#: How many ``+``/``−`` lines a notice lists before "and N more".
MAX_LINES = 4

DEFAULT_QUIET_HOURS = "21:00-07:00"


@dataclass(frozen=True, slots=True)
class QuietHours:
    """Local wall-clock ``[start, end)``; ``start > end`` spans midnight (21:00–07:00)."""

    start: time
    end: time

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"

    def end_after(self, at: datetime, tz: tzinfo) -> datetime | None:
        """The instant (UTC) the quiet hours that hold ``at`` end; None when ``at`` is not in
        quiet hours."""
        local = to_utc(at).astimezone(tz)
        clock = local.time().replace(tzinfo=None)
        day = local.date()
        if self.start < self.end:
            inside = self.start <= clock < self.end
        else:
            inside = clock >= self.start or clock < self.end
            if clock >= self.start:
                day += timedelta(days=1)
        if not inside:
            return None
        return local_instant(day, self.end, tz)


def parse_quiet_hours(text: str | None) -> QuietHours | None:
    """``"21:00-07:00"`` to :class:`QuietHours`; None or ``""`` or ``"off"``: none. Raises
    ``ValueError`` saying what is wrong."""
    if text is None or text.strip().lower() in ("", "off"):
        return None
    parts = text.strip().split("-")
    if len(parts) != 2:
        raise ValueError(f'quiet hours {text!r}: write them as "21:00-07:00" (or "off")')
    try:
        start, end = (_hhmm(p.strip()) for p in parts)
    except ValueError as exc:
        raise ValueError(f"quiet hours {text!r}: {exc}") from None
    if start == end:
        raise ValueError(f"quiet hours {text!r}: the start and the end are the same time")
    return QuietHours(start, end)


def _hhmm(text: str) -> time:
    hours, sep, minutes = text.partition(":")
    if not sep or not (hours.isdigit() and minutes.isdigit()) or len(minutes) != 2:
        raise ValueError(f"{text!r} is not a time like 07:00")
    if not (0 <= int(hours) <= 23 and 0 <= int(minutes) <= 59):
        raise ValueError(f"{text!r} is not a time of day")
    return time(int(hours), int(minutes))


@dataclass(frozen=True, slots=True)
class NoticeSettings:
    """``window``: notices tell of shifts starting within it (zero: no notices at all)."""

    window: timedelta = timedelta(days=14)
    delay: timedelta = timedelta(minutes=2)
    quiet: QuietHours | None = QuietHours(time(21, 0), time(7, 0))

    @property
    def enabled(self) -> bool:
        return self.window > timedelta(0)

    @classmethod
    def stored(
        cls, window_days: int, delay_minutes: int, quiet_hours: str | None
    ) -> NoticeSettings:
        """The settings as the team row stores them (quiet hours stored unreadable: none)."""
        try:
            quiet = parse_quiet_hours(quiet_hours)
        except ValueError as exc:
            _log.error("%s; quiet hours are off until they are set again", exc)
            quiet = None
        return cls(
            timedelta(days=max(window_days, 0)), timedelta(minutes=max(delay_minutes, 0)), quiet
        )


def told_until(now: datetime, settings: NoticeSettings, tz: tzinfo) -> datetime:
    """How far the told state reaches: the end of the local day that holds ``now + window``,
    so it moves on once a day rather than with every tick."""
    last = local_date(now + settings.window, tz)
    return local_instant(last + timedelta(days=1), time(0, 0), tz)


@dataclass(frozen=True, slots=True)
class Difference:
    """What one person was not told yet, inside the compared window (instants UTC)."""

    #: Future stretches they are now on call for, and ones they no longer are.
    added: tuple[Interval, ...] = ()
    removed: tuple[Interval, ...] = ()
    #: They are on call now and were not told so, or were told another end: the stretch
    #: (clipped to the window) from now.
    on_call_now: Interval | None = None
    #: They were told they are on call now, and are not.
    off_call_now: bool = False

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.on_call_now or self.off_call_now)

    @property
    def running(self) -> bool:
        """About a running stretch: told at once."""
        return self.on_call_now is not None or self.off_call_now

    def without_on_call(self) -> Difference:
        return replace(self, on_call_now=None)

    def digest(self) -> str:
        """A fingerprint: the bundling delay starts again when it changes."""
        parts = [
            "+" + ",".join(f"{s.isoformat()}/{e.isoformat()}" for s, e in self.added),
            "-" + ",".join(f"{s.isoformat()}/{e.isoformat()}" for s, e in self.removed),
            f"on:{self.on_call_now[1].isoformat() if self.on_call_now else ''}",
            f"off:{self.off_call_now}",
        ]
        return hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]

    def first_start(self) -> datetime | None:
        starts = [s for s, _ in self.added + self.removed]
        return min(starts) if starts else None


def difference(
    told: Sequence[Interval], current: Sequence[Interval], now: datetime, until: datetime
) -> Difference:
    """What ``current`` says that ``told`` did not, inside ``[now, until)``."""
    t = clip(told, now, until)
    c = clip(current, now, until)
    t_run, c_run = containing(t, now), containing(c, now)
    on_call_now = c_run if c_run is not None and (t_run is None or t_run[1] != c_run[1]) else None
    off_call_now = t_run is not None and c_run is None
    # A running stretch told as "on call from now until …" or "off call from now" already
    # says what its own changes are.
    said: list[Interval] = []
    if on_call_now is not None:
        said.append(on_call_now)
    if t_run is not None and (on_call_now is not None or off_call_now):
        said.append(t_run)
    added = subtract(subtract(c, t), said)
    removed = subtract(subtract(t, c), said)
    return Difference(added, removed, on_call_now, off_call_now)


def absorbed(
    told: Sequence[Interval],
    current: Sequence[Interval],
    now: datetime,
    compared_until: datetime,
    new_until: datetime,
) -> tuple[Interval, ...]:
    """The told state once what lies past the compared window is taken as told silently:
    ``told`` inside ``[now, compared_until)``, ``current`` from there to ``new_until``."""
    return union(clip(told, now, compared_until) + clip(current, compared_until, new_until))


def quietly_changed(
    told: Sequence[Interval], before: Sequence[Interval], after: Sequence[Interval]
) -> tuple[Interval, ...]:
    """The told state after a change saved with "Tell the people affected" unticked: where the
    change moved this person's on-call (``before`` → ``after``), the told state takes the new
    schedule; everywhere else it stays, so changes still waiting to be told still are."""
    moved = union(subtract(before, after) + subtract(after, before))
    return union(subtract(told, moved) + subtract(after, subtract(after, moved)))


def due(
    diff: Difference,
    pending_since: datetime,
    now: datetime,
    settings: NoticeSettings,
    tz: tzinfo,
) -> tuple[datetime, str]:
    """When the notice of ``diff`` (seen since ``pending_since``) goes out, and why then:
    ``now`` (a running stretch), ``delay`` (the bundling delay) or ``quiet_hours``."""
    if diff.running:
        return now, "now"
    at = max(pending_since + settings.delay, now)
    first = diff.first_start()
    if settings.quiet is not None and first is not None and first > at + SOON:
        quiet_end = settings.quiet.end_after(at, tz)
        if quiet_end is not None:
            return quiet_end, "quiet_hours"
    return at, "delay"


# --- wording ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NoticeWords:
    """What the wording of one person's notice needs besides the difference."""

    member_id: int
    tz: tzinfo
    #: The resolved spans around the window (unclipped), for who covers whom and real ends.
    spans: Sequence[ResolvedSpan]
    names: Mapping[int, str]


def fmt_clock(at: datetime, tz: tzinfo) -> str:
    """``14:00 CST``."""
    local = to_utc(at).astimezone(tz)
    return f"{local:%H:%M} {local.tzname()}"


def _names(ids: Sequence[int], names: Mapping[int, str]) -> str:
    unique = [names.get(i, "someone") for i in dict.fromkeys(ids)]
    if len(unique) <= 2:
        return " and ".join(unique)
    return ", ".join(unique[:-1]) + " and " + unique[-1]


def _overlapping(
    spans: Sequence[ResolvedSpan], start: datetime, end: datetime
) -> list[ResolvedSpan]:
    return [s for s in spans if s.start < end and s.end > start]


def _line(sign: str, interval: Interval, words: NoticeWords) -> str:
    start, end = interval
    around = _overlapping(words.spans, start, end)
    if sign == "+":
        covered = [
            s.scheduled_member_id
            for s in around
            if s.member_id == words.member_id
            and s.scheduled_member_id is not None
            and s.scheduled_member_id != words.member_id
        ]
        note = f" (covering {_names(covered, words.names)})" if covered else ""
    else:
        others = [s.member_id for s in around if s.member_id != words.member_id]
        unique = list(dict.fromkeys(others))
        verb = "covers" if len(unique) == 1 else "cover"
        note = f" ({_names(unique, words.names)} {verb})" if unique else ""
    sign_char = "+" if sign == "+" else "\u2212"
    return (
        f"{sign_char} {fmt_local_compact(start, words.tz)} \u2192 "
        f"{fmt_local_compact(end, words.tz)}{note}."
    )


def changes_text(diff: Difference, now: datetime, words: NoticeWords) -> str:
    """The ``{changes}`` of a change notice: "on call from now" first, then the ``+``/``−``
    lines in time order, at most :data:`MAX_LINES` and "and N more"."""
    parts: list[str] = []
    if diff.on_call_now is not None:
        mine = union((s.start, s.end) for s in words.spans if s.member_id == words.member_id)
        stretch = containing(mine, now)
        end = stretch[1] if stretch is not None else diff.on_call_now[1]
        parts.append(
            f"You are on call from now ({fmt_clock(now, words.tz)}) until "
            f"{fmt_local_compact(end, words.tz)}."
        )
    lines = sorted(
        [(i[0], _line("+", i, words)) for i in diff.added]
        + [(i[0], _line("-", i, words)) for i in diff.removed]
    )
    parts += [text for _, text in lines[:MAX_LINES]]
    if len(lines) > MAX_LINES:
        parts.append(f"and {len(lines) - MAX_LINES} more.")
    return " ".join(parts)


def on_call_at(now: datetime, words: NoticeWords) -> str:
    """Who is on call at ``now`` besides the person told (for "off call" notices)."""
    ids = [
        s.member_id
        for s in words.spans
        if s.start <= now < s.end and s.member_id != words.member_id
    ]
    return _names(ids, words.names) if ids else "nobody"
