"""``whoseonfirst-service preview-change``: the core's impact preview, worded as in the app."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from whoseonfirst_service.cli import main

from whoseonfirst_core.clock import FixedClock
from whoseonfirst_core.db.session import Database
from whoseonfirst_core.domain.rotation import default_pattern
from whoseonfirst_core.roster import create_demo_team
from whoseonfirst_core.usecases import team

NOW = FixedClock(datetime(2026, 12, 2, 16, tzinfo=UTC))  # Wed 10:00 CST


def run(monkeypatch: pytest.MonkeyPatch, url: str, *argv: str) -> tuple[int, str, str]:
    monkeypatch.setenv("WHOSEONFIRST_DATABASE_URL", url)
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), clock=NOW, out=out, err=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def demo_url(db_url: str) -> str:
    db = Database(db_url)
    with db.uow("test") as uow:
        create_demo_team(uow, datetime(2026, 11, 29, 18, tzinfo=UTC), datetime(2026, 11, 30).date())
        uow.commit()
    with db.uow("test") as uow:
        eve = next(m.id for m in team.list_members(uow) if m.name == "Eve Evans")
        team.set_member_active(uow, NOW.now(), eve, False, datetime(2026, 12, 14).date())
        uow.commit()
    db.dispose()
    return db_url


def shifts_file(tmp_path: Path, monday_hours: int) -> str:
    days = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
    shifts = [
        {
            "name": s.name,
            "start_day": days[s.start_day],
            "start_time": f"{s.start_time:%H:%M}",
            "duration_hours": monday_hours if s.name == "Monday" else s.duration_hours,
        }
        for s in default_pattern()
    ]
    path = tmp_path / "shifts.json"
    path.write_text(json.dumps(shifts))
    return str(path)


def test_the_reported_case_from_the_command_line(
    monkeypatch: pytest.MonkeyPatch, demo_url: str, tmp_path: Path
) -> None:
    code, out, err = run(
        monkeypatch,
        demo_url,
        "preview-change",
        "--from",
        "2026-12-02",
        "--shifts",
        shifts_file(tmp_path, 20),
    )
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        "From Wed 2026-12-02: 0 shifts change hands; 12 shifts keep their person at new times.",
        "Planned changes it meets:",
        "  Mon 2026-12-14: Eve Evans leaves the rotation (planned; still applies after this change)",
    ]


def test_a_member_change_lists_people_and_json(
    monkeypatch: pytest.MonkeyPatch, demo_url: str
) -> None:
    code, out, _err = run(
        monkeypatch, demo_url, "preview-change", "--from", "2026-12-07", "--add", "Zoe Zhang"
    )
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("From Mon 2026-12-07: ") and "shifts change hands" in lines[0]
    assert any(line.startswith("  Zoe Zhang: gains ") for line in lines)
    zoe_at = next(i for i, line in enumerate(lines) if line.startswith("  Zoe Zhang: "))
    assert lines[zoe_at + 1].startswith("    + ") and " CST · " in lines[zoe_at + 1]
    code, out, _err = run(
        monkeypatch,
        demo_url,
        "preview-change",
        "--from",
        "2026-12-07",
        "--add",
        "Zoe Zhang",
        "--json",
    )
    data = json.loads(out)
    assert data["summary"] == lines[0]
    assert data["changes_hands"] > 0
    zoe = next(p for p in data["people"] if p["member"] == "Zoe Zhang")
    assert zoe["gains"] and not zoe["loses"]
    assert data["planned"] == [
        {
            "effective_from": "2026-12-14",
            "change": "Eve Evans leaves the rotation",
            "relation": "still applies",
        }
    ]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--leave", "Nobody"], "no member named 'Nobody'"),
        (["--order", "Ann Archer,Ben Brooks"], "--order must name every member"),
        (["--from", "2026-11-30", "--leave", "Ann Archer"], "at the earliest"),
    ],
)
def test_bad_input_is_one_clear_line(
    monkeypatch: pytest.MonkeyPatch, demo_url: str, argv: list[str], message: str
) -> None:
    if "--from" not in argv:
        argv = ["--from", "2026-12-07", *argv]
    code, out, err = run(monkeypatch, demo_url, "preview-change", *argv)
    assert code == 1 and out == ""
    assert err.startswith("error: ") and message in err and len(err.splitlines()) == 1


def test_a_bad_shifts_file_names_the_problem(
    monkeypatch: pytest.MonkeyPatch, demo_url: str, tmp_path: Path
) -> None:
    code, _out, err = run(
        monkeypatch,
        demo_url,
        "preview-change",
        "--from",
        "2026-12-07",
        "--shifts",
        shifts_file(tmp_path, 200),
    )
    assert code == 1 and "duration_hours" in err
