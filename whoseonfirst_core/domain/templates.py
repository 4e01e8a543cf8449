"""Text templates, SMS segment arithmetic and the weekly summary (SPEC §4)."""

from __future__ import annotations

import dataclasses
import string
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from typing import Generic, TypeVar

from whoseonfirst_core.domain.resolution import ResolvedSpan
from whoseonfirst_core.domain.timeutil import (
    WEEKDAY_ABBR,
    Timed,
    day_start,
    fmt_duration,
    fmt_local,
    to_utc,
)

PLACEHOLDERS: tuple[str, ...] = ("name", "start", "end", "duration", "shift", "team")
DEFAULT_SHIFT_START_TEMPLATE = (
    "WhoseOnFirst: Hi {name}, you are on call from {start} until {end} ({duration})."
)
#: What ends the shift-start text when the team asks people to confirm (``confirm_requested``).
CONFIRM_REQUEST = "Reply OK to confirm."
#: The weekly summary's first line (its wording, see ``domain.wording``); days like ``Mar 2``.
DEFAULT_SUMMARY_HEADER = "WhoseOnFirst schedule {start} - {end}"
MAX_TEMPLATE_LENGTH = 1000


def with_confirm_request(body: str) -> str:
    """``body`` ending with :data:`CONFIRM_REQUEST`, unless the team's template already asks for
    the reply in its own words (it mentions "reply OK"): the default template says nothing of
    it, so turning the setting off or on never needs the template edited."""
    if "reply ok" in " ".join(body.casefold().split()):
        return body
    return f"{body.rstrip()} {CONFIRM_REQUEST}"


class TemplateError(ValueError):
    """A template that cannot be used; the message names the problem."""


def control_characters(text: str) -> list[str]:
    """The control characters in ``text`` other than tab and line breaks, as ``U+0000``.

    None belongs in a name or a text message, and PostgreSQL cannot store NUL at all: a value
    SQLite took would fail there (or in ``db copy``) as an unexplained database error.
    """
    return sorted(
        {f"U+{ord(c):04X}" for c in text if unicodedata.category(c) == "Cc" and c not in "\t\n\r"}
    )


def template_problems(template: str, placeholders: Sequence[str] = PLACEHOLDERS) -> list[str]:
    """What is wrong with ``template``: unknown placeholders (of ``placeholders``, the shift-start
    text's by default), bad braces, empty text."""
    if not isinstance(template, str) or not template.strip():
        return ["the template is empty"]
    if len(template) > MAX_TEMPLATE_LENGTH:
        return [f"the template is longer than {MAX_TEMPLATE_LENGTH} characters"]
    if bad := control_characters(template):
        return [f"the template contains control characters ({', '.join(bad)})"]
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        return [f"unbalanced braces ({exc}); write {{{{ and }}}} for literal braces"]
    unknown: list[str] = []
    problems: list[str] = []
    for _literal, field, spec, conversion in parsed:
        if field is None:
            continue
        if field not in placeholders:
            unknown.append("{" + field + "}")
        elif spec or conversion:
            problems.append(f"placeholder {{{field}}} takes no format or conversion")
    if unknown:
        allowed = " ".join("{" + p + "}" for p in placeholders)
        noun = "unknown placeholder" if len(unknown) == 1 else "unknown placeholders"
        problems.insert(0, f"{noun} {', '.join(unknown)}; allowed: {allowed}")
    return problems


def validate_template(template: str, placeholders: Sequence[str] = PLACEHOLDERS) -> str:
    problems = template_problems(template, placeholders)
    if problems:
        raise TemplateError("; ".join(problems))
    return template


def render(
    template: str, values: Mapping[str, str], placeholders: Sequence[str] = PLACEHOLDERS
) -> str:
    validate_template(template, placeholders)
    return template.format_map({k: values.get(k, "") for k in placeholders})


def shift_start_values(
    *, name: str, start: datetime, end: datetime, shift: str, team: str, tz: tzinfo
) -> dict[str, str]:
    return {
        "name": name,
        "start": fmt_local(start, tz),
        "end": fmt_local(end, tz),
        "duration": fmt_duration(start, end, tz),
        "shift": shift,
        "team": team,
    }


# GSM 03.38 basic character set, and the extension table (each counts as two septets).
_GSM_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM_EXTENSION = set("^{}\\[~]|€\f")


@dataclass(frozen=True, slots=True)
class SegmentInfo:
    encoding: str  # "GSM-7" or "UCS-2"
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    segments: int
    per_segment: int

    def describe(self) -> str:
        plural = "" if self.segments == 1 else "s"
        return f"{self.units} characters, {self.segments} segment{plural} ({self.encoding})"


def segment_info(text: str) -> SegmentInfo:
    """How many SMS segments ``text`` takes: 160/153 septets in GSM-7, 70/67 units in UCS-2.

    A long text is cut the way carriers cut it: a GSM-7 extension character (two septets, an
    escape and the character) and a UCS-2 surrogate pair (two units, one emoji) never straddle
    two segments, so a segment that cannot hold the whole character ends one unit short.
    """
    if all(ch in _GSM_BASIC or ch in _GSM_EXTENSION for ch in text):
        widths = [2 if ch in _GSM_EXTENSION else 1 for ch in text]
        single, multi, enc = 160, 153, "GSM-7"
    else:
        widths = [2 if ord(ch) > 0xFFFF else 1 for ch in text]
        single, multi, enc = 70, 67, "UCS-2"
    units = sum(widths)
    if units <= single:
        return SegmentInfo(enc, units, 1 if units else 0, single)
    segments, used = 1, 0
    for width in widths:
        if used + width > multi:
            segments, used = segments + 1, 0
        used += width
    return SegmentInfo(enc, units, segments, multi)


@dataclass(frozen=True, slots=True)
class SummaryPerson:
    name: str
    phone: str


def summary_week_start(now: datetime, tz: tzinfo) -> date:
    """The first day the weekly summary sent at ``now`` covers: the local day it is sent on."""
    return to_utc(now).astimezone(tz).date()


_S = TypeVar("_S", bound=Timed)


@dataclass(frozen=True, slots=True)
class SummaryDay(Generic[_S]):
    """One local day of a week at a glance.

    ``starting``: the spans that start on the day, each with its length as a suffix when it is
    not 24 h (``" (48h)"``, else ``""``). ``running``: when none starts on it, the spans on call
    during the day (``Ann (continues)``). Both empty: nobody is on call (``NO COVERAGE``).
    """

    day: date
    starting: tuple[tuple[_S, str], ...]
    running: tuple[_S, ...]


def summary_days(week_start: date, spans: Sequence[_S], tz: tzinfo) -> list[SummaryDay[_S]]:
    """The seven days from ``week_start`` as the weekly summary and the Dashboard show them."""
    ordered = sorted(spans, key=lambda s: s.start)
    days: list[SummaryDay[_S]] = []
    for i in range(7):
        day = week_start + timedelta(days=i)
        lo, hi = day_start(day, tz), day_start(day + timedelta(days=1), tz)
        starting = []
        for s in ordered:
            if lo <= s.start < hi:
                duration = fmt_duration(s.start, s.end, tz)
                starting.append((s, "" if duration == "24h" else f" ({duration})"))
        running = () if starting else tuple(s for s in ordered if s.start < hi and s.end > lo)
        days.append(SummaryDay(day, tuple(starting), running))
    return days


def day_label(day: date) -> str:
    """``Mon 3/2``: a local day in the weekly summary and the week at a glance."""
    return f"{WEEKDAY_ABBR[day.weekday()]} {day.month}/{day.day}"


def summary_header_values(week_start: date, team: str) -> dict[str, str]:
    """The placeholders of the summary's first line for the week from ``week_start``."""
    last = week_start + timedelta(days=6)
    return {
        "start": f"{week_start:%b} {week_start.day}",
        "end": f"{last:%b} {last.day}",
        "team": team,
    }


@dataclass(frozen=True, slots=True)
class SummaryMarks:
    """What the planner marks in the summary: the conflict reason of a span by (span start,
    member id) and holiday names by local date (see ``domain.planner``)."""

    conflicts: Mapping[tuple[datetime, int], str] = dataclasses.field(default_factory=dict)
    holidays: Mapping[date, str] = dataclasses.field(default_factory=dict)


def weekly_summary_text(
    week_start: date,
    spans: Sequence[ResolvedSpan],
    people: Mapping[int, SummaryPerson],
    tz: tzinfo,
    header: str | None = None,
    marks: SummaryMarks | None = None,
) -> str:
    """``header`` (by default ``WhoseOnFirst schedule Mar 2 - Mar 8``) then one line per day
    (SPEC §4).

    A day lists every span that starts on it (``Ann +13125550101``, with ``(48h)`` when the span
    is not 24 h long); a day on which nobody's span starts but someone is on call says
    ``Ann (continues)``; a day with nobody at all says ``NO COVERAGE``. With ``marks``, a
    holiday follows its day (``Fri 12/25 (Christmas Day):``) and a span whose person is away
    says so (``Ann +13125550101 (CONFLICT: time off: vacation)``).
    """
    if header is None:
        header = DEFAULT_SUMMARY_HEADER.format_map(summary_header_values(week_start, ""))
    marks = marks if marks is not None else SummaryMarks()
    lines = [header]
    nobody = SummaryPerson("?", "")

    def conflict_of(span: ResolvedSpan) -> str:
        reason = marks.conflicts.get((span.start, span.member_id))
        return f" (CONFLICT: {reason})" if reason else ""

    for d in summary_days(week_start, spans, tz):
        parts: list[str] = []
        for s, suffix in d.starting:
            person = people.get(s.member_id, nobody)
            parts.append(f"{person.name} {person.phone}".strip() + suffix + conflict_of(s))
        for s in d.running:
            label = f"{people.get(s.member_id, nobody).name} (continues){conflict_of(s)}"
            if label not in parts:
                parts.append(label)
        holiday = marks.holidays.get(d.day)
        label = day_label(d.day) + (f" ({holiday})" if holiday else "")
        lines.append(f"{label}: {', '.join(parts) if parts else 'NO COVERAGE'}")
    return "\n".join(lines)
