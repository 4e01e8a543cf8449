"""What the engine sends when: shift starts, DST, catch-up after downtime, overrides, the weekly
summary, reminders. One tick at a time on a fixed clock, through the real twilio SDK against the
fake server, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select, update
from whoseonfirst_service.delivery import EngineSettings
from whoseonfirst_service.engine import Engine
from whoseonfirst_service.twilio_sms import TwilioBackend

from tests.fakes.fake_twilio import FakeTwilio
from tests.service.conftest import (
    LEAD_PHONE,
    MakeEngine,
    SteppingClock,
    member,
    notifications,
    sent_to,
    set_secondary_phone,
    utc,
)
from whoseonfirst_core.clock import FixedClock
from whoseonfirst_core.db.models import EscalationContact, TeamSettings
from whoseonfirst_core.db.session import Database
from whoseonfirst_core.domain.resolution import on_call_at
from whoseonfirst_core.usecases.calendar import Cover, add_override
from whoseonfirst_core.usecases.schedule import resolve_window

ANN, BEN, CAL = "+13125550101", "+13125550102", "+13125550103"
ANN_2ND = "+13125550111"


@pytest.fixture(autouse=True)
def _no_escalation(team: Database) -> None:
    """Nobody here replies OK, and these tests follow the shift-start texts: unconfirmed
    shifts do not escalate (test_escalation.py follows that)."""
    with team.uow("admin") as uow:
        uow.session.execute(update(TeamSettings).values(confirm_within_minutes=0))
        uow.commit()


def _bodies_to(fake: FakeTwilio, phone: str) -> list[str]:
    return [r.form["Body"] for r in fake.create_requests if r.form.get("To") == phone]


def _tick_at(engine: Engine, clock: FixedClock, *at: int) -> None:
    clock.set(utc(*at))
    engine.tick()


def test_monday_0800_texts_each_phone_of_mondays_person_once(
    team: Database, engine: Engine, clock: FixedClock, fake: FakeTwilio
) -> None:
    set_secondary_phone(team, "Ann", ANN_2ND)
    engine.tick()  # Mon 07:00 CST: nothing is due yet
    assert fake.create_requests == []

    for minute, second in ((0, 30), (1, 0), (30, 0)):
        _tick_at(engine, clock, 2026, 3, 2, 14, minute, second)  # Mon 08:00:30 CST …
    _tick_at(engine, clock, 2026, 3, 3, 5, 59, 0)  # … and Mon 23:59 CST

    ann = _bodies_to(fake, ANN)
    assert ann == _bodies_to(fake, ANN_2ND)
    assert ann == [
        "WhoseOnFirst: Hi Ann Archer, you are on call from Mon 08:00 CST until Tue 08:00 CST (24h)."
        " Reply OK to confirm."
    ]
    assert sorted(sent_to(fake)) == sorted([ANN, ANN_2ND, LEAD_PHONE])  # + the weekly summary
    shift_rows = notifications(team, "shift_start")
    assert {r.status for r in shift_rows} == {"delivered"}  # status polled after sending
    assert all(r.due_at == utc(2026, 3, 2, 14) for r in shift_rows)
    # Valid until the span ends, as far as Twilio allows (10 h).
    assert {r.form["ValidityPeriod"] for r in fake.create_requests} == {"36000"}


def test_the_tuesday_wednesday_person_is_texted_tuesday_not_wednesday(
    team: Database, engine: Engine, clock: FixedClock, fake: FakeTwilio
) -> None:
    engine.tick()
    _tick_at(engine, clock, 2026, 3, 2, 14, 0, 30)
    _tick_at(engine, clock, 2026, 3, 3, 14, 0, 30)  # Tue 08:00:30
    assert _bodies_to(fake, BEN) == [
        "WhoseOnFirst: Hi Ben Brooks, you are on call from Tue 08:00 CST until Thu 08:00 CST (48h)."
        " Reply OK to confirm."
    ]
    _tick_at(engine, clock, 2026, 3, 4, 14, 0, 30)  # Wed 08:00:30: the same shift goes on
    _tick_at(engine, clock, 2026, 3, 4, 20, 0, 0)
    assert len(_bodies_to(fake, BEN)) == 1
    assert [r.due_at for r in notifications(team, "shift_start") if r.recipient_phone == BEN] == [
        utc(2026, 3, 3, 14)
    ]


def _on_call_phone(db: Database, at_utc: tuple[int, ...]) -> tuple[str, str]:
    at = utc(*at_utc)
    with db.reader() as uow:
        span = on_call_at(resolve_window(uow, at - timedelta(days=3), at + timedelta(days=3)), at)
        assert span is not None
        from whoseonfirst_core.db.models import Member

        m = uow.session.get(Member, span.member_id)
        assert m is not None
        return m.name, m.phone


def test_dst_spring_forward_text_goes_out_at_0800_cdt(
    team: Database, engine: Engine, clock: FixedClock, fake: FakeTwilio
) -> None:
    clock.set(utc(2026, 3, 7, 14, 0, 30))  # Sat 08:00:30 CST: service starts, Saturday texted
    engine.tick()
    name, phone = _on_call_phone(team, (2026, 3, 8, 13, 30))
    for at in ((2026, 3, 8, 12, 0, 0), (2026, 3, 8, 12, 59, 59)):  # 07:00 and 07:59:59 CDT
        _tick_at(engine, clock, *at)
    assert _bodies_to(fake, phone) == []
    _tick_at(engine, clock, 2026, 3, 8, 13, 0, 0)  # 08:00:00 CDT
    assert _bodies_to(fake, phone) == [
        f"WhoseOnFirst: Hi {name}, you are on call from Sun 08:00 CDT until Mon 08:00 CDT (24h)."
        " Reply OK to confirm."
    ]
    _tick_at(engine, clock, 2026, 3, 8, 14, 0, 30)  # 09:00 CDT (a naive 08:00 CST): nothing more
    assert len(_bodies_to(fake, phone)) == 1
    row = next(r for r in notifications(team, "shift_start") if r.recipient_phone == phone)
    assert row.due_at == utc(2026, 3, 8, 13) and row.sent_at == utc(2026, 3, 8, 13)


def test_dst_fall_back_text_goes_out_at_0800_cst(
    team: Database, engine: Engine, clock: FixedClock, fake: FakeTwilio
) -> None:
    clock.set(utc(2026, 10, 31, 13, 0, 30))  # Sat 08:00:30 CDT
    engine.tick()
    name, phone = _on_call_phone(team, (2026, 11, 1, 14, 30))
    saturday = len(_bodies_to(fake, phone))
    for at in ((2026, 11, 1, 13, 0, 30), (2026, 11, 1, 13, 59, 59)):  # 07:00:30 / 07:59:59 CST
        _tick_at(engine, clock, *at)
    assert len(_bodies_to(fake, phone)) == saturday
    _tick_at(engine, clock, 2026, 11, 1, 14, 0, 0)  # 08:00 CST
    assert _bodies_to(fake, phone)[saturday:] == [
        f"WhoseOnFirst: Hi {name}, you are on call from Sun 08:00 CST until Mon 08:00 CST (24h)."
        " Reply OK to confirm."
    ]


def test_down_0700_to_1100_sends_the_running_span_once_and_marks_the_ended_one_missed(
    team: Database, engine: Engine, clock: FixedClock, fake: FakeTwilio
) -> None:
    cal = member(team, "Cal")
    with team.uow("admin") as uow:  # Cal covers Monday 08:00-10:00, planned in advance
        add_override(uow, clock.now(), Cover(cal.id, utc(2026, 3, 2, 14), utc(2026, 3, 2, 16)))
        uow.commit()
    engine.tick()  # Mon 07:00: the service runs, then goes down
    _tick_at(engine, clock, 2026, 3, 2, 17, 0, 0)  # back at 11:00
    _tick_at(engine, clock, 2026, 3, 2, 17, 0, 30)

    assert _bodies_to(fake, CAL) == []  # never texted after the fact
    assert _bodies_to(fake, ANN) == [
        "WhoseOnFirst: Hi Ann Archer, you are on call from Mon 10:00 CST until Tue 08:00 CST (22h)."
        " Reply OK to confirm."
    ]
    missed = [r for r in notifications(team, "shift_start") if r.status == "missed"]
    assert [(r.recipient_name, r.span_start) for r in missed] == [("Cal Chen", utc(2026, 3, 2, 14))]
    alerts = _bodies_to(fake, LEAD_PHONE)
    alert = [b for b in alerts if b.startswith("WhoseOnFirst ALERT")]
    assert len(alert) == 1
    assert "Cal Chen" in alert[0] and "Monday shift" in alert[0] and "Mon 08:00 CST" in alert[0]
    assert "+1312555XXXX" in alert[0] and CAL not in alert[0]
    # The Monday summary was still relevant at 11:00: sent late, once.
    assert sum(b.startswith("WhoseOnFirst schedule") for b in alerts) == 1


def test_spans_that_ended_before_the_first_tick_are_neither_texted_nor_alerted(
    team: Database, engine: Engine, clock: FixedClock, fake: FakeTwilio
) -> None:
    clock.set(utc(2026, 3, 4, 18))  # first tick ever on this database: Wed 12:00
    engine.tick()
    engine.tick()
    assert sent_to(fake) == [BEN]  # only the shift still running (Tue-Wed), late and unchanged
    assert _bodies_to(fake, BEN)[0].startswith(
        "WhoseOnFirst: Hi Ben Brooks, you are on call from Tue 08:00 CST"
    )
    assert [r.status for r in notifications(team)] == ["delivered"]


def test_override_created_at_1000_texts_the_coverer_at_once_once(
    team: Database, engine: Engine, clock: FixedClock, fake: FakeTwilio
) -> None:
    engine.tick()
    _tick_at(engine, clock, 2026, 3, 2, 14, 0, 30)  # Ann texted at 08:00
    clock.set(utc(2026, 3, 2, 16))  # 10:00: Cal takes over the rest of the shift
    cal = member(team, "Cal")
    with team.uow("admin") as uow:
        add_override(uow, clock.now(), Cover(cal.id, clock.now(), utc(2026, 3, 3, 14)))
        uow.commit()
    engine.tick()
    _tick_at(engine, clock, 2026, 3, 2, 16, 0, 30)
    _tick_at(engine, clock, 2026, 3, 2, 20, 0, 0)
    assert _bodies_to(fake, CAL) == [
        "WhoseOnFirst: Hi Cal Chen, you are on call from Mon 10:00 CST until Tue 08:00 CST (22h)."
        " Reply OK to confirm."
    ]
    assert _bodies_to(fake, ANN) == [
        "WhoseOnFirst: Hi Ann Archer, you are on call from Mon 08:00 CST until Tue 08:00 CST (24h)."
        " Reply OK to confirm.",
        "WhoseOnFirst: you are off call from 10:00 CST; Cal Chen is on call.",  # a change notice
    ]
    cal_row = next(r for r in notifications(team, "shift_start") if r.recipient_phone == CAL)
    assert cal_row.sent_at == utc(2026, 3, 2, 16)


def test_override_covering_a_running_shift_from_its_start_texts_the_coverer_once(
    team: Database, engine: Engine, clock: FixedClock, fake: FakeTwilio
) -> None:
    engine.tick()
    _tick_at(engine, clock, 2026, 3, 2, 14, 0, 30)
    clock.set(utc(2026, 3, 2, 16))
    cal = member(team, "Cal")
    with team.uow("admin") as uow:  # the whole Monday shift, back-dated to 08:00
        add_override(uow, clock.now(), Cover(cal.id, utc(2026, 3, 2, 14), utc(2026, 3, 3, 14)))
        uow.commit()
    engine.tick()
    engine.tick()
    assert _bodies_to(fake, CAL) == [
        "WhoseOnFirst: Hi Cal Chen, you are on call from Mon 08:00 CST until Tue 08:00 CST (24h)."
        " Reply OK to confirm."
    ]
    assert _bodies_to(fake, ANN) == [
        "WhoseOnFirst: Hi Ann Archer, you are on call from Mon 08:00 CST until Tue 08:00 CST (24h)."
        " Reply OK to confirm.",
        "WhoseOnFirst: you are off call from 10:00 CST; Cal Chen is on call.",  # a change notice
    ]


EXPECTED_SUMMARY = (
    "WhoseOnFirst schedule Mar 2 - Mar 8\n"
    "Mon 3/2: Ann Archer +13125550101\n"
    "Tue 3/3: Ben Brooks +13125550102 (48h)\n"
    "Wed 3/4: Ben Brooks (continues)\n"
    "Thu 3/5: Cal Chen +13125550103\n"
    "Fri 3/6: Gus Grant +13125550107\n"
    "Sat 3/7: Eve Evans +13125550105\n"
    "Sun 3/8: Fay Fisher +13125550106"
)


def test_weekly_summary_monday_0800_to_each_opted_in_contact_once(
    team: Database, engine: Engine, clock: FixedClock, fake: FakeTwilio
) -> None:
    with team.uow("admin") as uow:
        uow.session.add_all(
            [
                EscalationContact(
                    name="Ivy Irwin",
                    phone="+13125550198",
                    weekly_summary=True,
                    failure_alerts=False,
                ),
                EscalationContact(
                    name="Jon Jones",
                    phone="+13125550197",
                    weekly_summary=False,
                    failure_alerts=True,
                ),
            ]
        )
        gus = member(team, "Gus")
        add_override(uow, clock.now(), Cover(gus.id, utc(2026, 3, 6, 14), utc(2026, 3, 7, 14)))
        uow.commit()
    _tick_at(engine, clock, 2026, 3, 2, 13, 59, 59)
    assert fake.create_requests == []
    _tick_at(engine, clock, 2026, 3, 2, 14, 0, 0)  # exactly 08:00 Monday: the current week
    _tick_at(engine, clock, 2026, 3, 2, 14, 5, 0)
    _tick_at(engine, clock, 2026, 3, 2, 23, 0, 0)
    summaries = [r for r in fake.create_requests if r.form["Body"].startswith("WhoseOnFirst sched")]
    assert sorted(r.form["To"] for r in summaries) == sorted([LEAD_PHONE, "+13125550198"])
    assert {r.form["Body"] for r in summaries} == {EXPECTED_SUMMARY}
    _tick_at(engine, clock, 2026, 3, 9, 14, 0, 0)  # next Monday: next week's summary
    bodies = [r.form["Body"] for r in fake.create_requests if r.form["To"] == LEAD_PHONE]
    assert [b.splitlines()[0] for b in bodies if b.startswith("WhoseOnFirst sched")] == [
        "WhoseOnFirst schedule Mar 2 - Mar 8",
        "WhoseOnFirst schedule Mar 9 - Mar 15",
    ]


def test_weekly_summary_follows_the_configured_day_and_time(
    team: Database, engine: Engine, clock: FixedClock, fake: FakeTwilio
) -> None:
    with team.uow("admin") as uow:
        uow.session.execute(
            update(TeamSettings).values(weekly_summary_day=4, weekly_summary_time="17:30")
        )
        uow.commit()
    _tick_at(engine, clock, 2026, 3, 6, 23, 29, 59)  # Fri 17:29:59 CST
    assert not [r for r in fake.create_requests if r.form["To"] == LEAD_PHONE]
    _tick_at(engine, clock, 2026, 3, 6, 23, 30, 0)
    [summary] = [r.form["Body"] for r in fake.create_requests if r.form["To"] == LEAD_PHONE]
    assert summary.startswith("WhoseOnFirst schedule Mar 6 - Mar 12\nFri 3/6: ")


def test_reminders_only_when_configured(
    team: Database, make_engine: MakeEngine, clock: FixedClock, fake: FakeTwilio
) -> None:
    engine = make_engine()
    _tick_at(engine, clock, 2026, 3, 2, 13, 30, 0)  # 07:30: reminders are off by default
    assert fake.create_requests == []
    with team.uow("admin") as uow:
        uow.session.execute(update(TeamSettings).values(reminder_minutes=30))
        uow.commit()
    _tick_at(engine, clock, 2026, 3, 3, 13, 30, 5)  # Tue 07:30:05: 30 min before Ben's shift
    _tick_at(engine, clock, 2026, 3, 3, 13, 45, 0)
    assert _bodies_to(fake, BEN) == [
        "WhoseOnFirst reminder: Hi Ben Brooks, your on-call shift (Tuesday-Wednesday) "
        "starts Tue 08:00 CST."
    ]


def test_ticking_writes_the_heartbeat_and_tick_marks(
    team: Database, engine: Engine, clock: FixedClock
) -> None:
    summary = engine.tick()
    assert summary.next_due_at == utc(2026, 3, 2, 14)
    from whoseonfirst_core.usecases.heartbeat import heartbeats

    with team.reader() as uow:
        [beat] = heartbeats(uow)
        from whoseonfirst_core.db.models import Meta

        meta = dict(uow.session.execute(select(Meta.key, Meta.value)).tuples().all())
    assert beat.instance_id == "test-instance" and beat.sms_backend == "twilio"
    assert beat.last_tick_at == clock.now() and beat.next_due_at == utc(2026, 3, 2, 14)
    assert meta["service_first_tick_at"] == meta["service_last_tick_at"] == clock.now().isoformat()


def test_no_team_yet_is_a_quiet_tick(db: Database, make_engine: MakeEngine) -> None:
    summary = make_engine().tick()
    assert summary.describe() == "nothing to do"
    with db.reader() as uow:
        from whoseonfirst_core.db.models import Notification

        assert uow.session.scalar(select(func.count()).select_from(Notification)) == 0


def test_the_horizon_is_extended_by_ticks(
    team: Database, engine: Engine, clock: FixedClock
) -> None:
    clock.set(utc(2026, 5, 11, 14))  # 10 weeks on: fewer than 4 weeks of schedule are left
    summary = engine.tick()
    assert summary.horizon_added > 0
    assert date(2026, 5, 11) < date(2026, 8, 1)


def test_an_instant_that_comes_due_during_a_tick_is_the_next_due(
    team: Database, backend: TwilioBackend, fake: FakeTwilio
) -> None:
    """A tick starting at 07:59:59.9 plans nothing for 08:00; if 08:00 passes before it ends,
    08:00 must still be its next due instant (not Tuesday's), so the daemon ticks again."""
    clock = SteppingClock(
        utc(2026, 3, 2, 13, 59, 59) + timedelta(milliseconds=900), timedelta(milliseconds=20)
    )
    engine = Engine(team, backend, clock, instance_id="slow", settings=EngineSettings())

    summary = engine.tick()

    assert clock.now() > utc(2026, 3, 2, 14)
    assert summary.next_due_at == utc(2026, 3, 2, 14)
    assert fake.create_requests == []
    engine.tick()
    assert (
        _bodies_to(fake, ANN)
        and sum(b.startswith("WhoseOnFirst schedule") for b in _bodies_to(fake, LEAD_PHONE)) == 1
    )
