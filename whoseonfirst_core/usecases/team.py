"""Team use cases: add, edit, reorder, activate/deactivate, archive members."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select

from whoseonfirst_core.db.models import Member, Override
from whoseonfirst_core.db.session import UnitOfWork
from whoseonfirst_core.domain.phones import PhoneError, display_phone, normalize_phone
from whoseonfirst_core.domain.plurals import plural
from whoseonfirst_core.domain.rotation import RotationChange
from whoseonfirst_core.usecases.common import (
    add_member_row,
    all_members,
    check_text,
    clean_name,
    member_dto,
    member_snapshot,
    record_audit,
)
from whoseonfirst_core.usecases.dto import MemberDTO
from whoseonfirst_core.usecases.errors import ConflictError, NotFoundError, UseCaseError
from whoseonfirst_core.usecases.rotation import (
    NEW_MEMBER_ID,
    add_change,
    cancel_changes,
    check_effective_date,
    materialise,
)
from whoseonfirst_core.usecases.rotation_impact import Impact, preview_changes
from whoseonfirst_core.usecases.schedule import earliest_change_date

MAX_NOTES = 2000


def list_members(uow: UnitOfWork, *, include_archived: bool = True) -> list[MemberDTO]:
    return [member_dto(m) for m in all_members(uow) if include_archived or not m.archived]


def _get(uow: UnitOfWork, member_id: int) -> Member:
    m = uow.session.get(Member, member_id)
    if m is None:
        raise NotFoundError(f"member #{member_id} no longer exists (refresh and try again)")
    return m


def _check_version(m: Member, expected: int | None) -> None:
    if expected is not None and m.version != expected:
        raise ConflictError(
            f"{m.name} was changed by someone else since you opened it",
            [f"member {m.name}: your version {expected}, database version {m.version}"],
        )


def validate_member_fields(
    uow: UnitOfWork,
    *,
    name: str,
    phone: str,
    secondary_phone: str | None,
    member_id: int | None = None,
) -> tuple[str, str, str | None]:
    """Normalise and check name and phones; raises a UseCaseError naming the field."""
    clean = clean_name(name, "name")
    try:
        primary = normalize_phone(phone)
    except PhoneError as exc:
        raise UseCaseError(f"phone: {exc}") from exc
    secondary: str | None = None
    if secondary_phone is not None and secondary_phone.strip():
        try:
            secondary = normalize_phone(secondary_phone)
        except PhoneError as exc:
            raise UseCaseError(f"secondary phone: {exc}") from exc
        if secondary == primary:
            raise UseCaseError("secondary phone: it is the same number as the primary phone")
    for other in all_members(uow):
        if other.id == member_id or other.archived:
            continue
        if other.name.casefold() == clean.casefold():
            raise UseCaseError(f"name: another member is already called {other.name}")
        for number, field in ((primary, "phone"), (secondary, "secondary phone")):
            if number and number in (other.phone, other.secondary_phone):
                raise UseCaseError(
                    f"{field}: {display_phone(number)} already belongs to {other.name}"
                )
    return clean, primary, secondary


def add_member(
    uow: UnitOfWork,
    now: datetime,
    *,
    name: str,
    phone: str,
    secondary_phone: str | None = None,
    notes: str = "",
    active: bool = True,
    effective_from: date | None = None,
) -> MemberDTO:
    """Add a member at the end of the rotation order; joins the rotation from ``effective_from``
    (default: the earliest date that rewrites nothing)."""
    clean, primary, secondary = validate_member_fields(
        uow, name=name, phone=phone, secondary_phone=secondary_phone
    )
    if len(notes) > MAX_NOTES:
        raise UseCaseError(f"notes: longer than {MAX_NOTES} characters")
    check_text(notes, "notes")
    day = effective_from or earliest_change_date(uow, now)
    if active:
        check_effective_date(uow, now, day)
    members = all_members(uow)
    position = max((m.position for m in members), default=-1) + 1
    m = add_member_row(
        uow,
        now,
        name=clean,
        phone=primary,
        secondary_phone=secondary,
        active=False,
        position=position,
        used_colors={m.color for m in members if not m.archived},
        color_index=len(members),
        notes=notes,
    )
    if active:
        add_change(uow, now, "join", day, member_id=m.id)
        materialise(uow, now)
    return _audited(
        uow,
        now,
        "member.add",
        m,
        f"added {clean}" + (f", in the rotation from {day.isoformat()}" if active else ""),
        None,
    )


def edit_member(
    uow: UnitOfWork,
    now: datetime,
    member_id: int,
    *,
    expected_version: int | None,
    name: str,
    phone: str,
    secondary_phone: str | None,
    notes: str = "",
) -> MemberDTO:
    """Change name, phones or notes (no effect on the rotation)."""
    m = _get(uow, member_id)
    _check_version(m, expected_version)
    if m.archived:
        raise UseCaseError(f"{m.name} is archived: restore them before editing")
    clean, primary, secondary = validate_member_fields(
        uow, name=name, phone=phone, secondary_phone=secondary_phone, member_id=member_id
    )
    if len(notes) > MAX_NOTES:
        raise UseCaseError(f"notes: longer than {MAX_NOTES} characters")
    check_text(notes, "notes")
    before = member_snapshot(m)
    m.name, m.phone, m.secondary_phone, m.notes, m.updated_at = (
        clean,
        primary,
        secondary,
        notes,
        now,
    )
    uow.session.flush()
    return _audited(uow, now, "member.edit", m, f"edited {clean}", before)


def reorder_members(
    uow: UnitOfWork,
    now: datetime,
    ordered_ids: Sequence[int],
    effective_from: date,
) -> list[MemberDTO]:
    """Set the rotation order (all non-archived members, in order) from ``effective_from``.

    Planned changes before and after that date stay; a later planned order replaces this one
    from its own date."""
    members = [m for m in all_members(uow) if not m.archived]
    if sorted(ordered_ids) != sorted(m.id for m in members) or len(set(ordered_ids)) != len(
        ordered_ids
    ):
        raise ConflictError(
            "the team changed while you were reordering it; refresh and reorder again"
        )
    check_effective_date(uow, now, effective_from)
    by_id = {m.id: m for m in members}
    before = {"order": [m.name for m in members]}
    add_change(uow, now, "order", effective_from, order=list(ordered_ids))
    materialise(uow, now)
    after = {"order": [by_id[i].name for i in ordered_ids]}
    record_audit(
        uow,
        now,
        "member.reorder",
        "team",
        None,
        f"rotation order changed from {effective_from.isoformat()}",
        before,
        after,
    )
    return [member_dto(by_id[i]) for i in ordered_ids]


def set_member_active(
    uow: UnitOfWork,
    now: datetime,
    member_id: int,
    active: bool,
    effective_from: date,
    *,
    expected_version: int | None = None,
) -> MemberDTO:
    """Take a member in or out of the rotation from ``effective_from`` (local date).

    Entries before that date keep them; from that date on they are no longer scheduled (and so
    never texted for the rotation — they may still cover shifts through overrides). Planned
    changes before and after the date stay: "Eve leaves from Mon 12/14" entered after "Eve
    joins from Mon 12/21" keeps both. A member already in that state on the date gets the change
    recorded all the same (it is what the admin asked for, and it keeps its effect if an earlier
    change is cancelled later).
    """
    m = _get(uow, member_id)
    _check_version(m, expected_version)
    if m.archived:
        raise UseCaseError(f"{m.name} is archived: restore them first")
    check_effective_date(uow, now, effective_from)
    before = member_snapshot(m)
    add_change(uow, now, "join" if active else "leave", effective_from, member_id=m.id)
    materialise(uow, now)
    m.updated_at = now
    uow.session.flush()
    verb = "activated" if active else "deactivated"
    return _audited(
        uow, now, f"member.{verb[:-1]}", m, f"{verb} {m.name} from {effective_from}", before
    )


def archive_member(
    uow: UnitOfWork,
    now: datetime,
    member_id: int,
    effective_from: date,
    *,
    expected_version: int | None = None,
) -> MemberDTO:
    """Archive a member: out of the rotation from ``effective_from``, history kept.

    Members are never deleted while history refers to them; archiving frees their name and
    phone for reuse. Refused while they still hold a future override. Their planned joins and
    leaves after the date are cancelled.
    """
    m = _get(uow, member_id)
    _check_version(m, expected_version)
    if m.archived:
        return member_dto(m)
    future_cover = uow.session.scalar(
        select(func.count())
        .select_from(Override)
        .where(Override.member_id == m.id, Override.status == "active", Override.end_at > now)
    )
    if future_cover:
        raise UseCaseError(
            f"{m.name} still covers {plural(future_cover, 'upcoming shift')}: cancel or "
            "reassign those overrides first"
        )
    check_effective_date(uow, now, effective_from)
    before = member_snapshot(m)
    m.archived = True
    m.updated_at = now
    uow.session.flush()
    # Out of the rotation from the date; planned returns after it no longer apply.
    cancel_changes(uow, now, after=effective_from, member_id=m.id, kinds=("join", "leave"))
    add_change(uow, now, "leave", effective_from, member_id=m.id)
    materialise(uow, now)
    return _audited(uow, now, "member.archive", m, f"archived {m.name}", before)


def restore_member(uow: UnitOfWork, now: datetime, member_id: int) -> MemberDTO:
    """Bring an archived member back (out of the rotation; activate them to rotate again, at
    their old place in the order)."""
    m = _get(uow, member_id)
    if not m.archived:
        return member_dto(m)
    validate_member_fields(
        uow, name=m.name, phone=m.phone, secondary_phone=m.secondary_phone, member_id=m.id
    )
    before = member_snapshot(m)
    m.archived = False
    m.updated_at = now
    uow.session.flush()
    return _audited(uow, now, "member.restore", m, f"restored {m.name}", before)


def preview_member_change(
    uow: UnitOfWork,
    now: datetime,
    effective_from: date,
    *,
    ordered_ids: Sequence[int] | None = None,
    active_changes: dict[int, bool] | None = None,
) -> Impact:
    """What a reorder or (de)activation from ``effective_from`` would do (nothing is written)."""
    proposed: list[RotationChange] = []
    if ordered_ids is not None:
        proposed.append(RotationChange(0, effective_from, "order", order=tuple(ordered_ids)))
    for mid, flag in (active_changes or {}).items():
        proposed.append(RotationChange(0, effective_from, "join" if flag else "leave", mid))
    return preview_changes(uow, now, proposed)


def preview_add_member(uow: UnitOfWork, now: datetime, effective_from: date, name: str) -> Impact:
    """What adding a member called ``name`` from ``effective_from`` would do."""
    clean = " ".join(name.split()) or "new member"
    return preview_changes(
        uow,
        now,
        [RotationChange(0, effective_from, "join", NEW_MEMBER_ID)],
        names={NEW_MEMBER_ID: clean},
    )


def _audited(
    uow: UnitOfWork,
    now: datetime,
    action: str,
    m: Member,
    summary: str,
    before: dict[str, Any] | None,
) -> MemberDTO:
    """Record a change to member ``m`` in the audit log (its state now as ``after``) and
    return it as the caller sees it."""
    record_audit(uow, now, action, "member", m.id, summary, before, member_snapshot(m))
    return member_dto(m)
