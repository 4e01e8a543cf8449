"""The Texts page shows the texts sent to the team among those it sent: who from (an unknown
number masked), what it asked and what it did, filtered by direction; no Resend for them."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import Qt

from whoseonfirst_core.clock import FixedClock
from whoseonfirst_core.db.session import Database
from whoseonfirst_core.domain.replies import InboundText
from whoseonfirst_core.usecases import inbound
from whoseonfirst_core.usecases.dto import InboundDTO, NotificationDTO
from whoseonfirst_core.usecases.notifications import HistoryFilter, queue_text, texts_page
from whoseonfirst_gui.context import AppContext
from whoseonfirst_gui.pages.notifications import NotificationsPage
from whoseonfirst_gui.qtmodels.history_model import HistoryModel

ANN, STRANGER = "+13125550101", "+13125550177"


def add_both_ways(db: Database, clock: FixedClock) -> None:
    """A test text to Ann at 07:00 CST, her OK at 07:05 (confirms her 08:00 shift), one from
    an unknown number at 07:10."""
    with db.uow("admin") as uow:
        queue_text(uow, clock.now(), to=ANN)
        uow.commit()
    for minutes, sender, body in ((5, ANN, "ok"), (10, STRANGER, "Who is this?")):
        sent = clock.now() + timedelta(minutes=minutes)
        with db.uow("service") as uow:
            message = InboundText(f"SM{minutes:032d}", sender, "+13125550100", body, sent)
            inbound.record_inbound(uow, sent + timedelta(seconds=4), [message])
            uow.commit()


def loaded(qtbot: Any, page: NotificationsPage) -> NotificationsPage:
    qtbot.addWidget(page)
    page.refresh()
    qtbot.waitUntil(lambda: page.loaded, timeout=5000)
    page.ctx.runner.wait_idle()
    return page


def cells(model: HistoryModel, row: int) -> list[str]:
    return [model.index(row, c).data() for c in range(model.columnCount())]


def test_texts_sent_to_the_team_are_listed_with_what_they_did(
    qtbot: Any, ctx: AppContext, demo_db: Database, clock: FixedClock, tmp_path: Path
) -> None:
    add_both_ways(demo_db, clock)
    page = loaded(qtbot, NotificationsPage(ctx))
    page.resize(1300, 700)
    assert page.page_label.text() == "1–3 of 3"
    assert cells(page.model, 0) == [
        "In",
        "Mon 3/2 07:10 CST",
        "",
        "Message",
        "from +1312555XXXX",  # an unknown number is never shown whole
        "received",
        "",
        f"SM{10:032d}",
        "from a number the team does not know: no reply",
    ]
    assert cells(page.model, 1)[3:5] == ["Confirm (OK)", "from Ann Archer (+1 312-555-0101)"]
    assert cells(page.model, 1)[8] == "confirmed the shift starting Mon 08:00 CST"
    assert cells(page.model, 2)[0] == "Out"
    assert page.model.index(1, HistoryModel.TO).data(Qt.ItemDataRole.ToolTipRole) == "ok"

    page.view.selectRow(1)
    ok = page.model.row_at(1)
    assert isinstance(ok, InboundDTO)
    qtbot.waitUntil(lambda: page.detail is not None and page.detail.text == ok)
    shown = page.details.toPlainText()
    assert "What it did" in shown and "confirmed the shift starting Mon 08:00 CST" in shown
    assert "Ann Archer (+1 312-555-0101)" in shown and "Read by the service" in shown
    assert not page.resend_button.isEnabled()  # only a text the team sent can be resent
    page.grab().save(str(tmp_path / "texts-both-ways.png"))

    page.view.selectRow(2)
    qtbot.waitUntil(lambda: page.resend_button.isEnabled())


def test_the_direction_filter_lists_one_way(
    qtbot: Any, ctx: AppContext, demo_db: Database, clock: FixedClock
) -> None:
    add_both_ways(demo_db, clock)
    page = loaded(qtbot, NotificationsPage(ctx))
    page.way_combo.setCurrentIndex(page.way_combo.findData("in"))
    qtbot.waitUntil(lambda: page.page_label.text() == "1–2 of 2")
    assert {cells(page.model, r)[0] for r in range(2)} == {"In"}
    assert not page.kind_combo.isEnabled() and not page.status_combo.isEnabled()
    page.search.setText("ann")
    qtbot.keyClick(page.search, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: page.page_label.text() == "1–1 of 1")
    page.show_problems()  # the dashboard's Details…: problems are texts the team sent
    qtbot.waitUntil(lambda: page.page_label.text() == "No texts match.")
    assert page.way_combo.currentData() is None and page.status_combo.isEnabled()
    page.search.setText("")
    page.way_combo.setCurrentIndex(page.way_combo.findData("out"))
    qtbot.waitUntil(lambda: page.status_combo.currentData() == "problems")
    page.status_combo.setCurrentIndex(0)
    qtbot.waitUntil(lambda: page.page_label.text() == "1–1 of 1")
    assert isinstance(page.model.row_at(0), NotificationDTO)


def test_history_model_with_both_ways(
    qtmodeltester: Any, demo_db: Database, clock: FixedClock
) -> None:
    add_both_ways(demo_db, clock)
    with demo_db.reader() as uow:
        rows = texts_page(uow, HistoryFilter())
    model = HistoryModel()
    model.set_rows(rows, ZoneInfo("America/Chicago"))
    assert model.rowCount() == 3
    qtmodeltester.check(model, force_py=True)
