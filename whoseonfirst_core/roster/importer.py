"""Importing a roster file (SPEC §7) into the caller's unit of work: into an empty database, or
replacing the configuration of one that has a team (members matched by name, history kept)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from whoseonfirst_core.db.models import (
    EscalationContact,
    Member,
    Override,
    TeamSettings,
    TimeOff,
)
from whoseonfirst_core.db.session import UnitOfWork
from whoseonfirst_core.domain.timeutil import parse_instant, weekday_index, zone
from whoseonfirst_core.roster.model import (
    MemberIn,
    RosterError,
    RosterIn,
    SettingsIn,
    parse_roster,
)
from whoseonfirst_core.usecases.common import (
    add_member_row,
    all_members,
    has_team,
    record_audit,
    settings_row,
)
from whoseonfirst_core.usecases.config import stored_quiet_hours, stored_templates
from whoseonfirst_core.usecases.errors import UseCaseError
from whoseonfirst_core.usecases.holidays import store_holiday_calendar
from whoseonfirst_core.usecases.setup import create_team, open_first_epoch


def import_roster_data(
    uow: UnitOfWork, now: datetime, raw: bytes | str | dict[str, Any], *, replace: bool = False
) -> dict[str, int]:
    """Import into the caller's unit of work (the caller commits). Returns counts."""
    roster = parse_roster(raw)
    if has_team(uow) and not replace:
        raise UseCaseError(
            "this database already has a team: use --replace to replace its configuration"
        )
    if replace and has_team(uow):
        return _replace(uow, now, roster)
    return _fresh(uow, now, roster)


def _counts(roster: RosterIn) -> dict[str, int]:
    """What an import loaded, for its message and its audit entry."""
    return {
        "members": len(roster.members),
        "shifts": len(roster.shifts),
        "overrides": len(roster.overrides),
        "escalation_contacts": len(roster.escalation_contacts),
        "time_off": len(roster.time_off),
    }


def _ordered_members(roster: RosterIn) -> list[MemberIn]:
    indexed = list(enumerate(roster.members))
    indexed.sort(key=lambda im: (im[1].position if im[1].position is not None else im[0], im[0]))
    return [m for _, m in indexed]


def _add_member(
    uow: UnitOfWork,
    now: datetime,
    m: MemberIn,
    position: int,
    used_colors: set[str],
    *,
    active: bool | None = None,
) -> Member:
    """A new member row for the file's member ``m`` at ``position`` (``active`` as in the file
    unless given)."""
    return add_member_row(
        uow,
        now,
        name=m.name,
        phone=m.phone,
        secondary_phone=m.secondary_phone,
        active=m.active if active is None else active,
        position=position,
        notes="",  # a roster file has no notes
        used_colors=used_colors,
        color_index=position,
    )


def _sync_contacts(uow: UnitOfWork, roster: RosterIn) -> None:
    """Make the escalation contacts the file's, keeping each one whose name is still there
    (updated in place): a contact's id is part of the keys of the texts sent to it, so a
    re-created contact would be sent this week's summary again."""
    kept: dict[str, list[EscalationContact]] = {}
    for row in uow.session.scalars(select(EscalationContact).order_by(EscalationContact.id)):
        kept.setdefault(row.name.casefold(), []).append(row)
    for c in roster.escalation_contacts:
        same_name = kept.get(c.name.casefold())
        if same_name:
            row = same_name.pop(0)
            row.name, row.phone = c.name, c.phone
            row.weekly_summary, row.failure_alerts = c.weekly_summary, c.failure_alerts
        else:
            uow.session.add(
                EscalationContact(
                    name=c.name,
                    phone=c.phone,
                    weekly_summary=c.weekly_summary,
                    failure_alerts=c.failure_alerts,
                )
            )
    for rows in kept.values():
        for row in rows:
            uow.session.delete(row)


def _set_notice_settings(row: TeamSettings, given: SettingsIn) -> None:
    """The change-notice and confirmation settings and the wording, stored as the Settings
    page stores them."""
    row.notice_window_days = given.notice_window_days
    row.notice_delay_minutes = given.notice_delay_minutes
    row.quiet_hours = None if given.quiet_hours is None else stored_quiet_hours(given.quiet_hours)
    row.text_templates = stored_templates(given.templates)
    row.confirm_requested = given.confirm_requested
    row.confirm_within_minutes = given.confirm_within_minutes


def _set_holidays(row: TeamSettings, roster: RosterIn, now: datetime) -> None:
    given = roster.holidays
    changed = (row.holiday_country, row.holiday_subdivision) != (given.country, given.subdivision)
    row.holiday_country, row.holiday_subdivision = given.country, given.subdivision
    row.extra_holidays = {e.date: e.name for e in sorted(given.extra, key=lambda e: e.date)}
    if changed or not row.holiday_calendar:
        store_holiday_calendar(row, now)


_Away = tuple[int, datetime, datetime, str]


def _time_off(roster: RosterIn, ids: dict[str, int], tz: ZoneInfo) -> list[_Away]:
    """The file's time off as (member id, start, end, reason) in UTC; raises
    :class:`RosterError` for one that ends before it starts or overlaps the member's other
    time off (every such problem listed)."""
    out: list[_Away] = []
    problems: list[str] = []
    placed: list[tuple[int, int, datetime, datetime]] = []  # (index in the file, member, span)
    for i, t in enumerate(roster.time_off):
        start, end = t.span(tz)
        if end <= start:
            problems.append(f"time_off[{i}]: end must be after start")
            continue
        mid = ids[t.member.casefold()]
        clash = next((j for j, m, a, b in placed if m == mid and a < end and start < b), None)
        if clash is not None:
            problems.append(f"time_off[{i}]: overlaps {t.member}'s time off time_off[{clash}]")
        placed.append((i, mid, start, end))
        out.append((mid, start, end, t.reason))
    if problems:
        raise RosterError(problems)
    return out


def _time_off_row(
    uow: UnitOfWork, now: datetime, mid: int, start: datetime, end: datetime, reason: str
) -> TimeOff:
    return TimeOff(
        member_id=mid,
        start_at=start,
        end_at=end,
        reason=reason,
        created_at=now,
        created_by=uow.actor,
    )


def _sync_time_off(uow: UnitOfWork, now: datetime, roster: RosterIn, ids: dict[str, int]) -> None:
    """Time off not over yet becomes the file's: kept where the file has it, cancelled where
    it does not, added where it is new (time off that is over is history and stays)."""
    wanted = {
        (mid, start, end): reason
        for mid, start, end, reason in _time_off(roster, ids, zone(roster.team.timezone))
    }
    for row in uow.session.scalars(select(TimeOff).where(TimeOff.cancelled_at.is_(None))):
        key = (row.member_id, row.start_at, row.end_at)
        if key in wanted:
            row.reason = wanted.pop(key)
        elif row.end_at > now:
            row.cancelled_at = now
    for (mid, start, end), reason in wanted.items():
        if end > now:
            uow.session.add(_time_off_row(uow, now, mid, start, end, reason))


def _fresh(uow: UnitOfWork, now: datetime, roster: RosterIn) -> dict[str, int]:
    anchor = date.fromisoformat(roster.rotation.anchor_date)
    create_team(
        uow,
        now,
        name=roster.team.name,
        timezone=roster.team.timezone,
        anchor_date=anchor,
        pattern=[s.to_def() for s in roster.shifts],
        shift_start_template=roster.settings.shift_start_template,
        weekly_summary_day=weekday_index(roster.settings.weekly_summary_day),
        weekly_summary_time=roster.settings.weekly_summary_time,
        horizon_weeks=roster.settings.horizon_weeks,
    )
    _set_notice_settings(settings_row(uow), roster.settings)
    ids: dict[str, int] = {}
    used_colors: set[str] = set()
    for pos, m in enumerate(_ordered_members(roster)):
        row = _add_member(uow, now, m, pos, used_colors)
        ids[m.name.casefold()] = row.id
    _sync_contacts(uow, roster)
    _set_holidays(settings_row(uow), roster, now)
    for mid, start, end, reason in _time_off(roster, ids, zone(roster.team.timezone)):
        uow.session.add(_time_off_row(uow, now, mid, start, end, reason))
    for o in roster.overrides:
        start, end = parse_instant(o.start), parse_instant(o.end)
        uow.session.add(
            Override(
                member_id=ids[o.member.casefold()],
                start_at=start,
                end_at=end,
                reason=o.reason,
                status="completed" if end <= now else "active",
                created_at=now,
                created_by=uow.actor,
            )
        )
    uow.session.flush()
    open_first_epoch(uow, now, anchor)
    counts = _counts(roster)
    record_audit(
        uow,
        now,
        "roster.import",
        "team",
        1,
        f"imported roster for {roster.team.name}",
        None,
        dict(counts),
    )
    return counts


def _replace(uow: UnitOfWork, now: datetime, roster: RosterIn) -> dict[str, int]:
    """Replace the configuration; members matched by name; history kept; past not rewritten.

    The rotation changes only where the file differs from the rotation *after every planned
    change* (what an export writes): from the earliest date that rewrites nothing (or the
    rotation's start, when it has not begun) a member whose ``active`` differs joins or leaves,
    a different order or pattern takes effect, and planned changes that would undo those are
    cancelled. Everything the file agrees with keeps its planned changes, so importing what is
    already there changes nothing.
    """
    from whoseonfirst_core.usecases.rotation import (
        add_change,
        cancel_changes,
        final_state,
        first_change_date,
        materialise,
        open_rotation,
    )
    from whoseonfirst_core.usecases.schedule import earliest_change_date

    final = final_state(uow)
    started = first_change_date(uow)
    effective = max(earliest_change_date(uow, now), started or date.min)
    settings = settings_row(uow)
    before = {"name": settings.name, "members": [m.name for m in all_members(uow)]}
    settings.name = roster.team.name
    previous_zone = settings.timezone
    tz_changed = previous_zone != roster.team.timezone
    settings.timezone = roster.team.timezone
    settings.shift_start_template = roster.settings.shift_start_template
    settings.weekly_summary_day = weekday_index(roster.settings.weekly_summary_day)
    settings.weekly_summary_time = roster.settings.weekly_summary_time
    settings.horizon_weeks = roster.settings.horizon_weeks
    _set_notice_settings(settings, roster.settings)
    existing = {m.name.casefold(): m for m in all_members(uow)}
    wanted = _ordered_members(roster)
    wanted_keys = {m.name.casefold() for m in wanted}
    # Free names and phones first: members not in the file are archived.
    leaving: list[int] = []
    for key, row in existing.items():
        if key not in wanted_keys and not row.archived:
            row.archived, row.updated_at = True, now
            leaving.append(row.id)
    uow.session.flush()
    used_colors = {m.color for m in existing.values() if not m.archived}
    ids: dict[str, int] = {}
    for pos, m in enumerate(wanted):
        found = existing.get(m.name.casefold())
        if found is None:
            found = _add_member(
                uow, now, m, pos, used_colors, active=m.active if started is None else False
            )
        else:
            found.name, found.phone, found.secondary_phone = m.name, m.phone, m.secondary_phone
            found.archived, found.updated_at = False, now
            if started is None:
                found.active, found.position = m.active, pos
        uow.session.flush()
        ids[m.name.casefold()] = found.id
    shifts = tuple(s.to_def() for s in roster.shifts)
    _sync_contacts(uow, roster)
    _set_holidays(settings, roster, now)
    _sync_time_off(uow, now, roster, ids)
    # Future overrides: keep those in the file, cancel the others, add the new ones.
    wanted_ovs = {
        (ids[o.member.casefold()], parse_instant(o.start), parse_instant(o.end)): o
        for o in roster.overrides
    }
    for row_o in uow.session.scalars(select(Override).where(Override.status == "active")):
        span_key = (row_o.member_id, row_o.start_at, row_o.end_at)
        if span_key in wanted_ovs:
            wanted_ovs.pop(span_key)
        elif row_o.end_at > now:
            row_o.status, row_o.cancelled_at = "cancelled", now
    for (mid, start, end), o in wanted_ovs.items():
        if end > now:
            uow.session.add(
                Override(
                    member_id=mid,
                    start_at=start,
                    end_at=end,
                    reason=o.reason,
                    status="active",
                    created_at=now,
                    created_by=uow.actor,
                )
            )
    uow.session.flush()
    if started is None:
        from whoseonfirst_core.usecases.config import _write_pattern

        _write_pattern(uow, shifts)
        open_rotation(uow, now, max(effective, settings.anchor_date))
    else:
        order = [ids[m.name.casefold()] for m in wanted]
        for mid in leaving:
            cancel_changes(uow, now, after=effective, member_id=mid, kinds=("join", "leave"))
            add_change(uow, now, "leave", effective, member_id=mid)
        for m in wanted:
            mid = ids[m.name.casefold()]
            if m.active != (mid in final.in_rotation):
                cancel_changes(uow, now, after=effective, member_id=mid, kinds=("join", "leave"))
                add_change(uow, now, "join" if m.active else "leave", effective, member_id=mid)
        known = [i for i in final.order if i in set(order)]
        known += [i for i in order if i not in set(known)]  # new members join at the end
        if known != order:
            cancel_changes(uow, now, after=effective, kinds=("order",))
            add_change(uow, now, "order", effective, order=order)
        if shifts != final.pattern:
            cancel_changes(uow, now, after=effective, kinds=("pattern",))
            add_change(uow, now, "pattern", effective, pattern=shifts)
        materialise(uow, now, zone_changed_from=zone(previous_zone) if tz_changed else None)
    counts = _counts(roster)
    record_audit(
        uow,
        now,
        "roster.replace",
        "team",
        1,
        f"replaced the configuration from a roster file (effective {effective})",
        before,
        {"name": roster.team.name, "members": [m.name for m in wanted]},
    )
    return counts
