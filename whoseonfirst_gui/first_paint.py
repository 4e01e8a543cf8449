"""Start-up measurement hook: ``WHOSEONFIRST_EXIT_AFTER_FIRST_PAINT=1``.

With this variable set, the app prints ``first-paint <unix time>`` on stdout as soon as the main
window has painted for the first time, then ``data-shown <unix time>`` once the page it shows
has loaded its data and painted it, closes the window and quits (exit status 0). The benchmarks
(``python -m bench --only gui``, ``python -m bench.startup``) use it to time process start →
window on screen → data on screen; without the variable nothing changes.
"""

from __future__ import annotations

import os
import sys
import time

from PySide6.QtCore import QCoreApplication, QEvent, QObject, QTimer
from PySide6.QtWidgets import QWidget

ENV = "WHOSEONFIRST_EXIT_AFTER_FIRST_PAINT"
#: How often the hook looks whether the shown page has its data, after the first paint.
CHECK_MS = 5


class _FirstPaint(QObject):
    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self.window = window
        self.done = False

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if not self.done and event.type() == QEvent.Type.Paint:
            self.done = True
            # Report once this paint (and the flush to the screen that ends it) is over.
            QTimer.singleShot(0, self._report)
        return False

    def _report(self) -> None:
        print(f"first-paint {time.time():.6f}", flush=True)
        self.window.removeEventFilter(self)
        self._wait_for_data()

    def _wait_for_data(self) -> None:
        current = getattr(self.window, "current_page", lambda: None)()
        if current is not None and not getattr(current, "loaded", True):
            QTimer.singleShot(CHECK_MS, self._wait_for_data)
            return
        self.window.repaint()
        print(f"data-shown {time.time():.6f}", flush=True)
        self.window.close()
        QCoreApplication.quit()


def install(window: QWidget) -> bool:
    """Watch ``window`` for its first paint when the variable asks for it (call before
    ``show()``); returns whether the hook is active."""
    if os.environ.get(ENV, "") in ("", "0"):
        return False
    window.installEventFilter(_FirstPaint(window))
    print(f"{ENV}: will exit after the first paint", file=sys.stderr)
    return True
