"""Test send: the row appears queued at once; the page follows it to sent and delivered; a stale
service heartbeat is said plainly."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from sqlalchemy import update

from tests.gui.helpers import member_id
from whoseonfirst_core.clock import FixedClock
from whoseonfirst_core.db.models import Notification, ServiceHeartbeat
from whoseonfirst_core.db.session import Database, bump
from whoseonfirst_core.usecases.notifications import HistoryFilter, history_page
from whoseonfirst_gui.context import AppContext
from whoseonfirst_gui.live import RevisionPoller
from whoseonfirst_gui.pages.test_send import TestSendPage


def open_page(qtbot: Any, ctx: AppContext) -> TestSendPage:
    page = TestSendPage(ctx)
    qtbot.addWidget(page)
    page.refresh()
    qtbot.waitUntil(lambda: page.data is not None)
    return page


def texts(db: Database) -> list[Any]:
    with db.reader() as uow:
        rows, _ = history_page(uow, HistoryFilter(kinds=("test",)))
    return rows


def test_send_to_a_member_shows_the_row_queued(
    qtbot: Any, ctx: AppContext, demo_db: Database
) -> None:
    page = open_page(qtbot, ctx)
    page.select_member(member_id(demo_db, "Cal Chen"))
    assert page.send_button.isEnabled()
    page.send_button.click()
    qtbot.waitUntil(lambda: page.tracked is not None, timeout=5000)
    assert page.tracked is not None and page.tracked.status == "queued"
    assert "queued" in page.status_label.text() and "Cal Chen" in page.status_label.text()
    rows = texts(demo_db)
    assert [(r.recipient_name, r.status, r.triggered_by) for r in rows] == [
        ("Cal Chen", "queued", ctx.actor)
    ]
    assert page.track_timer.isActive()  # it keeps looking until the text is delivered/failed


def test_send_to_any_number_validates_it(qtbot: Any, ctx: AppContext, demo_db: Database) -> None:
    page = open_page(qtbot, ctx)
    page.to_number.setChecked(True)
    page.number_edit.setText("12")
    assert not page.send_button.isEnabled()
    assert page.number_error.text() == "'12' has the wrong number of digits"
    page.number_edit.setText("(312) 555-0188")
    page.body.setPlainText("ping from the test")
    assert page.send_button.isEnabled()
    page.send_button.click()
    qtbot.waitUntil(lambda: page.tracked is not None, timeout=5000)
    assert texts(demo_db)[0].recipient_phone == "+13125550188"
    assert texts(demo_db)[0].body == "ping from the test"


def test_page_follows_the_status_as_the_service_updates_it(
    qtbot: Any, ctx: AppContext, demo_db: Database, clock: FixedClock
) -> None:
    """The service's side is simulated with plain row updates (any service does the same)."""
    page = open_page(qtbot, ctx)
    poller = RevisionPoller(ctx)
    with qtbot.waitSignal(poller.polled, timeout=5000):
        poller.poll_now()
    page.select_member(member_id(demo_db, "Ann Archer"))
    page.send_button.click()
    qtbot.waitUntil(lambda: page.tracked is not None, timeout=5000)
    nid = page.tracked.id  # type: ignore[union-attr]
    for status, column in (
        ("sent", Notification.sent_at),
        ("delivered", Notification.delivered_at),
    ):
        clock.advance(timedelta(seconds=2))
        with demo_db.uow("service") as uow:
            uow.session.execute(
                update(Notification)
                .where(Notification.id == nid)
                .values({Notification.status: status, column: clock.now()})
            )
            uow.commit()
        with qtbot.waitSignal(ctx.events.data_changed, timeout=5000):
            poller.poll_now()
        qtbot.waitUntil(
            lambda s=status: page.tracked is not None and page.tracked.status == s, timeout=5000
        )
        assert f">{status}<" in page.status_label.text()
    assert (
        "queued Mon 07:00:00 CST → sent Mon 07:00:02 CST → delivered Mon 07:00:04 CST"
        in page.status_label.text()
    )
    assert not page.track_timer.isActive()
    poller.stop()


def test_stale_heartbeat_is_said_plainly(
    qtbot: Any, ctx: AppContext, demo_db: Database, clock: FixedClock
) -> None:
    page = open_page(qtbot, ctx)
    assert page.service_label.text() == (
        "The service has never checked in on this database; the text will wait in the queue "
        "until it runs."
    )
    with demo_db.uow("service") as uow:
        uow.session.add(
            ServiceHeartbeat(
                instance_id="vm1",
                host="rhel-vm-01",
                version="1.0",
                sms_backend="twilio",
                started_at=clock.now() - timedelta(hours=3),
                last_tick_at=clock.now() - timedelta(minutes=10),
            )
        )
        bump(uow.session)
        uow.commit()
    page.refresh()
    qtbot.waitUntil(lambda: page.data is not None and page.data.heartbeat is not None)
    assert page.service_label.text() == (
        "The service has not checked in since Mon 3/2/2026 06:50 CST; the text will wait "
        "in the queue until it runs."
    )
    with demo_db.uow("service") as uow:
        uow.session.execute(update(ServiceHeartbeat).values(last_tick_at=clock.now()))
        uow.commit()
    page.refresh()
    qtbot.waitUntil(lambda: page.data is not None and page.data.alive)
    assert not page.service_label.isVisibleTo(page)
    problem = "texts cannot be sent: Twilio refused the account SID and auth token (20003)"
    with demo_db.uow("service") as uow:
        uow.session.execute(update(ServiceHeartbeat).values(sms_problem=problem))
        uow.commit()
    page.refresh()
    qtbot.waitUntil(lambda: page.service_label.isVisibleTo(page))
    assert page.service_label.text() == (
        f"The service is running, but texts are not going out: {problem}. This text will most "
        "likely fail too."
    )


def test_service_tick_sends_it_through_fake_twilio(
    qtbot: Any, ctx: AppContext, demo_db: Database, clock: FixedClock
) -> None:
    """End to end with the real service engine (tests may import it; the GUI never does)."""
    import whoseonfirst_service.engine as engine_mod
    import whoseonfirst_service.twilio_sms as sms_mod

    from tests.fakes.fake_twilio import FakeTwilio

    page = open_page(qtbot, ctx)
    page.select_member(member_id(demo_db, "Ben Brooks"))
    page.send_button.click()
    qtbot.waitUntil(lambda: page.tracked is not None, timeout=5000)
    with FakeTwilio(clock=clock.now) as fake:
        fake.set_status_script(["delivered"])
        backend = sms_mod.TwilioBackend(
            fake.account_sid,
            fake.auth_token,
            from_number="+13125550100",
            api_url=fake.base_url,
            timeout=5.0,
        )
        try:
            engine = engine_mod.Engine(
                demo_db,
                backend,
                clock,
                rng=random.Random(1),
                instance_id="gui-test",
                settings=engine_mod.EngineSettings(),
            )
            engine.tick()  # claims, sends through the fake Twilio, records the outcome
            page.refresh()
            qtbot.waitUntil(
                lambda: page.tracked is not None and page.tracked.status in ("sent", "delivered"),
                timeout=5000,
            )
            if page.tracked is not None and page.tracked.status == "sent":
                clock.advance(timedelta(minutes=1))
                engine.tick()  # polls the delivery status
                page.refresh()
            qtbot.waitUntil(
                lambda: page.tracked is not None and page.tracked.status == "delivered",
                timeout=5000,
            )
            assert "delivered" in page.status_label.text()
        finally:
            backend.close()
    assert [r.form.get("To") for r in fake.create_requests] == ["+13125550102"]
