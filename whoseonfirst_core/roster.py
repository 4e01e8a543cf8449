"""The roster file (SPEC §7): validate, import (one transaction) and export.

A bad file fails with a message naming the field and the reason, whatever the database holds,
and changes nothing. Export writes the same bytes for the same team, so export → import into an
empty database → export gives the same file.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)
from sqlalchemy import select

from whoseonfirst_core.db.models import EscalationContact, Member, Override
from whoseonfirst_core.db.session import UnitOfWork
from whoseonfirst_core.domain.phones import PhoneError, normalize_phone
from whoseonfirst_core.domain.rotation import ShiftDef, validate_pattern
from whoseonfirst_core.domain.templates import (
    DEFAULT_SHIFT_START_TEMPLATE,
    control_characters,
    template_problems,
)
from whoseonfirst_core.domain.timeutil import (
    WEEKDAYS,
    iso_local,
    parse_hhmm,
    parse_instant,
    weekday_index,
    zone,
)
from whoseonfirst_core.usecases.common import (
    PALETTE,
    all_members,
    current_pattern,
    has_team,
    record_audit,
    settings_row,
)
from whoseonfirst_core.usecases.errors import UseCaseError

FORMAT = "whoseonfirst-roster"
VERSION = 1
MAX_FILE_BYTES = 5 * 1024 * 1024


class RosterError(UseCaseError):
    """The file cannot be imported; ``problems`` lists ``field: reason`` lines."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("the roster file is invalid:\n  " + "\n  ".join(problems))


def _printable(v: str) -> str:
    if bad := control_characters(v):
        raise ValueError(f"contains control characters ({', '.join(bad)})")
    return v


Printable = AfterValidator(_printable)


def _squash_spaces(v: str) -> str:
    v = " ".join(v.split())
    if not v:
        raise ValueError("is empty")
    return v


Name = Annotated[
    StrictStr, Field(min_length=1, max_length=100), Printable, AfterValidator(_squash_spaces)
]


def _weekday(v: str) -> str:
    return WEEKDAYS[weekday_index(v)]


def _clock_time(v: str) -> str:
    parse_hhmm(v)
    return v


Weekday = Annotated[StrictStr, AfterValidator(_weekday)]
"""``monday`` … ``sunday`` (any case in the file; written lower-case)."""
ClockTime = Annotated[StrictStr, AfterValidator(_clock_time)]
"""``HH:MM``, 24-hour."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TeamIn(_Strict):
    name: Name
    timezone: StrictStr = "America/Chicago"

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        zone(v)
        return v


def _phone(v: str | None) -> str | None:
    if v is None or (isinstance(v, str) and not v.strip()):
        return None
    try:
        return normalize_phone(v)
    except PhoneError as exc:
        raise ValueError(str(exc)) from exc


class MemberIn(_Strict):
    name: Name
    phone: StrictStr
    secondary_phone: StrictStr | None = None
    active: StrictBool = True
    position: StrictInt | None = None

    @field_validator("phone")
    @classmethod
    def _p(cls, v: str) -> str:
        out = _phone(v)
        if out is None:
            raise ValueError("a phone number is required")
        return out

    @field_validator("secondary_phone")
    @classmethod
    def _s(cls, v: str | None) -> str | None:
        return _phone(v)


class ShiftIn(_Strict):
    name: Annotated[StrictStr, Field(min_length=1, max_length=60), Printable]
    start_day: Weekday
    start_time: ClockTime
    duration_hours: Annotated[StrictInt, Field(ge=1, le=168)]

    def to_def(self) -> ShiftDef:
        return ShiftDef(
            self.name.strip(),
            weekday_index(self.start_day),
            parse_hhmm(self.start_time),
            self.duration_hours,
        )


class RotationIn(_Strict):
    anchor_date: StrictStr

    @field_validator("anchor_date")
    @classmethod
    def _date(cls, v: str) -> str:
        try:
            date.fromisoformat(v)
        except ValueError as exc:
            raise ValueError(f"{v!r} is not a date (YYYY-MM-DD)") from exc
        if len(v) != 10:
            raise ValueError(f"{v!r} is not a date (YYYY-MM-DD)")
        return v


class OverrideIn(_Strict):
    member: Name
    start: StrictStr
    end: StrictStr
    reason: Annotated[StrictStr, Field(max_length=500), Printable] = ""

    @field_validator("start", "end")
    @classmethod
    def _instant(cls, v: str) -> str:
        parse_instant(v)
        return v

    @model_validator(mode="after")
    def _order(self) -> OverrideIn:
        if parse_instant(self.end) <= parse_instant(self.start):
            raise ValueError("end must be after start")
        return self


class ContactIn(_Strict):
    name: Name
    phone: StrictStr
    weekly_summary: StrictBool = True
    failure_alerts: StrictBool = True

    @field_validator("phone")
    @classmethod
    def _p(cls, v: str) -> str:
        out = _phone(v)
        if out is None:
            raise ValueError("a phone number is required")
        return out


class SettingsIn(_Strict):
    shift_start_template: StrictStr = DEFAULT_SHIFT_START_TEMPLATE
    weekly_summary_day: Weekday = "monday"
    weekly_summary_time: ClockTime = "08:00"
    horizon_weeks: Annotated[StrictInt, Field(ge=4, le=104)] = 12

    @field_validator("shift_start_template")
    @classmethod
    def _tpl(cls, v: str) -> str:
        problems = template_problems(v)
        if problems:
            raise ValueError("; ".join(problems))
        return v


def _default_shifts() -> list[ShiftIn]:
    from whoseonfirst_core.domain.rotation import default_pattern

    return [
        ShiftIn(
            name=s.name,
            start_day=WEEKDAYS[s.start_day],
            start_time=f"{s.start_time:%H:%M}",
            duration_hours=s.duration_hours,
        )
        for s in default_pattern()
    ]


class RosterIn(_Strict):
    format: Literal["whoseonfirst-roster"]
    version: Literal[1]
    team: TeamIn
    members: list[MemberIn] = Field(default_factory=list, max_length=1000)
    shifts: list[ShiftIn] = Field(default_factory=_default_shifts, max_length=200)
    rotation: RotationIn
    overrides: list[OverrideIn] = Field(default_factory=list, max_length=100_000)
    escalation_contacts: list[ContactIn] = Field(default_factory=list, max_length=100)
    settings: SettingsIn = Field(default_factory=SettingsIn)

    @field_validator("version", mode="before")
    @classmethod
    def _version_is_the_number_1(cls, v: object) -> object:
        # Literal[1] alone lets true and 1.0 through: they equal 1 in Python.
        if type(v) is not int:
            raise ValueError("must be the number 1")
        return v


# --- checks across entries --------------------------------------------------------------------
#
# Pydantic runs a model's own "after" validator only when every field passed, so checks that
# compare entries with each other (duplicate names and phones, overlapping shifts, overrides
# naming nobody) would wait for the per-field problems to be fixed first: a file with three
# problems would take three attempts. They run here instead, on every entry whose own fields are
# valid, whether or not the file as a whole is, so one attempt lists every problem.


@dataclass(frozen=True, slots=True)
class _MemberFacts:
    """What the cross-entry checks need of one member; None for a field that is invalid."""

    index: int
    name: str | None
    phone: str | None
    secondary_phone: str | None


@dataclass(frozen=True, slots=True)
class _Facts:
    members: list[_MemberFacts]
    shifts: list[ShiftDef] | None  # None: some shifts are invalid and none is left to compare
    override_members: list[tuple[int, str]]


_NAME = TypeAdapter(Name)


def _valid_or_none(check: Callable[[Any], Any], value: Any) -> Any:
    try:
        return check(value)
    except (ValidationError, ValueError, TypeError):
        return None


def _phone_fact(value: Any) -> str | None:
    return _phone(value) if isinstance(value, str) else None


def _facts_of_model(roster: RosterIn) -> _Facts:
    return _Facts(
        [_MemberFacts(i, m.name, m.phone, m.secondary_phone) for i, m in enumerate(roster.members)],
        [s.to_def() for s in roster.shifts],
        [(i, o.member) for i, o in enumerate(roster.overrides)],
    )


def _facts_of_raw(data: dict[str, Any]) -> _Facts:
    """The facts of a file that failed validation: every value that is valid on its own."""
    members: list[_MemberFacts] = []
    raw_members = data.get("members")
    for i, m in enumerate(raw_members if isinstance(raw_members, list) else []):
        if isinstance(m, dict):
            members.append(
                _MemberFacts(
                    i,
                    _valid_or_none(_NAME.validate_python, m.get("name")),
                    _valid_or_none(_phone_fact, m.get("phone")),
                    _valid_or_none(_phone_fact, m.get("secondary_phone")),
                )
            )
    shifts: list[ShiftDef] | None = None
    raw_shifts = data.get("shifts")
    if "shifts" not in data:
        shifts = [s.to_def() for s in _default_shifts()]
    elif isinstance(raw_shifts, list):
        valid = [_valid_or_none(ShiftIn.model_validate, s) for s in raw_shifts]
        defs = [s.to_def() for s in valid if s is not None]
        # With some shifts invalid, "the pattern is empty" would be false: compare the rest.
        shifts = defs if defs or not raw_shifts else None
    overrides: list[tuple[int, str]] = []
    raw_overrides = data.get("overrides")
    for i, o in enumerate(raw_overrides if isinstance(raw_overrides, list) else []):
        name = (
            _valid_or_none(_NAME.validate_python, o.get("member")) if isinstance(o, dict) else None
        )
        if name is not None:
            overrides.append((i, name))
    return _Facts(members, shifts, overrides)


def _cross_problems(facts: _Facts) -> list[str]:
    """Problems between entries: ``field: reason`` lines."""
    problems: list[str] = []
    names: dict[str, int] = {}
    phones: dict[str, str] = {}
    for m in facts.members:
        owner = m.name if m.name is not None else f"members[{m.index}]"
        if m.name is not None:
            key = m.name.casefold()
            if key in names:
                problems.append(f"members[{m.index}].name: {m.name!r} appears twice")
            names[key] = m.index
        for field, number in (("phone", m.phone), ("secondary_phone", m.secondary_phone)):
            if number is None:
                continue
            if number in phones and phones[number] != owner:
                problems.append(
                    f"members[{m.index}].{field}: {number} already belongs to {phones[number]}"
                )
            elif number in phones and field == "secondary_phone":
                problems.append(f"members[{m.index}].secondary_phone: same as the primary phone")
            phones[number] = owner
    if facts.shifts is not None:
        problems.extend(f"shifts: {msg}" for msg in validate_pattern(facts.shifts))
    for i, member in facts.override_members:
        if member.casefold() not in names:
            problems.append(f"overrides[{i}].member: no member named {member!r}")
    return problems


#: What to write for a required key that is missing, where "is required" alone would not say.
MISSING_HINTS = {
    "rotation": '{"anchor_date": "YYYY-MM-DD"}, the day the rotation starts (it decides who is '
    "on call on every day, so it has no default)",
    "rotation.anchor_date": "the day the rotation starts, YYYY-MM-DD",
}


def _format_errors(exc: ValidationError) -> list[str]:
    out: list[str] = []
    for err in exc.errors(include_url=False):
        loc = ""
        for part in err["loc"]:
            loc += f"[{part}]" if isinstance(part, int) else (f".{part}" if loc else str(part))
        msg = err["msg"]
        for prefix in ("Value error, ", "Assertion failed, "):
            msg = msg.removeprefix(prefix)
        if err["type"] == "extra_forbidden":
            msg = "unknown key (not part of the roster format)"
        elif err["type"] == "missing":
            msg = f"is required: {MISSING_HINTS[loc]}" if loc in MISSING_HINTS else "is required"
        elif err["type"] == "literal_error" and loc == "format":
            msg = f"must be {FORMAT!r}"
        out.append(f"{loc or '(file)'}: {msg}")
    return out


def parse_roster(raw: bytes | str | dict[str, Any]) -> RosterIn:
    """Validate a roster (bytes, text or already-parsed JSON); raises :class:`RosterError`."""
    data: Any = raw
    if isinstance(raw, bytes | str):
        if len(raw) > MAX_FILE_BYTES:
            raise RosterError([f"(file): larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB"])
        try:
            data = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise RosterError([f"(file): not valid JSON ({exc})"]) from None
        except RecursionError:
            raise RosterError(["(file): nested too deeply to be a roster"]) from None
    if not isinstance(data, dict):
        raise RosterError(["(file): the top level must be a JSON object"])
    try:
        roster = RosterIn.model_validate(data)
    except ValidationError as exc:
        raise RosterError(_format_errors(exc) + _cross_problems(_facts_of_raw(data))) from None
    if problems := _cross_problems(_facts_of_model(roster)):
        raise RosterError(problems)
    return roster


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
    }


def _ordered_members(roster: RosterIn) -> list[MemberIn]:
    indexed = list(enumerate(roster.members))
    indexed.sort(key=lambda im: (im[1].position if im[1].position is not None else im[0], im[0]))
    return [m for _, m in indexed]


def _fresh(uow: UnitOfWork, now: datetime, roster: RosterIn) -> dict[str, int]:
    from whoseonfirst_core.usecases.setup import create_team, open_first_epoch

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
    ids: dict[str, int] = {}
    for pos, m in enumerate(_ordered_members(roster)):
        row = Member(
            name=m.name,
            phone=m.phone,
            secondary_phone=m.secondary_phone,
            active=m.active,
            position=pos,
            color=PALETTE[pos % len(PALETTE)],
            notes="",
            archived=False,
            created_at=now,
            updated_at=now,
        )
        uow.session.add(row)
        uow.session.flush()
        ids[m.name.casefold()] = row.id
    for c in roster.escalation_contacts:
        uow.session.add(
            EscalationContact(
                name=c.name,
                phone=c.phone,
                weekly_summary=c.weekly_summary,
                failure_alerts=c.failure_alerts,
            )
        )
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
    tz_changed = settings.timezone != roster.team.timezone
    settings.timezone = roster.team.timezone
    settings.shift_start_template = roster.settings.shift_start_template
    settings.weekly_summary_day = weekday_index(roster.settings.weekly_summary_day)
    settings.weekly_summary_time = roster.settings.weekly_summary_time
    settings.horizon_weeks = roster.settings.horizon_weeks
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
            color = next((c for c in PALETTE if c not in used_colors), PALETTE[pos % len(PALETTE)])
            used_colors.add(color)
            found = Member(
                name=m.name,
                phone=m.phone,
                secondary_phone=m.secondary_phone,
                active=m.active if started is None else False,
                position=pos,
                color=color,
                notes="",
                archived=False,
                created_at=now,
                updated_at=now,
            )
            uow.session.add(found)
        else:
            found.name, found.phone, found.secondary_phone = m.name, m.phone, m.secondary_phone
            found.archived, found.updated_at = False, now
            if started is None:
                found.active, found.position = m.active, pos
        uow.session.flush()
        ids[m.name.casefold()] = found.id
    shifts = tuple(s.to_def() for s in roster.shifts)
    # Escalation contacts are replaced wholesale; they carry no history.
    for c in uow.session.scalars(select(EscalationContact)):
        uow.session.delete(c)
    for ci in roster.escalation_contacts:
        uow.session.add(
            EscalationContact(
                name=ci.name,
                phone=ci.phone,
                weekly_summary=ci.weekly_summary,
                failure_alerts=ci.failure_alerts,
            )
        )
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
        materialise(
            uow, now, regenerate_from=earliest_change_date(uow, now) if tz_changed else None
        )
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
