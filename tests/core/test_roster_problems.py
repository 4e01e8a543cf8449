"""A bad roster file lists every problem in one attempt: the checks that compare entries with
each other run on every entry that is valid on its own, whether or not the rest of the file is.
And the keys the file must have are exactly those the README names."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.core.helpers import roster
from whoseonfirst_core.db.session import Database
from whoseonfirst_core.roster import (
    RosterError,
    dumps_roster,
    export_roster_data,
    import_roster_data,
    parse_roster,
)

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)
OVERRIDE = {"start": "2026-03-04T08:00:00-06:00", "end": "2026-03-05T08:00:00-06:00"}


def problems(data: dict[str, Any]) -> list[str]:
    with pytest.raises(RosterError) as refused:
        parse_roster(data)
    return refused.value.problems


def test_field_and_cross_entry_problems_are_listed_together() -> None:
    data = roster(4, overrides=[{"member": "Nobody", **OVERRIDE}])
    data["members"][1]["phone"] = "555-12"  # a field problem
    data["members"][3]["name"] = "ann"  # the same name as members[0]
    del data["rotation"]
    assert problems(data) == [
        "members[1].phone: '555-12' has the wrong number of digits",
        'rotation: is required: {"anchor_date": "YYYY-MM-DD"}, the day the rotation starts '
        "(it decides who is on call on every day, so it has no default)",
        "members[3].name: 'ann' appears twice",
        "overrides[0].member: no member named 'Nobody'",
    ]


def test_shift_overlaps_are_found_beside_a_shift_that_is_invalid() -> None:
    data = roster(
        3,
        shifts=[
            {"name": "A", "start_day": "monday", "start_time": "08:00", "duration_hours": 48},
            {"name": "B", "start_day": "tuesday", "start_time": "08:00", "duration_hours": 24},
            {"name": "C", "start_day": "funday", "start_time": "08:00", "duration_hours": 24},
        ],
    )
    found = problems(data)
    assert found == [
        "shifts[2].start_day: day 'funday' is not a weekday name (monday … sunday)",
        "shifts: shift A (Mon 08:00, 48h) overlaps shift B (Tue 08:00, 24h)",
    ]


def test_no_false_problems_from_entries_that_are_invalid() -> None:
    # Cal's phone is bad, but Cal exists: the override naming Cal is fine. Every shift is bad:
    # "the pattern is empty" would be untrue, so the pattern is not judged until they are fixed.
    data = roster(
        3,
        overrides=[{"member": "Cal", **OVERRIDE}],
        shifts=[{"name": "A", "start_day": "monday", "start_time": "8", "duration_hours": 24}],
    )
    data["members"][2]["phone"] = "12"
    assert problems(data) == [
        "members[2].phone: '12' has the wrong number of digits",
        "shifts[0].start_time: time '8' is not HH:MM (24-hour, e.g. 08:00)",
    ]


def test_a_duplicate_phone_is_found_when_its_owners_name_is_invalid() -> None:
    data = roster(2)
    data["members"][0]["name"] = "   "
    data["members"][1]["phone"] = data["members"][0]["phone"]
    assert problems(data) == [
        "members[0].name: is empty",
        "members[1].phone: +13125550101 already belongs to members[0]",
    ]


def test_a_valid_file_still_gets_the_cross_entry_checks() -> None:
    data = roster(3)
    data["members"][2]["phone"] = data["members"][0]["phone"]
    assert problems(data) == ["members[2].phone: +13125550101 already belongs to Ann"]


def test_only_the_keys_the_readme_names_are_required(db: Database) -> None:
    minimal = {
        "format": "whoseonfirst-roster",
        "version": 1,
        "team": {"name": "Ops"},
        "rotation": {"anchor_date": "2026-03-02"},
    }
    with db.uow("test") as uow:
        import_roster_data(uow, NOW, minimal)
        uow.commit()
    with db.reader() as uow:
        exported = json.loads(dumps_roster(export_roster_data(uow)))
    assert exported["team"] == {"name": "Ops", "timezone": "America/Chicago"}
    assert [s["duration_hours"] for s in exported["shifts"]] == [24, 48, 24, 24, 24, 24]
    assert exported["settings"]["horizon_weeks"] == 12
    for key in ("format", "version", "team", "rotation"):
        smaller = {k: v for k, v in minimal.items() if k != key}
        assert any(p.startswith(f"{key}: ") for p in problems(smaller)), key
