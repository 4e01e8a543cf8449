"""The Team page says which phone opted out and why, so an admin knows why it gets nothing:
``+1 312-555-0111 (opted out: replied STOP Mon 3/2)``, ``(opted out: Twilio 21610)``."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush

from tests.gui.helpers import member_id
from whoseonfirst_core.clock import FixedClock
from whoseonfirst_core.db.models import Member
from whoseonfirst_core.db.session import Database
from whoseonfirst_core.domain.replies import InboundText
from whoseonfirst_core.usecases import inbound
from whoseonfirst_gui import format as fmt
from whoseonfirst_gui.context import AppContext
from whoseonfirst_gui.pages.team import TeamPage
from whoseonfirst_gui.qtmodels.team_model import TeamModel

ANN_2ND, BEN = "+13125550111", "+13125550102"


def reply(db: Database, clock: FixedClock, sender: str, body: str) -> None:
    with db.uow("service") as uow:
        sent = clock.now()
        message = InboundText(f"SM{sender}{body}", sender, "+13125550100", body, sent)
        inbound.record_inbound(uow, sent, [message])
        uow.commit()


def phones(page: TeamPage, name: str) -> tuple[str, str]:
    row = page.model.row_of(member_id(page.ctx.db, name))
    return (
        page.model.index(row, TeamModel.PHONE).data(),
        page.model.index(row, TeamModel.SECONDARY).data(),
    )


def test_an_opted_out_phone_says_why_until_it_replies_start(
    qtbot: Any, ctx: AppContext, demo_db: Database, clock: FixedClock, tmp_path: Path
) -> None:
    with demo_db.uow("admin") as uow:
        ann = uow.session.get(Member, member_id(demo_db, "Ann Archer"))
        assert ann is not None
        ann.secondary_phone = ANN_2ND
        uow.commit()
    reply(demo_db, clock, ANN_2ND, "STOP")
    with demo_db.uow("service") as uow:  # Twilio refused Ben's phone: error 21610
        inbound.opt_out(
            uow, clock.now() + timedelta(hours=30), BEN, source="21610", because="error 21610"
        )
        uow.commit()

    page = TeamPage(ctx)
    qtbot.addWidget(page)
    page.refresh()
    qtbot.waitUntil(lambda: page.data is not None)
    assert phones(page, "Ann Archer") == (
        "+1 312-555-0101",  # her other phone still gets texts
        "+1 312-555-0111 (opted out: replied STOP Mon 3/2)",
    )
    assert phones(page, "Ben Brooks") == ("+1 312-555-0102 (opted out: Twilio 21610)", "")
    ann_row = page.model.row_of(member_id(demo_db, "Ann Archer"))
    secondary = page.model.index(ann_row, TeamModel.SECONDARY)
    assert secondary.data(Qt.ItemDataRole.ToolTipRole) == (
        "+1 312-555-0111 replied STOP Mon 3/2/2026 07:00 CST. "
        "Nothing is texted to it until it replies START."
    )
    colour = secondary.data(Qt.ItemDataRole.ForegroundRole)
    assert isinstance(colour, QBrush) and colour.color().name().upper() == fmt.WARNING_COLOR
    ben_phone = page.model.index(page.model.row_of(member_id(demo_db, "Ben Brooks")), 2)
    assert "Twilio refused to text +1 312-555-0102 Tue 3/3/2026 13:00 CST" in ben_phone.data(
        Qt.ItemDataRole.ToolTipRole
    )
    assert page.model.index(ann_row, TeamModel.PHONE).data(Qt.ItemDataRole.ToolTipRole) is None
    page.resize(1200, 500)
    page.grab().save(str(tmp_path / "team-opt-outs.png"))

    reply(demo_db, clock, ANN_2ND, "START")
    page.refresh()
    qtbot.waitUntil(lambda: phones(page, "Ann Archer")[1] == "+1 312-555-0111")
