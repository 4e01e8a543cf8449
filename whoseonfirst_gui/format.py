"""How the app writes times, phones and statuses (presentation only; the rules live in core)."""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo
from functools import lru_cache

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap

from whoseonfirst_core.domain.phones import display_phone
from whoseonfirst_core.domain.timeutil import WEEKDAY_ABBR, fmt_local, fmt_local_long, to_utc

#: UX.md: queued grey, sending/sent blue, delivered green, undelivered amber, failed red,
#: missed red outline, simulated purple.
STATUS_COLORS: dict[str, str] = {
    "queued": "#6B7280",
    "sending": "#1D4ED8",
    "sent": "#1D4ED8",
    "delivered": "#15803D",
    "undelivered": "#B45309",
    "failed": "#B91C1C",
    "missed": "#B91C1C",
    "simulated": "#7E22CE",
    "expired": "#6B7280",
}
#: Statuses drawn as an outline instead of a filled pill.
OUTLINE_STATUSES = frozenset({"missed"})
FINAL_STATUSES = frozenset({"delivered", "undelivered", "failed", "missed", "simulated", "expired"})
OVERRIDE_ACCENT = "#E07B00"
WARNING_COLOR = "#B45309"
ERROR_COLOR = "#B91C1C"

KIND_LABELS: dict[str, str] = {
    "shift_start": "Shift start",
    "weekly_summary": "Weekly summary",
    "failure_alert": "Failure alert",
    "test": "Test",
    "manual": "Manual",
    "reminder": "Reminder",
}


def when(at: datetime | None, tz: tzinfo) -> str:
    """``Tue 2026-03-03 08:00 CST`` or an empty string."""
    return fmt_local_long(at, tz) if at is not None else ""


def when_compact(at: datetime | None, tz: tzinfo) -> str:
    """``Tue 3/3 08:00 CST`` for dense tables (the year is in the tooltip)."""
    if at is None:
        return ""
    local = to_utc(at).astimezone(tz)
    return f"{local:%a} {local.month}/{local.day} {local:%H:%M} {local.tzname()}"


def when_short(at: datetime | None, tz: tzinfo) -> str:
    """``Tue 08:00 CST`` or an empty string."""
    return fmt_local(at, tz) if at is not None else ""


def when_exact(at: datetime | None, tz: tzinfo) -> str:
    """``Tue 08:00:01 CST``: when something happened, to the second (a text sent, delivered)."""
    if at is None:
        return ""
    local = to_utc(at).astimezone(tz)
    return f"{WEEKDAY_ABBR[local.weekday()]} {local:%H:%M:%S} {local.tzname()}"


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


def span_length(delta: timedelta) -> str:
    hours = int(delta.total_seconds() // 3600)
    return f"{hours}h" if hours < 48 or hours % 24 else f"{hours // 24} days"


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


def error_text(code: int | None, message: str | None) -> str:
    """A failure as people read it: ``30003 Unreachable destination handset``, the code once
    (the service's own reasons already end with it: ``… cannot receive texts (21614)``)."""
    message = (message or "").strip()
    if code is None or f"({code})" in message or message.startswith(str(code)):
        return message
    return f"{code} {message}".strip()
