"""``preview --csv``: the same rows, columns and values as ``preview --json``, across the
spring-forward change (Sun 2026-03-08 in Chicago) and a cover that straddles it.

The demo team: Sat 3/7 Eve Evans, Sun 3/8 Fay Fisher, each 24 h from 08:00. Gus Grant covers
Sat 20:00 CST → Sun 12:00 CDT: the last hours of Eve's shift and the first of Fay's.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest
from whoseonfirst_service.cli import main

from tests.service.conftest import utc
from whoseonfirst_core.clock import FixedClock
from whoseonfirst_core.db.session import Database
from whoseonfirst_core.usecases.calendar import Cover, add_override
from whoseonfirst_core.usecases.common import find_member
from whoseonfirst_core.usecases.schedule_rows import SCHEDULE_COLUMNS

WINDOW = ("--from", "2026-03-05", "--days", "5")  # Thu 3/5 – Mon 3/9


def run(clock: FixedClock, *argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), clock=clock, out=out, err=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def covered(
    team: Database, db_url: str, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> Database:
    monkeypatch.setenv("WHOSEONFIRST_DATABASE_URL", db_url)
    with team.uow("admin") as uow:
        gus = find_member(uow, "Gus Grant")
        assert gus is not None
        add_override(uow, clock.now(), Cover(gus.id, utc(2026, 3, 8, 2), utc(2026, 3, 8, 17)))
        uow.commit()
    return team


def as_json_value(column: str, text: str) -> Any:
    """A CSV cell as the JSON has it: ``override`` a boolean, an empty ``scheduled_member`` null."""
    if column == "override":
        assert text in ("true", "false")
        return text == "true"
    if column == "scheduled_member":
        return text or None
    return text


def test_csv_rows_are_the_json_entries_across_dst_with_a_cover(
    covered: Database, clock: FixedClock
) -> None:
    code, out, err = run(clock, "preview", *WINDOW, "--csv")
    assert code == 0, err
    assert out.startswith(",".join(SCHEDULE_COLUMNS) + "\r\n")
    assert out.count("\r\n") == out.count("\n")  # RFC 4180 line ends throughout
    reader = csv.DictReader(io.StringIO(out, newline=""))
    assert tuple(reader.fieldnames or ()) == SCHEDULE_COLUMNS
    from_csv = [{k: as_json_value(k, v) for k, v in row.items()} for row in reader]

    code, out, err = run(clock, "preview", *WINDOW, "--json")
    assert code == 0, err
    entries = json.loads(out)["entries"]
    # The CSV's six columns are the JSON's; the JSON also carries the marks (none here).
    assert from_csv == [{k: e[k] for k in SCHEDULE_COLUMNS} for e in entries]
    assert {(e["conflict"], e["holiday"]) for e in entries} == {(None, None)}

    around_dst = [
        (r["start"], r["end"], r["member"], r["scheduled_member"], r["override"])
        for r in from_csv
        if r["start"].startswith(("2026-03-07", "2026-03-08"))
    ]
    assert around_dst == [
        ("2026-03-07T08:00:00-06:00", "2026-03-07T20:00:00-06:00", "Eve Evans", "Eve Evans", False),
        ("2026-03-07T20:00:00-06:00", "2026-03-08T08:00:00-05:00", "Gus Grant", "Eve Evans", True),
        ("2026-03-08T08:00:00-05:00", "2026-03-08T12:00:00-05:00", "Gus Grant", "Fay Fisher", True),
        (
            "2026-03-08T12:00:00-05:00",
            "2026-03-09T08:00:00-05:00",
            "Fay Fisher",
            "Fay Fisher",
            False,
        ),
    ]


def test_csv_and_json_together_are_refused(
    clock: FixedClock, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(clock, "preview", *WINDOW, "--csv", "--json")
    assert code == 2 and not out
    assert "argument --json: not allowed with argument --csv" in capsys.readouterr().err
