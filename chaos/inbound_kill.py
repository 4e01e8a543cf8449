"""Kill drill over texts people send: SIGKILL a ``tick`` process while it records and answers them.

For each of N texts (30 in the full run, per backend) a member texts ``WHO`` to the team's
number at T, or (every other text) the member on call texts ``OK``. The drill runs one or two
``tick --now T+20s`` processes and kills one at a chosen moment: ``after_inbound_list`` (the
poll listed the text, nothing is recorded yet), or while the answer is sent (the moments of
:mod:`chaos.kill`: before the claim, after it, while Twilio holds the request, after Twilio
took it, before the result is committed). A clean tick at T+5 min follows. Every text must be
recorded exactly once; each WHO answered exactly once with who is on call, each OK answered
with nothing and the running shift confirmed once (one row, however many OKs); nothing else
may go out. The texts fall between shift starts.
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
from whoseonfirst_core.db.models import InboundMessage, SpanConfirmation
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
    on_call_phone = _on_call_phone(url, first)
    answers: collections.Counter[str] = collections.Counter()
    with drill_twilio(run, first) as fake:
        clean_tick(run, url, fake, first - timedelta(hours=1), "the first", result)
        seen = len(fake.created)
        for i, scenario in enumerate(plan):
            at = first + i * SPACING
            confirm = i % 2 == 1
            sender = on_call_phone if confirm else phones[i % len(phones)]
            fake.set_now(at)
            fake.receive(sender, "ok" if confirm else "who", sent_at=at, to=FROM_NUMBER)
            crash_tick(run, url, fake, at, scenario, result)
            clean_tick(run, url, fake, at + CLEAN_OFFSET, f"text {i} ({scenario.point})", result)
            replies = [m for m in fake.created[seen:] if m.to == sender]
            others = [m for m in fake.created[seen:] if m.to != sender]
            seen = len(fake.created)
            answers[scenario.point] += 1
            wanted = 0 if confirm else 1
            result.duplicates += max(0, len(replies) - wanted)
            result.missed += len(replies) < wanted
            if (
                len(replies) != wanted
                or others
                or (replies and not replies[0].body.startswith("On call: "))
            ):
                result.error(
                    f"text {i} ({scenario}, {'OK' if confirm else 'WHO'}): {len(replies)} "
                    f"answers {[r.body[:40] for r in replies]}, {len(others)} other texts"
                )
            else:
                result.received = (result.received or 0) + 1
        result.expected = n
    db = Database(url)
    try:
        with db.reader() as uow:
            recorded = uow.session.scalar(select(func.count()).select_from(InboundMessage))
            confirmed = uow.session.scalar(select(func.count()).select_from(SpanConfirmation))
    finally:
        db.dispose()
    if recorded != n:
        result.error(f"{recorded} texts recorded, {n} were sent")
    if confirmed != 1:
        result.error(f"the running shift was confirmed {confirmed} times (once wanted)")
    check_rows(url, result)
    result.notes.append(
        f"{n} texts ({n - n // 2} WHO answered, {n // 2} OK confirming one shift); "
        "kills aimed at (an OK sends nothing to kill at): "
        + ", ".join(f"{p} {answers[p]}" for p in MOMENTS)
        + f"; {sum(s.two_processes for s in plan)} with two processes"
    )
    return result


def _on_call_phone(url: str, at: datetime) -> str:
    """The primary phone of whoever is on call at ``at`` (their OK confirms that shift)."""
    from whoseonfirst_core.usecases.outbox import load_team
    from whoseonfirst_core.usecases.schedule import resolve_window

    db = Database(url)
    try:
        with db.reader() as uow:
            [span] = resolve_window(uow, at, at + timedelta(minutes=1))
            return load_team(uow.session).members[span.member_id].call
    finally:
        db.dispose()
