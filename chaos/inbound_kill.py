"""Kill drill over texts people send: SIGKILL a ``tick`` process while it records and answers them.

For each of N texts (30 in the full run, per backend) a member texts ``WHO`` to the team's
number at T; the drill runs one or two ``tick --now T+20s`` processes and kills one at a chosen
moment: ``after_inbound_list`` (the poll listed the text, nothing is recorded yet), or while
the answer is sent (the moments of :mod:`chaos.kill`: before the claim, after it, while Twilio
holds the request, after Twilio took it, before the result is committed). A clean tick at
T+5 min follows. Every text must be recorded exactly once, and answered exactly once with who
is on call; nothing else may go out. The texts fall between shift starts.
"""

from __future__ import annotations

import collections
import itertools
import random
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from chaos.common import (
    FROM_NUMBER,
    MEMBERS,
    ChaosRun,
    DrillResult,
    check_rows,
    drill_twilio,
    import_roster,
    roster,
)
from chaos.kill import CLEAN_OFFSET, POINTS, Scenario, clean_tick, crash_tick
from whoseonfirst_core.db.models import InboundMessage
from whoseonfirst_core.db.session import Database

ANCHOR = date(2026, 3, 9)  # a Monday; no DST change in the drill's days
MOMENTS = ("after_inbound_list", *POINTS)
SPACING = timedelta(minutes=10)


def run(run: ChaosRun, backend: str) -> DrillResult:
    result = DrillResult(f"kill-inbound ({backend})")
    n = 12 if run.quick else 30
    rng = random.Random(f"{run.seed}-kill-inbound-{backend}")
    url = run.new_database(backend, f"kill-inbound-{backend}")
    tz = ZoneInfo("America/Chicago")
    first = datetime.combine(ANCHOR, datetime.min.time(), tzinfo=tz) + timedelta(hours=10)
    import_roster(url, roster(anchor=ANCHOR, weekly_summary=False), first - timedelta(days=1))
    pairs = list(itertools.product(MOMENTS, (False, True)))
    plan = [
        Scenario(p, two, rng.random() < 0.5)
        for p, two in itertools.islice(itertools.cycle(pairs), n)
    ]
    rng.shuffle(plan)
    phones = [p for _name, p, _second in MEMBERS]
    answers: collections.Counter[str] = collections.Counter()
    with drill_twilio(run, first) as fake:
        clean_tick(run, url, fake, first - timedelta(hours=1), "the first", result)
        seen = len(fake.created)
        for i, scenario in enumerate(plan):
            at = first + i * SPACING
            sender = phones[i % len(phones)]
            fake.set_now(at)
            fake.receive(sender, "who", sent_at=at, to=FROM_NUMBER)
            crash_tick(run, url, fake, at, scenario, result)
            clean_tick(run, url, fake, at + CLEAN_OFFSET, f"text {i} ({scenario.point})", result)
            replies = [m for m in fake.created[seen:] if m.to == sender]
            seen = len(fake.created)
            answers[scenario.point] += 1
            result.duplicates += max(0, len(replies) - 1)
            result.missed += not replies
            if len(replies) != 1 or not replies[0].body.startswith("On call: "):
                result.error(
                    f"text {i} ({scenario}): {len(replies)} answers "
                    f"{[r.body[:40] for r in replies]}"
                )
            else:
                result.received = (result.received or 0) + 1
        result.expected = n
    db = Database(url)
    try:
        with db.reader() as uow:
            recorded = uow.session.scalar(select(func.count()).select_from(InboundMessage))
    finally:
        db.dispose()
    if recorded != n:
        result.error(f"{recorded} texts recorded, {n} were sent")
    check_rows(url, result)
    result.notes.append(
        f"{n} texts answered; kills: "
        + ", ".join(f"{p} {answers[p]}" for p in MOMENTS)
        + f"; {sum(s.two_processes for s in plan)} with two processes"
    )
    return result
