"""Slow-trickling Twilio drill (issue 19, item 2): Twilio answers a header line every 2 s for
60 s.

The real daemon (``whoseonfirst-service run``, real clock, SQLite) against the fake Twilio
server. At ``T`` Ann's cover starts (two phones): the create request for her first phone gets
its status line at once and then one header line every 2 s for a minute (each read quick, the
whole answer slow; the message is created at Twilio). Cal's cover starts 20 s later (two
phones), Eve's 45 s after ``T``; her create trickles too, and one second into it the daemon
gets SIGTERM, as ``systemctl stop`` sends it.

Must hold:

- Ann's second phone gets its text within ``OTHERS_WITHIN_S`` of the instant: the trickling
  request is cut when its total time passes the request deadline (12 s), not after a minute;
- Ann's trickled text is reconciled (found at Twilio by listing) and never sent again; Cal's
  texts go out as usual; every text exactly once;
- after SIGTERM the daemon exits 0 within ``STOP_WITHIN_S`` — well inside the unit's
  ``TimeoutStopSec=30``, after which systemd would SIGKILL it mid-send.

Eve's text was created at Twilio before the stop: it counts once; her row stays claimed for
the next daemon to reconcile after the stale-claim limit (the kill drills prove that path).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from whoseonfirst_service.twilio_sms import REQUEST_DEADLINE_SECONDS

from chaos.common import (
    MEMBERS,
    ChaosRun,
    DrillResult,
    apply_tally,
    drill_twilio,
    import_covers,
    log_has_event,
    sleep_until,
    start_daemon,
    stop_daemon,
    tally,
    wait_until,
)
from tests.fakes.fake_twilio import Reply

TRICKLE_EVERY_S = 2.0
TRICKLE_FOR_S = 60.0
#: The others may wait for the cut request (its deadline) and a little more.
OTHERS_WITHIN_S = 15.0
#: systemd's TimeoutStopSec is 30 s; the daemon must be out well before.
STOP_WITHIN_S = 20.0
CAL_AFTER = timedelta(seconds=20)
EVE_AFTER = timedelta(seconds=45)  # time for Ann's text to be reconciled first


def run(run: ChaosRun) -> DrillResult:
    result = DrillResult("slow-trickling Twilio")
    ann, _ben, cal, _dee, eve = MEMBERS
    url = run.new_database("sqlite", "trickle")
    log_path = run.folder("trickle") / "daemon.log"
    with drill_twilio(run) as fake, log_path.open("w", encoding="utf-8") as log:
        proc = start_daemon(run, url, fake, "trickle", log=log)
        try:
            if not wait_until(lambda: log_has_event(log_path, "tick"), 120, step=0.1):
                result.error("the daemon never ticked")
                return result
            t = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=3)
            cal_at, eve_at = t + CAL_AFTER, t + EVE_AFTER
            expected = import_covers(
                url,
                datetime.now(UTC),
                [
                    (ann[0], t, cal_at),
                    (cal[0], cal_at, eve_at),
                    (eve[0], eve_at, eve_at + timedelta(minutes=30)),
                ],
            )
            trickled = fake.answer_first_create_to(
                [ann[1], eve[1]], Reply.trickle(TRICKLE_EVERY_S, TRICKLE_FOR_S, create=True)
            )
            others = {ann[2]}
            sleep_until(t)
            wait_until(lambda: others <= {m.to for m in fake.created}, 40, step=0.05)
            wait_until(lambda: "reconciled" in _outcomes(url, ann[1]), 40, step=0.5)
            sleep_until(eve_at)
            wait_until(lambda: eve[1] in trickled, 30, step=0.05)
            time.sleep(1.0)
            stop_asked = time.monotonic()
            proc.terminate()
            wait_until(lambda: proc.poll() is not None, 40, step=0.05)
            stop_s = time.monotonic() - stop_asked
        finally:
            code, _out, _err = stop_daemon(run, proc, "trickle daemon", result, "the daemon")
        received = fake.received()
        arrivals = {r.form.get("To"): r.received_at for r in fake.create_requests}
    apply_tally(result, tally(list(expected), received), "trickle")
    late = {to: (arrivals[to] - t).total_seconds() for to in others if to in arrivals}
    slowest = max(late.values(), default=None)
    if slowest is None or slowest > OTHERS_WITHIN_S or len(late) < len(others):
        result.error(f"the other texts reached Twilio {late} s after their instants")
    if stop_s > STOP_WITHIN_S or code != 0:
        result.error(f"after SIGTERM the daemon took {stop_s:.1f} s and exited {code}")
    outcomes = _outcomes(url, ann[1])
    if "reconciled" not in outcomes:
        result.error(f"Ann's trickled text was not reconciled: attempts {outcomes}")
    result.notes.append(
        f"a create trickling a header line every {TRICKLE_EVERY_S:.0f} s for "
        f"{TRICKLE_FOR_S:.0f} s is cut at the {REQUEST_DEADLINE_SECONDS:.0f} s request deadline: "
        f"Ann's other phone got its text {_seconds(slowest)} after the instant; the trickled "
        f"text's attempts {', '.join(outcomes)} (found at Twilio, not resent); SIGTERM during "
        f"a second trickle: exit {code} after {stop_s:.1f} s (TimeoutStopSec=30)"
    )
    return result


def _seconds(value: float | None) -> str:
    return "never" if value is None else f"{value:.1f} s"


def _outcomes(url: str, phone: str) -> list[str]:
    """The attempt outcomes of the texts to ``phone``, oldest first."""
    from sqlalchemy import select

    from whoseonfirst_core.db.models import Notification, NotificationAttempt
    from whoseonfirst_core.db.session import Database

    db = Database(url)
    try:
        with db.reader() as uow:
            return list(
                uow.session.scalars(
                    select(NotificationAttempt.outcome)
                    .join(Notification, Notification.id == NotificationAttempt.notification_id)
                    .where(Notification.recipient_phone == phone)
                    .order_by(NotificationAttempt.id)
                )
            )
    finally:
        db.dispose()
