"""How the app writes times, phones and statuses (presentation only; the rules live in core).

Dates and times: one family, through ``QLocale`` (the default locale; the C locale, which names
no country, counts as en_US, the app's home). A date is the locale's numeric short date with a
four-digit year (``3/3/2026``, ``03/03/2026``, ``03.03.2026``), or without the year in dense
places (``3/3``); the weekday is the locale's short day name; month names come from the locale's
long date format (``Mar 2, 2026``, ``2 Mar 2026``). Times are 24-hour ``HH:mm`` everywhere and
carry the zone abbreviation of that instant (``08:00 CST``), as the texts the service sends do:
on-call handovers are read across people and phones, and "8:00" must not mean two things.
"""

from __future__ import annotations

import re
from datetime import date, datetime, tzinfo
from functools import lru_cache

from PySide6.QtCore import QDate, QLocale, QSize, Qt, QTime
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QPainter, QPalette, QPixmap

# Re-exported for the pages: each has its one home in the core.
from whoseonfirst_core.domain.notification import FINAL_STATUSES as FINAL_STATUSES
from whoseonfirst_core.domain.notification import Status
from whoseonfirst_core.domain.notification import kind_label as kind_label
from whoseonfirst_core.domain.phones import display_phone
from whoseonfirst_core.domain.sms_errors import error_text as error_text
from whoseonfirst_core.domain.timeutil import to_utc
from whoseonfirst_core.usecases.dto import OptOutDTO

#: The Texts page's pill for a text sent to the team (not a status of the outbox).
RECEIVED = "received"
#: UX.md: queued grey, sending/sent blue, delivered green, undelivered amber, failed red,
#: missed red outline, simulated purple. A status without a colour here is drawn grey.
STATUS_COLORS: dict[str, str] = {
    Status.QUEUED: "#6B7280",
    Status.SENDING: "#1D4ED8",
    Status.SENT: "#1D4ED8",
    Status.DELIVERED: "#15803D",
    Status.UNDELIVERED: "#B45309",
    Status.FAILED: "#B91C1C",
    Status.MISSED: "#B91C1C",
    Status.SIMULATED: "#7E22CE",
    Status.EXPIRED: "#6B7280",
    RECEIVED: "#0F766E",
}
#: What a text sent to the team asked for (``domain.replies.Asks``), as its Kind column says.
ASKS_LABELS: dict[str, str] = {
    "confirm": "Confirm (OK)",
    "stop": "STOP",
    "start": "START",
    "who": "WHO",
    "help": "HELP",
    "other": "Message",
}
#: Statuses drawn as an outline instead of a filled pill.
OUTLINE_STATUSES = frozenset({Status.MISSED})
OVERRIDE_ACCENT = "#E07B00"
WARNING_COLOR = "#B45309"
ERROR_COLOR = "#B91C1C"


def luminance(color: QColor) -> float:
    """WCAG 2 relative luminance (0 black … 1 white)."""

    def channel(v: int) -> float:
        c = v / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = color.red(), color.green(), color.blue()
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(a: QColor, b: QColor) -> float:
    """WCAG 2 contrast ratio of two colours (1 … 21)."""
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def readable(color: str) -> str:
    """``color`` for text on the window background. The app's text colours are chosen for a
    light background; on a dark one (dark mode) they are lightened until they reach 4.5:1."""
    background = QGuiApplication.palette().color(QPalette.ColorRole.Window)
    if background.lightness() >= 128:
        return color
    shade = QColor(color)
    for _ in range(16):
        if contrast(shade, background) >= 4.5:
            break
        shade = shade.lighter(115)
    return shade.name().upper()


def locale() -> QLocale:
    """The locale dates are written in: the default one, the C locale read as en_US."""
    loc = QLocale()
    if loc.language() == QLocale.Language.C:
        return QLocale(QLocale.Language.English, QLocale.Country.UnitedStates)
    return loc


def _without_year(pattern: str) -> str:
    """A QLocale date pattern with its year (and the separator next to it) taken out."""
    for regex in (r"[^dMy]*y+[^dMy]*$", r"^y+[^dMy]*", r"y+[^dMy]*"):
        if re.search(regex, pattern):
            return re.sub(regex, "", pattern, count=1)
    return pattern


def date_pattern(*, year: bool = True) -> str:
    """The locale's numeric date with a four-digit year (``M/d/yyyy``), or without it (``M/d``)."""
    pattern = locale().dateFormat(QLocale.FormatType.ShortFormat)
    if "yyyy" not in pattern:
        pattern = pattern.replace("yy", "yyyy")
    return pattern if year else _without_year(pattern)


def _named_pattern(*, year: bool = True) -> str:
    """The locale's long date without the weekday, months abbreviated (``MMM d, yyyy``)."""
    pattern = locale().dateFormat(QLocale.FormatType.LongFormat)
    pattern = re.sub(r"d{4}[^dMy]*", "", pattern).replace("MMMM", "MMM").strip()
    return pattern if year else _without_year(pattern).strip()


def _qdate(day: date) -> QDate:
    return QDate(day.year, day.month, day.day)


def weekday(day: date) -> str:
    """``Tue``: the locale's short day name."""
    return locale().dayName(day.isoweekday(), QLocale.FormatType.ShortFormat)


def weekday_of_week(index: int) -> str:
    """The short name of weekday ``index`` (0 = Monday)."""
    return locale().dayName(index + 1, QLocale.FormatType.ShortFormat)


def day_text(day: date) -> str:
    """``Tue 3/3/2026``: a day with its weekday and year."""
    return f"{weekday(day)} {locale().toString(_qdate(day), date_pattern())}"


def day_compact(day: date) -> str:
    """``Tue 3/3``: a day in headers, menus and dense tables (the year is known around it)."""
    return f"{weekday(day)} {locale().toString(_qdate(day), date_pattern(year=False))}"


def day_long(day: date) -> str:
    """``Tuesday, March 3, 2026``: the locale's long date (tooltips)."""
    return locale().toString(_qdate(day), QLocale.FormatType.LongFormat)


def day_named(day: date) -> str:
    """``Mar 1``: a day by its month's short name, without the year."""
    return locale().toString(_qdate(day), _named_pattern(year=False))


def month_title(day: date) -> str:
    """``March 2026``: the month a month view shows."""
    return f"{locale().standaloneMonthName(day.month, QLocale.FormatType.LongFormat)} {day.year}"


def day_range(first: date, last: date) -> str:
    """``Mar 2 – Mar 8, 2026``; the first day's year too when the years differ."""
    loc = locale()
    head = _named_pattern(year=first.year != last.year)
    return f"{loc.toString(_qdate(first), head)} – {loc.toString(_qdate(last), _named_pattern())}"


def clock(at: datetime, *, seconds: bool = False) -> str:
    """``08:00`` (``08:00:01``) of a naive or already-local time: 24-hour, the locale's digits."""
    t = QTime(at.hour, at.minute, at.second)
    return locale().toString(t, "HH:mm:ss" if seconds else "HH:mm")


def date_edit_format() -> str:
    """What date pickers show: the weekday and :func:`date_pattern` (never ``1 12 2026``)."""
    return f"ddd {date_pattern()}"


def date_time_edit_format() -> str:
    """What date-and-time pickers show: the date pattern and 24-hour ``HH:mm``."""
    return f"{date_pattern()} HH:mm"


def _local(at: datetime, tz: tzinfo) -> datetime:
    return to_utc(at).astimezone(tz)


def when(at: datetime | None, tz: tzinfo) -> str:
    """``Tue 3/3/2026 08:00 CST`` or an empty string."""
    if at is None:
        return ""
    local = _local(at, tz)
    return f"{day_text(local.date())} {clock(local)} {local.tzname()}"


def when_compact(at: datetime | None, tz: tzinfo) -> str:
    """``Tue 3/3 08:00 CST`` for dense tables (the year is in the tooltip)."""
    if at is None:
        return ""
    local = _local(at, tz)
    return f"{day_compact(local.date())} {clock(local)} {local.tzname()}"


def when_short(at: datetime | None, tz: tzinfo) -> str:
    """``Tue 08:00 CST`` or an empty string."""
    if at is None:
        return ""
    local = _local(at, tz)
    return f"{weekday(local.date())} {clock(local)} {local.tzname()}"


def when_exact(at: datetime | None, tz: tzinfo) -> str:
    """``Tue 08:00:01 CST``: when something happened, to the second (a text sent, delivered)."""
    if at is None:
        return ""
    local = _local(at, tz)
    return f"{weekday(local.date())} {clock(local, seconds=True)} {local.tzname()}"


def clock_in(at: datetime, tz: tzinfo, *, seconds: bool = False) -> str:
    """``08:00 CST``: the time of day of ``at`` in ``tz``, with that instant's zone."""
    local = _local(at, tz)
    return f"{clock(local, seconds=seconds)} {local.tzname()}"


def confirmed_note(at: datetime, tz: tzinfo, day_of: datetime) -> str:
    """``confirmed 08:03 CST``; ``confirmed Sun 20:15 CST`` when not on the local day of
    ``day_of`` (the shift's start): when the person on call confirmed by text."""
    local, ref = _local(at, tz), _local(day_of, tz)
    if local.date() == ref.date():
        return f"confirmed {clock_in(at, tz)}"
    return f"confirmed {when_short(at, tz)}"


#: The colour of a confirmed shift's note (the delivered green).
CONFIRMED_COLOR = STATUS_COLORS[Status.DELIVERED]


def opt_out_note(opt_out: OptOutDTO, tz: tzinfo) -> str:
    """``opted out: replied STOP Mon 3/2`` / ``opted out: Twilio 21610``: why a phone gets
    nothing, short enough to follow the number in a table."""
    if opt_out.source == "21610":
        return "opted out: Twilio 21610"
    day = to_utc(opt_out.opted_out_at).astimezone(tz).date()
    return f"opted out: replied STOP {day_compact(day)}"


def opt_out_tooltip(opt_out: OptOutDTO, tz: tzinfo) -> str:
    """The whole story of an opted-out phone, and what brings it back."""
    number, at = phone(opt_out.phone), when(opt_out.opted_out_at, tz)
    why = (
        f"Twilio refused to text {number} {at} (error 21610: it replied STOP to Twilio)"
        if opt_out.source == "21610"
        else f"{number} replied STOP {at}"
    )
    return f"{why}. Nothing is texted to it until it replies START."


def sender(name: str, number: str) -> str:
    """``Ann Archer (+1 312-555-0101)``; an unknown number as it is given (masked)."""
    return f"{name} ({phone(number)})" if name else number


@lru_cache(maxsize=4096)  # tables ask for every visible cell on each repaint and resize
def phone(e164: str | None) -> str:
    return display_phone(e164) if e164 else ""


def age(since: datetime, now: datetime) -> str:
    """``12 s ago`` / ``4 min ago`` / ``3 h ago`` / ``2 days ago``."""
    seconds = max(0, int((to_utc(now) - to_utc(since)).total_seconds()))
    if seconds < 90:
        return f"{seconds} s ago"
    if seconds < 90 * 60:
        return f"{seconds // 60} min ago"
    if seconds < 36 * 3600:
        return f"{seconds // 3600} h ago"
    return f"{seconds // 86400} days ago"


@lru_cache(maxsize=256)  # one icon per colour, shared by every row that shows it
def swatch_icon(color: str, size: int = 12) -> QIcon:
    """A small rounded square in ``color`` (member colours in tables and lists)."""
    pix = QPixmap(QSize(size, size))
    pix.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pix)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setBrush(QColor(color))
    painter.setPen(Qt.PenStyle.NoPen)
    painter.drawRoundedRect(0, 0, size, size, 3, 3)
    painter.end()
    return QIcon(pix)


def chip_html(name: str, color: str, *, suffix: str = "", override: bool = False) -> str:
    """A member chip for rich-text labels: white text on the member's colour."""
    border = f"border: 2px solid {OVERRIDE_ACCENT};" if override else ""
    mark = " ⇄" if override else ""
    return (
        f'<span style="background-color:{color}; color:#FFFFFF; {border}">'
        f"&nbsp;{nbsp(escape(name + suffix))}{mark}&nbsp;</span>"
    )


def nbsp(text: str) -> str:
    """Keep a chip on one line: spaces become non-breaking."""
    return text.replace(" ", "&nbsp;")


def escape(text: str) -> str:
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )


def sentence(text: str, end: str = "") -> str:
    """``text`` with its first letter capitalised (a core message shown on its own), and
    ``end`` added unless it already ends with punctuation."""
    closed = not text or not end or text.endswith((".", "!", "?", ")"))
    return text[:1].upper() + text[1:] + ("" if closed else end)
