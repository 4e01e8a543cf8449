"""Kill drill over change notices: SIGKILL a ``tick`` process at every point of a notice's send.

The team's notices go out without a bundling delay and without quiet hours, so a change saved
at T is told by the tick at T+20 s. For each of N changes (40 in the full run, per backend; a
cover of one future hour, which tells the coverer and the person relieved) the drill saves the
cover, reads the notices the planner will send (``usecases.notices.decide``: the oracle, as
``simulate`` is for the shift-start kill drill), then runs one or two ``tick --now T+20s``
processes and kills one at the moments of :mod:`chaos.kill` (before the claim, after it, while
Twilio holds the request, after Twilio took it, before the result is committed). A clean tick
at T+5 min follows; every notice must have reached the fake exactly once, and nothing else may
have gone out. The instants fall between shift starts, so after the first tick the notices
are the only texts.
"""

from __future__ import annotations

import collections
import random
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import update

from chaos.common import (
    ChaosRun,
    DrillResult,
    DrillTwilio,
    TextKey,
    apply_tally,
    check_rows,
    drill_twilio,
    has_traceback,
    import_roster,
    roster,
    run_service,
    service_env,
    tally,
)
from chaos.kill import CLEAN_OFFSET, POINTS, crash_tick, scenarios
from whoseonfirst_core.db.models import TeamSettings
from whoseonfirst_core.db.session import Database
from whoseonfirst_core.usecases import notices
from whoseonfirst_core.usecases.calendar import Cover, apply_calendar_plan
from whoseonfirst_core.usecases.schedule import member_names, resolve_window

TZ = "America/Chicago"
ANCHOR = date(2026, 3, 9)  # a Monday; no DST change in the weeks the covers fall in
SPACING = timedelta(minutes=10)


def run(run: ChaosRun, backend: str) -> DrillResult:
    result = DrillResult(f"kill-notices ({backend})")
    n = 10 if run.quick else 40
    rng = random.Random(f"{run.seed}-kill-notices-{backend}")
    url = run.new_database(backend, f"kill-notices-{backend}")
    tz = ZoneInfo(TZ)
    first = datetime.combine(ANCHOR, datetime.min.time(), tzinfo=tz) + timedelta(hours=10)
    import_roster(url, roster(anchor=ANCHOR, weekly_summary=False), first - timedelta(days=1))
    db = Database(url)
    try:
        with db.uow("chaos@drill") as uow:
            uow.session.execute(
                update(TeamSettings).values(notice_delay_minutes=0, quiet_hours=None)
            )
            uow.commit()
        with db.reader() as uow:
            member_ids = sorted(member_names(uow))
        plan = scenarios(n, rng)
        wanted: list[TextKey] = []
        seeded = 0
        with drill_twilio(run, first) as fake:
            # The first tick records everyone's on-call silently (and sends the shift-start
            # text of the shift running then, which counts like the rest).
            _tick(run, url, fake, first - timedelta(hours=1), "seed", result)
            wanted += list(fake.received())
            seeded = len(wanted)
            for i, scenario in enumerate(plan):
                at = first + i * SPACING
                expected = _save_cover(db, at, i, member_ids, crash_offset=timedelta(seconds=20))
                if not expected:
                    result.error(f"change {i}: the planner had no notice to send")
                wanted += expected
                crash_tick(run, url, fake, at, scenario, result)
                _tick(run, url, fake, at + CLEAN_OFFSET, f"clean {i}", result)
                received = fake.received()
                for key in expected:
                    if received.get(key, 0) != 1:
                        result.error(
                            f"change {i} ({scenario}): {received.get(key, 0)} copies of a notice"
                        )
            apply_tally(result, tally(wanted, fake.received()))
    finally:
        db.dispose()
    check_rows(url, result)
    counts = collections.Counter(s.point for s in plan)
    result.notes.append(
        f"{n} changes told by {len(wanted) - seeded} notices; kills: "
        + ", ".join(f"{p} {counts[p]}" for p in POINTS)
        + f"; {sum(s.two_processes for s in plan)} with two processes"
    )
    return result


def _save_cover(
    db: Database, at: datetime, i: int, member_ids: list[int], *, crash_offset: timedelta
) -> list[TextKey]:
    """Save a cover of one hour two days ahead (shift i's hour) and return the notices the
    tick at ``at + crash_offset`` will send."""
    start = at.replace(minute=0) + timedelta(days=2, hours=i)
    with db.reader() as uow:
        [span] = resolve_window(uow, start, start + timedelta(minutes=1))
    coverer = next(m for k, m in enumerate(member_ids * 2) if k >= i and m != span.member_id)
    with db.uow("chaos@drill") as uow:
        apply_calendar_plan(uow, at, [Cover(coverer, start, start + timedelta(hours=1), "drill")])
        uow.commit()
    with db.reader() as uow:
        decisions = notices.decide(uow, at + crash_offset)
    return [(t.recipient_phone, t.body) for d in decisions if d.tell for t in d.texts]


def _tick(
    run: ChaosRun, url: str, fake: DrillTwilio, at: datetime, what: str, result: DrillResult
) -> None:
    fake.set_now(at)
    code, _out, err = run_service(
        run,
        ["tick", "--now", at.isoformat()],
        service_env(run, url, fake, WHOSEONFIRST_INSTANCE_ID="chaos-clean"),
        f"kill-notices {what} tick",
    )
    if code != 0 or has_traceback(err):
        result.error(f"{what} tick failed (exit {code}): {err.strip().splitlines()[-1:]}")
