"""What a failure alert tells the escalation contact: which phone failed (two masked numbers
look alike) and, for a missed text, when the service was down in the team's local time."""

from __future__ import annotations

from whoseonfirst_service.engine import Engine

from tests.fakes.fake_twilio import FakeTwilio, Reply
from tests.service.conftest import LEAD_PHONE, notifications, set_secondary_phone, utc
from whoseonfirst_core.clock import FixedClock
from whoseonfirst_core.db.session import Database

ANN_2ND = "+13125550111"


def _alerts(fake: FakeTwilio) -> list[str]:
    return [
        r.form["Body"]
        for r in fake.create_requests
        if r.form["To"] == LEAD_PHONE and r.form["Body"].startswith("WhoseOnFirst ALERT")
    ]


def test_an_alert_about_both_phones_says_which_phone_failed(
    quiet: Database, engine: Engine, clock: FixedClock, fake: FakeTwilio
) -> None:
    set_secondary_phone(quiet, "Ann", ANN_2ND)
    engine.tick()
    fake.script_create([Reply.error(400, 21211), Reply.error(400, 21614)])
    clock.set(utc(2026, 3, 2, 14, 0, 30))
    engine.tick()
    assert _alerts(fake) == [
        "WhoseOnFirst ALERT: could not reach Ann Archer for the Monday shift starting "
        "Mon 08:00 CST. primary phone +1312555XXXX: Twilio rejected the number as invalid "
        "(21211); secondary phone +1312555XXXX: the number is not a mobile number and cannot "
        "receive texts (21614)."
    ]


def test_a_missed_alert_quotes_local_times(
    quiet: Database, engine: Engine, clock: FixedClock, fake: FakeTwilio
) -> None:
    engine.tick()  # Mon 07:00 CST: the service runs, then is down all Monday
    clock.set(utc(2026, 3, 3, 15))  # back Tue 09:00 CST: Ann's Monday span ended at 08:00
    engine.tick()
    [missed] = [r for r in notifications(quiet, "shift_start") if r.status == "missed"]
    assert missed.error_message == (
        "the service did not run between Mon 3/2 07:00 CST and Tue 3/3 09:00 CST, "
        "and this ended in between"
    )
    [alert] = _alerts(fake)
    assert "Mon 3/2 07:00 CST and Tue 3/3 09:00 CST" in alert
    assert "T13:00" not in alert and "UTC" not in alert
