"""The roster file's change-notice and confirmation settings and wording: checked by the Settings page's rules,
stored as the page stores them, exported back byte for byte."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.core.helpers import roster
from whoseonfirst_core.db.session import Database
from whoseonfirst_core.domain.notification import Kind
from whoseonfirst_core.domain.wording import WORDINGS
from whoseonfirst_core.roster import (
    RosterError,
    dumps_roster,
    export_roster_data,
    import_roster_data,
    parse_roster,
)
from whoseonfirst_core.usecases.config import get_settings

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)
WORDING = {
    "reminder": "Reminder: {name}, {shift} starts {start}.",
    "weekly_summary": "{team}: who is on call {start} - {end}",
}


def _import(db: Database, data: dict[str, Any], *, replace: bool = False) -> None:
    with db.uow("test") as uow:
        import_roster_data(uow, NOW, data, replace=replace)
        uow.commit()


def _export(db: Database) -> str:
    with db.reader() as uow:
        return dumps_roster(export_roster_data(uow))


def test_defaults_are_exported(db: Database) -> None:
    _import(db, roster(3))
    settings = json.loads(_export(db))["settings"]
    assert {k: settings[k] for k in list(settings)[4:]} == {
        "notice_window_days": 14,
        "notice_delay_minutes": 2,
        "quiet_hours": "21:00-07:00",
        "templates": {},
        "confirm_requested": True,
        "confirm_within_minutes": 15,
    }


def test_notice_settings_and_wording_round_trip(
    db: Database, sqlite_template: Path, tmp_path: Path
) -> None:
    data = roster(3)
    data["settings"] = {
        "notice_window_days": 0,
        "notice_delay_minutes": 10,
        "quiet_hours": None,
        # The default text is stored (and exported) as absent.
        "templates": WORDING | {"off_call": WORDINGS[Kind.OFF_CALL].default},
        "confirm_requested": False,
        "confirm_within_minutes": 30,
    }
    _import(db, data)
    with db.reader() as uow:
        s = get_settings(uow)
    assert (s.notice_window_days, s.notice_delay_minutes, s.quiet_hours) == (0, 10, None)
    assert (s.confirm_requested, s.confirm_within_minutes) == (False, 30)
    assert s.text_templates == WORDING
    first = _export(db)
    assert json.loads(first)["settings"]["templates"] == WORDING
    shutil.copyfile(sqlite_template, tmp_path / "empty.db")
    empty = Database(f"sqlite:///{tmp_path / 'empty.db'}")
    try:
        _import(empty, json.loads(first))
        assert _export(empty) == first
    finally:
        empty.dispose()


def test_replace_sets_them_too(db: Database) -> None:
    _import(db, roster(3))
    data = roster(3)
    data["settings"] = {"quiet_hours": "22:00-6:00", "templates": WORDING}
    _import(db, data, replace=True)
    with db.reader() as uow:
        s = get_settings(uow)
    assert (s.quiet_hours, s.text_templates) == ("22:00-06:00", WORDING)


@pytest.mark.parametrize(
    ("settings", "problem"),
    [
        (
            {"notice_window_days": 90},
            "settings.notice_window_days: change notices: the window must be 0 (no notices) to "
            "60 days",
        ),
        (
            {"notice_delay_minutes": -1},
            "settings.notice_delay_minutes: change notices: the delay must be 0 to 60 minutes",
        ),
        (
            {"quiet_hours": "evenings"},
            "settings.quiet_hours: quiet hours 'evenings': write them as \"21:00-07:00\" "
            '(or "off")',
        ),
        (
            {"templates": {"reminder": "Hi {who}"}},
            "settings.templates: Reminder wording: unknown placeholder(s) {who}; allowed: "
            "{name} {start} {end} {duration} {shift} {team}",
        ),
        (
            {"confirm_within_minutes": 300},
            "settings.confirm_within_minutes: confirmation: ask again 1 to 240 minutes after "
            "the start, or 0 (never)",
        ),
        (
            {"templates": {"shout": "HI"}},
            "settings.templates: wording: 'shout' is not a kind of text with wording "
            "(reminder, change_notice, off_call, failure_alert, confirm_reminder, "
            "unconfirmed_alert, confirmed_notice, opt_out_alert, weekly_summary)",
        ),
    ],
)
def test_bad_values_are_refused_with_the_settings_pages_words(
    settings: dict[str, Any], problem: str
) -> None:
    data = roster(3)
    data["settings"] = settings
    with pytest.raises(RosterError) as refused:
        parse_roster(data)
    assert refused.value.problems == [problem]
