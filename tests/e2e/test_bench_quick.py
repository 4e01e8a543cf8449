"""``python -m bench --quick`` still runs every benchmark (CI keeps them working).

A benchmark is a measurement, not a test: this fails when a benchmark breaks (an exception, a
missing figure), never because a time or a size missed its target. Figures that cannot be
measured here (no PostgreSQL binaries, no bundle built yet) are allowed to be n/a.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.__main__ import BENCHMARKS

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]


def test_every_benchmark_runs_in_quick_mode(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith("WHOSEONFIRST_")}
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--json", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    data = json.loads(out.read_text())
    assert data["quick"] is True
    assert data["errors"] == []
    assert set(data["benchmarks"]) == set(BENCHMARKS)
    for name, info in data["benchmarks"].items():
        assert info["figures"] >= 1, f"benchmark {name} reported no figure"
    for figure in data["figures"]:
        value = figure["value"]
        assert value is None or (isinstance(value, int | float) and math.isfinite(value)), figure
        assert figure["status"] in ("pass", "FAIL", "info", "n/a"), figure
    print(
        f"\nquick benchmark run: {data['seconds']} s "
        + ", ".join(f"{k} {v['seconds']} s" for k, v in data["benchmarks"].items())
    )
