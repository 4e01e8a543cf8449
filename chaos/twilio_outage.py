"""Twilio outage drill (issue 7, drill 4): five minutes of 503s and dropped connections.

Fake time, one tick every 30 s (the daemon's interval), the engine in-process with the real
Twilio adapter talking to the fake server, on SQLite and (when available) PostgreSQL.

At Monday 08:00 Ann's 24 h shift starts (two phones) and the weekly summary is due; Cal covers
08:01-08:04, so Ann's first span ends at 08:01 and she is texted again when she takes the shift
back at 08:04. At 08:04:30, while those texts retry, an admin saves Eve's cover from 08:04:45:
Ann's second span is cut short during the outage (the texts' validity must follow it). From
08:00 to 08:05 every create request gets a 503 or a dropped connection
(the first summary attempt is dropped *after* the fake created it: an ambiguous send), and
list and fetch requests get 503s, so reconciliation fails too. Afterwards:

- every text whose span is still running — Eve's for 08:04:45, the summary — reached
  the fake exactly once, before its validity ended, with a ``ValidityPeriod`` that fits it;
- the texts whose spans ended during the outage (Ann 08:00-08:01, Cal 08:01-08:04, Ann
  08:04-08:04:45, the one cut short) were never
  sent, are ``expired``/``missed``, and each span raised exactly one failure alert, delivered
  to the escalation contact once the outage was over;
- Ann, relieved by Eve's cover while on call, is told once on each phone that she is off call.
"""

from __future__ import annotations

import collections
import io
import itertools
import logging
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from chaos.common import (
    CONTACT,
    MEMBERS,
    ChaosRun,
    DrillResult,
    DrillTwilio,
    TextKey,
    apply_tally,
    drill_engine,
    import_roster,
    on_each_backend,
    roster,
    tally,
)
from tests.fakes.fake_twilio import Reply
from whoseonfirst_core.clock import FixedClock
from whoseonfirst_core.db.models import Notification
from whoseonfirst_core.db.session import Database

TZ = ZoneInfo("America/Chicago")
ANCHOR = date(2026, 3, 9)  # Monday; CDT since the day before
T0 = datetime(2026, 3, 9, 8, 0, tzinfo=TZ)
OUTAGE = timedelta(minutes=5)
TICK = timedelta(seconds=30)
AFTER = timedelta(minutes=20)  # keep ticking this long after the outage
#: Mid-outage, while Ann's 08:04 texts retry, an admin saves Eve's cover from 08:04:45.
CUT_AT = T0 + timedelta(minutes=4, seconds=30)
EVE_FROM = T0 + timedelta(minutes=4, seconds=45)


def run(run: ChaosRun) -> DrillResult:
    return on_each_backend(run, "twilio outage", _one)


class _Outage:
    """Answers for create requests while Twilio is down: 503, dropped connection, in turn."""

    def __init__(self, fake: DrillTwilio, until: datetime) -> None:
        self.fake = fake
        self.until = until
        self.counter = itertools.count()
        self.answers: collections.Counter[str] = collections.Counter()
        self.summary_dropped_after_create = False

    def down(self) -> bool:
        return self.fake.now() < self.until

    def __call__(self, form: dict[str, str]) -> Reply | None:
        if not self.down():
            return None
        if (
            form.get("To") == CONTACT[1]
            and form.get("Body", "").startswith("WhoseOnFirst schedule")
            and not self.summary_dropped_after_create
        ):
            self.summary_dropped_after_create = True
            self.answers["dropped after creating"] += 1
            return Reply.drop(create=True)
        if next(self.counter) % 2 == 0:
            self.answers["503"] += 1
            return Reply.error(503)
        self.answers["dropped"] += 1
        return Reply.drop(create=False)


class _OutageTwilio(DrillTwilio):
    """Also answers list and fetch requests with 503 while the outage lasts."""

    outage: _Outage | None = None

    def _list(self, handler: Any, query: dict[str, str], path: str) -> None:
        if self._reads_down():
            return self._down(handler)
        return super()._list(handler, query, path)

    def _fetch(self, handler: Any, sid: str, path: str) -> None:
        if self._reads_down():
            return self._down(handler)
        return super()._fetch(handler, sid, path)

    def _reads_down(self) -> bool:
        return self.outage is not None and self.outage.down()

    def _down(self, handler: Any) -> None:
        from tests.fakes.fake_twilio import _send_error

        assert self.outage is not None
        self.outage.answers["503 to a read"] += 1
        _send_error(handler, 503, None)


def _one(run: ChaosRun, backend: str, result: DrillResult) -> None:
    from whoseonfirst_service.logging_setup import setup_logging

    from whoseonfirst_core.domain.texts import shift_start_texts
    from whoseonfirst_core.usecases import outbox
    from whoseonfirst_core.usecases.schedule import resolve_window

    url = run.new_database(backend, f"twilio-outage-{backend}")
    cover = {
        "member": "Cal Chen",
        "start": (T0 + timedelta(minutes=1)).isoformat(),
        "end": (T0 + timedelta(minutes=4)).isoformat(),
        "reason": "drill",
    }
    import_roster(url, roster(anchor=ANCHOR, overrides=[cover]), T0 - timedelta(days=1))
    outage_end = T0 + OUTAGE
    db = Database(url)
    clock = FixedClock(T0)
    logs = io.StringIO()
    handler = setup_logging("json", secrets=[run.auth_token], stream=logs)
    try:
        fake = _OutageTwilio(run, T0)
        with fake:
            fake.set_status_script(["delivered"])
            outage = _Outage(fake, outage_end)
            fake.outage = outage
            fake.reply_for = outage
            engine, backend_sms = drill_engine(run, db, clock, fake, f"chaos-outage-{backend}")
            try:
                at = T0
                while at <= outage_end + AFTER:
                    clock.set(at)
                    fake.set_now(at)
                    if at == CUT_AT:
                        _eve_takes_over(db, at)
                    engine.tick()
                    at += TICK
            finally:
                backend_sms.close()
            # What the planner says was due: the spans starting in the outage, with validity,
            # as the schedule stands after the cut.
            with db.reader() as uow:
                team = outbox.load_team(uow.session)
                spans = resolve_window(
                    uow, T0 - timedelta(hours=1), T0 + timedelta(days=1), clip=False
                )
            planned = [t for t in shift_start_texts(spans, team) if T0 <= t.due_at < outage_end]
            must_send = [t for t in planned if t.expires_at > outage_end]
            must_not = [t for t in planned if t.expires_at <= outage_end]
            received = fake.received()
            _check(result, backend, db, fake, received, must_send, must_not, outage)
    finally:
        logging.getLogger().removeHandler(handler)
        db.dispose()
        run.evidence.add_log(f"twilio-outage {backend} engine logs", logs.getvalue())


def _eve_takes_over(db: Database, now: datetime) -> None:
    """An admin saves Eve's cover from ``EVE_FROM``: Ann's span cut short while her texts retry."""
    from sqlalchemy import select

    from whoseonfirst_core.db.models import Member
    from whoseonfirst_core.usecases.calendar import Cover, add_override

    with db.uow("admin") as uow:
        eve = uow.session.scalars(select(Member.id).where(Member.name == "Eve Evans")).one()
        add_override(uow, now, Cover(eve, EVE_FROM, EVE_FROM + timedelta(minutes=30)))
        uow.commit()


def _ann_off_call() -> list[TextKey]:
    """Ann is told once, on each phone, that she is off call: the first tick after Eve's cover
    begins sees it (a change notice; it waits out the outage like any text)."""
    from whoseonfirst_core.domain.notices import fmt_clock

    ticks = -(-(EVE_FROM - T0) // TICK)  # whole ticks, rounded up
    off_at = T0 + TICK * ticks
    body = f"WhoseOnFirst: you are off call from {fmt_clock(off_at, TZ)}; Eve Evans is on call."
    return [(p, body) for name, *phones in MEMBERS if name == "Ann Archer" for p in phones if p]


def _check(
    result: DrillResult,
    backend: str,
    db: Database,
    fake: DrillTwilio,
    received: collections.Counter[TextKey],
    must_send: list[Any],
    must_not: list[Any],
    outage: _Outage,
) -> None:
    from whoseonfirst_core.domain.masking import mask_phone

    summary = [k for k in received if k[0] == CONTACT[1] and k[1].startswith("WhoseOnFirst sched")]
    alerts = [k for k in received if k[0] == CONTACT[1] and k[1].startswith("WhoseOnFirst ALERT")]
    expected: list[TextKey] = [(t.recipient_phone, t.body) for t in must_send]
    expected += summary[:1] or [(CONTACT[1], "(the weekly summary)")]
    expected += _ann_off_call()
    # One alert per span whose texts could not go out: Ann 08:00 and Cal 08:01.
    spans_lost = sorted({(t.recipient_name, t.span_start) for t in must_not})
    for name, start in spans_lost:
        local = start.astimezone(TZ).strftime("%a %H:%M")
        mine = [k for k in alerts if f"could not reach {name} " in k[1] and local in k[1]]
        expected += mine[:1] or [(CONTACT[1], f"(an alert about {name} at {local})")]
    t = tally(expected, received)
    apply_tally(result, t, backend)
    for text in must_not:
        key = (text.recipient_phone, text.body)
        if received.get(key):
            result.error(
                f"{backend}: {mask_phone(text.recipient_phone)} was texted for a span "
                f"that ended during the outage"
            )
    by_key = {
        (r.form.get("To"), r.form.get("Body")): r
        for r in fake.create_requests
        if r.received_at >= T0 + OUTAGE
    }
    for text in must_send:
        request = by_key.get((text.recipient_phone, text.body))
        if request is None:
            continue
        if request.received_at >= text.expires_at:
            result.error(f"{backend}: a text was sent after its span ended")
        validity = int(request.form.get("ValidityPeriod") or 0)
        left = (text.expires_at - request.received_at).total_seconds()
        if not 0 < validity <= min(left, 36_000):
            result.error(
                f"{backend}: ValidityPeriod {validity} s does not fit the {left:.0f} s "
                "left of the span"
            )
    with db.reader() as uow:
        rows = list(uow.session.query(Notification).filter(Notification.kind == "shift_start"))
        uow.session.expunge_all()
    lost_rows = [
        r
        for r in rows
        if any(
            r.span_start == t.span_start and r.recipient_phone == t.recipient_phone
            for t in must_not
        )
    ]
    if len(lost_rows) != len(must_not):
        result.error(
            f"{backend}: {len(lost_rows)} outbox rows for the {len(must_not)} texts "
            "whose span ended during the outage"
        )
    for r in lost_rows:
        if r.status not in ("expired", "missed") or not r.alerted:
            result.error(
                f"{backend}: a text whose span ended is {r.status} "
                f"(alerted: {r.alerted}), not expired/missed and alerted"
            )
    during = sum(1 for r in fake.create_requests if r.received_at < T0 + OUTAGE)
    answers = ", ".join(f"{k} {v}" for k, v in sorted(outage.answers.items()))
    result.notes.append(
        f"{backend}: {during} create requests failed during the 5-minute outage ({answers}); "
        f"afterwards {len(must_send)} shift texts + summary sent once each, "
        f"{len(must_not)} texts of ended spans expired unsent, {len(alerts)} failure alerts"
    )
