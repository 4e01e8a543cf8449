"""Change notices end to end: the real engine, one tick at a time on a fixed clock, through the
real twilio SDK against the fake server, on SQLite and PostgreSQL.

The demo team from Mon 2026-03-02 (07:00 CST when a test starts): week 1 is Ann (Mon), Ben
(Tue–Wed), Cal (Thu), Dee (Fri), Eve (Sat), Fay (Sun); week 2 starts with Gus on Monday.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select, update
from whoseonfirst_service.engine import Engine

from tests.fakes.fake_twilio import FakeTwilio
from tests.service.conftest import MakeEngine, member, no_escalation, notifications, utc
from whoseonfirst_core.clock import FixedClock
from whoseonfirst_core.db.models import AuditEntry, TeamSettings, ToldState
from whoseonfirst_core.db.session import Database
from whoseonfirst_core.domain.intervals import Interval, union
from whoseonfirst_core.usecases import notices
from whoseonfirst_core.usecases import team as team_uc
from whoseonfirst_core.usecases.calendar import CancelOverride, Cover, apply_calendar_plan
from whoseonfirst_core.usecases.notices import told_quietly
from whoseonfirst_core.usecases.schedule import resolve_window

ANN, BEN, CAL, DEE = "+13125550101", "+13125550102", "+13125550103", "+13125550104"
FAY = "+13125550106"
THU = utc(2026, 3, 5, 14)  # Thu 08:00 CST
FRI = utc(2026, 3, 6, 14)


@pytest.fixture(autouse=True)
def _no_escalation(request: pytest.FixtureRequest) -> None:
    """These tests follow other texts past shift starts while nobody replies OK."""
    if "team" in request.fixturenames:
        no_escalation(request.getfixturevalue("team"))


def _bodies(fake: FakeTwilio, phone: str, since: int = 0) -> list[str]:
    return [r.form["Body"] for r in fake.create_requests[since:] if r.form.get("To") == phone]


def _notice_bodies(fake: FakeTwilio, since: int = 0) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for r in fake.create_requests[since:]:
        body = r.form["Body"]
        if "on-call changed" in body or "off call" in body:
            out.setdefault(r.form["To"], []).append(body)
    return out


def _tick(engine: Engine, clock: FixedClock, at: datetime) -> None:
    clock.set(at)
    engine.tick()


def _cover(db: Database, now: datetime, who: str, start: datetime, end: datetime) -> int:
    with db.uow("admin") as uow:
        [dto] = apply_calendar_plan(uow, now, [Cover(member(db, who).id, start, end, "vacation")])
        uow.commit()
    return dto.id


def _cancel(db: Database, now: datetime, override_id: int) -> None:
    with db.uow("admin") as uow:
        apply_calendar_plan(uow, now, [CancelOverride(override_id)])
        uow.commit()


@pytest.fixture
def seeded(quiet: Database, engine: Engine, clock: FixedClock) -> Engine:
    """The first tick has recorded what everyone is on call for (and texted nobody)."""
    engine.tick()
    return engine


def test_the_first_tick_records_everyone_silently(
    quiet: Database, engine: Engine, clock: FixedClock, fake: FakeTwilio
) -> None:
    summary = engine.tick()
    assert fake.create_requests == []
    assert summary.notices == 0
    with quiet.reader() as uow:
        versions = list(uow.session.scalars(select(ToldState.version)))
    assert versions == [0] * 7  # every member, on call or not


def test_a_cover_for_thursday_texts_the_coverer_and_the_relieved_once_after_the_delay(
    quiet: Database, seeded: Engine, clock: FixedClock, fake: FakeTwilio
) -> None:
    now = utc(2026, 3, 2, 16)  # Mon 10:00 CST
    _cover(quiet, now, "Fay", THU, FRI)
    _tick(seeded, clock, now)
    assert _notice_bodies(fake) == {}  # within the bundling delay
    _tick(seeded, clock, now + timedelta(minutes=1, seconds=59))
    assert _notice_bodies(fake) == {}
    _tick(seeded, clock, now + timedelta(minutes=2))
    _tick(seeded, clock, now + timedelta(minutes=30))
    assert _notice_bodies(fake) == {
        FAY: [
            "WhoseOnFirst: your on-call changed. "
            "+ Thu 3/5 08:00 CST \u2192 Fri 3/6 08:00 CST (covering Cal Chen)."
        ],
        CAL: [
            "WhoseOnFirst: your on-call changed. "
            "\u2212 Thu 3/5 08:00 CST \u2192 Fri 3/6 08:00 CST (Fay Fisher covers)."
        ],
    }
    rows = notifications(quiet, "change_notice")
    assert {r.status for r in rows} == {"delivered"}
    assert sorted(r.idempotency_key for r in rows) == sorted(
        [
            # v1: the difference recorded as waiting; v2: told
            f"change_notice:m{member(quiet, 'Fay').id}:v2:{FAY}",
            f"change_notice:m{member(quiet, 'Cal').id}:v2:{CAL}",
        ]
    )


def test_a_cover_and_its_undo_within_the_delay_send_nothing(
    quiet: Database, seeded: Engine, clock: FixedClock, fake: FakeTwilio
) -> None:
    now = utc(2026, 3, 2, 16)
    override_id = _cover(quiet, now, "Fay", THU, FRI)
    _tick(seeded, clock, now)
    _cancel(quiet, now + timedelta(minutes=1), override_id)
    for minutes in (1, 2, 3, 60):
        _tick(seeded, clock, now + timedelta(minutes=minutes))
    assert _notice_bodies(fake) == {}
    assert notifications(quiet, "change_notice") == []


def test_a_second_edit_within_the_delay_makes_one_notice_with_the_net_effect(
    quiet: Database, seeded: Engine, clock: FixedClock, fake: FakeTwilio
) -> None:
    now = utc(2026, 3, 2, 16)
    _cover(quiet, now, "Fay", THU, FRI)
    _tick(seeded, clock, now)
    later = now + timedelta(minutes=1, seconds=30)
    _cover(quiet, later, "Dee", THU, FRI)  # Dee instead, 90 s later
    _tick(seeded, clock, later)
    # 2 min after the first edit: Cal's difference is what it was (off Thursday), so Cal's
    # delay has run; Dee's difference is new since the second edit, so Dee waits.
    _tick(seeded, clock, now + timedelta(minutes=2, seconds=30))
    assert _notice_bodies(fake) == {
        CAL: [
            "WhoseOnFirst: your on-call changed. "
            "\u2212 Thu 3/5 08:00 CST \u2192 Fri 3/6 08:00 CST (Dee Diaz covers)."
        ]
    }
    _tick(seeded, clock, later + timedelta(minutes=2))
    notices = _notice_bodies(fake)
    assert set(notices) == {CAL, DEE}  # Fay's cover came and went: Fay hears nothing
    assert len(notices[CAL]) == 1


def test_a_reorder_from_next_monday_texts_exactly_the_people_whose_shifts_changed(
    quiet: Database, seeded: Engine, clock: FixedClock, fake: FakeTwilio
) -> None:
    now = utc(2026, 3, 2, 16)
    before = _on_call_in_window(quiet, now)
    with quiet.reader() as uow:
        order = [m.id for m in team_uc.list_members(uow)]
    order[0], order[1] = order[1], order[0]  # Ben before Ann from next Monday
    with quiet.uow("admin") as uow:
        team_uc.reorder_members(uow, now, order, date(2026, 3, 9))
        uow.commit()
    after = _on_call_in_window(quiet, now)
    moved = {name for name in before.keys() | after.keys() if before.get(name) != after.get(name)}
    assert len(moved) >= 2
    _tick(seeded, clock, now)
    _tick(seeded, clock, now + timedelta(minutes=2))
    _tick(seeded, clock, now + timedelta(minutes=10))
    texts = _notice_bodies(fake)
    rows = notifications(quiet, "change_notice")
    assert sorted(r.recipient_name for r in rows) == sorted(moved)  # one text each
    assert sum(len(v) for v in texts.values()) == len(moved)


def _on_call_in_window(db: Database, now: datetime) -> dict[str, tuple[Interval, ...]]:
    """Each member's on-call stretches in the 14-day window, from the resolved schedule."""
    with db.reader() as uow:
        names = {m.id: m.name for m in team_uc.list_members(uow)}
        spans = resolve_window(uow, now, now + timedelta(days=14))
    out: dict[str, list[Interval]] = {}
    for s in spans:
        out.setdefault(names[s.member_id], []).append((s.start, s.end))
    return {name: union(v) for name, v in out.items()}


def test_a_notice_saved_at_2200_for_next_week_arrives_at_0700(
    quiet: Database, seeded: Engine, clock: FixedClock, fake: FakeTwilio
) -> None:
    night = utc(2026, 3, 3, 4)  # Mon 22:00 CST
    _cover(quiet, night, "Fay", utc(2026, 3, 12, 13), utc(2026, 3, 13, 13))  # next Thu (CDT)
    _tick(seeded, clock, night)
    _tick(seeded, clock, night + timedelta(minutes=5))
    assert _notice_bodies(fake) == {}
    next_due = seeded.next_due_at(night + timedelta(minutes=5))
    assert next_due is not None and next_due <= utc(2026, 3, 3, 13)  # 07:00 CST
    _tick(seeded, clock, utc(2026, 3, 3, 12, 59, 59))
    assert _notice_bodies(fake) == {}
    _tick(seeded, clock, utc(2026, 3, 3, 13))  # Tue 07:00:00 CST exactly
    assert set(_notice_bodies(fake)) == {FAY, BEN}, _notice_bodies(fake)  # Ben has the 2nd Thu
    assert {r.created_at for r in notifications(quiet, "change_notice")} == {utc(2026, 3, 3, 13)}


def test_a_change_about_a_shift_within_12_hours_is_not_held_by_quiet_hours(
    quiet: Database, seeded: Engine, clock: FixedClock, fake: FakeTwilio
) -> None:
    night = utc(2026, 3, 5, 4)  # Wed 22:00 CST; Thursday's shift starts in 10 h
    _cover(quiet, night, "Fay", THU, FRI)
    _tick(seeded, clock, night)
    _tick(seeded, clock, night + timedelta(minutes=2))
    assert set(_notice_bodies(fake)) == {FAY, CAL}


def test_cancelling_a_running_cover_texts_both_people_at_once(
    quiet: Database, seeded: Engine, clock: FixedClock, fake: FakeTwilio
) -> None:
    noon = utc(2026, 3, 5, 18)  # Thu 12:00 CST: Fay covers Cal from noon
    override_id = _cover(quiet, utc(2026, 3, 2, 16), "Fay", noon, FRI)
    for at in (utc(2026, 3, 2, 16), utc(2026, 3, 2, 16, 5), THU, noon, noon + timedelta(hours=1)):
        _tick(seeded, clock, at)
    seen = len(fake.create_requests)
    two = utc(2026, 3, 5, 20)  # Thu 14:00 CST
    _cancel(quiet, two, override_id)
    _tick(seeded, clock, two)  # no delay for a running shift
    assert _notice_bodies(fake, seen) == {
        CAL: [
            "WhoseOnFirst: your on-call changed. "
            "You are on call from now (14:00 CST) until Fri 3/6 08:00 CST."
        ],
        FAY: ["WhoseOnFirst: you are off call from 14:00 CST; Cal Chen is on call."],
    }
    _tick(seeded, clock, two + timedelta(minutes=10))
    assert len(fake.create_requests) == seen + 2  # nothing more


def test_a_late_cover_texts_the_coverer_their_shift_and_the_relieved_that_they_are_off(
    quiet: Database, seeded: Engine, clock: FixedClock, fake: FakeTwilio
) -> None:
    for at in (THU, THU + timedelta(minutes=5)):
        _tick(seeded, clock, at)
    seen = len(fake.create_requests)
    two = utc(2026, 3, 5, 20)
    _cover(quiet, two, "Fay", two, FRI)
    _tick(seeded, clock, two)
    assert _bodies(fake, FAY, seen) == [
        "WhoseOnFirst: Hi Fay Fisher, you are on call from Thu 14:00 CST until Fri 08:00 CST (18h)."
        " Reply OK to confirm."
    ]
    assert _bodies(fake, CAL, seen) == [
        "WhoseOnFirst: you are off call from 14:00 CST; Fay Fisher is on call."
    ]


def test_a_change_saved_without_telling_sends_nothing_and_keeps_other_waiting_changes(
    quiet: Database, seeded: Engine, clock: FixedClock, fake: FakeTwilio
) -> None:
    now = utc(2026, 3, 2, 16)
    _cover(quiet, now, "Fay", THU, FRI)  # told
    gus = member(quiet, "Gus").id
    with quiet.uow("admin") as uow:
        told_quietly(uow, now)
        apply_calendar_plan(uow, now, [Cover(gus, FRI, FRI + timedelta(days=1))])
        uow.commit()
    for minutes in (0, 2, 10):
        _tick(seeded, clock, now + timedelta(minutes=minutes))
    assert set(_notice_bodies(fake)) == {FAY, CAL}, _notice_bodies(fake)  # not Gus, not Dee
    with quiet.reader() as uow:
        [entry] = uow.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "notices.skipped")
        ).all()
        assert entry.summary == ("saved without telling the people affected: Dee Diaz, Gus Grant")


def test_no_notices_when_the_window_is_zero(
    quiet: Database, seeded: Engine, clock: FixedClock, fake: FakeTwilio
) -> None:
    with quiet.uow("admin") as uow:
        uow.session.execute(update(TeamSettings).values(notice_window_days=0))
        uow.commit()
    now = utc(2026, 3, 2, 16)
    _cover(quiet, now, "Fay", THU, FRI)
    for minutes in (0, 2, 10):
        _tick(seeded, clock, now + timedelta(minutes=minutes))
    assert _notice_bodies(fake) == {}


def test_time_passing_and_the_horizon_growing_send_nothing(
    quiet: Database, seeded: Engine, clock: FixedClock, fake: FakeTwilio
) -> None:
    at = clock.now()
    for _ in range(3 * 24):  # three days, hourly: shifts start, end and enter the window
        at += timedelta(hours=1)
        _tick(seeded, clock, at)
    assert _notice_bodies(fake) == {}
    assert fake.create_requests  # the shift-start texts did go out


def test_two_engines_ticking_in_turn_tell_each_person_once(
    quiet: Database, make_engine: MakeEngine, clock: FixedClock, fake: FakeTwilio
) -> None:
    a, b = make_engine(instance_id="a"), make_engine(instance_id="b")
    a.tick()
    now = utc(2026, 3, 2, 16)
    _cover(quiet, now, "Fay", THU, FRI)
    for at in (now, now, now + timedelta(minutes=2), now + timedelta(minutes=2)):
        clock.set(at)
        (a if len(fake.create_requests) % 2 == 0 else b).tick()
        b.tick()
    assert {k: len(v) for k, v in _notice_bodies(fake).items()} == {FAY: 1, CAL: 1}


def test_a_service_that_decided_on_a_stale_told_state_tells_nobody(
    quiet: Database, seeded: Engine, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Service B decided what to tell before the admin replaced Fay's cover by Dee's and
    service A recorded that; B's compare-and-set on the told state's version fails, so Fay is
    not told of a cover she no longer has."""
    now = utc(2026, 3, 2, 16, 5)
    fay_cover = _cover(quiet, utc(2026, 3, 2, 16), "Fay", THU, FRI)
    _tick(seeded, clock, utc(2026, 3, 2, 16))  # seen: the delay runs from 10:00
    with quiet.reader() as uow:
        stale = notices.decide(uow, now)  # what B read
    fay = member(quiet, "Fay").id
    assert any(d.tell and d.member.id == fay for d in stale)
    _cancel(quiet, now, fay_cover)
    _cover(quiet, now, "Dee", THU, FRI)
    with quiet.uow("service-a") as uow:
        notices.plan_notices(uow, now, actor="service-a")
        uow.commit()
    monkeypatch.setattr(notices, "decide", lambda uow, at: stale)
    with quiet.uow("service-b") as uow:
        second = notices.plan_notices(uow, now, actor="service-b")
        uow.commit()
    assert [t.recipient_name for t in second.queued] == []
    assert all(r.member_id != fay for r in notifications(quiet, "change_notice"))


def test_a_tick_skips_the_notice_pass_when_nothing_changed_since_the_last(
    quiet: Database, seeded: Engine, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    passes: list[datetime] = []
    real = notices.plan_notices

    def counting(uow: object, now: datetime, *, actor: str) -> notices.NoticeOutcome:
        passes.append(now)
        return real(uow, now, actor=actor)  # type: ignore[arg-type]

    monkeypatch.setattr(notices, "plan_notices", counting)
    start = utc(2026, 3, 2, 16)
    for minutes in (-10, -9, -8):  # Ann's late shift-start text goes out, is polled, delivered
        _tick(seeded, clock, start + timedelta(minutes=minutes))
    passes.clear()
    for minutes in (-2, -1, 0):
        _tick(seeded, clock, start + timedelta(minutes=minutes))
    assert passes == []  # nothing changed: no pass
    _cover(quiet, start, "Fay", THU, FRI)
    _tick(seeded, clock, start + timedelta(minutes=3))  # a saved change: a pass
    _tick(seeded, clock, start + timedelta(minutes=4))  # nothing new, the notice waits
    _tick(seeded, clock, start + timedelta(minutes=5))  # the waiting notice is due: a pass
    assert passes == [start + timedelta(minutes=3), start + timedelta(minutes=5)]


@pytest.mark.parametrize(
    ("new_end", "told"),
    [
        (utc(2026, 3, 6, 2), "You are on call from now (14:00 CST) until Thu 3/5 20:00 CST."),
        (utc(2026, 3, 7, 14), "You are on call from now (14:00 CST) until Sat 3/7 08:00 CST."),
    ],
    ids=["shortened", "extended"],
)
def test_a_running_cover_shortened_or_extended_tells_the_coverer_the_new_end_at_once(
    quiet: Database,
    seeded: Engine,
    clock: FixedClock,
    fake: FakeTwilio,
    new_end: datetime,
    told: str,
) -> None:
    override_id = _cover(quiet, utc(2026, 3, 2, 16), "Fay", THU, FRI)
    for at in (utc(2026, 3, 2, 16), utc(2026, 3, 2, 16, 5), THU, THU + timedelta(minutes=5)):
        _tick(seeded, clock, at)
    seen = len(fake.create_requests)
    two = utc(2026, 3, 5, 20)  # Thu 14:00 CST: the admin changes Fay's running cover's end
    _cancel(quiet, two, override_id)
    _cover(quiet, two, "Fay", THU, new_end)
    _tick(seeded, clock, two)
    assert _notice_bodies(fake, seen) == {FAY: [f"WhoseOnFirst: your on-call changed. {told}"]}
    _tick(seeded, clock, two + timedelta(minutes=2))  # the future part: after the delay
    later = _notice_bodies(fake, seen)
    if new_end < FRI:  # Cal is back on call for the rest of Thursday
        assert later[CAL] == [
            "WhoseOnFirst: your on-call changed. + Thu 3/5 20:00 CST \u2192 Fri 3/6 08:00 CST."
        ]
    else:  # Dee's Friday goes to Fay
        assert later[DEE] == [
            "WhoseOnFirst: your on-call changed. "
            "\u2212 Fri 3/6 08:00 CST \u2192 Sat 3/7 08:00 CST (Fay Fisher covers)."
        ]
    assert len(later[FAY]) == 1
