"""``python -m chaos [--quick] [--only DRILL ...] [--seed N] [--jobs N] [--json FILE]``.

Runs the reliability drills and prints one table (drill, texts expected, received, duplicates,
missed, errors, seconds) and the notes of each drill; exits 1 when any drill lost or duplicated
a text or broke an invariant (2 on bad arguments). ``--quick`` uses small counts (about a
minute; CI runs it through ``tests/e2e/test_chaos_quick.py``); the full run uses the issue's
numbers (about 8 minutes on two cores, the drills side by side: ``--jobs``, one per usable core
by default). Before the drills on the real clock, the runner measures how long a daemon takes
to start here and now (:mod:`chaos.timing`); they size their spans from it. Drills that need
PostgreSQL are skipped with a reason where no server binaries exist, unless
``WHOSEONFIRST_REQUIRE_POSTGRES=1`` (CI), which turns a skip into a failure (so do the
clock-step drill without libfaketime and the full-disk drill without root). ``failover`` runs
only when named (``--only failover``: two PostgreSQL clusters, about five minutes). For drills
without texts, "expected" counts the cases checked and "received" those that held.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import random
import shutil
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

from chaos.common import ChaosRun, DrillResult, DrillSkipped

#: name → (module in chaos/, keyword arguments of its ``run(run, ...)``), in running order.
DRILLS: dict[str, tuple[str, dict[str, str]]] = {
    "kill-sqlite": ("kill", {"backend": "sqlite"}),
    "kill-postgresql": ("kill", {"backend": "postgresql"}),
    "kill-daemon-sqlite": ("kill_daemon", {"backend": "sqlite"}),
    "kill-daemon-postgresql": ("kill_daemon", {"backend": "postgresql"}),
    "kill-notices-sqlite": ("notices_kill", {"backend": "sqlite"}),
    "kill-notices-postgresql": ("notices_kill", {"backend": "postgresql"}),
    "kill-inbound-sqlite": ("inbound_kill", {"backend": "sqlite"}),
    "kill-inbound-postgresql": ("inbound_kill", {"backend": "postgresql"}),
    "two-daemons": ("daemons", {}),
    "db-outage": ("db_outage", {}),
    "twilio-outage": ("twilio_outage", {}),
    "dst": ("dst", {}),
    "dst-edges": ("dst_edges", {}),
    "bad-input": ("bad_input", {}),
    "reimport": ("reimport", {}),
    "tz-change": ("tz_change", {}),
    "clock-step": ("clock_step", {}),
    "trickle": ("trickle", {}),
    "full-disk": ("full_disk", {}),
    "failover": ("failover", {}),
    # Last: it scans what the others left behind (logs, databases, files).
    "secrets": ("secrets_scan", {}),
}
DRILL_NAMES = tuple(DRILLS)
#: Drills that run only when named with ``--only`` (minutes long, two PostgreSQL clusters).
ON_DEMAND = ("failover",)
#: Drills that drive separate processes and mostly wait on them: with ``--jobs`` > 1 they run
#: side by side (each has its own database, fake Twilio server and ports). The others run in
#: this process and touch process-wide state (environment, stdio, logging), so one at a time.
CONCURRENT = (
    "kill-sqlite",
    "kill-postgresql",
    "kill-notices-sqlite",
    "kill-notices-postgresql",
    "kill-inbound-sqlite",
    "kill-inbound-postgresql",
    "kill-daemon-sqlite",
    "kill-daemon-postgresql",
    "two-daemons",
    "db-outage",
    "clock-step",
    "trickle",
    "full-disk",
)
#: Drills on the real clock: they plan from the daemon start-up measured before them.
REAL_CLOCK = ("kill-daemon-sqlite", "kill-daemon-postgresql", "two-daemons", "db-outage")


def _drill(name: str) -> Callable[[ChaosRun], DrillResult]:
    module_name, kwargs = DRILLS[name]
    module = importlib.import_module(f"chaos.{module_name}")
    return lambda run: module.run(run, **kwargs)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m chaos",
        description="Reliability drills: kills, outages, races, clocks, full disks, DST, bad "
        "input, secrets, and (on demand) a PostgreSQL failover.",
    )
    parser.add_argument(
        "--quick", action="store_true", help="small counts (about a minute; what CI runs)"
    )
    parser.add_argument(
        "--only",
        nargs="+",
        choices=DRILL_NAMES,
        metavar="DRILL",
        help=f"run only these drills: {', '.join(DRILL_NAMES)} ({', '.join(ON_DEMAND)} runs "
        "only when named)",
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=None,
        help="seed of the drills' random choices (default: random, printed)",
    )
    parser.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    cores = len(os.sched_getaffinity(0))
    parser.add_argument(
        "--jobs",
        type=int,
        default=cores,
        metavar="N",
        help="run up to N process-driving drills at once (default: one per usable core, "
        f"here {cores}; 1: one drill at a time)",
    )
    parser.add_argument(
        "--keep",
        action="store_true",
        help="keep the scratch folder (databases, rosters) for inspection",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="more progress output")
    args = parser.parse_args(argv)
    seed = args.seed if args.seed is not None else random.randrange(1_000_000)
    default = [n for n in DRILL_NAMES if n not in ON_DEMAND]
    names = [n for n in DRILL_NAMES if n in (args.only or default)]
    workdir = Path(tempfile.mkdtemp(prefix="wof-chaos-"))
    os.chmod(workdir, 0o755)  # the PostgreSQL user must reach nothing here, but be able to cd
    mode = "quick" if args.quick else "full"
    print(f"chaos drills ({mode}, seed {seed}): {', '.join(names)}", file=sys.stderr, flush=True)
    run = ChaosRun(quick=args.quick, seed=seed, workdir=workdir, verbose=args.verbose)
    results: list[DrillResult] = []
    started = time.monotonic()
    require_pg = os.environ.get("WHOSEONFIRST_REQUIRE_POSTGRES", "") not in ("", "0")
    by_name: dict[str, DrillResult] = {}
    try:
        if any(n in REAL_CLOCK for n in names):
            startup = _measure_startup(run, daemons=max(1, args.jobs))
            if startup is not None:
                results.append(startup)
        together = [n for n in names if n in CONCURRENT] if args.jobs > 1 else []
        if together:
            with ThreadPoolExecutor(max_workers=args.jobs, thread_name_prefix="drill") as pool:
                for name, result in zip(
                    together,
                    pool.map(lambda n: _run_one(n, run, require_pg), together),
                    strict=True,
                ):
                    by_name[name] = result
        for name in names:
            if name not in by_name:
                by_name[name] = _run_one(name, run, require_pg)
        results += [by_name[n] for n in names]
    finally:
        run.close()
        if args.keep:
            print(f"scratch folder kept: {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    total = time.monotonic() - started
    print_report(results, mode=mode, seed=seed, total=total)
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {
                    "when": datetime.now(UTC).isoformat(timespec="seconds"),
                    "mode": mode,
                    "seed": seed,
                    "seconds": round(total, 1),
                    "daemon_startup_s": (
                        round(run.startup_s, 2) if run.startup_s is not None else None
                    ),
                    "results": [r.as_dict() for r in results],
                },
                indent=2,
            )
            + "\n",
            encoding="utf-8",
        )
    failed = [r for r in results if not r.ok and not (r.skipped and not r.errors)]
    return 1 if failed else 0


def _measure_startup(run: ChaosRun, daemons: int) -> DrillResult | None:
    """Measure the daemon start-up the real-clock drills plan from (:mod:`chaos.timing`);
    a result row only when the measurement failed (then the drills plan with the floor)."""
    from chaos.timing import Timing, measure_startup

    t = time.monotonic()
    try:
        run.startup_s = measure_startup(run, daemons)
    except Exception as exc:  # noqa: BLE001 - a daemon that cannot start is a failed run
        result = DrillResult("daemon start-up")
        result.error(f"{type(exc).__name__}: {exc}")
        result.seconds = time.monotonic() - t
        return result
    timing = Timing.of(run)
    print(
        f"daemon start-up: {run.startup_s:.1f} s ({daemons} at once); the real-clock drills "
        f"plan with {timing.planned:.1f} s",
        file=sys.stderr,
        flush=True,
    )
    return None


def _run_one(name: str, run: ChaosRun, require_pg: bool) -> DrillResult:
    print(f"[{name}] running…", file=sys.stderr, flush=True)
    t = time.monotonic()
    try:
        result = _drill(name)(run)
    except DrillSkipped as exc:
        result = DrillResult(name, skipped=str(exc))
        if require_pg:
            result.error(f"skipped, but WHOSEONFIRST_REQUIRE_POSTGRES is set: {exc}")
    except Exception as exc:  # noqa: BLE001 - a drill that crashes is a failed drill
        result = DrillResult(name)
        result.error(f"the drill itself crashed: {type(exc).__name__}: {exc}")
        traceback.print_exc()
    result.seconds = time.monotonic() - t
    status = "ok" if result.ok else "SKIPPED" if result.skipped else "FAILED"
    print(f"[{name}] {status} in {result.seconds:.1f} s", file=sys.stderr, flush=True)
    return result


def _cell(value: int | None) -> str:
    return "-" if value is None else str(value)


def print_report(results: list[DrillResult], *, mode: str, seed: int, total: float) -> None:
    header = (
        "drill",
        "expected",
        "received",
        "duplicates",
        "missed",
        "errors",
        "seconds",
        "result",
    )
    rows = [header]
    for r in results:
        status = "SKIPPED" if r.skipped and not r.errors else ("pass" if r.ok else "FAIL")
        rows.append(
            (
                r.drill,
                _cell(r.expected),
                _cell(r.received),
                str(r.duplicates),
                str(r.missed),
                str(len(r.errors)),
                f"{r.seconds:.1f}",
                status,
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    print(f"\nWhoseOnFirst chaos drills — {mode} run, seed {seed}, {total:.0f} s\n")
    for i, row in enumerate(rows):
        cells = [
            c.ljust(w) if j == 0 else c.rjust(w)
            for j, (c, w) in enumerate(zip(row, widths, strict=True))
        ]
        print("| " + " | ".join(cells) + " |")
        if i == 0:
            print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    print()
    for r in results:
        lines = ([f"skipped: {r.skipped}"] if r.skipped else []) + r.notes
        for line in lines:
            print(f"- {r.drill}: {line}")
        for e in r.errors[:20]:
            print(f"  ERROR {r.drill}: {e}")
        if len(r.errors) > 20:
            print(f"  ERROR {r.drill}: … and {len(r.errors) - 20} more")
    ok = all(r.ok or (r.skipped and not r.errors) for r in results)
    print(
        f"\n{'PASS' if ok else 'FAIL'}: {sum(r.ok for r in results)} of {len(results)} drills "
        "passed"
        + (
            f", {sum(bool(r.skipped) for r in results)} skipped"
            if any(r.skipped for r in results)
            else ""
        )
    )


if __name__ == "__main__":
    raise SystemExit(main())
