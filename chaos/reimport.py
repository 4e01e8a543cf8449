"""Re-import drill (issue 19, item 7): ``import --replace`` of the roster that is already there,
again and again, while the service sends.

A team (default pattern, a cover by Cal Chen from Tuesday 15:00 to Wednesday 09:00, the weekly
summary on Mondays at 08:00) on SQLite and (when available) PostgreSQL. Fake time from Monday
07:00 to Wednesday 12:00 (the whole quick run: Monday 07:00 to Tuesday 18:00): every 30
minutes the admin runs the command-line ``import --replace`` of the file ``export`` wrote
before the first tick, and the engine (in-process, the real Twilio adapter against the fake
server) ticks at once and again a minute later — so re-imports fall at 08:59 and 09:59 on
Monday, after the summary, across the cover's start and while shifts run. Then, midway, the
cover is moved to start an hour earlier (a changed file: the running cover's start in the past)
and re-imported twice more.

What must hold: the fake received exactly the texts the planner (``simulate``) lists for the
window before any re-import — each once, the summary once, the coverer once — and nothing
else; ``export`` reads the same before and after each import of an unchanged file; no import
failed.
"""

from __future__ import annotations

import io
import json
import logging
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from chaos.common import (
    ChaosRun,
    DrillResult,
    TextKey,
    apply_tally,
    cli,
    drill_engine,
    drill_twilio,
    import_roster,
    on_each_backend,
    roster,
    simulated_texts,
    tally,
)
from whoseonfirst_core.clock import FixedClock
from whoseonfirst_core.db.session import Database

TZ = ZoneInfo("America/Chicago")
ANCHOR = date(2026, 3, 9)  # a Monday, CDT since the day before
T0 = datetime(2026, 3, 9, 7, 0, tzinfo=TZ)
STEP = timedelta(minutes=30)
COVER_START = datetime(2026, 3, 10, 15, 0, tzinfo=TZ)
COVER_END = datetime(2026, 3, 11, 9, 0, tzinfo=TZ)


def run(run: ChaosRun) -> DrillResult:
    return on_each_backend(run, "re-import", _one)


def _one(run: ChaosRun, backend: str, result: DrillResult) -> None:
    from whoseonfirst_service.logging_setup import setup_logging

    end = T0 + (timedelta(hours=35) if run.quick else timedelta(hours=53))
    url = run.new_database(backend, f"reimport-{backend}")
    cover = {
        "member": "Cal Chen",
        "start": COVER_START.isoformat(),
        "end": COVER_END.isoformat(),
        "reason": "drill",
    }
    import_roster(url, roster(anchor=ANCHOR, overrides=[cover]), T0 - timedelta(days=2))
    days = (end.date() - T0.date()).days + 1
    planned = [
        m
        for m in simulated_texts(url, T0 - timedelta(days=2), T0.date(), days)
        if T0 <= datetime.fromisoformat(m["send_at"]) <= end
    ]
    expected: list[TextKey] = [(m["to"], m["body"]) for m in planned]
    folder = run.folder(f"reimport-{backend}")
    file = folder / "roster.json"
    clock = FixedClock(T0)
    db = Database(url)
    logs = io.StringIO()
    handler = setup_logging("json", secrets=[run.auth_token], stream=logs)
    imports = failures = 0
    moved = changed = False
    try:
        with drill_twilio(run, T0) as fake:
            code, output = cli(url, clock.now(), "export", str(file))
            if code != 0:
                result.error(f"{backend}: export failed: {output.strip()}")
                return
            engine, sms = drill_engine(run, db, clock, fake, f"chaos-reimport-{backend}")
            try:
                at = T0
                while at <= end:
                    if not moved and at >= COVER_START + timedelta(hours=2):
                        _move_cover(file, COVER_START - timedelta(hours=1))
                        moved = changed = True
                    for tick_at in (at, at + timedelta(minutes=1)):
                        clock.set(tick_at)
                        fake.set_now(tick_at)
                        if tick_at == at:
                            before = cli(url, clock.now(), "export", "-")[1]
                            code, output = cli(url, clock.now(), "import", "--replace", str(file))
                            imports += 1
                            if code != 0:
                                failures += 1
                                result.error(f"{backend}: import at {at}: {output.strip()}")
                            elif not changed and cli(url, clock.now(), "export", "-")[1] != before:
                                result.error(
                                    f"{backend}: importing the same file at {at} changed it"
                                )
                            changed = False
                        engine.tick()
                    at += STEP
            finally:
                sms.close()
            apply_tally(result, tally(expected, fake.received()), backend)
    finally:
        logging.getLogger().removeHandler(handler)
        db.dispose()
        run.evidence.add_log(f"reimport {backend} engine logs", logs.getvalue())
    result.notes.append(
        f"{backend}: {imports} imports of the same file ({failures} failed) from "
        f"{T0:%a %H:%M} to {end:%a %H:%M}, the running cover moved an hour earlier midway; "
        f"{len(expected)} texts planned"
    )


def _move_cover(file: Path, start: datetime) -> None:
    data = json.loads(file.read_text(encoding="utf-8"))
    data["overrides"][0]["start"] = start.isoformat()
    file.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
