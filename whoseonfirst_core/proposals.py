"""Rotation changes named the way an operator types them (``preview-change``): members by
name, a pattern as roster-file JSON."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime

from whoseonfirst_core.db.session import UnitOfWork
from whoseonfirst_core.domain.rotation import (
    RotationChange,
    ShiftDef,
    validate_pattern,
)
from whoseonfirst_core.usecases.common import (
    all_members,
    find_member,
)
from whoseonfirst_core.usecases.errors import UseCaseError
from whoseonfirst_core.usecases.rotation import NEW_MEMBER_ID
from whoseonfirst_core.usecases.rotation_impact import Impact, preview_changes


def member_by_name(uow: UnitOfWork, name: str) -> int:
    """The id of the member ``name`` names, as ``send-test --to`` finds them."""
    found = find_member(uow, name)
    if found is None:
        raise UseCaseError(f"no member named {name!r}")
    return found.id


def shifts_from_json(raw: bytes | str) -> tuple[ShiftDef, ...]:
    """Shifts as in the roster file: a JSON list of shifts, or a roster with ``shifts``."""
    from pydantic import ValidationError

    from whoseonfirst_core.roster.model import ShiftIn

    try:
        data = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise UseCaseError(f"shifts: not valid JSON ({exc})") from None
    if isinstance(data, dict):
        data = data.get("shifts")
    if not isinstance(data, list):
        raise UseCaseError("shifts: expected a JSON list of shifts (or a roster with 'shifts')")
    shifts: list[ShiftDef] = []
    for i, item in enumerate(data):
        try:
            shifts.append(ShiftIn.model_validate(item).to_def())
        except ValidationError as exc:
            reason = exc.errors(include_url=False)[0]
            where = ".".join(str(p) for p in reason["loc"])
            raise UseCaseError(
                f"shifts[{i}]{'.' + where if where else ''}: {reason['msg']}"
            ) from None
    problems = validate_pattern(shifts)
    if problems:
        raise UseCaseError("shifts: " + "; ".join(problems))
    return tuple(shifts)


def preview_named_change(
    uow: UnitOfWork,
    now: datetime,
    effective_from: date,
    *,
    join: str | None = None,
    leave: str | None = None,
    add: str | None = None,
    order: Sequence[str] | None = None,
    shifts: bytes | str | None = None,
) -> Impact:
    """The impact of one change named the way an operator types it (exactly one option)."""
    given = [x for x in (join, leave, add, order, shifts) if x is not None]
    if len(given) != 1:
        raise UseCaseError("name exactly one change: --join, --leave, --add, --order or --shifts")
    names: dict[int, str] = {}
    if join is not None:
        change = RotationChange(0, effective_from, "join", member_by_name(uow, join))
    elif leave is not None:
        change = RotationChange(0, effective_from, "leave", member_by_name(uow, leave))
    elif add is not None:
        clean = " ".join(add.split())
        if not clean:
            raise UseCaseError("--add: the new member's name is empty")
        names[NEW_MEMBER_ID] = clean
        change = RotationChange(0, effective_from, "join", NEW_MEMBER_ID)
    elif order is not None:
        ids = [member_by_name(uow, n) for n in order if n.strip()]
        team = [m.id for m in all_members(uow) if not m.archived]
        if sorted(ids) != sorted(team):
            raise UseCaseError("--order must name every member of the team exactly once")
        change = RotationChange(0, effective_from, "order", order=tuple(ids))
    else:
        assert shifts is not None
        change = RotationChange(0, effective_from, "pattern", pattern=shifts_from_json(shifts))
    return preview_changes(uow, now, [change], names=names)
