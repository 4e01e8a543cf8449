"""The roster file's model (SPEC §7): what a valid file holds, and :func:`parse_roster`, which
checks one and lists every problem as ``field: reason`` in one go (:class:`RosterError`)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from typing import Annotated, Any, Literal, TypeVar

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

from whoseonfirst_core.domain.holidays import check_region
from whoseonfirst_core.domain.notices import DEFAULT_QUIET_HOURS
from whoseonfirst_core.domain.phones import PhoneError, normalize_phone
from whoseonfirst_core.domain.planner import read_span
from whoseonfirst_core.domain.rotation import ShiftDef, validate_pattern
from whoseonfirst_core.domain.templates import (
    DEFAULT_SHIFT_START_TEMPLATE,
    control_characters,
    template_problems,
)
from whoseonfirst_core.domain.timeutil import (
    WEEKDAYS,
    parse_hhmm,
    parse_instant,
    weekday_index,
    zone,
)
from whoseonfirst_core.usecases.config import (
    confirm_problems,
    notice_problems,
    text_templates_problems,
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


def _required_phone(v: str) -> str:
    out = _phone(v)
    if out is None:
        raise ValueError("a phone number is required")
    return out


RequiredPhone = Annotated[StrictStr, AfterValidator(_required_phone)]
"""A phone number, normalised to E.164; empty is refused."""


class MemberIn(_Strict):
    name: Name
    phone: RequiredPhone
    secondary_phone: StrictStr | None = None
    active: StrictBool = True
    position: StrictInt | None = None

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


def _iso_date(v: str) -> str:
    try:
        date.fromisoformat(v)
    except ValueError as exc:
        raise ValueError(f"{v!r} is not a date (YYYY-MM-DD)") from exc
    if len(v) != 10:
        raise ValueError(f"{v!r} is not a date (YYYY-MM-DD)")
    return v


class RotationIn(_Strict):
    anchor_date: StrictStr

    @field_validator("anchor_date")
    @classmethod
    def _date(cls, v: str) -> str:
        return _iso_date(v)


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


def _day_or_instant(v: str) -> str:
    """A date (``YYYY-MM-DD``: a whole local day) or an ISO instant with its offset."""
    if len(v) == 10:
        return _iso_date(v)
    parse_instant(v)
    return v


DayOrInstant = Annotated[StrictStr, AfterValidator(_day_or_instant)]


class TimeOffIn(_Strict):
    """``member`` is away from ``start`` to ``end``: dates cover whole local days, both ends
    included; instants are the half-open ``[start, end)``."""

    member: Name
    start: DayOrInstant
    end: DayOrInstant
    reason: Annotated[StrictStr, Field(max_length=200), Printable] = ""

    def span(self, tz: tzinfo) -> tuple[datetime, datetime]:
        """``[start, end)`` in UTC (see :func:`~whoseonfirst_core.domain.planner.read_span`)."""
        return read_span(self.start, self.end, tz)

    @model_validator(mode="after")
    def _order(self) -> TimeOffIn:
        if len(self.start) == len(self.end) == 10 and self.end < self.start:
            raise ValueError("end must be on or after start")
        instants = len(self.start) > 10 and len(self.end) > 10
        if instants and parse_instant(self.end) <= parse_instant(self.start):
            raise ValueError("end must be after start")
        return self


class ExtraHolidayIn(_Strict):
    date: Annotated[StrictStr, AfterValidator(_iso_date)]
    name: Name


class HolidaysIn(_Strict):
    """The public holidays of ``country``/``subdivision`` (the ``holidays`` library's codes;
    null: none) and the team's own dates."""

    country: StrictStr | None = None
    subdivision: StrictStr | None = None
    extra: list[ExtraHolidayIn] = Field(default_factory=list, max_length=1000)

    @model_validator(mode="after")
    def _region(self) -> HolidaysIn:
        if problem := check_region(self.country, self.subdivision):
            raise ValueError(problem)
        days = [e.date for e in self.extra]
        if twice := sorted({x for x in days if days.count(x) > 1}):
            raise ValueError(
                f"extra: {', '.join(twice)} {'appears' if len(twice) == 1 else 'appear'} twice"
            )
        return self


class ContactIn(_Strict):
    name: Name
    phone: RequiredPhone
    weekly_summary: StrictBool = True
    failure_alerts: StrictBool = True


class SettingsIn(_Strict):
    shift_start_template: StrictStr = DEFAULT_SHIFT_START_TEMPLATE
    weekly_summary_day: Weekday = "monday"
    weekly_summary_time: ClockTime = "08:00"
    horizon_weeks: Annotated[StrictInt, Field(ge=4, le=104)] = 12
    #: Change notices (the same rules as the Settings page: ``usecases.config``).
    notice_window_days: StrictInt = 14
    notice_delay_minutes: StrictInt = 2
    #: ``"21:00-07:00"`` team time, or null: no quiet hours.
    quiet_hours: StrictStr | None = DEFAULT_QUIET_HOURS
    #: The wording of the other kinds (kind → template); a kind left out uses its default.
    templates: dict[StrictStr, StrictStr] = Field(default_factory=dict)
    #: The shift-start text asks for a reply OK; unconfirmed shifts escalate after this many
    #: minutes (0: never).
    confirm_requested: StrictBool = True
    confirm_within_minutes: StrictInt = 15

    @field_validator("shift_start_template")
    @classmethod
    def _tpl(cls, v: str) -> str:
        problems = template_problems(v)
        if problems:
            raise ValueError("; ".join(problems))
        return v

    @field_validator("notice_window_days")
    @classmethod
    def _window(cls, v: int) -> int:
        return _no_problems(v, notice_problems(v, None, None))

    @field_validator("notice_delay_minutes")
    @classmethod
    def _delay(cls, v: int) -> int:
        return _no_problems(v, notice_problems(None, v, None))

    @field_validator("quiet_hours")
    @classmethod
    def _quiet(cls, v: str | None) -> str | None:
        return _no_problems(v, notice_problems(None, None, v))

    @field_validator("confirm_within_minutes")
    @classmethod
    def _confirm(cls, v: int) -> int:
        return _no_problems(v, confirm_problems(v))

    @field_validator("templates")
    @classmethod
    def _wording(cls, v: dict[str, str]) -> dict[str, str]:
        return _no_problems(v, text_templates_problems(v))


_V = TypeVar("_V")


def _no_problems(value: _V, problems: list[str]) -> _V:
    if problems:
        raise ValueError("; ".join(problems))
    return value


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
    time_off: list[TimeOffIn] = Field(default_factory=list, max_length=100_000)
    holidays: HolidaysIn = Field(default_factory=HolidaysIn)

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
    time_off_members: list[tuple[int, str]]


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
        [(i, t.member) for i, t in enumerate(roster.time_off)],
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
    return _Facts(members, shifts, _named(data, "overrides"), _named(data, "time_off"))


def _named(data: dict[str, Any], key: str) -> list[tuple[int, str]]:
    """The valid ``member`` names of the entries of list ``key``, with their indexes."""
    out: list[tuple[int, str]] = []
    raw = data.get(key)
    for i, o in enumerate(raw if isinstance(raw, list) else []):
        name = (
            _valid_or_none(_NAME.validate_python, o.get("member")) if isinstance(o, dict) else None
        )
        if name is not None:
            out.append((i, name))
    return out


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
    for key, named in (("overrides", facts.override_members), ("time_off", facts.time_off_members)):
        for i, member in named:
            if member.casefold() not in names:
                problems.append(f"{key}[{i}].member: no member named {member!r}")
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
