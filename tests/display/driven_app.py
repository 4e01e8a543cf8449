"""The app as the real-display tests drive it: ``python -m tests.display.driven_app DB_URL
SETTINGS_DIR`` opens the main window on that database (the demo team, the clock fixed at
Mon 2026-03-02 07:00 CST) on the X server in ``DISPLAY``, then answers one JSON command per
line on stdin with one JSON line on stdout: where things are on the screen (global pixels),
so the test can point the real mouse at them with xdotool, and what the app holds.

Commands: ``{"cmd": "page", "slug": …}``, ``{"cmd": "geometry", "width": …, "height": …}``,
``{"cmd": "maximize"}``, ``{"cmd": "where"}``, ``{"cmd": "template", "text": …}``,
``{"cmd": "quit"}``.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, date, datetime, timedelta
from typing import Any

from PySide6.QtCore import QRect, QSettings, QSocketNotifier
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QGroupBox, QScrollArea, QWidget

from whoseonfirst_core.clock import FixedClock
from whoseonfirst_core.db.session import Database
from whoseonfirst_gui.calendar.page import CalendarPage
from whoseonfirst_gui.context import make_context
from whoseonfirst_gui.main_window import MainWindow
from whoseonfirst_gui.pages.settings import SettingsPage

#: Mon 2026-03-02 07:00 CST, before the demo rotation's first shift.
NOW = datetime(2026, 3, 2, 13, tzinfo=UTC)
MONDAY = date(2026, 3, 2)


def _rect(widget: QWidget, rect: QRect | None = None) -> list[int]:
    """``rect`` (widget coordinates; default: the whole widget) as global [x, y, w, h]."""
    r = rect if rect is not None else widget.rect()
    top_left = widget.mapToGlobal(r.topLeft())
    return [top_left.x(), top_left.y(), r.width(), r.height()]


def where(window: MainWindow) -> dict[str, Any]:
    """Everything a test points at or checks, in global pixels."""
    screen = QGuiApplication.primaryScreen()
    area = screen.availableGeometry()
    calendar = window.page("calendar")
    settings = window.page("settings")
    assert isinstance(calendar, CalendarPage) and isinstance(settings, SettingsPage)
    answer: dict[str, Any] = {
        "screen": [area.x(), area.y(), area.width(), area.height()],
        "window": [
            window.frameGeometry().x(),
            window.frameGeometry().y(),
            window.frameGeometry().width(),
            window.frameGeometry().height(),
        ],
        "pending": calendar.pending_count(),
        "page": window.slugs[window.stack.currentIndex()],
    }
    palette = calendar.palette_view
    answer["members"] = {
        m.name: _rect(palette.viewport(), palette.visualRect(calendar.palette_model.index(i, 0)))
        for i, m in enumerate(calendar.palette_model.members())
    }
    view = calendar.view
    chips: dict[str, list[int]] = {}
    for offset in range(7):
        day = MONDAY + timedelta(days=offset)
        parent = calendar.model.day_index(day)
        if parent.isValid() and calendar.model.rowCount(parent):
            chips[day.isoformat()] = _rect(
                view.viewport(), view.visualRect(calendar.model.index(0, 0, parent))
            )
    answer["chips"] = chips
    popup = calendar.popup
    answer["popup"] = (
        {
            "frame": [
                popup.frameGeometry().x(),
                popup.frameGeometry().y(),
                popup.frameGeometry().width(),
                popup.frameGeometry().height(),
            ],
            "ok": _rect(popup.ok),
        }
        if popup.isVisible()
        else None
    )
    boxes = {b.title(): b for b in settings.findChildren(QGroupBox)}
    answer["settings"] = {
        title: _rect(boxes[title])
        for title in ("Team", "Weekly summary", "Escalation contacts")
        if title in boxes
    }
    scroll = settings.findChild(QScrollArea)
    answer["settings_viewport"] = _rect(scroll.viewport()) if scroll is not None else None
    answer["settings_sideways"] = (
        scroll.horizontalScrollBar().maximum() if scroll is not None else None
    )
    answer["segments"] = settings.segments.text()
    return answer


def main(argv: list[str]) -> int:
    url, settings_dir = argv[1], argv[2]
    app = QApplication([argv[0]])
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, settings_dir)
    db = Database(url)
    ctx = make_context(db, FixedClock(NOW), "display@test", interactive=False)
    window = MainWindow(
        ctx, settings=QSettings(f"{settings_dir}/app.ini", QSettings.Format.IniFormat)
    )
    calendar = window.page("calendar")
    assert isinstance(calendar, CalendarPage)
    calendar.reason_provider = None  # the real popup
    window.resize(1024, 700)
    window.show()
    window.refresh_all()

    def reply(payload: dict[str, Any]) -> None:
        sys.stdout.write(json.dumps(payload) + "\n")
        sys.stdout.flush()

    def command() -> None:
        line = sys.stdin.readline()
        if not line:
            app.quit()
            return
        request = json.loads(line)
        ctx.runner.wait_idle()
        cmd = request["cmd"]
        if cmd == "page":
            window.show_page(request["slug"])
        elif cmd == "geometry":
            window.showNormal()
            window.resize(request["width"], request["height"])
            window.move(0, 0)
        elif cmd == "maximize":
            window.showMaximized()
        elif cmd == "template":
            settings = window.page("settings")
            assert isinstance(settings, SettingsPage)
            settings.template.setPlainText(request["text"])
        elif cmd == "quit":
            reply({})
            window.shutdown()
            app.quit()
            return
        app.processEvents()
        ctx.runner.wait_idle()
        reply(where(window))

    notifier = QSocketNotifier(sys.stdin.fileno(), QSocketNotifier.Type.Read)
    notifier.activated.connect(command)
    reply({"ready": True})
    status = app.exec()
    db.dispose()
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv))
