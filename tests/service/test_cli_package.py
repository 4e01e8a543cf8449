"""The command line as one parser: every way of starting it offers the same commands, and
``simulate`` lists what the engine's own planning pass sends."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import update
from whoseonfirst_service.cli import build_parser, main
from whoseonfirst_service.engine import Engine

from tests.fakes.fake_twilio import FakeTwilio
from tests.service.conftest import no_escalation, utc
from whoseonfirst_core.clock import FixedClock
from whoseonfirst_core.db.models import TeamSettings
from whoseonfirst_core.db.session import Database

COMMANDS = [
    "db",
    "import",
    "export",
    "preview",
    "simulate",
    "preview-change",
    "time-off",
    "suggest-covers",
    "fairness",
    "run",
    "tick",
    "check",
    "send-test",
    "backup",
    "export-ics",
    "feed-link",
]


@pytest.fixture(autouse=True)
def _no_escalation(request: pytest.FixtureRequest) -> None:
    """These tests follow other texts past shift starts while nobody replies OK."""
    if "team" in request.fixturenames:
        no_escalation(request.getfixturevalue("team"))


def listed_commands(help_text: str) -> list[str]:
    """The subcommands a ``--help`` lists, from its ``{a,b,...}`` usage choices or its table."""
    return re.findall(r"^    (\S+)", help_text, flags=re.MULTILINE)


def help_of(*argv: str) -> str:
    done = subprocess.run(
        [*argv, "--help"], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_parser_offers_every_command() -> None:
    out = io.StringIO()
    code = main(["--help"], out=out)
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    assert sorted(sub.choices or ()) == sorted(COMMANDS)
    assert code == 0


@pytest.mark.parametrize(
    "argv",
    [
        [sys.executable, "-m", "whoseonfirst_service.cli"],
        [sys.executable, "-m", "whoseonfirst_service"],
        [str(Path(sys.executable).with_name("whoseonfirst-service"))],
    ],
    ids=["python -m whoseonfirst_service.cli", "python -m whoseonfirst_service", "console script"],
)
def test_every_entry_point_offers_the_same_commands(argv: list[str]) -> None:
    assert listed_commands(help_of(*argv)) == COMMANDS
    # The service's commands too, which `python -m whoseonfirst_service.cli` once lacked.
    assert "--now ISO" in help_of(*argv, "tick")


def test_simulate_lists_what_the_ticks_plan_also_reminders_due_before_the_window_ends(
    team: Database,
    db_url: str,
    clock: FixedClock,
    engine: Engine,
    fake: FakeTwilio,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A reminder 10 h before Ben's Tuesday 08:00 shift is due Monday 22:00, inside a window of
    Monday alone: simulate lists it (one planning pass with the tick), and a tick then sends it."""
    with team.uow("admin") as uow:
        uow.session.execute(update(TeamSettings).values(reminder_minutes=600))
        uow.commit()
    monkeypatch.setenv("WHOSEONFIRST_DATABASE_URL", db_url)
    monkeypatch.setenv("WHOSEONFIRST_SMS_BACKEND", "dry-run")
    out, err = io.StringIO(), io.StringIO()
    code = main(
        ["simulate", "--from", "2026-03-02", "--days", "1", "--json"],
        clock=clock,
        out=out,
        err=err,
    )
    assert code == 0, err.getvalue()
    listed = [
        (m["send_at"], m["kind"], m["member"], m["body"])
        for m in json.loads(out.getvalue())["messages"]
    ]
    sent: list[tuple[str, str]] = []
    for instant in (utc(2026, 3, 2, 4, 0, 1), utc(2026, 3, 2, 14, 0, 1), utc(2026, 3, 3, 4, 0, 1)):
        clock.set(instant)  # Sun 22:00, Mon 08:00, Mon 22:00 CST
        engine.tick()
        sent = [(r.form["To"], r.form["Body"]) for r in fake.create_requests]
    reminder = (
        "2026-03-02T22:00:00-06:00",
        "reminder",
        "Ben Brooks",
        "WhoseOnFirst reminder: Hi Ben Brooks, your on-call shift (Tuesday-Wednesday) "
        "starts Tue 08:00 CST.",
    )
    assert reminder in listed
    assert [body for _, _, _, body in listed] == [body for _, body in sent[1:]]
