"""Dashboard, Shifts, Texts, Settings and Audit pages against the demo team."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, time, timedelta
from typing import Any

import pytest
from PySide6.QtCore import QDate, Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QLabel, QMessageBox
from sqlalchemy import delete, update

from whoseonfirst_core.clock import FixedClock
from whoseonfirst_core.db.models import Notification, NotificationAttempt
from whoseonfirst_core.db.session import Database
from whoseonfirst_core.domain.rotation import ShiftDef
from whoseonfirst_core.usecases.config import get_pattern, get_settings, list_contacts
from whoseonfirst_core.usecases.notifications import HistoryFilter, history_page, queue_text
from whoseonfirst_gui.context import AppContext
from whoseonfirst_gui.pages import audit
from whoseonfirst_gui.pages.audit import AuditPage
from whoseonfirst_gui.pages.dashboard import DashboardPage
from whoseonfirst_gui.pages.notifications import PAGE_SIZE, NotificationsPage
from whoseonfirst_gui.pages.settings import SettingsPage
from whoseonfirst_gui.pages.shifts import ShiftsPage
from whoseonfirst_gui.qtmodels.pattern_model import PatternModel

NEXT_MON = date(2026, 3, 9)


def loaded(qtbot: Any, page: Any) -> Any:
    qtbot.addWidget(page)
    page.refresh()
    qtbot.waitUntil(lambda: page.loaded, timeout=5000)
    page.ctx.runner.wait_idle()
    return page


# --- dashboard -----------------------------------------------------------------------------


def test_dashboard_now_next_week_and_attention(
    qtbot: Any, ctx: AppContext, clock: FixedClock
) -> None:
    clock.advance(timedelta(hours=2))  # Mon 09:00 CST: Ann is on call
    page = loaded(qtbot, DashboardPage(ctx))
    data = page.data
    assert data is not None and data.current is not None
    assert data.current.member_name == "Ann Archer"
    assert "Ann&nbsp;Archer" in page.now_label.text() and "+1 312-555-0101" in page.now_label.text()
    # What the page shows is decided by the core read model (tests/core/test_read_models.py);
    # here: that it is rendered.
    assert "Ben&nbsp;Brooks" in page.next_label.text()
    assert "Ben&nbsp;Brooks&nbsp;(48h)" in page.day_chips[1].text()
    assert "Ben&nbsp;Brooks&nbsp;(continues)" in page.day_chips[2].text()
    assert page.day_labels[0].text() == "<b>Mon 3/2</b>"
    assert page.service_label.text().startswith("Never seen on this database")
    labels = [
        page.attention_box.itemAt(i).widget().findChild(QLabel).accessibleName()
        for i in range(page.attention_box.count())
    ]
    assert [a.text for a in data.attention] == labels
    assert any("never run" in a.text for a in data.attention)  # no service yet


def test_dashboard_empty_database_says_what_to_do(
    qtbot: Any, make_ctx: Any, sqlite_db: Database, clock: FixedClock
) -> None:
    page = loaded(qtbot, DashboardPage(make_ctx(sqlite_db, clock)))
    assert page.stack.currentWidget() is page.empty
    assert "No team yet" in page.empty.label.text()


# --- shifts --------------------------------------------------------------------------------


def test_shift_editor_validates_live(qtbot: Any, ctx: AppContext) -> None:
    page = loaded(qtbot, ShiftsPage(ctx))
    assert "covers the whole week" in page.problems_label.text()
    assert not page.save_button.isEnabled()  # nothing changed yet
    model = page.model
    model.setData(model.index(0, PatternModel.DURATION), 30)  # Monday 30 h overlaps Tuesday
    assert "overlaps" in page.problems_label.text()
    assert not page.save_button.isEnabled()
    assert ctx.dirty_count == 1
    model.setData(model.index(0, PatternModel.DURATION), 12)  # a gap is fine, but reported
    assert "coverage gap" in page.problems_label.text()
    assert page.save_button.isEnabled()
    page.revert()
    ctx.runner.wait_idle()
    assert ctx.dirty_count == 0


def test_save_pattern_from_a_date(qtbot: Any, ctx: AppContext, demo_db: Database) -> None:
    page = loaded(qtbot, ShiftsPage(ctx))
    model = page.model
    model.setData(model.index(0, PatternModel.NAME), "Monday (primary)")
    assert page.save_button.isEnabled()
    page.save_button.click()
    dialog = page.impact_dialog
    assert dialog is not None
    with qtbot.waitSignal(dialog.preview_ready, timeout=5000):
        dialog.set_effective_from(NEXT_MON)
    dialog.apply_button.click()
    qtbot.waitUntil(lambda: _pattern(demo_db)[0].name == "Monday (primary)", timeout=5000)
    ctx.runner.wait_idle()
    assert ctx.dirty_count == 0


def test_pattern_conflict_is_caught(
    qtbot: Any, ctx: AppContext, demo_db: Database, clock: FixedClock
) -> None:
    from whoseonfirst_core.usecases.config import set_pattern

    page = loaded(qtbot, ShiftsPage(ctx))
    page.model.setData(page.model.index(5, PatternModel.NAME), "Weekend Sunday")
    with demo_db.uow("alice") as uow:  # someone else changes the pattern meanwhile
        shifts = list(get_pattern(uow))
        shifts[4] = ShiftDef("Sat", 5, time(8), 24)
        set_pattern(uow, clock.now(), shifts, NEXT_MON)
        uow.commit()
    ctx.messages.choices.append("theirs")
    page.save_button.click()
    dialog = page.impact_dialog
    assert dialog is not None
    with qtbot.waitSignal(dialog.preview_ready, timeout=5000):
        dialog.set_effective_from(NEXT_MON)
    dialog.apply_button.click()
    qtbot.waitUntil(lambda: "Changed by someone else" in ctx.messages.asked, timeout=5000)
    ctx.runner.wait_idle()
    names = [s.name for s in _pattern(demo_db)]
    assert "Sat" in names and "Weekend Sunday" not in names
    qtbot.waitUntil(lambda: [r.name for r in page.model.shift_rows()] == names, timeout=5000)


def _pattern(db: Database) -> tuple[ShiftDef, ...]:
    with db.reader() as uow:
        return tuple(get_pattern(uow))


# --- texts ---------------------------------------------------------------------------------


def add_texts(db: Database, clock: FixedClock, n: int) -> list[int]:
    ids = []
    with db.uow("t") as uow:
        for i in range(n):
            ids.append(
                queue_text(
                    uow,
                    clock.now() + timedelta(minutes=i),
                    to="+13125550101" if i % 2 else "+13125550102",
                ).id
            )
        uow.commit()
    return ids


def test_texts_filters_paging_details_and_resend(
    qtbot: Any, ctx: AppContext, demo_db: Database, clock: FixedClock
) -> None:
    ids = add_texts(demo_db, clock, PAGE_SIZE + 5)
    with demo_db.uow("service") as uow:
        uow.session.execute(
            update(Notification)
            .where(Notification.id == ids[0])
            .values(
                status="failed", error_code=21211, error_message="invalid 'To' number", attempts=1
            )
        )
        uow.session.add(
            NotificationAttempt(
                notification_id=ids[0],
                number=1,
                started_at=clock.now(),
                finished_at=clock.now(),
                outcome="failed",
                error_code=21211,
                error_message="invalid 'To' number",
                instance_id="vm1",
            )
        )
        uow.commit()
    page = loaded(qtbot, NotificationsPage(ctx))
    page.kind_combo.setCurrentIndex(page.kind_combo.findData("test"))
    qtbot.waitUntil(lambda: page.page_label.text() == f"1–{PAGE_SIZE} of {PAGE_SIZE + 5}")
    assert page.model.rowCount() == PAGE_SIZE
    assert page.older_button.isEnabled() and not page.newer_button.isEnabled()
    page.older_button.click()
    qtbot.waitUntil(lambda: page.model.rowCount() == 5)
    assert page.page_label.text() == f"{PAGE_SIZE + 1}–{PAGE_SIZE + 5} of {PAGE_SIZE + 5}"
    page.kind_combo.setCurrentIndex(0)

    page.show_problems()
    qtbot.waitUntil(lambda: page.model.rowCount() == 1)
    assert page.offset == 0
    failed = page.model.row_at(0)
    assert failed is not None and failed.status == "failed"
    page.view.selectRow(0)
    qtbot.waitUntil(lambda: page.detail is not None and page.detail.text.id == ids[0])
    html = page.details.toPlainText()
    assert "21211" in html and "#1" in html and "Ben Brooks" in html

    ctx.messages.answers.append(QMessageBox.StandardButton.Yes)
    page.resend_button.click()
    ctx.runner.wait_idle()
    with demo_db.reader() as uow:
        manual, _ = history_page(uow, HistoryFilter(kinds=("manual",)))
    assert [(m.recipient_name, m.status) for m in manual] == [("Ben Brooks", "queued")]


def test_unfiltered_history_total(
    qtbot: Any, ctx: AppContext, demo_db: Database, clock: FixedClock
) -> None:
    add_texts(demo_db, clock, PAGE_SIZE + 5)
    page = loaded(qtbot, NotificationsPage(ctx))
    assert page.page_label.text() == f"1–{PAGE_SIZE} of {PAGE_SIZE + 5}"
    assert page.older_button.isEnabled()


def test_texts_text_search(
    qtbot: Any, ctx: AppContext, demo_db: Database, clock: FixedClock
) -> None:
    add_texts(demo_db, clock, 4)
    page = loaded(qtbot, NotificationsPage(ctx))
    assert page.details.toPlainText()  # the newest text's details
    page.search.setText("555-0101")
    qtbot.keyClick(page.search, Qt.Key.Key_Return)  # Enter searches without the pause
    qtbot.waitUntil(lambda: page.model.rowCount() == 2)
    page.search.setText("")
    page.kind_combo.setCurrentIndex(page.kind_combo.findData("shift_start"))
    qtbot.waitUntil(lambda: page.model.rowCount() == 0)
    assert page.page_label.text() == "No texts match."
    assert page.details.toPlainText() == "" and page.detail is None
    assert not page.resend_button.isEnabled()


def on_page_two(qtbot: Any, page: NotificationsPage) -> None:
    """Move to the second (last) page of PAGE_SIZE + 5 texts."""
    page.older_button.click()
    qtbot.waitUntil(
        lambda: page.page_label.text() == f"{PAGE_SIZE + 1}–{PAGE_SIZE + 5} of {PAGE_SIZE + 5}"
    )


def test_texts_paging_buttons_stop_at_either_end(
    qtbot: Any, ctx: AppContext, demo_db: Database, clock: FixedClock
) -> None:
    add_texts(demo_db, clock, PAGE_SIZE + 5)
    page = loaded(qtbot, NotificationsPage(ctx))
    newest = page.model.row_at(0)
    assert not page.newer_button.isEnabled() and page.older_button.isEnabled()
    on_page_two(qtbot, page)
    assert page.offset == PAGE_SIZE and page.model.rowCount() == 5
    assert page.newer_button.isEnabled() and not page.older_button.isEnabled()
    page.newer_button.click()
    qtbot.waitUntil(lambda: page.page_label.text() == f"1–{PAGE_SIZE} of {PAGE_SIZE + 5}")
    assert page.model.row_at(0) == newest
    assert not page.newer_button.isEnabled() and page.older_button.isEnabled()


NEW_TEXT_FILTERS: dict[str, Callable[[Any, NotificationsPage], None]] = {
    "typed search": lambda qtbot, p: qtbot.keyClicks(p.search, "312-555"),
    "kind": lambda _q, p: p.kind_combo.setCurrentIndex(p.kind_combo.findData("test")),
    "status": lambda _q, p: p.status_combo.setCurrentIndex(p.status_combo.findData("queued")),
    "member": lambda _q, p: p.member_combo.setCurrentIndex(p.member_combo.findText("Ben Brooks")),
    "from date": lambda _q, p: p.from_edit.setDate(QDate(2026, 3, 1)),
    "to date": lambda _q, p: p.to_edit.setDate(QDate(2026, 3, 31)),
}


@pytest.mark.parametrize("change", NEW_TEXT_FILTERS.values(), ids=NEW_TEXT_FILTERS.keys())
def test_texts_new_filter_starts_at_the_newest(
    qtbot: Any,
    ctx: AppContext,
    demo_db: Database,
    clock: FixedClock,
    change: Callable[[Any, NotificationsPage], None],
) -> None:
    add_texts(demo_db, clock, PAGE_SIZE + 5)
    page = loaded(qtbot, NotificationsPage(ctx))
    on_page_two(qtbot, page)
    change(qtbot, page)
    qtbot.waitUntil(lambda: page.page_label.text().startswith("1–"))
    assert page.offset == 0 and not page.newer_button.isEnabled()
    first = page.model.row_at(0)
    assert first is not None and first.due_at == clock.now() + timedelta(minutes=PAGE_SIZE + 4)


def test_texts_page_that_emptied_shows_the_last_page(
    qtbot: Any, ctx: AppContext, demo_db: Database, clock: FixedClock
) -> None:
    ids = add_texts(demo_db, clock, PAGE_SIZE + 5)
    page = loaded(qtbot, NotificationsPage(ctx))
    on_page_two(qtbot, page)
    with demo_db.uow("t") as uow:  # e.g. old texts purged while the page was open
        uow.session.execute(delete(Notification).where(Notification.id.in_(ids[:5])))
        uow.commit()
    page.refresh()
    qtbot.waitUntil(lambda: page.page_label.text() == f"1–{PAGE_SIZE} of {PAGE_SIZE}")
    assert page.offset == 0 and page.model.rowCount() == PAGE_SIZE
    assert not page.newer_button.isEnabled() and not page.older_button.isEnabled()


@pytest.mark.parametrize(
    ("page_class", "newer", "older"),
    [
        (NotificationsPage, "Newer page", "Older page"),
        (AuditPage, "Newer changes", "Older changes"),
    ],
)
def test_paging_buttons_have_names_and_mnemonics(
    qtbot: Any, ctx: AppContext, page_class: Any, newer: str, older: str
) -> None:
    page = loaded(qtbot, page_class(ctx))
    assert page.newer_button.accessibleName() == newer
    assert page.older_button.accessibleName() == older
    assert page.newer_button.shortcut() == QKeySequence("Alt+N")
    assert page.older_button.shortcut() == QKeySequence("Alt+O")


# --- settings ------------------------------------------------------------------------------


def test_template_preview_segments_and_problems(qtbot: Any, ctx: AppContext) -> None:
    page = loaded(qtbot, SettingsPage(ctx))
    assert page.preview.text() == (
        "WhoseOnFirst: Hi Ann Archer, you are on call from Mon 08:00 CST until Tue 08:00 CST (24h)."
        " Reply OK to confirm."
    )
    assert page.segments.text().startswith(
        f"{len(page.preview.text())} characters, 1 segment (GSM-7)"
    )
    page.template.setPlainText("Hi {name} ☎ {when}")
    qtbot.waitUntil(lambda: "{when}" in page.template_problems.text())
    assert not page.save_button.isEnabled()
    page.template.setPlainText("Hi {name} ☎ on call from {start}")
    qtbot.waitUntil(page.save_button.isEnabled)
    assert "UCS-2" in page.segments.text()
    assert page.preview.text() == "Hi Ann Archer ☎ on call from Mon 08:00 CST Reply OK to confirm."


def test_time_zone_search_and_save(qtbot: Any, ctx: AppContext, demo_db: Database) -> None:
    page = loaded(qtbot, SettingsPage(ctx))
    completer = page.timezone.completer()
    completer.setCompletionPrefix("denver")
    assert completer.currentCompletion() == "America/Denver"
    page.timezone.setCurrentText("Mars/Olympus")
    qtbot.waitUntil(lambda: "time zone" in page.problems.text())
    assert not page.save_button.isEnabled()
    page.timezone.setCurrentText("America/Chicago")
    page.summary_day.setCurrentIndex(4)
    page.horizon.setValue(16)
    qtbot.waitUntil(page.save_button.isEnabled)
    assert ctx.dirty_count == 2
    page.save_button.click()
    qtbot.waitUntil(lambda: _settings(demo_db).weekly_summary_day == 4, timeout=5000)
    assert _settings(demo_db).horizon_weeks == 16
    ctx.runner.wait_idle()
    assert ctx.dirty_count == 0


def test_time_zone_change_saves(qtbot: Any, ctx: AppContext, demo_db: Database) -> None:
    page = loaded(qtbot, SettingsPage(ctx))
    page.timezone.setCurrentText("America/Denver")
    qtbot.waitUntil(page.save_button.isEnabled)
    page.save_button.click()
    ctx.runner.wait_idle()
    failures = [m for m in ctx.messages.sink if m.title == "Something went wrong"]
    assert not failures
    assert _settings(demo_db).timezone == "America/Denver"


def test_contact_opt_in_toggle_saves(qtbot: Any, ctx: AppContext, demo_db: Database) -> None:
    from PySide6.QtCore import Qt

    page = loaded(qtbot, SettingsPage(ctx))
    model = page.contacts_model
    index = model.index(0, model.ALERTS)
    assert model.setData(index, Qt.CheckState.Unchecked.value, Qt.ItemDataRole.CheckStateRole)
    qtbot.waitUntil(lambda: not _contacts(demo_db)[0].failure_alerts, timeout=5000)
    assert _contacts(demo_db)[0].weekly_summary


def _settings(db: Database) -> Any:
    with db.reader() as uow:
        return get_settings(uow)


def _contacts(db: Database) -> Any:
    with db.reader() as uow:
        return list_contacts(uow)


# --- audit ---------------------------------------------------------------------------------


def test_audit_lists_changes_with_before_and_after(
    qtbot: Any, ctx: AppContext, demo_db: Database, clock: FixedClock
) -> None:
    from whoseonfirst_core.usecases.config import SettingsChange, update_settings

    with demo_db.uow("alice@ws1") as uow:
        update_settings(uow, clock.now(), SettingsChange(horizon_weeks=16), expected_version=None)
        uow.commit()
    page = loaded(qtbot, AuditPage(ctx))
    assert page.model.rowCount() >= 3
    first = page.model.row_at(0)
    assert first is not None and first.actor == "alice@ws1"
    page.view.selectRow(0)
    text = page.details.toPlainText()
    assert "horizon_weeks" in text and "12" in text and "16" in text
    page.search.setText("alice")
    qtbot.keyClick(page.search, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: page.model.rowCount() == 1)


def add_audit_entries(db: Database, clock: FixedClock, n: int) -> None:
    from whoseonfirst_core.usecases.common import record_audit

    with db.uow("bulk@ws2") as uow:
        for i in range(n):
            record_audit(
                uow, clock.now() + timedelta(minutes=i), "bulk", "member", i, f"bulk change {i}"
            )
        uow.commit()


def test_audit_pages_through_the_log(
    qtbot: Any, ctx: AppContext, demo_db: Database, clock: FixedClock
) -> None:
    size = audit.PAGE_SIZE
    add_audit_entries(demo_db, clock, size + 5)
    page = loaded(qtbot, AuditPage(ctx))
    total = int(page.page_label.text().rpartition(" of ")[2].replace(",", ""))
    assert total > size + 5  # the demo team's own changes come on top
    assert page.page_label.text() == f"1–{size} of {total}"
    assert not page.newer_button.isEnabled() and page.older_button.isEnabled()
    first = page.model.row_at(0)
    assert first is not None and first.summary == f"bulk change {size + 4}"  # newest first

    page.older_button.click()
    qtbot.waitUntil(lambda: page.page_label.text() == f"{size + 1}–{total} of {total}")
    assert page.offset == size and page.model.rowCount() == total - size
    assert page.newer_button.isEnabled() and not page.older_button.isEnabled()

    qtbot.keyClicks(page.search, "bulk")  # a new filter starts again at the newest change
    qtbot.waitUntil(lambda: page.page_label.text() == f"1–{size} of {size + 5}")
    assert page.offset == 0
    assert not page.newer_button.isEnabled() and page.older_button.isEnabled()


def test_audit_empty_search_says_so(qtbot: Any, ctx: AppContext) -> None:
    page = loaded(qtbot, AuditPage(ctx))
    assert page.details.toPlainText()  # the newest change's details
    qtbot.keyClicks(page.search, "no such change")
    qtbot.keyClick(page.search, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: page.page_label.text() == "No changes match.")
    assert page.model.rowCount() == 0 and page.details.toPlainText() == ""
    assert not page.newer_button.isEnabled() and not page.older_button.isEnabled()


@pytest.mark.parametrize("page_class", [NotificationsPage, AuditPage], ids=["texts", "audit"])
def test_a_database_without_a_team_leaves_nothing_stale(
    qtbot: Any, ctx: AppContext, demo_db: Database, clock: FixedClock, page_class: Any
) -> None:
    """The team row disappears under the page (a restore of an empty database, say): the list
    and the details empty out and the page says what to do, rather than keep old rows."""
    from whoseonfirst_core.db.models import TeamSettings
    from whoseonfirst_gui.pages.base import NO_TEAM_TEXT

    add_texts(demo_db, clock, 3)
    page = loaded(qtbot, page_class(ctx))
    assert page.model.rowCount() > 0 and page.details.toPlainText()
    with demo_db.uow("restore") as uow:
        uow.session.execute(delete(TeamSettings))
        uow.commit()

    page.refresh()
    qtbot.waitUntil(lambda: page.page_label.text() == NO_TEAM_TEXT)
    assert page.model.rowCount() == 0 and page.details.toPlainText() == ""
    assert not page.newer_button.isEnabled() and not page.older_button.isEnabled()


def test_dashboard_shows_the_current_shifts_text_to_the_second(
    qtbot: Any, ctx: AppContext, demo_db: Database, clock: FixedClock
) -> None:
    from datetime import UTC, datetime

    from whoseonfirst_core.usecases.team import list_members

    clock.advance(timedelta(hours=2))  # Mon 09:00 CST: Ann is on call since 08:00
    page = loaded(qtbot, DashboardPage(ctx))
    assert "no shift-start text recorded" in page.now_label.text()

    start = datetime(2026, 3, 2, 14, tzinfo=UTC)
    with demo_db.uow("service") as uow:
        ann = next(m for m in list_members(uow) if m.name == "Ann Archer")
        uow.session.add(
            Notification(
                idempotency_key="shift_start:test",
                kind="shift_start",
                status="delivered",
                member_id=ann.id,
                recipient_name=ann.name,
                recipient_phone=ann.phone,
                body="on call",
                due_at=start,
                span_start=start,
                created_at=start,
                sent_at=start + timedelta(seconds=1),
                delivered_at=start + timedelta(seconds=3),
                triggered_by="service",
            )
        )
        uow.commit()
    page.refresh()
    qtbot.waitUntil(lambda: "delivered" in page.now_label.text())
    assert "</span> Mon 08:00:03 CST ✓" in page.now_label.text()
