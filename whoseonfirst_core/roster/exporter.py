"""Exporting the roster file (SPEC §7): the same bytes for the same team, written owner-only
and atomically."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from sqlalchemy import select

from whoseonfirst_core.db.models import EscalationContact, Override
from whoseonfirst_core.db.session import UnitOfWork
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
    return {
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
