"""Kill drill (issue 7, drill 1): SIGKILL a ``tick`` process at every point of a send.

A team with 168 one-hour shifts a week has a due instant every hour. For each of N instants
(200 in the full run, per backend) the drill starts one or two ``whoseonfirst-service tick
--now T+20s`` processes against the fake Twilio server and kills one of them with SIGKILL at a
chosen moment:

- ``before_claim``: the texts are planned (rows queued) but nobody has claimed one;
- ``after_claim``: the claim and the attempt are committed, nothing was sent;
- ``while_held``: the fake Twilio server holds the create request (a slow reply; half the
  time it has created the message, half the time not) and the drill kills the process once
  the fake has received it;
- ``after_send``: the fake answered 201, the result is not recorded yet;
- ``before_record_commit``: the result is written in the transaction, not committed.

The first four moments use the engine's drill hook (``WHOSEONFIRST_CRASH_AT``, which makes the
process SIGKILL itself there); ``while_held`` is killed from outside. Then one clean tick runs
at T+5 min (past the 2-minute stale-claim limit) and every text due at T must have reached the
fake exactly once — identified by recipient and body. The expected texts come from
``simulate``'s planner.
"""

from __future__ import annotations

import collections
import itertools
import random
import signal
import subprocess
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from chaos.common import (
    FROM_NUMBER,
    FROM_NUMBER_B,
    ChaosRun,
    DrillResult,
    DrillTwilio,
    TextKey,
    apply_tally,
    check_rows,
    drill_twilio,
    finish,
    has_traceback,
    hourly_shifts,
    import_roster,
    parse_local,
    roster,
    run_service,
    service_env,
    simulated_texts,
    start_service,
    tally,
    wait_until,
)
from tests.fakes.fake_twilio import Reply

POINTS = ("before_claim", "after_claim", "while_held", "after_send", "before_record_commit")
TZ = "America/Chicago"
#: A Monday with no DST change in the following four weeks.
ANCHOR = date(2026, 3, 9)
CRASH_OFFSET = timedelta(seconds=20)
CLEAN_OFFSET = timedelta(minutes=5)  # past EngineSettings.stale_claim_after (2 min)
HOLD_SECONDS = 20.0  # the fake holds a create this long (longer than the client's 10 s timeout)


@dataclass(frozen=True)
class Scenario:
    point: str
    two_processes: bool
    held_message_created: bool = False


def scenarios(n: int, rng: random.Random) -> list[Scenario]:
    """``n`` scenarios cycling through every (moment, one/two processes) pair, shuffled."""
    pairs = list(itertools.product(POINTS, (False, True)))
    out = [
        Scenario(p, two, rng.random() < 0.5)
        for p, two in itertools.islice(itertools.cycle(pairs), n)
    ]
    rng.shuffle(out)
    return out


def run(run: ChaosRun, backend: str) -> DrillResult:
    result = DrillResult(f"kill ({backend})")
    n = 15 if run.quick else 200
    rng = random.Random(f"{run.seed}-kill-{backend}")
    url = run.new_database(backend, f"kill-{backend}")
    tz = ZoneInfo(TZ)
    first = datetime.combine(ANCHOR, datetime.min.time(), tzinfo=tz)
    import_roster(url, roster(anchor=ANCHOR, shifts=hourly_shifts()), first - timedelta(days=1))
    planned = simulated_texts(url, first - timedelta(days=1), ANCHOR, n // 24 + 2)
    by_instant: dict[datetime, list[TextKey]] = collections.defaultdict(list)
    for m in planned:
        by_instant[parse_local(m["send_at"])].append((m["to"], m["body"]))
    instants = sorted(by_instant)[:n]
    if len(instants) < n:
        result.error(f"the planner gave only {len(instants)} due instants, wanted {n}")
    wanted = [k for due in instants for k in by_instant[due]]
    if len(set(wanted)) != len(wanted):
        result.error("two expected texts read the same: the drill could not tell them apart")
    plan = scenarios(len(instants), rng)
    landed: collections.Counter[str] = collections.Counter()
    not_landed: collections.Counter[str] = collections.Counter()
    with drill_twilio(run, instants[0]) as fake:
        for i, (due, scenario) in enumerate(zip(instants, plan, strict=True)):
            killed = crash_tick(run, url, fake, due, scenario, result)
            (landed if killed else not_landed)[scenario.point] += 1
            clean_at = due + CLEAN_OFFSET
            fake.set_now(clean_at)
            code, _out, err = run_service(
                run,
                ["tick", "--now", clean_at.isoformat()],
                service_env(run, url, fake, WHOSEONFIRST_INSTANCE_ID="chaos-clean"),
                f"kill-{backend} clean tick {i}",
            )
            if code != 0 or has_traceback(err):
                result.error(
                    f"instant {i} ({scenario.point}): the clean tick failed "
                    f"(exit {code}): {err.strip().splitlines()[-1:]}"
                )
            received = fake.received()
            for key in by_instant[due]:
                if received.get(key, 0) != 1:
                    result.error(
                        f"instant {i} {due.isoformat()} ({scenario}): "
                        f"{received.get(key, 0)} copies of a text due then"
                    )
            if (i + 1) % 25 == 0:
                run.say(f"kill ({backend}): {i + 1}/{len(instants)} instants")
        apply_tally(result, tally(wanted, fake.received()))
    check_rows(url, result)
    result.notes.append(
        f"{len(instants)} due instants, {sum(s.two_processes for s in plan)} with two "
        f"processes; SIGKILL landed: "
        + ", ".join(f"{p} {landed[p]}" for p in POINTS)
        + (
            " (another process had taken every text first: "
            + ", ".join(f"{p} {not_landed[p]}" for p in POINTS if not_landed[p])
            + ")"
            if sum(not_landed.values())
            else ""
        )
    )
    return result


def crash_tick(
    run: ChaosRun,
    url: str,
    fake: DrillTwilio,
    due: datetime,
    scenario: Scenario,
    result: DrillResult,
) -> bool:
    """Run the instant's crash tick(s); returns whether the SIGKILL landed."""
    at = due + CRASH_OFFSET
    fake.set_now(at)
    now = at.isoformat()
    extra = {"WHOSEONFIRST_INSTANCE_ID": "chaos-a"}
    if scenario.point != "while_held":
        extra["WHOSEONFIRST_CRASH_AT"] = scenario.point
    held = {"done": False}
    if scenario.point == "while_held":

        def hold_first_create_from_a(form: dict[str, str]) -> Reply | None:
            if form.get("From") != FROM_NUMBER or held["done"]:
                return None
            held["done"] = True
            return Reply.slow(HOLD_SECONDS, create=scenario.held_message_created)

        fake.reply_for = hold_first_create_from_a
    creates_before = fake.creates_from(FROM_NUMBER)
    procs: list[tuple[str, subprocess.Popen[str]]] = [
        ("a", start_service(["tick", "--now", now], service_env(run, url, fake, **extra)))
    ]
    if scenario.two_processes:
        procs.append(
            (
                "b",
                start_service(
                    ["tick", "--now", now],
                    service_env(
                        run, url, fake, sender=FROM_NUMBER_B, WHOSEONFIRST_INSTANCE_ID="chaos-b"
                    ),
                ),
            )
        )
    a = procs[0][1]
    if scenario.point == "while_held":
        wait_until(
            lambda: fake.creates_from(FROM_NUMBER) > creates_before or a.poll() is not None,
            timeout=60,
        )
        if a.poll() is None:
            a.send_signal(signal.SIGKILL)
    killed = False
    for name, proc in procs:
        code, _out, err = finish(run, proc, f"kill crash tick {name} at {now}")
        if name == "a" and code == -signal.SIGKILL:
            killed = True
        elif code != 0 or has_traceback(err):
            result.error(
                f"{scenario.point}: tick process {name} at {now} exited {code}: "
                f"{err.strip().splitlines()[-1:]}"
            )
    fake.reply_for = None
    return killed
