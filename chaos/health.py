"""``/healthz`` as the drills watch it: one request, and a poller that samples it in a thread."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request


def health(url: str) -> int:
    """The HTTP status ``/healthz`` answers (0: not answering at all)."""
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            json.loads(response.read())
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)
    except OSError:
        return 0


def fetch(url: str) -> str:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return str(response.read().decode())
    except OSError as exc:
        return f"(could not fetch {url}: {exc})"


class HealthPoller:
    """Polls /healthz every ``step`` s in a thread; ``samples`` is [(monotonic, status)]."""

    def __init__(self, url: str, step: float = 0.5) -> None:
        self.url = url
        self.step = step
        self.samples: list[tuple[float, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="chaos-health", daemon=True)

    def __enter__(self) -> HealthPoller:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.samples.append((time.monotonic(), health(self.url)))
            self._stop.wait(self.step)

    def between(self, start: float, end: float) -> list[int]:
        return [s for t, s in self.samples if start <= t <= end]

    def longest_unhealthy(self) -> float:
        """Seconds of the longest run of answers other than 200 (one sample counts one step)."""
        longest, since = 0.0, None
        for t, status in self.samples:
            if status == 200:
                since = None
                continue
            since = t if since is None else since
            longest = max(longest, t - since + self.step)
        return longest

    def describe(self) -> str:
        ok = sum(1 for _, s in self.samples if s == 200)
        return (
            f"{ok}/{len(self.samples)} answers 200, longest non-200 run "
            f"{self.longest_unhealthy():.1f} s"
        )
