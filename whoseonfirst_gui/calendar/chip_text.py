"""The words on and around the calendar's chips and days: times, the week view's detail lines,
tooltips and accessible names (no Qt; ``tz`` is the team's zone)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, time, tzinfo

from whoseonfirst_core.domain.notification import Status
from whoseonfirst_core.domain.timeutil import WEEKDAY_ABBR, fmt_duration, fmt_local, to_utc
from whoseonfirst_core.usecases.dto import NotificationDTO
from whoseonfirst_gui import format as fmt
from whoseonfirst_gui.calendar.days import ChipSegment, DayCell, PlannedSpan


def times(seg: ChipSegment, tz: tzinfo) -> str:
    """``Thu 08:00 CST → Fri 08:00 CST``: this chip's slice."""
    return f"{fmt_local(seg.start, tz)} → {fmt_local(seg.end, tz)}"


def accessible_chip(seg: ChipSegment, tz: tzinfo, confirmed_at: datetime | None = None) -> str:
    state = " (unsaved)" if seg.span.pending else ""
    note = f", {confirmed(seg, tz, confirmed_at)}" if confirmed_at is not None else ""
    return f"{seg.span.member_name} on call {times(seg, tz)}{state}{note}"


def confirmed(seg: ChipSegment, tz: tzinfo, confirmed_at: datetime | None) -> str | None:
    """``confirmed 08:03 CST`` when the person on call confirmed this span by text."""
    if confirmed_at is None:
        return None
    return fmt.confirmed_note(confirmed_at, tz, seg.span.start)


def clock_range(a: datetime, b: datetime, tz: tzinfo) -> str:
    """``00:00–08:00 CST`` (a stretch within one day; its end at midnight is ``24:00``)."""
    la, lb = to_utc(a).astimezone(tz), to_utc(b).astimezone(tz)
    end = "24:00" if lb.date() > la.date() and lb.time() == time(0) else f"{lb:%H:%M}"
    return f"{la:%H:%M}–{end} {la.tzname()}"


def gap_texts(cell: DayCell, tz: tzinfo) -> tuple[str, ...]:
    """When nobody is on call that day: ``all day`` or a clock range per gap."""
    return tuple(
        "all day" if (a, b) == (cell.start, cell.end) else clock_range(a, b, tz)
        for a, b in cell.gaps
    )


def detail(seg: ChipSegment, tz: tzinfo) -> str:
    """The week view's lines under the name: this slice's start and end (with the zone of
    each instant), then what kind of chip it is."""
    ls, le = to_utc(seg.start).astimezone(tz), to_utc(seg.end).astimezone(tz)
    span = seg.span
    if span.is_override and span.scheduled_member_name:
        kind = f"for {span.scheduled_member_name}"
    elif span.is_override:
        kind = "cover"
    elif seg.multi_day:
        kind = f"{fmt_duration(span.start, span.end, tz)}, day {seg.index + 1} of {seg.count}"
    else:
        kind = span.shift_name
    return (
        f"{ls:%H:%M} {ls.tzname()} →\n{WEEKDAY_ABBR[le.weekday()]} {le:%H:%M} {le.tzname()}\n{kind}"
    )


def chip_tooltip(
    seg: ChipSegment,
    tz: tzinfo,
    texts: Sequence[NotificationDTO],
    confirmed_at: datetime | None,
) -> str:
    """Who, when (with CST/CDT), scheduled and covering member, the reason, what happened
    to the shift-start text (``texts``: those recorded for the span's person at its start)
    and when the person confirmed the shift by text (``confirmed_at``, if they did)."""
    span = seg.span
    lines = [f"<b>{fmt.escape(span.member_name)}</b> on call"]
    lines.append(
        f"{fmt_local(span.start, tz)} → {fmt_local(span.end, tz)}"
        f" ({fmt_duration(span.start, span.end, tz)})"
    )
    if seg.multi_day:
        lines.append(f"This day: {times(seg, tz)}")
    lines.append(f"Shift: {fmt.escape(span.shift_name)}")
    if span.scheduled_member_name and span.scheduled_member_id != span.member_id:
        lines.append(f"Scheduled: {fmt.escape(span.scheduled_member_name)}")
    if span.is_override:
        lines.append(f"Covering: {fmt.escape(span.member_name)} ⇄")
    if span.override_reason:
        lines.append(f"Reason: “{fmt.escape(span.override_reason)}”")
    lines.extend(_text_lines(span, seg.past or seg.running, tz, texts))
    if confirmed_at is not None:
        note = fmt.escape(fmt.confirmed_note(confirmed_at, tz, span.start))
        lines.append(f'<span style="color:{fmt.CONFIRMED_COLOR}">C{note[1:]} ✓</span>')
    if span.pending:
        lines.append("<i>Unsaved edit — Save to apply, Undo to drop</i>")
    if seg.past:
        lines.append("<i>Over — past shifts are read-only</i>")
    elif seg.running:
        lines.append("<i>On call now</i>")
    return "<br>".join(lines)


def _text_lines(
    span: PlannedSpan, started: bool, tz: tzinfo, texts: Sequence[NotificationDTO]
) -> list[str]:
    """What happened to the shift-start text of ``span`` (UX.md: the chip tooltip)."""
    if not texts:
        if span.pending:
            return ["Text: planned once the edit is saved"]
        if not span.notify:
            return ["No text: the same person carries on from the shift before"]
        if started:
            return ["No text recorded for this shift"]
        return [f"Text due {fmt_local(span.start, tz)}"]
    lines = []
    for text in texts:
        color = fmt.STATUS_COLORS.get(text.status, "#6B7280")
        stamp = text.delivered_at or text.sent_at or text.failed_at or text.due_at
        status = f'<b style="color:{color}">{fmt.escape(text.status)}</b>'
        mark = " ✓" if text.status == Status.DELIVERED else ""
        error = fmt.error_text(text.error_code, text.error_message)
        error = f" ({fmt.escape(error)})" if error else ""
        to = f" to {fmt.escape(fmt.phone(text.recipient_phone))}" if len(texts) > 1 else ""
        lines.append(f"Text{to}: {status} {fmt.when_exact(stamp, tz)}{mark}{error}")
    return lines


def day_tooltip(cell: DayCell, tz: tzinfo) -> str:
    lines = [f"{cell.day:%A %B} {cell.day.day}, {cell.day.year}"]
    if cell.dst_change:
        lines.append(f"Daylight saving time changes today ({cell.dst_change})")
    lines += [f"No one on call {when}" for when in gap_texts(cell, tz)]
    return "<br>".join(lines)
