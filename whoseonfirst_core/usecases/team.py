"""Team use cases: add, edit, reorder, activate/deactivate, archive members."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import func, select

from whoseonfirst_core.db.models import Member, Override
from whoseonfirst_core.db.session import UnitOfWork
from whoseonfirst_core.domain.phones import PhoneError, display_phone, normalize_phone
from whoseonfirst_core.usecases.common import (
    add_member_row,
    all_members,
    check_text,
    clean_name,
    member_dto,
    member_snapshot,
    record_audit,
)
from whoseonfirst_core.usecases.dto import MemberDTO, PersonDiff
from whoseonfirst_core.usecases.errors import ConflictError, NotFoundError, UseCaseError
from whoseonfirst_core.usecases.schedule import preview_change, start_new_epoch

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
    members = all_members(uow)
    position = max((m.position for m in members), default=-1) + 1
    m = add_member_row(
        uow,
        now,
        name=clean,
        phone=primary,
        secondary_phone=secondary,
        active=active,
        position=position,
        used_colors={m.color for m in members if not m.archived},
        color_index=len(members),
        notes=notes,
    )
    record_audit(uow, now, "member.add", "member", m.id, f"added {clean}", None, member_snapshot(m))
    if active:
        _retime(uow, now, effective_from)
    return member_dto(m)


def _retime(uow: UnitOfWork, now: datetime, effective_from: date | None) -> None:
    from whoseonfirst_core.usecases.schedule import earliest_change_date

    start_new_epoch(uow, effective_from or earliest_change_date(uow, now), now)


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
    record_audit(
        uow, now, "member.edit", "member", m.id, f"edited {clean}", before, member_snapshot(m)
    )
    return member_dto(m)


def reorder_members(
    uow: UnitOfWork,
    now: datetime,
    ordered_ids: Sequence[int],
    effective_from: date,
) -> list[MemberDTO]:
    """Set the rotation order (all non-archived members, in order) from ``effective_from``."""
    members = [m for m in all_members(uow) if not m.archived]
    if sorted(ordered_ids) != sorted(m.id for m in members) or len(set(ordered_ids)) != len(
        ordered_ids
    ):
        raise ConflictError(
            "the team changed while you were reordering it; refresh and reorder again"
        )
    by_id = {m.id: m for m in members}
    before = {"order": [m.name for m in members]}
    for pos, mid in enumerate(ordered_ids):
        if by_id[mid].position != pos:
            by_id[mid].position = pos
            by_id[mid].updated_at = now
    uow.session.flush()
    start_new_epoch(uow, effective_from, now)
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
    never texted for the rotation — they may still cover shifts through overrides).
    """
    m = _get(uow, member_id)
    _check_version(m, expected_version)
    if m.archived:
        raise UseCaseError(f"{m.name} is archived: restore them first")
    if m.active == active:
        return member_dto(m)
    before = member_snapshot(m)
    m.active = active
    m.updated_at = now
    uow.session.flush()
    start_new_epoch(uow, effective_from, now)
    verb = "activated" if active else "deactivated"
    record_audit(
        uow,
        now,
        f"member.{verb[:-1]}",
        "member",
        m.id,
        f"{verb} {m.name} from {effective_from.isoformat()}",
        before,
        member_snapshot(m),
    )
    return member_dto(m)


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
    phone for reuse. Refused while they still hold a future override.
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
            f"{m.name} still covers {future_cover} upcoming shift(s): cancel or reassign those "
            "overrides first"
        )
    before = member_snapshot(m)
    was_active = m.active
    m.archived = True
    m.active = False
    m.updated_at = now
    uow.session.flush()
    if was_active:
        start_new_epoch(uow, effective_from, now)
    record_audit(
        uow, now, "member.archive", "member", m.id, f"archived {m.name}", before, member_snapshot(m)
    )
    return member_dto(m)


def restore_member(uow: UnitOfWork, now: datetime, member_id: int) -> MemberDTO:
    """Bring an archived member back (inactive; activate them to rotate again)."""
    m = _get(uow, member_id)
    if not m.archived:
        return member_dto(m)
    validate_member_fields(
        uow, name=m.name, phone=m.phone, secondary_phone=m.secondary_phone, member_id=m.id
    )
    before = member_snapshot(m)
    m.archived = False
    m.position = max((x.position for x in all_members(uow)), default=0) + 1
    m.updated_at = now
    uow.session.flush()
    record_audit(
        uow, now, "member.restore", "member", m.id, f"restored {m.name}", before, member_snapshot(m)
    )
    return member_dto(m)


def preview_member_change(
    uow: UnitOfWork,
    now: datetime,
    effective_from: date,
    *,
    ordered_ids: Sequence[int] | None = None,
    active_changes: dict[int, bool] | None = None,
) -> list[PersonDiff]:
    """What a reorder or (de)activation from ``effective_from`` would do, per person.

    Runs the change inside the caller's unit of work for the preview only: the caller must
    not commit it (the GUI uses a read-only unit of work).
    """
    members = {m.id: m for m in all_members(uow)}
    if ordered_ids is not None:
        for pos, mid in enumerate(ordered_ids):
            if mid in members:
                members[mid].position = pos
    for mid, flag in (active_changes or {}).items():
        if mid in members:
            members[mid].active = flag
    uow.session.flush()
    return preview_change(uow, effective_from, now)
