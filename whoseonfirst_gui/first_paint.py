"""Start-up measurement hook: ``WHOSEONFIRST_EXIT_AFTER_FIRST_PAINT=1``.

With this variable set, the app prints ``first-paint <unix time>`` on stdout as soon as the main
window has painted for the first time, closes the window and quits (exit status 0). The
benchmark ``python -m bench --only gui`` uses it to time process start → first painted window;
without the variable nothing changes.
"""

from __future__ import annotations

import os
import sys
import time

from PySide6.QtCore import QCoreApplication, QEvent, QObject, QTimer
from PySide6.QtWidgets import QWidget

ENV = "WHOSEONFIRST_EXIT_AFTER_FIRST_PAINT"


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
