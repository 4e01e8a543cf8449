"""``python -m bench [--quick] [--only NAME ...] [--json FILE]``: run the benchmarks.

Prints one table (figure, value, target, pass/fail) and writes JSON. A benchmark never fails
the process on a time: these machines are shared and noisy; the table is for people.
"""

from __future__ import annotations

import argparse
import importlib
import json
import platform
import sys
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path

from bench.common import Figure

BENCHMARKS = [
    "core",
    "history",
    "planner",
    "dispatch",
    "gui",
    "remote",
    "memory",
    "feeds",
    "bundle",
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--quick",
        action="store_true",
        help="small sizes: checks that every benchmark still runs (CI)",
    )
    parser.add_argument("--only", nargs="*", choices=BENCHMARKS, help="run only these")
    parser.add_argument("--json", default="bench/results/latest.json", help="where to write JSON")
    args = parser.parse_args(argv)
    figures: list[Figure] = []
    errors: list[str] = []
    ran: dict[str, dict[str, float]] = {}
    started = time.perf_counter()
    for name in args.only or BENCHMARKS:
        try:
            module = importlib.import_module(f"bench.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"bench.{name}":
                continue
            raise
        t = time.perf_counter()
        before = len(figures)
        try:
            figures.extend(module.run(quick=args.quick))
        except Exception as exc:  # noqa: BLE001 - report and go on with the next benchmark
            errors.append(f"{name}: {type(exc).__name__}: {exc}")
            traceback.print_exc()
        seconds = time.perf_counter() - t
        ran[name] = {"seconds": round(seconds, 1), "figures": len(figures) - before}
        print(f"[{name}] {seconds:.1f} s", file=sys.stderr)
    print_table(figures)
    out = Path(args.json)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        json.dumps(
            {
                "when": datetime.now(UTC).isoformat(timespec="seconds"),
                "machine": f"{platform.node()} {platform.machine()} {platform.python_version()}",
                "quick": args.quick,
                "seconds": round(time.perf_counter() - started, 1),
                "benchmarks": ran,
                "figures": [f.as_dict() for f in figures],
                "errors": errors,
            },
            indent=2,
        )
    )
    elapsed = time.perf_counter() - started
    print(f"\n{len(figures)} figures in {elapsed:.0f} s; JSON written to {out}")
    for e in errors:
        print(f"ERROR {e}")
    return 1 if errors else 0


def fmt(value: float | None) -> str:
    if value is None:
        return "-"
    if float(value).is_integer() and abs(value) < 1e6:
        return str(int(value))
    if value >= 100:
        return f"{value:.0f}"
    return f"{value:.3g}" if value < 10 else f"{value:.1f}"


def print_table(figures: list[Figure]) -> None:
    rows = [("group", "figure", "value", "target", "status")]
    for f in figures:
        target = (
            "-"
            if f.target is None
            else f"{'≤' if f.sense == 'max' else '≥'} {fmt(f.target)} {f.unit}"
        )
        rows.append((f.group, f.name, f"{fmt(f.value)} {f.unit}", target, f.status))
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    for i, r in enumerate(rows):
        print("| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |")
        if i == 0:
            print("|" + "|".join("-" * (w + 2) for w in widths) + "|")


if __name__ == "__main__":
    raise SystemExit(main())
