"""Texts people send to the team's number: what they ask for, and what recording them does
(exactly once; STOP and START; WHO and HELP answered through the outbox; OK confirms a shift),
on SQLite and PostgreSQL. The Twilio side is in tests/service/."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from whoseonfirst_core.db.models import AuditEntry, InboundMessage, Notification, SpanConfirmation
from whoseonfirst_core.db.session import Database
from whoseonfirst_core.domain.replies import Asks, InboundText, asks, keyword
from whoseonfirst_core.roster import create_demo_team
from whoseonfirst_core.usecases import inbound, outbox
from whoseonfirst_core.usecases.calendar import Cover, apply_calendar_plan
from whoseonfirst_core.usecases.schedule import member_names

NOW = datetime(2026, 3, 2, 16, tzinfo=UTC)  # Mon 10:00 CST: Ann is on call (Mon 08:00 → Tue)
ANN, ANN_2ND, BEN, LEAD = "+13125550101", "+13125550111", "+13125550102", "+13125550199"
TEAM_NUMBER = "+13125550100"


@pytest.mark.parametrize(
    ("body", "opted_out", "expected"),
    [
        (" ok! ", False, Asks.CONFIRM),
        ("Yes", False, Asks.CONFIRM),
        ("y", False, Asks.CONFIRM),
        ("1", False, Asks.CONFIRM),
        ("STOP", False, Asks.STOP),
        ("stopall", True, Asks.STOP),
        ("Unsubscribe.", False, Asks.STOP),
        ("cancel", False, Asks.STOP),
        ("end", False, Asks.STOP),
        ("QUIT", False, Asks.STOP),
        ("start", True, Asks.START),
        ("UNSTOP", False, Asks.START),
        ("yes", True, Asks.START),  # YES from an opted-out phone opts back in
        ("who?", False, Asks.WHO),
        ("On call", False, Asks.WHO),
        ("help", False, Asks.HELP),
        ("ok, on my way", False, Asks.OTHER),
        ("", False, Asks.OTHER),
    ],
)
def test_what_a_text_asks_for(body: str, opted_out: bool, expected: Asks) -> None:
    assert asks(body, opted_out=opted_out) == expected


def test_the_keyword_ignores_case_spaces_and_punctuation() -> None:
    assert keyword("  Stop. ") == "STOP" and keyword("on-call") == "ONCALL"


@pytest.fixture
def team(db: Database) -> Database:
    with db.uow("admin") as uow:
        create_demo_team(uow, NOW - timedelta(hours=3), date(2026, 3, 2))
        uow.commit()
    with db.uow("admin") as uow:
        ann = next(i for i, n in member_names(uow).items() if n == "Ann Archer")
        from whoseonfirst_core.db.models import Member

        row = uow.session.get(Member, ann)
        assert row is not None
        row.secondary_phone = ANN_2ND
        uow.commit()
    return db


_sids = iter(range(10_000))


def _msg(sender: str, body: str, at: datetime = NOW) -> InboundText:
    return InboundText(f"SM{next(_sids):032d}", sender, TEAM_NUMBER, body, at)


def _record(db: Database, *messages: InboundText, at: datetime = NOW) -> list[inbound.Handled]:
    with db.uow("service") as uow:
        handled = inbound.record_inbound(uow, at, messages)
        uow.commit()
    return handled


def _queued(db: Database, kind: str) -> list[tuple[str, str]]:
    with db.reader() as uow:
        rows = uow.session.scalars(select(Notification).where(Notification.kind == kind))
        return [(r.recipient_phone, r.body) for r in rows]


def test_each_message_is_recorded_and_acted_on_once(team: Database) -> None:
    who = _msg(BEN, "WHO")
    first = _record(team, who)
    again = _record(team, who)  # listed again by an overlapping poll, or by a second service
    assert [h.asks for h in first] == [Asks.WHO] and again == []
    assert len(_queued(team, "reply")) == 1
    with team.reader() as uow:
        assert uow.session.scalar(select(InboundMessage.outcome)).startswith("answered: On call")


def test_who_answers_with_who_is_on_call_until_when_and_who_is_next(team: Database) -> None:
    _record(team, _msg(BEN, "who"))
    assert _queued(team, "reply") == [
        (BEN, "On call: Ann Archer +1 312-555-0101 until Tue 08:00 CST. Next: Ben Brooks.")
    ]


def test_who_across_a_cover_names_the_coverer(team: Database) -> None:
    with team.uow("admin") as uow:
        fay = next(i for i, n in member_names(uow).items() if n == "Fay Fisher")
        apply_calendar_plan(
            uow, NOW, [Cover(fay, NOW - timedelta(hours=1), datetime(2026, 3, 2, 20, tzinfo=UTC))]
        )
        uow.commit()
    _record(team, _msg(BEN, "WHO"))
    assert _queued(team, "reply") == [
        (BEN, "On call: Fay Fisher +1 312-555-0106 until Mon 14:00 CST. Next: Ann Archer.")
    ]


def test_help_is_answered_and_an_unknown_number_gets_nothing(team: Database) -> None:
    handled = _record(team, _msg(BEN, "HELP"), _msg("+13125550177", "WHO"))
    assert handled[1].outcome == "from a number the team does not know: no reply"
    [(to, body)] = _queued(team, "reply")
    assert to == BEN and body.startswith("WhoseOnFirst on-call texts for Support (demo).")


def test_stop_opts_the_phone_out_tells_the_lead_once_and_start_opts_it_back_in(
    team: Database,
) -> None:
    _record(team, _msg(ANN_2ND, "STOP"), _msg(ANN_2ND, "stop", NOW + timedelta(seconds=5)))
    with team.reader() as uow:
        assert inbound.opted_out_phones(uow.session) == {ANN_2ND}
        ann = next(
            r for r in outbox.load_team(uow.session).members.values() if r.name == "Ann Archer"
        )
        assert ann.phones == (ANN,) and ann.call == ANN  # the other phone still gets texts
    assert _queued(team, "opt_out_alert") == [
        (
            LEAD,
            "WhoseOnFirst: Ann Archer cannot be texted on +1 312-555-0111: it replied STOP. "
            "Nothing more is sent to that phone until it replies START.",
        )
    ]
    assert _queued(team, "reply") == []  # no answer to STOP (the carrier sends its own)
    _record(team, _msg(ANN_2ND, "who"))  # an opted-out phone gets no answer either
    assert _queued(team, "reply") == []
    _record(team, _msg(ANN_2ND, "YES"))  # YES from an opted-out phone: back in
    with team.reader() as uow:
        assert inbound.opted_out_phones(uow.session) == set()
        actions = list(uow.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))
    assert actions[-2:] == ["phone.opt_out", "phone.opt_in"]


def test_ok_confirms_the_running_shift_once(team: Database) -> None:
    handled = _record(team, _msg(ANN, "OK"), _msg(ANN_2ND, "ok", NOW + timedelta(minutes=1)))
    assert [h.outcome for h in handled] == ["confirmed the shift starting Mon 08:00 CST"] * 2
    with team.reader() as uow:
        rows = [
            (r.span_start, r.confirmed_at, r.phone)
            for r in uow.session.scalars(select(SpanConfirmation))
        ]
    assert rows == [(datetime(2026, 3, 2, 14, tzinfo=UTC), NOW, ANN)]


def test_ok_confirms_the_next_shift_within_12_hours_or_nothing(team: Database) -> None:
    evening = datetime(2026, 3, 3, 3, tzinfo=UTC)  # Mon 21:00 CST: Ben starts Tue 08:00 (11 h)
    [soon] = _record(team, _msg(BEN, "ok", evening), at=evening)
    assert soon.outcome == "confirmed the shift starting Tue 08:00 CST"
    [later] = _record(team, _msg("+13125550103", "ok", evening), at=evening)  # Cal: Thu
    assert later.outcome == "no shift to confirm (none running or within 12 hours)"


def test_the_poll_cursor_overlaps_and_never_goes_back(team: Database) -> None:
    with team.uow("service") as uow:
        assert inbound.poll_since(uow.session, NOW) == NOW - inbound.POLL_OVERLAP
        inbound.advance_cursor(uow.session, NOW)
        inbound.advance_cursor(uow.session, NOW - timedelta(minutes=5))  # an older poll
        uow.commit()
    with team.reader() as uow:
        later = NOW + timedelta(minutes=1)
        assert inbound.poll_since(uow.session, later) == NOW - inbound.POLL_OVERLAP
