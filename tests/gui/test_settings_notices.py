"""The Settings page's "Change notices", "Confirmation" and "Wording" groups: live checks, Save
and Revert."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QTime

from whoseonfirst_core.db.session import Database
from whoseonfirst_core.domain.notification import Kind
from whoseonfirst_core.domain.wording import WORDINGS
from whoseonfirst_core.usecases.config import get_settings
from whoseonfirst_gui.context import AppContext
from whoseonfirst_gui.pages.settings import SettingsPage


def loaded(qtbot: Any, page: SettingsPage) -> SettingsPage:
    qtbot.addWidget(page)
    page.refresh()
    qtbot.waitUntil(lambda: page.loaded, timeout=5000)
    page.ctx.runner.wait_idle()
    return page


def _settings(db: Database) -> Any:
    with db.reader() as uow:
        return get_settings(uow)


def _select(page: SettingsPage, kind: Kind) -> None:
    page.wording.kind.setCurrentIndex(page.wording.kind.findData(kind))


def test_change_notice_settings_save_and_revert(
    qtbot: Any, ctx: AppContext, demo_db: Database
) -> None:
    page = loaded(qtbot, SettingsPage(ctx))
    box = page.notices
    assert (box.window_days.value(), box.delay_minutes.value()) == (14, 2)
    assert box.quiet_on.isChecked() and box.quiet_hours() == "21:00-07:00"
    box.quiet_start.setTime(QTime(7, 0))  # the same as the end: refused, saying why
    qtbot.waitUntil(lambda: "the start and the end are the same time" in page.problems.text())
    assert not page.save_button.isEnabled()
    box.quiet_start.setTime(QTime(22, 30))
    box.delay_minutes.setValue(5)
    qtbot.waitUntil(page.save_button.isEnabled)
    assert ctx.dirty_count == 2
    page.revert_button.click()
    qtbot.waitUntil(lambda: box.delay_minutes.value() == 2)
    assert box.quiet_hours() == "21:00-07:00" and not page.is_dirty()

    box.quiet_on.setChecked(False)
    assert not box.quiet_start.isEnabled()
    box.window_days.setValue(0)
    assert box.window_days.text() == "Off (no change notices)"
    assert not box.delay_minutes.isEnabled() and not box.quiet_on.isEnabled()
    qtbot.waitUntil(page.save_button.isEnabled)
    page.save_button.click()
    qtbot.waitUntil(lambda: _settings(demo_db).notice_window_days == 0, timeout=5000)
    ctx.runner.wait_idle()
    assert _settings(demo_db).quiet_hours is None


def test_wording_editor_checks_previews_and_saves_every_kind(
    qtbot: Any, ctx: AppContext, demo_db: Database
) -> None:
    page = loaded(qtbot, SettingsPage(ctx))
    wording = page.wording
    editor = wording.editor
    assert [wording.kind.itemData(i) for i in range(wording.kind.count())] == list(WORDINGS)
    assert editor.template() == WORDINGS[Kind.REMINDER].default
    assert editor.preview.text() == (
        "WhoseOnFirst reminder: Hi Ann Archer, your on-call shift (Monday) starts Mon 08:00 CST."
    )
    assert editor.segments.text().startswith(f"{len(editor.preview.text())} characters, 1 segment")
    assert not wording.reset.isEnabled()

    editor.edit.setPlainText("Hi {name}, {shfit} soon")
    qtbot.waitUntil(lambda: "{shfit}" in editor.problems.text())
    assert editor.preview.text() == "—"
    assert page.problems.text().startswith("Reminder wording: unknown placeholder {shfit}")
    assert not page.save_button.isEnabled()
    editor.edit.setPlainText("Hi {name} ☎ {shift} {start}")
    qtbot.waitUntil(page.save_button.isEnabled)
    assert "UCS-2" in editor.segments.text()
    assert wording.reset.isEnabled()

    _select(page, Kind.WEEKLY_SUMMARY)  # the other kind keeps its own text
    assert editor.template() == WORDINGS[Kind.WEEKLY_SUMMARY].default
    editor.edit.setPlainText("{team}: {start} to {end}")
    qtbot.waitUntil(lambda: editor.preview.text().startswith("Support (demo): Mar 2 to Mar 8\n"))
    _select(page, Kind.REMINDER)
    assert editor.template() == "Hi {name} ☎ {shift} {start}"
    assert ctx.dirty_count == 1  # the wording is one setting
    page.save_button.click()
    qtbot.waitUntil(lambda: len(_settings(demo_db).text_templates) == 2, timeout=5000)
    ctx.runner.wait_idle()
    assert _settings(demo_db).text_templates == {
        "reminder": "Hi {name} ☎ {shift} {start}",
        "weekly_summary": "{team}: {start} to {end}",
    }

    # Reset to default: stored as absent again.
    qtbot.waitUntil(lambda: page.data is not None and not page.is_dirty())
    wording.reset.click()
    assert editor.template() == WORDINGS[Kind.REMINDER].default
    qtbot.waitUntil(page.save_button.isEnabled)
    page.save_button.click()
    qtbot.waitUntil(lambda: len(_settings(demo_db).text_templates) == 1, timeout=5000)
    ctx.runner.wait_idle()


def test_confirmation_settings_preview_save_and_switch_off(
    qtbot: Any, ctx: AppContext, demo_db: Database
) -> None:
    page = loaded(qtbot, SettingsPage(ctx))
    box = page.confirm
    assert box.requested.isChecked() and box.within.value() == 15
    assert page.preview.text().endswith("(24h). Reply OK to confirm.")
    box.within.setValue(20)
    box.requested.setChecked(False)
    assert not box.within.isEnabled()  # nobody is asked: nothing to escalate
    qtbot.waitUntil(lambda: not page.preview.text().endswith("Reply OK to confirm."))
    assert ctx.dirty_count == 2
    page.save_button.click()
    qtbot.waitUntil(lambda: not _settings(demo_db).confirm_requested, timeout=5000)
    ctx.runner.wait_idle()
    assert _settings(demo_db).confirm_within_minutes == 20
    box.requested.setChecked(True)
    box.within.setValue(0)
    assert box.within.isEnabled() and box.within.text() == "Never (no escalation)"
    qtbot.waitUntil(page.save_button.isEnabled)
    assert page.problems.text() == ""
