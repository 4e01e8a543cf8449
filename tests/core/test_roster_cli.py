"""Roster import/export through the CLI, on SQLite and PostgreSQL; db copy."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from whoseonfirst_service.cli import main

from tests.core.helpers import roster
from whoseonfirst_core.clock import FixedClock

NOW = FixedClock(datetime(2026, 3, 1, 12, tzinfo=UTC))


def run(monkeypatch: pytest.MonkeyPatch, url: str, *argv: str) -> tuple[int, str, str]:
    monkeypatch.setenv("WHOSEONFIRST_DATABASE_URL", url)
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), clock=NOW, out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def write(tmp_path: Path, data: Any, name: str = "team.json") -> str:
    path = tmp_path / name
    path.write_text(json.dumps(data) if not isinstance(data, str) else data)
    return str(path)


def full_roster() -> dict[str, Any]:
    data = roster(
        5,
        contacts=[
            {
                "name": "Hal",
                "phone": "(312) 555-0199",
                "weekly_summary": True,
                "failure_alerts": False,
            }
        ],
        overrides=[
            {
                "member": "Cal",
                "start": "2026-03-04T08:00:00-06:00",
                "end": "2026-03-05T08:00:00-06:00",
                "reason": "dentist",
            }
        ],
    )
    data["members"][1]["secondary_phone"] = "312-555-0177"
    data["settings"] = {
        "horizon_weeks": 8,
        "weekly_summary_day": "friday",
        "weekly_summary_time": "09:30",
        "shift_start_template": "On call: {name} {start}-{end}",
    }
    data["time_off"] = [
        {"member": "Ann", "start": "2026-03-09", "end": "2026-03-15", "reason": "vacation"},
        {
            "member": "Ben",
            "start": "2026-03-10T13:00:00-05:00",
            "end": "2026-03-10T17:00:00-05:00",
            "reason": "doctor",
        },
    ]
    data["holidays"] = {
        "country": "US",
        "subdivision": "TX",
        "extra": [{"date": "2026-12-24", "name": "Office closed"}],
    }
    return data


def test_export_import_export_gives_the_same_file(
    monkeypatch: pytest.MonkeyPatch, db_url: str, tmp_path: Path, sqlite_template: Path
) -> None:
    assert run(monkeypatch, db_url, "import", write(tmp_path, full_roster()))[0] == 0
    code, first, _ = run(monkeypatch, db_url, "export")
    assert code == 0
    exported = json.loads(first)
    assert exported["members"][1]["secondary_phone"] == "+13125550177"
    assert exported["overrides"][0]["member"] == "Cal"
    assert exported["time_off"] == full_roster()["time_off"]
    assert exported["holidays"] == full_roster()["holidays"]
    # Into an empty (migrated) database.
    import shutil

    shutil.copyfile(sqlite_template, tmp_path / "second.db")
    empty = f"sqlite:///{tmp_path / 'second.db'}"
    assert run(monkeypatch, empty, "import", write(tmp_path, first, "exported.json"))[0] == 0
    code, second, _ = run(monkeypatch, empty, "export")
    assert code == 0 and second == first


def test_export_file_is_private_and_replaced_whole(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, tmp_path: Path
) -> None:
    """An export lists every phone number: owner-only like a backup, and never half-written."""
    assert run(monkeypatch, sqlite_url, "import", write(tmp_path, full_roster()))[0] == 0
    target = tmp_path / "out" / "roster.json"
    target.parent.mkdir()
    target.write_text("an older export\n")
    target.chmod(0o644)

    assert run(monkeypatch, sqlite_url, "export", str(target))[0] == 0
    assert target.stat().st_mode & 0o777 == 0o600
    assert json.loads(target.read_text())["members"][0]["name"] == "Ann"

    # A write that fails half-way leaves the previous export and no temporary file behind.
    good = target.read_bytes()
    import whoseonfirst_core.roster.exporter as roster_mod

    def refuse(*_args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(roster_mod.os, "replace", refuse)
    code, _, err = run(monkeypatch, sqlite_url, "export", str(target))
    assert code != 0 and "No space left on device" in err and str(target) in err
    assert target.read_bytes() == good
    assert [p.name for p in target.parent.iterdir()] == ["roster.json"]


def test_export_to_a_missing_folder_says_so(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, tmp_path: Path
) -> None:
    assert run(monkeypatch, sqlite_url, "import", write(tmp_path, full_roster()))[0] == 0
    missing = tmp_path / "nowhere" / "roster.json"
    code, _, err = run(monkeypatch, sqlite_url, "export", str(missing))
    assert code != 0 and f"cannot write {missing}" in err
    assert not missing.parent.exists()


BAD_FILES: list[tuple[str, Any, str]] = [
    ("bad phone", lambda d: d["members"][2].update(phone="555-12"), "members[2].phone"),
    (
        "unknown key",
        lambda d: d["members"][0].update(nickname="A"),
        "members[0].nickname: unknown key",
    ),
    ("unknown top key", lambda d: d.update(extra=1), "extra: unknown key"),
    (
        "bad start day",
        lambda d: d.update(
            shifts=[
                {"name": "A", "start_day": "funday", "start_time": "08:00", "duration_hours": 24}
            ]
        ),
        "shifts[0].start_day: day 'funday' is not a weekday name",
    ),
    (
        "bad summary time",
        lambda d: d.update(settings={"weekly_summary_time": "8am"}),
        "settings.weekly_summary_time: time '8am' is not HH:MM",
    ),
    (
        "overlapping shifts",
        lambda d: d.update(
            shifts=[
                {"name": "A", "start_day": "monday", "start_time": "08:00", "duration_hours": 48},
                {"name": "B", "start_day": "tuesday", "start_time": "08:00", "duration_hours": 24},
            ]
        ),
        "overlaps",
    ),
    ("unknown zone", lambda d: d["team"].update(timezone="America/Chicgo"), "team.timezone"),
    (
        "duplicate phone",
        lambda d: d["members"][1].update(phone="+13125550101"),
        "already belongs to Ann",
    ),
    ("bad template", lambda d: d.update(settings={"shift_start_template": "{who}"}), "{who}"),
    ("bad day", lambda d: d["rotation"].update(anchor_date="2026-13-01"), "rotation.anchor_date"),
    ("wrong type", lambda d: d["members"][0].update(active="yes"), "members[0].active"),
    (
        "unknown override member",
        lambda d: d.update(
            overrides=[
                {
                    "member": "Nobody",
                    "start": "2026-03-04T08:00:00-06:00",
                    "end": "2026-03-05T08:00:00-06:00",
                }
            ]
        ),
        "overrides[0].member",
    ),
    ("not json", "{nope", "not valid JSON"),
    ("wrong format", lambda d: d.update(format="other"), "format"),
]


@pytest.mark.parametrize(("label", "mutate", "expected"), BAD_FILES, ids=[b[0] for b in BAD_FILES])
def test_a_bad_file_names_the_problem_and_changes_nothing(
    monkeypatch: pytest.MonkeyPatch,
    db_url: str,
    tmp_path: Path,
    label: str,
    mutate: Any,
    expected: str,
) -> None:
    assert run(monkeypatch, db_url, "import", write(tmp_path, roster(4)))[0] == 0
    before = run(monkeypatch, db_url, "export")[1]
    if isinstance(mutate, str):
        path = write(tmp_path, mutate, "bad.json")
    else:
        data = roster(4)
        mutate(data)
        path = write(tmp_path, data, "bad.json")
    code, _out, err = run(monkeypatch, db_url, "import", "--replace", path)
    assert code != 0
    assert expected in err, err
    assert "Traceback" not in err
    assert run(monkeypatch, db_url, "export")[1] == before


def test_import_into_a_database_with_a_team_needs_replace(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, tmp_path: Path
) -> None:
    path = write(tmp_path, roster(4))
    assert run(monkeypatch, sqlite_url, "import", path)[0] == 0
    code, _, err = run(monkeypatch, sqlite_url, "import", path)
    assert code == 1 and "--replace" in err
    data = roster(5)
    data["members"] = data["members"][1:]  # Ann leaves, Eve joins
    code, _, err = run(
        monkeypatch, sqlite_url, "import", "--replace", write(tmp_path, data, "b.json")
    )
    assert code == 0, err
    names = [m["name"] for m in json.loads(run(monkeypatch, sqlite_url, "export")[1])["members"]]
    assert names == ["Ben", "Cal", "Dee", "Eve"]


def test_preview_json_and_text(
    monkeypatch: pytest.MonkeyPatch, db_url: str, tmp_path: Path
) -> None:
    run(monkeypatch, db_url, "import", write(tmp_path, roster(7)))
    code, out, _ = run(
        monkeypatch, db_url, "preview", "--from", "2026-03-02", "--days", "14", "--json"
    )
    assert code == 0
    entries = json.loads(out)["entries"]
    assert entries[0] == {
        "start": "2026-03-02T08:00:00-06:00",
        "end": "2026-03-03T08:00:00-06:00",
        "shift": "Monday",
        "member": "Ann",
        "scheduled_member": "Ann",
        "override": False,
        "conflict": None,
        "holiday": None,
    }
    assert len(entries) == 12
    code, out, _ = run(monkeypatch, db_url, "preview", "--from", "2026-03-02", "--days", "2")
    assert code == 0 and "Tuesday-Wednesday" in out and "Ann" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["preview", "--from", "yesterday"], "not a date"),
        (["preview", "--from", "2026-03-02", "--days", "0"], "between 1 and 3660"),
        (["import", "/nonexistent/team.json"], "cannot read"),
        (["frobnicate"], "invalid choice"),
    ],
)
def test_bad_arguments_give_one_clear_line(
    monkeypatch: pytest.MonkeyPatch,
    sqlite_url: str,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    message: str,
) -> None:
    code, _out, err = run(monkeypatch, sqlite_url, *argv)
    captured = capsys.readouterr()
    assert code != 0
    assert message in err + captured.err
    assert "Traceback" not in err + captured.err


def test_preview_on_a_database_without_a_team(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str
) -> None:
    code, _, err = run(monkeypatch, sqlite_url, "preview", "--from", "2026-03-02")
    assert code == 1 and "no team yet" in err


def test_db_copy_sqlite_to_postgresql_gives_identical_exports(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, pg_server: Any, tmp_path: Path
) -> None:
    from pytest_postgresql.janitor import DatabaseJanitor

    run(monkeypatch, sqlite_url, "import", write(tmp_path, full_roster()))
    janitor = DatabaseJanitor(
        user=pg_server.user, host=pg_server.host, port=pg_server.port, dbname="wof_copy_target"
    )
    janitor.init()
    try:
        target = pg_server.url("wof_copy_target")
        code, out, err = run(monkeypatch, sqlite_url, "db", "copy", "--to", target)
        assert code == 0, err
        assert "schedule_entries" in out and "row counts verified" in out
        assert run(monkeypatch, target, "export")[1] == run(monkeypatch, sqlite_url, "export")[1]
        # A second copy into the now-full target is refused and changes nothing.
        code, _, err = run(monkeypatch, sqlite_url, "db", "copy", "--to", target)
        assert code == 1 and "not empty" in err
        # New rows get fresh ids after the copy (sequences were moved past the copied ids).
        code, _, err = run(
            monkeypatch, target, "import", "--replace", write(tmp_path, roster(6), "r.json")
        )
        assert code == 0, err
    finally:
        from whoseonfirst_core.db.session import Database

        Database(pg_server.url("postgres")).dispose()
        janitor.drop()


def test_the_sample_roster_in_resources_imports(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str
) -> None:
    sample = (
        Path(__file__).resolve().parents[2] / "whoseonfirst_core" / "resources" / "demo-roster.json"
    )
    code, out, err = run(monkeypatch, sqlite_url, "import", str(sample))
    assert code == 0, err
    assert "imported 7 members" in out
    assert run(monkeypatch, sqlite_url, "export")[1] == sample.read_text()
