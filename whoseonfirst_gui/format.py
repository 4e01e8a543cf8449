"""How the app writes times, phones and statuses (presentation only; the rules live in core)."""

from __future__ import annotations

from datetime import datetime, tzinfo
from functools import lru_cache

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap

# Re-exported for the pages: each has its one home in the core.
from whoseonfirst_core.domain.notification import FINAL_STATUSES as FINAL_STATUSES
from whoseonfirst_core.domain.notification import Status
from whoseonfirst_core.domain.notification import kind_label as kind_label
from whoseonfirst_core.domain.phones import display_phone
from whoseonfirst_core.domain.sms_errors import error_text as error_text
from whoseonfirst_core.domain.timeutil import (
    WEEKDAY_ABBR,
    fmt_local,
    fmt_local_compact,
    fmt_local_long,
    to_utc,
)
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


def when(at: datetime | None, tz: tzinfo) -> str:
    """``Tue 2026-03-03 08:00 CST`` or an empty string."""
    return fmt_local_long(at, tz) if at is not None else ""


def when_compact(at: datetime | None, tz: tzinfo) -> str:
    """``Tue 3/3 08:00 CST`` for dense tables (the year is in the tooltip)."""
    return fmt_local_compact(at, tz) if at is not None else ""


def when_short(at: datetime | None, tz: tzinfo) -> str:
    """``Tue 08:00 CST`` or an empty string."""
    return fmt_local(at, tz) if at is not None else ""


def when_exact(at: datetime | None, tz: tzinfo) -> str:
    """``Tue 08:00:01 CST``: when something happened, to the second (a text sent, delivered)."""
    if at is None:
        return ""
    local = to_utc(at).astimezone(tz)
    return f"{WEEKDAY_ABBR[local.weekday()]} {local:%H:%M:%S} {local.tzname()}"


def confirmed_note(at: datetime, tz: tzinfo, day_of: datetime) -> str:
    """``confirmed 08:03 CST``; ``confirmed Sun 20:15 CST`` when not on the local day of
    ``day_of`` (the shift's start): when the person on call confirmed by text."""
    local, ref = to_utc(at).astimezone(tz), to_utc(day_of).astimezone(tz)
    if local.date() == ref.date():
        return f"confirmed {local:%H:%M} {local.tzname()}"
    return f"confirmed {WEEKDAY_ABBR[local.weekday()]} {local:%H:%M} {local.tzname()}"


#: The colour of a confirmed shift's note (the delivered green).
CONFIRMED_COLOR = STATUS_COLORS[Status.DELIVERED]


def opt_out_note(opt_out: OptOutDTO, tz: tzinfo) -> str:
    """``opted out: replied STOP Mon 3/2`` / ``opted out: Twilio 21610``: why a phone gets
    nothing, short enough to follow the number in a table."""
    if opt_out.source == "21610":
        return "opted out: Twilio 21610"
    day = to_utc(opt_out.opted_out_at).astimezone(tz)
    return f"opted out: replied STOP {WEEKDAY_ABBR[day.weekday()]} {day.month}/{day.day}"


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
