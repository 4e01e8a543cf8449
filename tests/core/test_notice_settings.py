"""The change-notice settings and the wording of every kind: validation, storage, audit, and
the texts rendered in the team's wording (the defaults reproduce the texts word for word)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from whoseonfirst_core.clock import FixedClock
from whoseonfirst_core.db.models import AuditEntry, TeamSettings
from whoseonfirst_core.db.session import Database
from whoseonfirst_core.domain.notification import Kind
from whoseonfirst_core.domain.resolution import ResolvedSpan
from whoseonfirst_core.domain.texts import (
    FailedPhone,
    failure_alert_body,
    reminder_texts,
    weekly_summary_body,
)
from whoseonfirst_core.domain.wording import WORDINGS, wording_problems
from whoseonfirst_core.roster import create_demo_team
from whoseonfirst_core.usecases.config import (
    SettingsChange,
    get_settings,
    settings_problems,
    update_settings,
)
from whoseonfirst_core.usecases.errors import UseCaseError
from whoseonfirst_core.usecases.outbox import load_team

NOW = datetime(2026, 3, 2, 15, tzinfo=UTC)  # Mon 09:00 CST


@pytest.fixture
def demo(db: Database, clock: FixedClock) -> Database:
    with db.uow("setup") as uow:
        create_demo_team(uow, clock.now(), date(2026, 3, 2))
        uow.commit()
    return db


def _update(db: Database, change: SettingsChange) -> None:
    with db.uow("admin") as uow:
        update_settings(uow, NOW, change, expected_version=None)
        uow.commit()


def test_notice_settings_are_saved_and_audited(demo: Database) -> None:
    reminder = "Reminder for {name}: {shift} at {start}."
    _update(
        demo,
        SettingsChange(
            notice_window_days=7,
            notice_delay_minutes=5,
            quiet_hours="22:00 - 6:30",
            text_templates={"reminder": reminder, "off_call": WORDINGS[Kind.OFF_CALL].default},
        ),
    )
    with demo.reader() as uow:
        s = get_settings(uow)
        entry = uow.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "settings.update")
        ).one()
        summary, before, after = entry.summary, entry.before, entry.after
    assert (s.notice_window_days, s.notice_delay_minutes, s.quiet_hours) == (7, 5, "22:00-06:30")
    assert s.text_templates == {"reminder": reminder}  # the default is stored as absent
    assert summary == (
        "changed notice_window_days, notice_delay_minutes, quiet_hours, text_templates"
    )
    assert before is not None and after is not None
    assert before["quiet_hours"] == "21:00-07:00"
    assert after["text_templates"] == {"reminder": reminder}


def test_quiet_hours_off_and_no_notices(demo: Database) -> None:
    _update(demo, SettingsChange(quiet_hours="off", notice_window_days=0))
    with demo.reader() as uow:
        s = get_settings(uow)
        team = load_team(uow.session)
    assert s.quiet_hours is None and s.notice_window_days == 0
    assert team.notices.quiet is None and not team.notices.enabled


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (
            SettingsChange(notice_window_days=61),
            "change notices: the window must be 0 (no notices) to 60 days",
        ),
        (SettingsChange(notice_window_days=-1), "the window must be 0 (no notices) to 60 days"),
        (SettingsChange(notice_delay_minutes=61), "the delay must be 0 to 60 minutes"),
        (SettingsChange(quiet_hours="21:00"), 'write them as "21:00-07:00" (or "off")'),
        (SettingsChange(quiet_hours="25:00-07:00"), "'25:00' is not a time of day"),
        (SettingsChange(quiet_hours="07:00-07:00"), "the start and the end are the same time"),
        (
            SettingsChange(text_templates={"reminder": "Hi {nmae}"}),
            "Reminder wording: unknown placeholder(s) {nmae}; allowed: {name} {start} {end} "
            "{duration} {shift} {team}",
        ),
        (
            SettingsChange(text_templates={"weekly_summary": " "}),
            "Weekly summary wording: the template is empty",
        ),
        (
            SettingsChange(text_templates={"shift_start": "Hi {name}"}),
            "wording: 'shift_start' is not a kind of text with wording (reminder, change_notice, "
            "off_call, failure_alert, confirm_reminder, unconfirmed_alert, confirmed_notice, "
            "opt_out_alert, weekly_summary)",
        ),
    ],
)
def test_bad_notice_settings_are_refused_and_change_nothing(
    demo: Database, change: SettingsChange, problem: str
) -> None:
    assert any(problem in p for p in settings_problems(change)), settings_problems(change)
    with demo.reader() as uow:
        before = get_settings(uow)
    with pytest.raises(UseCaseError) as refused:
        _update(demo, change)
    assert problem in str(refused.value)
    with demo.reader() as uow:
        assert get_settings(uow) == before


def test_every_default_wording_is_valid() -> None:
    for kind, wording in WORDINGS.items():
        assert wording_problems(kind, wording.default) == [], kind


# --- the texts in the team's wording -------------------------------------------------------


def _span() -> ResolvedSpan:
    start = datetime(2026, 3, 3, 14, tzinfo=UTC)  # Tue 08:00 CST
    return ResolvedSpan(
        start=start,
        end=start + timedelta(days=2),
        member_id=2,
        shift_name="Tuesday-Wednesday",
        entry_id=None,
        scheduled_member_id=2,
        override_id=None,
        notify=True,
    )


def test_reminder_failure_alert_and_summary_header_use_the_teams_wording(demo: Database) -> None:
    with demo.reader() as uow:
        default_team = load_team(uow.session)
    _update(
        demo,
        SettingsChange(
            reminder_minutes=60,
            text_templates={
                "reminder": "{team}: {name}, {shift} starts {start} ({duration}).",
                "failure_alert": "ALERT {name} unreachable ({start}): {reasons}",
                "weekly_summary": "{team} on call {start} to {end}",
            },
        ),
    )
    with demo.reader() as uow:
        team = load_team(uow.session)
    reminder = reminder_texts([_span()], team)[0]
    assert (
        reminder.body == "Support (demo): Ben Brooks, Tuesday-Wednesday starts Tue 08:00 CST (48h)."
    )
    failures = [FailedPhone("+13125550101", "Twilio rejected the number.", "primary")]
    alert = failure_alert_body("Ann Archer", "Monday", NOW, failures, team)
    assert alert == (
        "ALERT Ann Archer unreachable (Mon 09:00 CST): primary phone +1312555XXXX: "
        "Twilio rejected the number"
    )
    summary = weekly_summary_body(NOW, [_span()], team)
    assert summary.splitlines()[0] == "Support (demo) on call Mar 2 to Mar 8"
    assert (
        summary.splitlines()[1:]
        == weekly_summary_body(NOW, [_span()], default_team).split("\n")[1:]
    )


def test_a_stored_wording_that_no_longer_validates_falls_back_to_the_default(
    demo: Database,
) -> None:
    with demo.uow("outside the app") as uow:
        row = uow.session.get(TeamSettings, 1)
        assert row is not None
        row.text_templates = {"weekly_summary": "Week {nope}"}
        uow.commit()
    with demo.reader() as uow:
        team = load_team(uow.session)
    assert weekly_summary_body(NOW, [], team).startswith("WhoseOnFirst schedule Mar 2 - Mar 8\n")


# --- the Settings page's previews ----------------------------------------------------------


def test_every_kind_previews_about_the_next_shift(demo: Database) -> None:
    from whoseonfirst_core.domain.timeutil import zone
    from whoseonfirst_core.usecases.settings_view import load_settings_view, preview_text

    with demo.reader() as uow:
        view = load_settings_view(uow, NOW)
    chicago = zone("America/Chicago")

    def preview(kind: Kind) -> str:
        template = WORDINGS[kind].default
        return preview_text(view, kind, template, NOW, team_name="Ops", tz=chicago)

    assert preview(Kind.REMINDER) == (
        "WhoseOnFirst reminder: Hi Ben Brooks, your on-call shift (Tuesday-Wednesday) starts "
        "Tue 08:00 CST."
    )
    assert preview(Kind.CHANGE_NOTICE) == (
        "WhoseOnFirst: your on-call changed. + Tue 3/3 08:00 CST \u2192 Thu 3/5 08:00 CST."
    )
    assert preview(Kind.OFF_CALL) == (
        "WhoseOnFirst: you are off call from 09:00 CST; Cal Chen is on call."
    )
    assert preview(Kind.FAILURE_ALERT).startswith(
        "WhoseOnFirst ALERT: could not reach Ben Brooks for the Tuesday-Wednesday shift "
        "starting Tue 08:00 CST. primary phone +1312555XXXX: "
    )
    assert preview(Kind.WEEKLY_SUMMARY) == view.summary_preview
    header = preview_text(
        view, Kind.WEEKLY_SUMMARY, "{team} {start}", NOW, team_name="Ops", tz=chicago
    )
    assert header.split("\n", 1) == ["Ops Mar 9", view.summary_days]
