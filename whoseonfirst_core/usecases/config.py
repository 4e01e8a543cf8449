"""Settings, the shift pattern and escalation contacts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime

from sqlalchemy import select

from whoseonfirst_core.db.models import EscalationContact
from whoseonfirst_core.db.session import UnitOfWork
from whoseonfirst_core.domain.notices import parse_quiet_hours
from whoseonfirst_core.domain.notification import Kind
from whoseonfirst_core.domain.pattern_diff import pattern_changes
from whoseonfirst_core.domain.phones import PhoneError, normalize_phone
from whoseonfirst_core.domain.rotation import RotationChange, ShiftDef, validate_pattern
from whoseonfirst_core.domain.templates import template_problems
from whoseonfirst_core.domain.timeutil import zone
from whoseonfirst_core.domain.wording import WORDINGS, wording_problems
from whoseonfirst_core.usecases.common import (
    clean_name,
    contact_dto,
    current_pattern,
    pattern_to_json,
    record_audit,
    settings_dto,
    settings_row,
)
from whoseonfirst_core.usecases.dto import ContactDTO, SettingsDTO
from whoseonfirst_core.usecases.errors import ConflictError, NotFoundError, UseCaseError
from whoseonfirst_core.usecases.retention import retention_problems
from whoseonfirst_core.usecases.rotation import (
    add_change,
    changed_since,
    check_effective_date,
    materialise,
    pattern_on,
    write_pattern_rows,
)
from whoseonfirst_core.usecases.rotation_impact import Impact, preview_changes
from whoseonfirst_core.usecases.schedule import extend_horizon

MIN_HORIZON_WEEKS, MAX_HORIZON_WEEKS = 4, 104
#: Change notices tell of shifts starting within this many days at most (0: no notices).
MAX_NOTICE_WINDOW_DAYS = 60
#: Edits saved within this many minutes of each other make one notice, at most.
MAX_NOTICE_DELAY_MINUTES = 60
#: An unconfirmed shift escalates after this many minutes at most (0: never).
MAX_CONFIRM_WITHIN_MINUTES = 240


def get_settings(uow: UnitOfWork) -> SettingsDTO:
    return settings_dto(settings_row(uow))


@dataclass(frozen=True, slots=True)
class SettingsChange:
    """The editable settings; ``None`` leaves a field as it is."""

    team_name: str | None = None
    timezone: str | None = None
    shift_start_template: str | None = None
    weekly_summary_enabled: bool | None = None
    weekly_summary_day: int | None = None
    weekly_summary_time: str | None = None
    horizon_weeks: int | None = None
    reminder_minutes: int | None = None
    clear_reminder: bool = False
    notice_window_days: int | None = None
    notice_delay_minutes: int | None = None
    #: ``"21:00-07:00"`` (team time), or ``"off"`` for no quiet hours.
    quiet_hours: str | None = None
    #: The whole wording of the other kinds (kind → template): it replaces the stored one, and
    #: a kind left out, or given its default text, uses the default.
    text_templates: Mapping[str, str] | None = None
    #: The shift-start text asks for a reply OK.
    confirm_requested: bool | None = None
    #: Minutes after its start an unconfirmed shift is asked again (the contacts are told at
    #: twice that); 0: no escalation.
    confirm_within_minutes: int | None = None
    #: Days of history kept (``usecases.retention``); 0: everything.
    retention_days: int | None = None


#: The settings stored in a ``TeamSettings`` column of the same name, as given.
_SAME_NAMED = (
    "timezone",
    "shift_start_template",
    "weekly_summary_enabled",
    "weekly_summary_day",
    "weekly_summary_time",
    "horizon_weeks",
    "notice_window_days",
    "notice_delay_minutes",
    "confirm_requested",
    "confirm_within_minutes",
    "retention_days",
)


def notice_problems(
    window_days: int | None, delay_minutes: int | None, quiet_hours: str | None
) -> list[str]:
    """What is wrong with the change-notice settings given (None: not given). The roster file
    and the Settings page both check with this."""
    problems: list[str] = []
    if window_days is not None and not 0 <= window_days <= MAX_NOTICE_WINDOW_DAYS:
        problems.append(
            f"change notices: the window must be 0 (no notices) to {MAX_NOTICE_WINDOW_DAYS} days"
        )
    if delay_minutes is not None and not 0 <= delay_minutes <= MAX_NOTICE_DELAY_MINUTES:
        problems.append(
            f"change notices: the delay must be 0 to {MAX_NOTICE_DELAY_MINUTES} minutes"
        )
    if quiet_hours is not None:
        try:
            parse_quiet_hours(quiet_hours)
        except ValueError as exc:
            problems.append(str(exc))
    return problems


def confirm_problems(within_minutes: int | None) -> list[str]:
    """What is wrong with the confirmation settings given (None: not given); the roster file
    and the Settings page both check with this."""
    if within_minutes is not None and not 0 <= within_minutes <= MAX_CONFIRM_WITHIN_MINUTES:
        return [
            "confirmation: ask again 1 to "
            f"{MAX_CONFIRM_WITHIN_MINUTES} minutes after the start, or 0 (never)"
        ]
    return []


def text_templates_problems(templates: Mapping[str, str]) -> list[str]:
    """What is wrong with a team's wording (kind → template): a kind without wording, or a
    template that does not validate for its kind."""
    problems: list[str] = []
    for key, template in templates.items():
        if key not in {k.value for k in WORDINGS}:
            known = ", ".join(k.value for k in WORDINGS)
            problems.append(f"wording: {key!r} is not a kind of text with wording ({known})")
            continue
        kind = Kind(key)
        problems += [f"{kind.label} wording: {p}" for p in wording_problems(kind, template)]
    return problems


def stored_templates(templates: Mapping[str, str]) -> dict[str, str]:
    """The wording as stored: only the kinds whose template is not the default, so a later
    change of a default reaches every team that never edited it."""
    return {
        key: template
        for key, template in sorted(templates.items())
        if template != WORDINGS[Kind(key)].default
    }


def stored_quiet_hours(quiet_hours: str) -> str | None:
    """``"7:00 - 21:00"`` as stored (``"07:00-21:00"``), or None for ``"off"``."""
    parsed = parse_quiet_hours(quiet_hours)
    return None if parsed is None else str(parsed)


def settings_problems(change: SettingsChange) -> list[str]:
    problems: list[str] = []
    if change.team_name is not None:
        try:
            clean_name(change.team_name, "team name")
        except UseCaseError as exc:
            problems.append(str(exc))
    if change.timezone is not None:
        try:
            zone(change.timezone)
        except ValueError as exc:
            problems.append(f"time zone: {exc}")
    if change.shift_start_template is not None:
        problems += [f"template: {p}" for p in template_problems(change.shift_start_template)]
    if change.weekly_summary_day is not None and not 0 <= change.weekly_summary_day <= 6:
        problems.append("weekly summary day: must be Monday to Sunday")
    if change.weekly_summary_time is not None:
        from whoseonfirst_core.domain.timeutil import parse_hhmm

        try:
            parse_hhmm(change.weekly_summary_time)
        except ValueError as exc:
            problems.append(f"weekly summary time: {exc}")
    if change.horizon_weeks is not None and not (
        MIN_HORIZON_WEEKS <= change.horizon_weeks <= MAX_HORIZON_WEEKS
    ):
        problems.append(f"schedule horizon: must be {MIN_HORIZON_WEEKS}-{MAX_HORIZON_WEEKS} weeks")
    if change.reminder_minutes is not None and not 5 <= change.reminder_minutes <= 24 * 60:
        problems.append("reminder: must be 5 minutes to 24 hours before the shift")
    problems += notice_problems(
        change.notice_window_days, change.notice_delay_minutes, change.quiet_hours
    )
    problems += confirm_problems(change.confirm_within_minutes)
    problems += retention_problems(change.retention_days)
    if change.text_templates is not None:
        problems += text_templates_problems(change.text_templates)
    return problems


def update_settings(
    uow: UnitOfWork, now: datetime, change: SettingsChange, *, expected_version: int | None
) -> SettingsDTO:
    problems = settings_problems(change)
    if problems:
        raise UseCaseError("; ".join(problems))
    row = settings_row(uow)
    if expected_version is not None and row.version != expected_version:
        raise ConflictError(
            "the settings were changed by someone else since you opened them",
            [f"settings: your version {expected_version}, database version {row.version}"],
        )
    before = _settings_snapshot(row)
    if change.team_name is not None:
        row.name = clean_name(change.team_name, "team name")
    before_zone = row.timezone
    tz_changed = change.timezone is not None and change.timezone != before_zone
    for name in _SAME_NAMED:
        if (value := getattr(change, name)) is not None:
            setattr(row, name, value)
    if change.clear_reminder:
        row.reminder_minutes = None
    elif change.reminder_minutes is not None:
        row.reminder_minutes = change.reminder_minutes
    if change.quiet_hours is not None:
        row.quiet_hours = stored_quiet_hours(change.quiet_hours)
    if change.text_templates is not None:
        row.text_templates = stored_templates(change.text_templates)
    uow.session.flush()
    if tz_changed:
        # Wall-clock shift times now mean other instants: regenerate the future. The rotation
        # itself (who takes which slot) does not change; a shift running now keeps its end.
        materialise(uow, now, zone_changed_from=zone(before_zone))
    else:
        extend_horizon(uow, now)
    after = _settings_snapshot(row)
    changed = [k for k in after if after[k] != before[k]]
    record_audit(
        uow,
        now,
        "settings.update",
        "settings",
        1,
        "changed " + (", ".join(changed) if changed else "nothing"),
        before,
        after,
    )
    return settings_dto(row)


def _settings_snapshot(row: object) -> dict[str, object]:
    names = ("name", *_SAME_NAMED, "reminder_minutes", "quiet_hours", "text_templates")
    return {k: getattr(row, k) for k in names}


def get_pattern(uow: UnitOfWork, on: date | None = None) -> tuple[ShiftDef, ...]:
    """The pattern in effect on local date ``on``; without a date, the pattern after every
    planned change."""
    return current_pattern(uow) if on is None else pattern_on(uow, on)


def _write_pattern(uow: UnitOfWork, shifts: Sequence[ShiftDef]) -> None:
    write_pattern_rows(uow, shifts)


def set_pattern(
    uow: UnitOfWork,
    now: datetime,
    shifts: Sequence[ShiftDef],
    effective_from: date,
    *,
    expected: Sequence[ShiftDef] | None = None,
    expected_on: date | None = None,
    seen_change_id: int | None = None,
) -> tuple[ShiftDef, ...]:
    """Make ``shifts`` the weekly pattern from ``effective_from`` (local); earlier entries stay,
    and planned changes before and after the date stay (a later planned pattern replaces this
    one from its own date).

    Conflicts: ``expected`` is the pattern the admin edited, the one in effect on
    ``expected_on`` (default: the effective date) when they loaded it, after change
    ``seen_change_id``. Someone else's pattern there now, or a pattern change recorded since
    then and dated between ``expected_on`` and the effective date, is a ConflictError. Returns
    the pattern in effect on the date."""
    check_effective_date(uow, now, effective_from)
    before = pattern_on(uow, effective_from)
    base_on = expected_on or effective_from
    seen = before if base_on == effective_from else pattern_on(uow, base_on)
    newer = (
        changed_since(uow, seen_change_id, "pattern", base_on, effective_from)
        if seen_change_id is not None
        else []
    )
    shifts = [replace(s, name=s.name.strip()) for s in shifts]
    if expected is not None and (tuple(expected) != seen or newer):
        changes = pattern_changes(expected, seen)
        if newer:  # a pattern dated on or before the effective date, saved since
            changes += [
                f"from {effective_from:%a %Y-%m-%d}: {line}"
                for line in pattern_changes(expected, before)
            ]
        raise ConflictError(
            "the shift pattern was changed by someone else",
            changes,
            mine=tuple(s.label() for s in shifts),
            theirs=tuple(s.label() for s in before),
        )
    problems = validate_pattern(shifts)
    if problems:
        raise UseCaseError("; ".join(problems))
    add_change(uow, now, "pattern", effective_from, pattern=shifts)
    materialise(uow, now)
    record_audit(
        uow,
        now,
        "pattern.update",
        "pattern",
        None,
        f"shift pattern changed from {effective_from.isoformat()}",
        {"shifts": pattern_to_json(before)},
        {"shifts": pattern_to_json(tuple(shifts))},
    )
    return pattern_on(uow, effective_from)


def preview_pattern(
    uow: UnitOfWork, now: datetime, shifts: Sequence[ShiftDef], effective_from: date
) -> Impact:
    """What a new pattern from ``effective_from`` would do (nothing is written)."""
    shifts = [replace(s, name=s.name.strip()) for s in shifts]
    problems = validate_pattern(shifts)
    if problems:
        raise UseCaseError("; ".join(problems))
    return preview_changes(
        uow, now, [RotationChange(0, effective_from, "pattern", pattern=tuple(shifts))]
    )


# --- escalation contacts --------------------------------------------------------------------


def list_contacts(uow: UnitOfWork) -> list[ContactDTO]:
    rows = uow.session.scalars(select(EscalationContact).order_by(EscalationContact.name))
    return [contact_dto(c) for c in rows]


def _contact_fields(name: str, phone: str) -> tuple[str, str]:
    clean = clean_name(name, "contact name")
    try:
        number = normalize_phone(phone)
    except PhoneError as exc:
        raise UseCaseError(f"contact phone: {exc}") from exc
    return clean, number


def save_contact(
    uow: UnitOfWork,
    now: datetime,
    *,
    contact_id: int | None,
    name: str,
    phone: str,
    weekly_summary: bool,
    failure_alerts: bool,
    expected_version: int | None = None,
) -> ContactDTO:
    clean, number = _contact_fields(name, phone)
    if contact_id is None:
        c = EscalationContact(
            name=clean, phone=number, weekly_summary=weekly_summary, failure_alerts=failure_alerts
        )
        uow.session.add(c)
        uow.session.flush()
        record_audit(
            uow,
            now,
            "contact.add",
            "contact",
            c.id,
            f"added contact {clean}",
            None,
            {
                "name": clean,
                "phone": number,
                "weekly_summary": weekly_summary,
                "failure_alerts": failure_alerts,
            },
        )
        return contact_dto(c)
    c_existing = uow.session.get(EscalationContact, contact_id)
    if c_existing is None:
        raise NotFoundError("that escalation contact no longer exists (refresh)")
    if expected_version is not None and c_existing.version != expected_version:
        raise ConflictError(f"contact {c_existing.name} was changed by someone else")
    before = {
        "name": c_existing.name,
        "phone": c_existing.phone,
        "weekly_summary": c_existing.weekly_summary,
        "failure_alerts": c_existing.failure_alerts,
    }
    c_existing.name, c_existing.phone = clean, number
    c_existing.weekly_summary, c_existing.failure_alerts = weekly_summary, failure_alerts
    uow.session.flush()
    record_audit(
        uow,
        now,
        "contact.edit",
        "contact",
        c_existing.id,
        f"edited contact {clean}",
        before,
        {
            "name": clean,
            "phone": number,
            "weekly_summary": weekly_summary,
            "failure_alerts": failure_alerts,
        },
    )
    return contact_dto(c_existing)


def delete_contact(uow: UnitOfWork, now: datetime, contact_id: int) -> None:
    c = uow.session.get(EscalationContact, contact_id)
    if c is None:
        return
    record_audit(
        uow,
        now,
        "contact.delete",
        "contact",
        c.id,
        f"removed contact {c.name}",
        {"name": c.name, "phone": c.phone},
        None,
    )
    uow.session.delete(c)
    uow.session.flush()
