"""Exporting the roster file (SPEC §7): the same bytes for the same team, written owner-only
and atomically."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from whoseonfirst_core.db.models import EscalationContact, Override, TimeOff
from whoseonfirst_core.db.session import UnitOfWork
from whoseonfirst_core.domain.planner import as_whole_days
from whoseonfirst_core.domain.timeutil import WEEKDAYS, iso_local, zone
from whoseonfirst_core.roster.model import FORMAT, VERSION
from whoseonfirst_core.usecases.common import all_members, current_pattern, settings_row


def export_roster_data(uow: UnitOfWork) -> dict[str, Any]:
    settings = settings_row(uow)
    tz = zone(settings.timezone)
    members = [m for m in all_members(uow) if not m.archived]
    names = {m.id: m.name for m in all_members(uow)}
    overrides = uow.session.scalars(
        select(Override)
        .where(Override.status != "cancelled")
        .order_by(Override.start_at, Override.id)
    )
    contacts = uow.session.scalars(
        select(EscalationContact).order_by(EscalationContact.name, EscalationContact.id)
    )
    data: dict[str, Any] = {
        "format": FORMAT,
        "version": VERSION,
        "team": {"name": settings.name, "timezone": settings.timezone},
        "members": [
            {
                "name": m.name,
                "phone": m.phone,
                "secondary_phone": m.secondary_phone,
                "active": m.active,
                "position": i,
            }
            for i, m in enumerate(members)
        ],
        "shifts": [
            {
                "name": s.name,
                "start_day": WEEKDAYS[s.start_day],
                "start_time": f"{s.start_time:%H:%M}",
                "duration_hours": s.duration_hours,
            }
            for s in current_pattern(uow)
        ],
        "rotation": {"anchor_date": settings.anchor_date.isoformat()},
        "overrides": [
            {
                "member": names.get(o.member_id, "?"),
                "start": iso_local(o.start_at, tz),
                "end": iso_local(o.end_at, tz),
                "reason": o.reason,
            }
            for o in overrides
        ],
        "escalation_contacts": [
            {
                "name": c.name,
                "phone": c.phone,
                "weekly_summary": c.weekly_summary,
                "failure_alerts": c.failure_alerts,
            }
            for c in contacts
        ],
        "settings": {
            "shift_start_template": settings.shift_start_template,
            "weekly_summary_day": WEEKDAYS[settings.weekly_summary_day],
            "weekly_summary_time": settings.weekly_summary_time,
            "horizon_weeks": settings.horizon_weeks,
            "notice_window_days": settings.notice_window_days,
            "notice_delay_minutes": settings.notice_delay_minutes,
            "quiet_hours": settings.quiet_hours,
            "templates": dict(sorted((settings.text_templates or {}).items())),
            "confirm_requested": settings.confirm_requested,
            "confirm_within_minutes": settings.confirm_within_minutes,
        },
    }
    # Written only when there is some, so a team that plans no time off or holidays exports
    # the file it did before the planner existed.
    time_off = [
        _time_off_entry(t, names, tz)
        for t in uow.session.scalars(
            select(TimeOff)
            .where(TimeOff.cancelled_at.is_(None))
            .order_by(TimeOff.start_at, TimeOff.id)
        )
    ]
    if time_off:
        data["time_off"] = time_off
    extra = sorted((settings.extra_holidays or {}).items())
    if settings.holiday_country is not None or extra:
        data["holidays"] = {
            "country": settings.holiday_country,
            "subdivision": settings.holiday_subdivision,
            "extra": [{"date": d, "name": n} for d, n in extra],
        }
    return data


def _time_off_entry(t: TimeOff, names: dict[int, str], tz: ZoneInfo) -> dict[str, str]:
    """Whole local days as dates (both ends included), anything else as instants."""
    days = as_whole_days(t.start_at, t.end_at, tz)
    start, end = (
        (days[0].isoformat(), days[1].isoformat())
        if days is not None
        else (iso_local(t.start_at, tz), iso_local(t.end_at, tz))
    )
    return {"member": names.get(t.member_id, "?"), "start": start, "end": end, "reason": t.reason}


def dumps_roster(data: dict[str, Any]) -> str:
    """Stable bytes: the same team always serialises identically."""
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def write_roster_file(path: str | os.PathLike[str], text: str) -> None:
    """Write an exported roster to ``path``: readable by its owner only (it lists everyone's
    phone numbers, like a backup), and atomically, so a failed write never leaves a
    half-written file in place of a good one. Raises ``OSError``."""
    target = Path(path)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:  # mkstemp creates it 0600
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
