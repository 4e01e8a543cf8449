"""Two admins edit the shift pattern: the conflict dialog says once what happened and what
they changed; Review shows mine and theirs side by side and ends in a decision, so the next
Save does not ask the same again."""

from __future__ import annotations

from datetime import date, time
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPlainTextEdit

from whoseonfirst_core.clock import FixedClock
from whoseonfirst_core.db.session import Database
from whoseonfirst_core.domain.pattern_diff import pattern_changes
from whoseonfirst_core.domain.rotation import ShiftDef
from whoseonfirst_core.usecases.config import (
    SettingsChange,
    get_pattern,
    get_settings,
    set_pattern,
    update_settings,
)
from whoseonfirst_core.usecases.errors import ConflictError
from whoseonfirst_gui.conflict import REVIEW_TITLE, ConflictChoice, ReviewDialog
from whoseonfirst_gui.context import AppContext
from whoseonfirst_gui.pages.settings import SettingsPage
from whoseonfirst_gui.pages.shifts import ShiftsPage
from whoseonfirst_gui.qtmodels.pattern_model import PatternModel

NEXT_MON = date(2026, 3, 9)
THEIR_SAT = ShiftDef("Sat", 5, time(8), 24)


def _pattern(db: Database) -> list[str]:
    with db.reader() as uow:
        return [s.name for s in get_pattern(uow)]


def _edit_while_someone_else_saves(
    qtbot: Any, ctx: AppContext, db: Database, clock: FixedClock
) -> ShiftsPage:
    page = ShiftsPage(ctx)
    qtbot.addWidget(page)
    page.refresh()
    assert ctx.runner.wait_idle()
    page.model.setData(page.model.index(5, PatternModel.NAME), "Weekend Sunday")
    with db.uow("alice") as uow:
        shifts = list(get_pattern(uow))
        shifts[4] = THEIR_SAT
        set_pattern(uow, clock.now(), shifts, NEXT_MON)
        uow.commit()
    return page


def _save(qtbot: Any, page: ShiftsPage) -> None:
    page.save_button.click()
    dialog = page.impact_dialog
    assert dialog is not None
    with qtbot.waitSignal(dialog.preview_ready, timeout=5000):
        dialog.set_effective_from(NEXT_MON)
    dialog.apply_button.click()
    assert page.ctx.runner.wait_idle()


def test_pattern_changes_name_each_shift_that_differs() -> None:
    friday = ShiftDef("Friday", 4, time(8), 24)
    assert pattern_changes([friday], [THEIR_SAT]) == [
        "Friday (Fri 08:00, 24h) → Sat (Sat 08:00, 24h)"
    ]
    assert pattern_changes([], [friday]) == ["Friday (Fri 08:00, 24h) added"]
    assert pattern_changes([friday], []) == ["Friday (Fri 08:00, 24h) removed"]


def test_the_pattern_conflict_says_once_what_they_changed(
    qtbot: Any, ctx: AppContext, demo_db: Database, clock: FixedClock
) -> None:
    page = _edit_while_someone_else_saves(qtbot, ctx, demo_db, clock)
    ctx.messages.choices.append("theirs")
    _save(qtbot, page)
    assert ctx.messages.asked == ["Changed by someone else"]
    text = ctx.messages.asked_texts[0]
    assert "from Mon 2026-03-09: Saturday (Sat 08:00, 24h) → Sat (Sat 08:00, 24h)" in text
    assert text.lower().count("someone else") == 1  # said once, not echoed by the error


@pytest.mark.parametrize(("decision", "kept"), [("mine", "Weekend Sunday"), ("theirs", "Sat")])
def test_review_shows_both_and_ends_in_a_decision(
    qtbot: Any,
    ctx: AppContext,
    demo_db: Database,
    clock: FixedClock,
    decision: str,
    kept: str,
) -> None:
    page = _edit_while_someone_else_saves(qtbot, ctx, demo_db, clock)
    ctx.messages.choices.extend(["review", decision])
    _save(qtbot, page)
    assert ctx.messages.asked == ["Changed by someone else", REVIEW_TITLE]
    mine, theirs = ctx.messages.asked_texts[1].split("\n\nTheirs:\n")
    assert "Weekend Sunday" in mine and "Sat (Sat 08:00, 24h)" not in mine
    assert "Sat (Sat 08:00, 24h)" in theirs and "Weekend Sunday" not in theirs
    assert kept in _pattern(demo_db)
    assert ctx.runner.wait_idle()
    # Decided: nothing is left to conflict, so no later Save asks about it again.
    qtbot.waitUntil(lambda: not page.is_dirty(), timeout=5000)
    assert not page.banner.isVisible()


def test_the_review_dialog_shows_both_and_closes_only_with_a_decision(qtbot: Any) -> None:
    error = ConflictError("changed", ["a → b"], mine=("mine 1", "mine 2"), theirs=("theirs 1",))
    dialog = ReviewDialog("the shift pattern", error, can_keep_mine=True)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    shown = {t.accessibleName(): t.toPlainText() for t in dialog.findChildren(QPlainTextEdit)}
    assert shown == {"Yours (not saved)": "mine 1\nmine 2", "Theirs (saved)": "theirs 1"}
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert dialog.isVisible()  # no decision, no close
    dialog.keep_button.click()
    assert not dialog.isVisible() and dialog.choice is ConflictChoice.KEEP_MINE


def test_after_review_the_next_settings_save_keeps_the_edit_without_asking_again(
    qtbot: Any, ctx: AppContext, demo_db: Database, clock: FixedClock
) -> None:
    page = SettingsPage(ctx)
    qtbot.addWidget(page)
    page.refresh()
    assert ctx.runner.wait_idle()
    page.horizon.setValue(20)
    with demo_db.uow("alice") as uow:  # someone else renames the team meanwhile
        version = get_settings(uow).version
        update_settings(uow, clock.now(), SettingsChange(team_name="Ops"), expected_version=version)
        uow.commit()
    ctx.messages.choices.append("review")
    qtbot.waitUntil(page.save_button.isEnabled, timeout=5000)
    page.save_button.click()
    assert ctx.runner.wait_idle()
    assert ctx.messages.asked == ["Changed by someone else"]
    assert page.horizon.value() == 20 and page.banner.isVisibleTo(page)
    qtbot.waitUntil(page.save_button.isEnabled, timeout=5000)
    page.save_button.click()  # the user reviewed: this Save writes their edit, as Keep mine
    assert ctx.runner.wait_idle()
    assert ctx.messages.asked == ["Changed by someone else"]
    with demo_db.reader() as uow:
        s = get_settings(uow)
    assert (s.horizon_weeks, s.team_name) == (20, "Ops")  # only the edited field written
