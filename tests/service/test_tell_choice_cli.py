"""The command line's side of "Tell the people affected": ``import --replace --no-notify`` saves
without telling, and ``simulate`` lists the notices of changes already saved (issue 12).

The demo team from Mon 2026-03-02 07:00 CST: Cal Chen is on call Thu 3/5, Fay Fisher on Sunday.
"""

from __future__ import annotations

import io
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from whoseonfirst_service.cli import build_parser, main
from whoseonfirst_service.engine import Engine

from tests.fakes.fake_twilio import FakeTwilio
from tests.service.conftest import member, utc
from whoseonfirst_core.clock import FixedClock
from whoseonfirst_core.db.models import AuditEntry
from whoseonfirst_core.db.session import Database
from whoseonfirst_core.roster import dumps_roster, export_roster_data
from whoseonfirst_core.usecases.calendar import Cover, apply_calendar_plan

ANN, CAL, FAY = "+13125550101", "+13125550103", "+13125550106"
MON_10 = utc(2026, 3, 2, 16)  # Mon 10:00 CST
THU, FRI = utc(2026, 3, 5, 14), utc(2026, 3, 6, 14)  # 08:00 CST


def run(clock: FixedClock, *argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), clock=clock, out=out, err=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def env(quiet: Database, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Database:
    monkeypatch.setenv("WHOSEONFIRST_DATABASE_URL", db_url)
    monkeypatch.setenv("WHOSEONFIRST_SMS_BACKEND", "dry-run")
    return quiet


@pytest.fixture
def seeded(env: Database, engine: Engine) -> Engine:
    """The first tick has recorded what everyone is on call for (and texted nobody)."""
    engine.tick()
    return engine


def _roster_with_fay_covering_thursday(db: Database, tmp_path: Path) -> Path:
    with db.reader() as uow:
        data: dict[str, Any] = json.loads(dumps_roster(export_roster_data(uow)))
    data["overrides"] = [
        {
            "member": "Fay Fisher",
            "start": "2026-03-05T08:00:00-06:00",
            "end": "2026-03-06T08:00:00-06:00",
            "reason": "vacation",
        }
    ]
    path = tmp_path / "team.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def _notices_to(fake: FakeTwilio) -> set[str]:
    return {
        r.form["To"]
        for r in fake.create_requests
        if "on-call changed" in r.form["Body"] or "off call" in r.form["Body"]
    }


def _ticks(engine: Engine, clock: FixedClock) -> None:
    for minutes in (0, 2, 10):
        clock.set(MON_10 + timedelta(minutes=minutes))
        engine.tick()


def _skipped(db: Database) -> list[str]:
    with db.reader() as uow:
        return list(
            uow.session.scalars(
                select(AuditEntry.summary).where(AuditEntry.action == "notices.skipped")
            )
        )


def test_import_replace_tells_the_people_whose_on_call_it_changes(
    env: Database, seeded: Engine, clock: FixedClock, fake: FakeTwilio, tmp_path: Path
) -> None:
    path = _roster_with_fay_covering_thursday(env, tmp_path)
    clock.set(MON_10)
    code, _out, err = run(clock, "import", "--replace", str(path))
    assert code == 0, err
    _ticks(seeded, clock)
    assert _notices_to(fake) == {CAL, FAY}
    assert _skipped(env) == []


def test_import_replace_no_notify_tells_nobody_and_audits_the_choice(
    env: Database, seeded: Engine, clock: FixedClock, fake: FakeTwilio, tmp_path: Path
) -> None:
    path = _roster_with_fay_covering_thursday(env, tmp_path)
    clock.set(MON_10)
    code, _out, err = run(clock, "import", "--replace", "--no-notify", str(path))
    assert code == 0, err
    _ticks(seeded, clock)
    assert _notices_to(fake) == set()
    assert _skipped(env) == ["saved without telling the people affected: Cal Chen, Fay Fisher"]


def test_no_notify_without_replace_is_a_usage_error(
    env: Database, clock: FixedClock, tmp_path: Path
) -> None:
    path = _roster_with_fay_covering_thursday(env, tmp_path)
    code, _out, err = run(clock, "import", "--no-notify", str(path))
    assert code == 2
    assert "--no-notify goes with --replace" in err


def test_import_help_names_no_notify() -> None:
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    text = " ".join(sub.choices["import"].format_help().split())  # type: ignore[index]
    assert "--no-notify with --replace: tell nobody" in text
    assert "the audit log records the choice" in text


def _simulated(clock: FixedClock) -> list[dict[str, str]]:
    code, out, err = run(clock, "simulate", "--from", "2026-03-02", "--days", "7", "--json")
    assert code == 0, err
    messages: list[dict[str, str]] = json.loads(out)["messages"]
    return messages


def _cover(db: Database, who: str, start: Any, end: Any) -> None:
    with db.uow("admin") as uow:
        apply_calendar_plan(uow, MON_10, [Cover(member(db, who).id, start, end, "vacation")])
        uow.commit()


def test_simulate_lists_the_notices_of_a_saved_change_before_any_tick_has_seen_it(
    env: Database, seeded: Engine, clock: FixedClock
) -> None:
    clock.set(MON_10)
    _cover(env, "Fay", THU, FRI)
    notices = [m for m in _simulated(clock) if m["kind"] in ("change_notice", "off_call")]
    assert [(m["send_at"], m["kind"], m["to"]) for m in notices] == [
        ("2026-03-02T10:02:00-06:00", "change_notice", CAL),  # after the bundling delay
        ("2026-03-02T10:02:00-06:00", "change_notice", FAY),
    ]
    assert notices[1]["body"] == (
        "WhoseOnFirst: your on-call changed. "
        "+ Thu 3/5 08:00 CST \u2192 Fri 3/6 08:00 CST (covering Cal Chen)."
    )
    code, out, _err = run(clock, "simulate", "--from", "2026-03-02", "--days", "1")
    assert code == 0 and "change_notice" in out


def test_simulate_lists_a_late_cover_as_the_coverers_shift_start_and_the_relieved_off_call(
    env: Database, seeded: Engine, clock: FixedClock
) -> None:
    clock.set(MON_10)
    _cover(env, "Fay", MON_10, utc(2026, 3, 3, 14))  # Ann's running Monday, from now
    now = [m for m in _simulated(clock) if m["send_at"] == "2026-03-02T10:00:00-06:00"]
    assert [(m["kind"], m["to"]) for m in now] == [("shift_start", FAY), ("off_call", ANN)]
