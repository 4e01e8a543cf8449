"""Kill drill over change notices: SIGKILL a ``tick`` process at every point of a notice's send.

The team's notices go out without a bundling delay and without quiet hours, so a change saved
at T is told by the tick at T+20 s. For each of N changes (40 in the full run, per backend; a
cover of one future hour, which tells the coverer and the person relieved) the drill saves the
cover, reads the notices the planner will send (``usecases.notices.decide`` in the saving
transaction: the oracle, as ``simulate`` is for the shift-start kill drill), then runs one or
two ``tick --now T+20s`` processes and kills one at the moments of :mod:`chaos.kill` (before
the claim, after it, while Twilio holds the request, after Twilio took it, before the result
is committed). A clean tick at T+5 min follows; every notice must have reached the fake
exactly once, and nothing else may have gone out. The instants fall between shift starts, so
after the first tick the notices are the only texts.
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
        no_delay(db)
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
                start = at.replace(minute=0) + timedelta(days=2, hours=i)
                expected = cover_and_notices(db, at, [start], avoid=i)
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


def cover_and_notices(
    db: Database, at: datetime, starts: list[datetime], *, avoid: int = 0
) -> list[TextKey]:
    """Save, as of ``at`` and in one transaction, a cover of the hour from each of ``starts``
    by a member who is not on call then (the first from the ``avoid``-th on), and return the
    notices the change calls for.

    The notices are read in the saving transaction, before it commits: no running service can
    have told them yet, and the schedule is the one the services will see. With no bundling
    delay they are due at once; their wording does not depend on when they go out.
    """
    with db.uow("chaos@drill") as uow:
        ids = sorted(member_names(uow))
        for k, start in enumerate(starts):
            [span] = resolve_window(uow, start, start + timedelta(minutes=1))
            first = avoid + k
            coverer = next(m for n, m in enumerate(ids * 2) if n >= first and m != span.member_id)
            end = start + timedelta(hours=1)
            apply_calendar_plan(uow, at, [Cover(coverer, start, end, "drill")])
        uow.flush()
        texts = [(t.recipient_phone, t.body) for d in notices.decide(uow, at) for t in d.texts]
        uow.commit()
    return texts


def no_delay(db: Database) -> None:
    """Notices at once: no bundling delay and no quiet hours."""
    with db.uow("chaos@drill") as uow:
        uow.session.execute(update(TeamSettings).values(notice_delay_minutes=0, quiet_hours=None))
        uow.commit()


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
