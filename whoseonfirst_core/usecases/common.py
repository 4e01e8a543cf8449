"""Helpers shared by the use cases: loading the team row, auditing, DTO conversion."""

from __future__ import annotations

from dataclasses import fields
from datetime import date, datetime
from functools import cache
from typing import TYPE_CHECKING, Any, TypedDict, TypeVar, Unpack
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import InstrumentedAttribute

from whoseonfirst_core.db.models import (
    AuditEntry,
    EscalationContact,
    Member,
    Override,
    ShiftDefinition,
    TeamSettings,
)
from whoseonfirst_core.db.session import UnitOfWork
from whoseonfirst_core.domain.rotation import ShiftDef
from whoseonfirst_core.domain.templates import control_characters
from whoseonfirst_core.domain.timeutil import parse_hhmm, zone
from whoseonfirst_core.usecases.dto import ContactDTO, MemberDTO, OverrideDTO, SettingsDTO
from whoseonfirst_core.usecases.errors import AmbiguousNameError, NoTeamError, UseCaseError

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

_DTO = TypeVar("_DTO", bound="DataclassInstance")

#: 16 colours with AA contrast against white text, assigned once per member and stored.
PALETTE: tuple[str, ...] = (
    "#1F5FAD",
    "#B0361F",
    "#1E7A3C",
    "#7A3DB0",
    "#A4540C",
    "#0F6E78",
    "#AD2A6B",
    "#4C5A0E",
    "#3F4FB8",
    "#8A3A2A",
    "#2F6B5A",
    "#6A4C9C",
    "#8C4A00",
    "#1D5E8C",
    "#9C2F4F",
    "#4F5D6B",
)
#: Archived members' grey, dark enough for white text (5.3:1).
ARCHIVED_COLOR = "#6B6B6B"


def settings_row(uow: UnitOfWork) -> TeamSettings:
    row = _team_row(uow)
    if row is None:
        raise NoTeamError()
    return row


def has_team(uow: UnitOfWork) -> bool:
    return _team_row(uow) is not None


def _team_row(uow: UnitOfWork) -> TeamSettings | None:
    row = uow.session.get(TeamSettings, 1)
    if row is not None:
        # The session's identity map holds rows weakly, so once a caller dropped the row the
        # next get() asked the database again. Keeping it for the unit of work makes the several
        # use cases one page load calls (time zone, settings, schedule) read it once.
        uow.session.info["team_settings"] = row
    return row


def team_zone(uow: UnitOfWork) -> ZoneInfo:
    return zone(settings_row(uow).timezone)


def record_audit(
    uow: UnitOfWork,
    now: datetime,
    action: str,
    entity: str,
    entity_id: object,
    summary: str,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    uow.session.add(
        AuditEntry(
            at=now,
            actor=uow.actor,
            action=action,
            entity=entity,
            entity_id=None if entity_id is None else str(entity_id),
            summary=summary,
            before=_jsonable(before),
            after=_jsonable(after),
        )
    )


def _jsonable(value: dict[str, Any] | None) -> dict[str, Any] | None:
    if value is None:
        return None
    out: dict[str, Any] = {}
    for k, v in value.items():
        if isinstance(v, datetime | date):
            out[k] = v.isoformat()
        elif isinstance(v, tuple):
            out[k] = list(v)
        else:
            out[k] = v
    return out


@cache
def _field_names(cls: type[DataclassInstance]) -> tuple[str, ...]:
    return tuple(f.name for f in fields(cls))


def from_row(cls: type[_DTO], row: object, **given: object) -> _DTO:
    """A ``cls`` (a DTO dataclass) whose fields are the row's attributes of the same names,
    except those in ``given``, which supply or replace them."""
    return cls(**{n: given[n] if n in given else getattr(row, n) for n in _field_names(cls)})


def matching_text(
    text: str, *columns: InstrumentedAttribute[str] | InstrumentedAttribute[str | None]
) -> ColumnElement[bool]:
    """Any of ``columns`` holds ``text`` (case-insensitive substring): the search boxes' rule."""
    like = f"%{text.strip()}%"
    return or_(*(c.ilike(like) for c in columns))


def member_dto(m: Member) -> MemberDTO:
    return from_row(MemberDTO, m, color=ARCHIVED_COLOR if m.archived else m.color)


def member_snapshot(m: Member) -> dict[str, Any]:
    return {
        "name": m.name,
        "phone": m.phone,
        "secondary_phone": m.secondary_phone,
        "active": m.active,
        "position": m.position,
        "archived": m.archived,
        "notes": m.notes,
    }


def settings_dto(s: TeamSettings) -> SettingsDTO:
    return from_row(
        SettingsDTO,
        s,
        team_name=s.name,
        weekly_summary_time=parse_hhmm(s.weekly_summary_time),
        text_templates=dict(s.text_templates or {}),
    )


def contact_dto(c: EscalationContact) -> ContactDTO:
    return ContactDTO(c.id, c.name, c.phone, c.weekly_summary, c.failure_alerts, c.version)


def override_dto(o: Override, names: dict[int, str]) -> OverrideDTO:
    return OverrideDTO(
        id=o.id,
        member_id=o.member_id,
        member_name=names.get(o.member_id, "?"),
        start=o.start_at,
        end=o.end_at,
        reason=o.reason,
        status=o.status,
        created_by=o.created_by,
        created_at=o.created_at,
        version=o.version,
    )


def all_members(uow: UnitOfWork) -> list[Member]:
    return list(uow.session.scalars(select(Member).order_by(Member.position, Member.id)))


def find_member(uow: UnitOfWork, name: str) -> MemberDTO | None:
    """The non-archived member called ``name`` (case and runs of spaces do not matter), else
    the only one whose name starts with it; None when nobody does. Raises
    :class:`AmbiguousNameError` when several names start with it."""
    wanted = " ".join(name.split()).casefold()
    members = [m for m in all_members(uow) if not m.archived]
    exact = [m for m in members if m.name.casefold() == wanted]
    if exact:
        return member_dto(exact[0])
    prefix = [m for m in members if m.name.casefold().startswith(wanted)]
    if len(prefix) > 1:
        raise AmbiguousNameError(name, [m.name for m in prefix])
    return member_dto(prefix[0]) if prefix else None


class NewMember(TypedDict):
    """A new member's fields, already validated (:func:`add_member_row` stores them)."""

    name: str
    phone: str
    secondary_phone: str | None
    active: bool
    position: int
    notes: str


def add_member_row(
    uow: UnitOfWork,
    now: datetime,
    *,
    used_colors: set[str],
    color_index: int,
    **member: Unpack[NewMember],
) -> Member:
    """Add a member and flush, so it has an id.

    Its colour is the first of :data:`PALETTE` not in ``used_colors`` (the colours of the
    current members), else ``PALETTE[color_index % len(PALETTE)]``; ``used_colors`` gains it.
    """
    color = next((c for c in PALETTE if c not in used_colors), PALETTE[color_index % len(PALETTE)])
    used_colors.add(color)
    row = Member(**member, color=color, archived=False, created_at=now, updated_at=now)
    uow.session.add(row)
    uow.session.flush()
    return row


def rotation_members(uow: UnitOfWork) -> list[Member]:
    """Active, non-archived members in rotation order: the rotation after every planned change
    (who is in it on a given date: ``usecases.rotation.rotation_status``)."""
    return [m for m in all_members(uow) if m.active and not m.archived]


def current_pattern(uow: UnitOfWork) -> tuple[ShiftDef, ...]:
    rows = uow.session.scalars(select(ShiftDefinition).order_by(ShiftDefinition.position))
    return tuple(
        ShiftDef(r.name, r.start_day, parse_hhmm(r.start_time), r.duration_hours) for r in rows
    )


def pattern_to_json(pattern: tuple[ShiftDef, ...] | list[ShiftDef]) -> list[dict[str, object]]:
    return [
        {
            "name": s.name,
            "start_day": s.start_day,
            "start_time": f"{s.start_time:%H:%M}",
            "duration_hours": s.duration_hours,
        }
        for s in pattern
    ]


def pattern_from_json(data: list[dict[str, object]]) -> tuple[ShiftDef, ...]:
    return tuple(
        ShiftDef(
            str(d["name"]),
            int(str(d["start_day"])),
            parse_hhmm(str(d["start_time"])),
            int(str(d["duration_hours"])),
        )
        for d in data
    )


def clean_name(raw: str, what: str = "name", limit: int = 100) -> str:
    if not isinstance(raw, str):
        raise UseCaseError(f"{what} must be text")
    name = " ".join(raw.split())
    if not name:
        raise UseCaseError(f"{what} is empty")
    if len(name) > limit:
        raise UseCaseError(f"{what} is longer than {limit} characters")
    check_text(name, what, separator=" ")
    return name


def check_text(text: str, what: str, *, separator: str = ": ") -> str:
    """``text`` unchanged, or a UseCaseError naming ``what`` when it holds control characters
    (see :func:`~whoseonfirst_core.domain.templates.control_characters`)."""
    if bad := control_characters(text):
        raise UseCaseError(f"{what}{separator}contains control characters ({', '.join(bad)})")
    return text
