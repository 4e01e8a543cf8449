"""``python -m bench.startup [--runs N] [--top N]``: the app's start-up, and what it imports.

Starts the app (offscreen) on the demo team ``N`` times and prints the seconds from process
start to the window on screen (its first paint) and to the first page painted with its data
(the :mod:`whoseonfirst_gui.first_paint` hook), then the packages that importing the app costs
most, from ``python -X importtime`` (each module's own time, summed by top-level package).
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
from collections import Counter

from bench.gui import start_seconds

_IMPORT_LINE = re.compile(r"import time:\s+(\d+) \|\s+\d+ \|\s*(\S+)")


def import_costs(module: str = "whoseonfirst_gui.app") -> Counter[str]:
    """Microseconds of each top-level package's own import time when ``module`` is imported
    in a fresh interpreter."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import {module}"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    costs: Counter[str] = Counter()
    for line in proc.stderr.splitlines():
        match = _IMPORT_LINE.match(line)
        if match:
            costs[match.group(2).split(".")[0]] += int(match.group(1))
    return costs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.startup", description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--top", type=int, default=12)
    args = parser.parse_args(argv)
    starts = start_seconds(args.runs)
    window, data = [s[0] for s in starts], [s[1] for s in starts]
    print(f"window shown: median {statistics.median(window):.3f} s, best {min(window):.3f} s")
    print(f"data shown:   median {statistics.median(data):.3f} s, best {min(data):.3f} s")
    costs = import_costs()
    print(f"importing the app: {sum(costs.values()) / 1000:.0f} ms; the top packages:")
    for package, micros in costs.most_common(args.top):
        print(f"  {micros / 1000:7.1f} ms  {package}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
