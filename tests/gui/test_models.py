"""Every Qt model of the app passes pytest-qt's model tester, with real data in it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from whoseonfirst_core.clock import FixedClock
from whoseonfirst_core.db.session import Database
from whoseonfirst_core.domain.rotation import default_pattern
from whoseonfirst_core.usecases.audit import audit_page
from whoseonfirst_core.usecases.config import list_contacts
from whoseonfirst_core.usecases.notifications import HistoryFilter, history_page, queue_text
from whoseonfirst_gui.pages.team import load_team
from whoseonfirst_gui.qtmodels.audit_model import AuditModel
from whoseonfirst_gui.qtmodels.contacts_model import ContactsModel
from whoseonfirst_gui.qtmodels.history_model import HistoryModel
from whoseonfirst_gui.qtmodels.pattern_model import PatternModel
from whoseonfirst_gui.qtmodels.team_model import TeamModel

CHICAGO = ZoneInfo("America/Chicago")


def test_team_model(qtmodeltester: Any, demo_db: Database, clock: FixedClock) -> None:
    with demo_db.reader() as uow:
        data = load_team(uow, clock.now() + timedelta(days=10))
    model = TeamModel()
    model.set_rows(data.rows, CHICAGO)
    assert model.rowCount() == 7
    qtmodeltester.check(model, force_py=True)
    # After a pending reorder the model is still consistent.
    model.move_member(model.rotation_order()[0], 3)
    qtmodeltester.check(model, force_py=True)


def test_pattern_model(qtmodeltester: Any) -> None:
    model = PatternModel()
    model.set_pattern(default_pattern())
    qtmodeltester.check(model, force_py=True)
    model.add_shift()
    model.remove_shift(0)
    qtmodeltester.check(model, force_py=True)


def test_history_model(qtmodeltester: Any, demo_db: Database, clock: FixedClock) -> None:
    with demo_db.uow("t") as uow:
        queue_text(uow, clock.now(), to="+13125550101")
        queue_text(uow, clock.now(), to="(312) 555-0188", body="hello")
        uow.commit()
    with demo_db.reader() as uow:
        rows, _total = history_page(uow, HistoryFilter())
    model = HistoryModel()
    model.set_rows(rows, CHICAGO)
    assert model.rowCount() == 2
    qtmodeltester.check(model, force_py=True)


def test_contacts_model(qtmodeltester: Any, demo_db: Database) -> None:
    with demo_db.reader() as uow:
        contacts = list_contacts(uow)
    model = ContactsModel()
    model.set_contacts(contacts)
    assert model.rowCount() == 1
    qtmodeltester.check(model, force_py=True)


def test_audit_model(qtmodeltester: Any, demo_db: Database) -> None:
    with demo_db.reader() as uow:
        rows, total = audit_page(uow)
    assert total == len(rows) >= 1
    model = AuditModel()
    model.set_rows(rows, CHICAGO)
    qtmodeltester.check(model, force_py=True)
