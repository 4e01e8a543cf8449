"""Change notices from the database: the told state, the tick's diff, and quiet saves (SPEC §4).

Each tick, :func:`plan_notices` resolves the schedule over the notice window, compares each
member's on-call with their told state (:mod:`whoseonfirst_core.domain.notices`) and, in the
caller's transaction, either records a difference as waiting (bundling delay, quiet hours) or
queues the notice and advances the told state. The advance is a compare-and-set on
``told_state.version`` and the notice's idempotency key carries the new version
(``change_notice:m<member id>:v<version>:<phone>``, ``off_call:…``), so two services — or a
service killed and started again — tell each difference exactly once.

What sends nothing: the first tick on a database (no told state at all yet: everyone's on-call
is recorded silently, which also covers importing a roster into an empty database), turning
notices on again (turning them off forgets the told state), shifts entering the window as time
passes or the horizon grows, changes to stretches that have ended, and a change saved with
"Tell the people affected" unticked (:func:`told_quietly`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from whoseonfirst_core.db.dialect import dialect_insert, rowcount
from whoseonfirst_core.db.models import Notification, ToldState
from whoseonfirst_core.db.session import UnitOfWork, read_revision
from whoseonfirst_core.domain import notices as rules
from whoseonfirst_core.domain.intervals import (
    Interval,
    clip,
    containing,
    from_json,
    to_json,
    union,
)
from whoseonfirst_core.domain.notification import Kind, Status
from whoseonfirst_core.domain.resolution import ResolvedSpan
from whoseonfirst_core.domain.texts import PlannedText, Recipient, TeamSnapshot
from whoseonfirst_core.domain.wording import render_wording
from whoseonfirst_core.usecases import outbox
from whoseonfirst_core.usecases.common import record_audit
from whoseonfirst_core.usecases.schedule import resolve_window


@dataclass(frozen=True, slots=True)
class Told:
    """One member's told state as stored (``version`` 0 and nothing told: no row yet)."""

    member_id: int
    version: int
    intervals: tuple[Interval, ...]
    told_until: datetime
    written_at: datetime | None
    pending_digest: str | None
    pending_since: datetime | None
    due_at: datetime | None
    exists: bool


@dataclass(frozen=True, slots=True)
class Decision:
    """What the tick at ``now`` does for one member.

    ``texts``: the notice of the difference (empty when there is none), due at ``due_at``;
    ``tell``: due now, so the tick queues them and advances the told state; otherwise the
    difference waits (``due_reason``: ``delay``/``quiet_hours``), and ``simulate`` and the
    Dashboard show the texts as waiting. ``intervals``/``told_until``: the told state to write;
    ``write`` False: nothing changed.
    """

    member: Recipient
    told: Told
    diff: rules.Difference
    intervals: tuple[Interval, ...]
    told_until: datetime
    write: bool
    texts: tuple[PlannedText, ...] = ()
    due_at: datetime | None = None
    due_reason: str | None = None
    pending_since: datetime | None = None
    tell: bool = False


@dataclass(frozen=True, slots=True)
class Timeline:
    """The resolved schedule from ``now`` to ``reach``, and each member's on-call in it."""

    now: datetime
    reach: datetime
    spans: tuple[ResolvedSpan, ...]
    by_member: Mapping[int, tuple[Interval, ...]]


def timeline(uow: UnitOfWork, team: TeamSnapshot, now: datetime) -> Timeline:
    reach = rules.told_until(now, team.notices, team.tz)
    spans = tuple(resolve_window(uow, now, reach, clip=False))
    grouped: dict[int, list[Interval]] = {}
    for s in spans:
        grouped.setdefault(s.member_id, []).append((s.start, s.end))
    by_member = {m: clip(union(v), now, reach) for m, v in grouped.items()}
    return Timeline(now, reach, spans, by_member)


def _load_told(session: Session) -> dict[int, Told]:
    return {
        r.member_id: Told(
            r.member_id,
            r.version,
            from_json(r.intervals),
            r.told_until,
            r.written_at,
            r.pending_digest,
            r.pending_since,
            r.due_at,
            True,
        )
        for r in session.scalars(select(ToldState))
    }


#: Whether the shift-start text of a running span (a member's, as it resolves now) tells
#: that member they are on call: then they need no "on call from now" notice.
ToldByShiftStart = Callable[[ResolvedSpan, "Told"], bool]


def decide(
    uow: UnitOfWork, now: datetime, *, told_by: ToldByShiftStart | None = None
) -> list[Decision]:
    """What the tick at ``now`` does for every member (reads only). Empty when notices are
    off or nobody has a told state yet (the first tick records them: see :func:`plan_notices`).

    ``told_by``: whether a running span's shift-start text tells its person; by default, whether
    that text is in the outbox (the tick plans shift-start texts first). ``simulate``, which
    plans both without writing, asks its own list.
    """
    session = uow.session
    team = outbox.load_team(session)
    if not team.notices.enabled:
        return []
    stored = _load_told(session)
    if not stored:
        return []
    line = timeline(uow, team, now)
    out: list[Decision] = []
    for member in team.members.values():
        told = stored.get(member.id) or Told(
            member.id, 0, (), line.reach, None, None, None, None, False
        )
        out.append(_decide_one(team, line, member, told, told_by or _in_outbox(session)))
    return out


def _decide_one(
    team: TeamSnapshot,
    line: Timeline,
    member: Recipient,
    told: Told,
    told_by: ToldByShiftStart,
) -> Decision:
    now = line.now
    current = line.by_member.get(member.id, ())
    until = min(now + team.notices.window, told.told_until)
    diff = rules.difference(told.intervals, current, now, until)
    if diff.on_call_now is not None and _told_by_shift_start(line, member.id, told, told_by):
        diff = diff.without_on_call()
    quiet = rules.absorbed(told.intervals, current, now, max(until, now), line.reach)
    same = clip(told.intervals, now, line.reach) == quiet and told.told_until == line.reach
    if diff.empty:
        write = not told.exists or not same or told.pending_digest is not None
        return Decision(member, told, diff, quiet, line.reach, write)
    digest = diff.digest()
    since = told.pending_since if told.pending_digest == digest and told.pending_since else now
    due_at, reason = rules.due(diff, since, now, team.notices, team.tz)
    texts = _notice_texts(team, line, member, diff, told.version + 1, due_at)
    if due_at > now:
        write = not same or told.pending_digest != digest or told.due_at != due_at
        return Decision(member, told, diff, quiet, line.reach, write, texts, due_at, reason, since)
    return Decision(member, told, diff, current, line.reach, True, texts, now, tell=True)


def _told_by_shift_start(
    line: Timeline, member_id: int, told: Told, told_by: ToldByShiftStart
) -> bool:
    """Whether the person newly on call now learns it from their span's shift-start text: the
    text says the whole stretch they are on call for (it ends where the stretch ends) and
    ``told_by`` says it is going out."""
    mine = [s for s in line.spans if s.member_id == member_id]
    running = next((s for s in mine if s.start <= line.now < s.end), None)
    stretch = containing(union((s.start, s.end) for s in mine), line.now)
    if running is None or stretch is None or running.end != stretch[1]:
        return False
    return told_by(running, told)


def _in_outbox(session: Session) -> ToldByShiftStart:
    def told_by(span: ResolvedSpan, told: Told) -> bool:
        """The span's shift-start text, for the span as it stands, went into the outbox after
        the member's told state was written: it tells them already."""
        query = select(func.count()).where(
            Notification.kind == Kind.SHIFT_START,
            Notification.member_id == span.member_id,
            Notification.span_start == span.start,
            Notification.span_end == span.end,
        )
        if told.written_at is not None:
            query = query.where(Notification.created_at >= told.written_at)
        return bool(session.scalar(query))

    return told_by


def _notice_texts(
    team: TeamSnapshot,
    line: Timeline,
    member: Recipient,
    diff: rules.Difference,
    version: int,
    due_at: datetime,
) -> tuple[PlannedText, ...]:
    """The notice texts (one per phone; an off-call notice and a change notice when both are
    needed), worded as of ``now`` and due at ``due_at``."""
    now = line.now
    words = rules.NoticeWords(member.id, team.tz, line.spans, _names(team))
    base = {"name": member.name, "team": team.team_name}
    bodies: list[tuple[Kind, str]] = []
    if diff.off_call_now:
        values = base | {
            "time": rules.fmt_clock(now, team.tz),
            "on_call": rules.on_call_at(now, words),
        }
        bodies.append((Kind.OFF_CALL, render_wording(team.templates, Kind.OFF_CALL, values)))
    rest = diff if not diff.off_call_now else rules.Difference(diff.added, diff.removed)
    if not rest.empty:
        values = base | {"changes": rules.changes_text(rest, now, words)}
        bodies.append(
            (Kind.CHANGE_NOTICE, render_wording(team.templates, Kind.CHANGE_NOTICE, values))
        )
    return tuple(
        PlannedText(
            key=f"{kind}:m{member.id}:v{version}:{phone}",
            kind=kind,
            due_at=due_at,
            expires_at=due_at + rules.NOTICE_VALIDITY,
            member_id=member.id,
            recipient_name=member.name,
            recipient_phone=phone,
            body=body,
        )
        for kind, body in bodies
        for phone in member.phones
    )


def _names(team: TeamSnapshot) -> dict[int, str]:
    return {m.id: m.name for m in team.members.values()}


@dataclass(frozen=True, slots=True)
class NoticeOutcome:
    """What :func:`plan_notices` did: texts queued, people whose notice waits, and whether
    this was the silent first recording."""

    queued: tuple[PlannedText, ...]
    waiting: int
    recorded_silently: int


def plan_notices(uow: UnitOfWork, now: datetime, *, actor: str) -> NoticeOutcome:
    """The tick's notice step, in the caller's transaction (the caller commits)."""
    session = uow.session
    team = outbox.load_team(session)
    if not team.notices.enabled:
        session.execute(delete(ToldState))
        return NoticeOutcome((), 0, 0)
    if not session.scalar(select(func.count()).select_from(ToldState)):
        line = timeline(uow, team, now)
        for member in team.members.values():
            _insert(session, member.id, 0, line.by_member.get(member.id, ()), line.reach, now)
        return NoticeOutcome((), 0, len(team.members))
    queued: list[PlannedText] = []
    waiting = 0
    for d in decide(uow, now):
        if d.texts and not d.tell:
            waiting += 1
        if not d.write:
            continue
        # Every write advances the version, so a service that decided on what it read before
        # another one wrote changes nothing (compare-and-set below).
        version = d.told.version + 1
        values = {
            "version": version,
            "intervals": to_json(d.intervals),
            "told_until": d.told_until,
            "written_at": now,
            "pending_digest": None if d.tell or d.diff.empty else d.diff.digest(),
            "pending_since": None if d.tell else d.pending_since,
            "due_at": None if d.tell else d.due_at,
            "due_reason": None if d.tell else d.due_reason,
        }
        if not d.told.exists:
            won = _insert(session, d.member.id, version, d.intervals, d.told_until, now, values)
        else:
            won = bool(
                rowcount(
                    session.execute(
                        update(ToldState)
                        .where(
                            ToldState.member_id == d.member.id,
                            ToldState.version == d.told.version,
                        )
                        .values(**values)
                    )
                )
            )
        if not won or not d.tell:  # another service told (or recorded) this member first
            continue
        for text in d.texts:
            if outbox.insert_planned(session, text, status=Status.QUEUED, now=now, actor=actor):
                queued.append(text)
    return NoticeOutcome(tuple(queued), waiting, 0)


def _insert(
    session: Session,
    member_id: int,
    version: int,
    intervals: Sequence[Interval],
    told_until: datetime,
    now: datetime,
    values: Mapping[str, object] | None = None,
) -> bool:
    row = dict(values or {}) | {
        "member_id": member_id,
        "version": version,
        "intervals": to_json(intervals),
        "told_until": told_until,
        "written_at": now,
    }
    insert = dialect_insert(session)
    result = session.execute(
        insert(ToldState.__table__)
        .values(**row)
        .on_conflict_do_nothing(index_elements=["member_id"])
        .returning(ToldState.__table__.c.member_id)
    )
    return result.first() is not None


def pass_key(uow: UnitOfWork, now: datetime) -> tuple[int, datetime] | None:
    """What a notice pass at ``now`` depends on, when no waiting notice is due: the database
    revision (every saved change bumps it) and how far the told state reaches. A pass with the
    same key as the last one finds nothing to do (after every pass the told state matches the
    schedule wherever no notice waits), so the tick may skip it. None: a pass must run."""
    session = uow.session
    due = session.scalar(select(func.min(ToldState.due_at)).where(ToldState.due_at.is_not(None)))
    if due is not None and due <= now:
        return None
    team = outbox.load_team(session)
    return read_revision(session), rules.told_until(now, team.notices, team.tz)


def next_notice_at(session: Session, now: datetime) -> datetime | None:
    """The next instant a waiting notice is due."""
    at: datetime | None = session.scalar(
        select(func.min(ToldState.due_at)).where(ToldState.due_at > now)
    )
    return at


def told_quietly(uow: UnitOfWork, now: datetime) -> None:
    """Save the change this unit of work makes without telling anybody (call it before the
    change): at commit, where the change moved a person's on-call, their told state takes the
    new schedule (``domain.notices.quietly_changed``); differences already waiting from other
    saves are still told."""
    session = uow.session
    stored = _load_told(session)
    team = outbox.load_team(session)
    # Nobody told anything yet: the first tick records everyone silently anyway.
    before = timeline(uow, team, now) if stored else None

    def record() -> None:
        after = timeline(uow, team, now)
        moved = sorted(
            m
            for m in set(before.by_member if before else ()) | set(after.by_member)
            if before is not None and before.by_member.get(m, ()) != after.by_member.get(m, ())
        )
        names = _names(outbox.load_team(session))  # a member the change added has a name too
        record_audit(
            uow,
            now,
            "notices.skipped",
            "team",
            None,
            "saved without telling the people affected"
            + (": " + ", ".join(names.get(m, f"member {m}") for m in moved) if moved else ""),
            None,
            {"told": False, "member_ids": moved},
        )
        now_stored = _load_told(session)  # as it is now: a service may have written since
        for member_id in moved:
            assert before is not None
            b = before.by_member.get(member_id, ())
            a = after.by_member.get(member_id, ())
            told = now_stored.get(member_id)
            if told is None:  # new to the rotation: what they are on call for is now told
                _insert(session, member_id, 0, a, after.reach, now)
                continue
            session.execute(
                update(ToldState)
                .where(ToldState.member_id == member_id, ToldState.version == told.version)
                .values(
                    version=told.version + 1,
                    intervals=to_json(rules.quietly_changed(told.intervals, b, a)),
                )
            )

    uow.before_commit(record)
