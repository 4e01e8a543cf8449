"""The planner's commands: time off, suggest-covers, fairness, and the marks in preview --json.

The fairness figures are checked against a count made here, independently, from
``preview --json`` over a year that crosses both DST changes: hour by hour on the wall clock.
"""

from __future__ import annotations

import io
import json
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import holidays
import pytest
from whoseonfirst_service.cli import main

from tests.core.helpers import roster
from whoseonfirst_core.clock import FixedClock

NOW = FixedClock(datetime(2026, 3, 1, 12, tzinfo=UTC))
TZ = ZoneInfo("America/Chicago")


def run(monkeypatch: pytest.MonkeyPatch, url: str, *argv: str) -> tuple[int, str, str]:
    monkeypatch.setenv("WHOSEONFIRST_DATABASE_URL", url)
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), clock=NOW, out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def team(monkeypatch: pytest.MonkeyPatch, url: str, tmp_path: Path, **extra: Any) -> None:
    data = roster(7)
    data["settings"] = {"horizon_weeks": 60}
    data["holidays"] = {
        "country": "US",
        "subdivision": "TX",
        "extra": [{"date": "2026-12-31", "name": "Office closed"}],
    }
    data.update(extra)
    path = tmp_path / "team.json"
    path.write_text(json.dumps(data))
    code, _, err = run(monkeypatch, url, "import", str(path))
    assert code == 0, err


def preview(monkeypatch: pytest.MonkeyPatch, url: str, first: str, days: int) -> list[Any]:
    code, out, err = run(
        monkeypatch, url, "preview", "--from", first, "--days", str(days), "--json"
    )
    assert code == 0, err
    entries: list[Any] = json.loads(out)["entries"]
    return entries


def test_time_off_conflicts_suggestions_apply_and_cancel(
    monkeypatch: pytest.MonkeyPatch, db_url: str, tmp_path: Path
) -> None:
    team(monkeypatch, db_url, tmp_path)
    code, out, err = run(
        monkeypatch,
        db_url,
        *("time-off", "add", "ann", "--from", "2026-03-16", "--to", "2026-03-29"),
        *("--reason", "vacation"),
    )
    assert code == 0, err
    assert "Ann away 2026-03-16T00:00:00-05:00 → 2026-03-30T00:00:00-05:00 (vacation)" in out
    entries = preview(monkeypatch, db_url, "2026-03-09", 28)
    marked = [e for e in entries if e["conflict"]]
    assert marked and {(e["member"], e["conflict"]) for e in marked} == {
        ("Ann", "time off: vacation")
    }
    assert all(
        e["member"] != "Ann" or e["conflict"]
        for e in entries
        if "03-16" <= e["start"][5:10] <= "03-29"
    )

    code, out, err = run(
        monkeypatch, db_url, "suggest-covers", "--from", "2026-03-09", "--days", "28", "--json"
    )
    assert code == 0, err
    suggestions = json.loads(out)["suggestions"]
    assert len(suggestions) == len(marked)
    assert set(suggestions[0]) == {"start", "end", "away", "suggested", "reason"}
    assert all(s["away"] == "Ann" and s["suggested"] not in (None, "Ann") for s in suggestions)
    code, out, err = run(
        monkeypatch, db_url, "suggest-covers", "--from", "2026-03-09", "--days", "28", "--apply"
    )
    assert code == 0, err
    assert f"saved {len(suggestions)} cover(s)" in out
    assert [e["conflict"] for e in preview(monkeypatch, db_url, "2026-03-09", 28)] == [None] * len(
        preview(monkeypatch, db_url, "2026-03-09", 28)
    )

    code, out, _ = run(
        monkeypatch, db_url, "time-off", "list", "--from", "2026-03-01", "--days", "60", "--json"
    )
    listed = json.loads(out)["time_off"]
    assert [(t["member"], t["reason"]) for t in listed] == [("Ann", "vacation")]
    code, out, err = run(monkeypatch, db_url, "time-off", "cancel", str(listed[0]["id"]))
    assert code == 0 and "cancelled time off" in out, err
    code, out, _ = run(monkeypatch, db_url, "time-off", "list", "--from", "2026-03-01")
    assert out.strip() == "no time off in this window"


def test_bad_time_off_is_one_clear_line(
    monkeypatch: pytest.MonkeyPatch,
    sqlite_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    team(monkeypatch, sqlite_url, tmp_path)
    code, _, err = run(
        monkeypatch,
        sqlite_url,
        "time-off",
        "add",
        "Zed",
        "--from",
        "2026-03-16",
        "--to",
        "2026-03-17",
    )
    assert (code, err.strip()) == (1, "error: no member named 'Zed'")
    code, _, err = run(
        monkeypatch, sqlite_url, "time-off", "add", "Ann", "--from", "soon", "--to", "2026-03-17"
    )
    assert code == 2 and "neither a date (YYYY-MM-DD) nor an instant" in capsys.readouterr().err
    code, _, err = run(
        monkeypatch,
        sqlite_url,
        "time-off",
        "add",
        "Ann",
        "--from",
        "2026-03-17",
        "--to",
        "2026-03-16",
    )
    assert (code, err.strip()) == (1, "error: time off must end after it starts")


def _local_hours(start: datetime, end: datetime) -> list[datetime]:
    """The local start of every real hour in [start, end) (all boundaries are whole hours)."""
    out, at = [], start.astimezone(UTC)
    while at < end:
        out.append(at.astimezone(TZ))
        at += timedelta(hours=1)
    return out


def test_fairness_equals_an_independent_count_from_preview_over_a_year_with_dst(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, tmp_path: Path
) -> None:
    team(
        monkeypatch,
        sqlite_url,
        tmp_path,
        time_off=[
            {"member": "Ann", "start": "2026-12-21", "end": "2027-01-03", "reason": "vacation"}
        ],
        overrides=[
            {
                "member": "Gus",
                "start": "2026-11-01T08:00:00-06:00",
                "end": "2026-11-02T08:00:00-06:00",
                "reason": "swap",
            }
        ],
    )
    assert (
        run(
            monkeypatch,
            sqlite_url,
            "suggest-covers",
            "--from",
            "2026-12-14",
            "--days",
            "28",
            "--apply",
        )[0]
        == 0
    )
    first, last = date(2026, 3, 2), date(2027, 2, 28)
    entries = preview(monkeypatch, sqlite_url, first.isoformat(), (last - first).days + 1)
    code, out, err = run(
        monkeypatch,
        sqlite_url,
        "fairness",
        "--from",
        first.isoformat(),
        "--to",
        last.isoformat(),
        "--json",
    )
    assert code == 0, err
    got = json.loads(out)
    assert (got["from"], got["to"]) == ("2026-03-02", "2027-02-28")

    lo = datetime(2026, 3, 2, tzinfo=TZ)
    hi = datetime(2027, 3, 1, tzinfo=TZ)
    days = holidays.country_holidays("US", subdiv="TX", years=[2026, 2027], observed=True)
    holiday_dates = set(days) | {date(2026, 12, 31)}
    count: dict[str, Counter[str]] = defaultdict(Counter)
    for e in entries:
        start, end = datetime.fromisoformat(e["start"]), datetime.fromisoformat(e["end"])
        c = count[e["member"]]
        c["shifts"] += 1
        if e["override"] and e["scheduled_member"] not in (None, e["member"]):
            c["covers_given"] += 1
            count[e["scheduled_member"]]["covers_received"] += 1
        for h in _local_hours(max(start, lo), min(end, hi)):
            c["hours"] += 1
            c["weekend_hours"] += h.weekday() >= 5
            c["night_hours"] += h.hour >= 22 or h.hour < 6
            c["holiday_hours"] += h.date() in holiday_dates
    count["Ann"]["time_off_days"] = 14
    fields = ("shifts", "hours", "weekend_hours", "holiday_hours", "night_hours")
    fields += ("covers_given", "covers_received", "time_off_days")
    names = [m["name"] for m in roster(7)["members"]]
    expected = [{"member": m, **{f: count[m][f] for f in fields}} for m in names]
    assert got["members"] == expected
    # DST is in it: the 24 h shifts from Sat 2026-03-07 and Sat 2026-10-31 last 23 and 25 h.
    by_start = {e["start"][:10]: e for e in entries}
    spring, autumn = by_start["2026-03-07"], by_start["2026-10-31"]
    assert (spring["start"][-6:], spring["end"][-6:]) == ("-06:00", "-05:00")
    assert (autumn["start"][-6:], autumn["end"][-6:]) == ("-05:00", "-06:00")
    assert by_start["2026-12-25"]["holiday"] == "Christmas Day; Day After Christmas"
    assert sum(count[m]["covers_received"] for m in count) >= 2


def test_the_weekly_summary_marks_conflicts_and_holidays(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, tmp_path: Path
) -> None:
    team(
        monkeypatch,
        sqlite_url,
        tmp_path,
        escalation_contacts=[{"name": "Hal", "phone": "+13125550199"}],
        time_off=[{"member": "Ann", "start": "2026-12-21", "end": "2027-01-03"}],
    )
    entries = preview(monkeypatch, sqlite_url, "2026-12-21", 7)
    ann = next(e for e in entries if e["member"] == "Ann")
    code, out, err = run(
        monkeypatch, sqlite_url, "simulate", "--from", "2026-12-21", "--days", "1", "--json"
    )
    assert code == 0, err
    summary = next(m["body"] for m in json.loads(out)["messages"] if m["kind"] == "weekly_summary")
    lines = summary.split("\n")
    assert lines[4].startswith("Thu 12/24 (Christmas Eve): ")
    assert lines[5].startswith("Fri 12/25 (Christmas Day): ")
    day = datetime.fromisoformat(ann["start"]).strftime("%a %-m/%-d")
    marked = [line for line in lines if "(CONFLICT: time off)" in line]
    assert len(marked) == 1 and marked[0].startswith(day) and "Ann +1312555" in marked[0]


def test_fairness_text_and_json_carry_the_same_figures(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, tmp_path: Path
) -> None:
    from whoseonfirst_core.db.session import Database
    from whoseonfirst_core.usecases.planner import fairness

    team(monkeypatch, sqlite_url, tmp_path)
    args = ("fairness", "--from", "2026-03-02", "--to", "2026-03-08")
    code, out, err = run(monkeypatch, sqlite_url, *args)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "2026-03-02 to 2026-03-08 (America/Chicago)"
    assert lines[1].split() == [
        "member", "shifts", "hours", "weekend", "holiday", "night", "given", "received", "time", "off"
    ]  # fmt: skip
    assert lines[2].split() == ["Ann", "1", "24.0", "0.0", "16.0", "8.0", "0", "0", "0"]
    # From Mon 08:00 (the rotation's start) to Mon 00:00 a week later, DST included: 159 h.
    assert lines[-1] == "team average: 22.7 h"
    db = Database(sqlite_url)
    try:
        with db.reader() as uow:
            ledger = fairness(uow, date(2026, 3, 2), date(2026, 3, 8), NOW.now())
    finally:
        db.dispose()
    code, out, _ = run(monkeypatch, sqlite_url, *args, "--json")
    assert json.loads(out) == ledger.to_json()
