"""Where popups, menus and dialogs open: at the point asked for, moved just enough to stay on
the available geometry (the screen less its panels) of the screen under that point.

Every placement goes through here, so a drop near the screen's edge still shows the popup's
buttons and a dialog taller than a small screen is shrunk to fit.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QPoint, QRect, QSize
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QWidget


def available_area(at: QPoint) -> QRect:
    """The available geometry (global pixels) of the screen under ``at``, or the primary one."""
    screen = QGuiApplication.screenAt(at) or QGuiApplication.primaryScreen()
    return screen.availableGeometry()


def on_screen(at: QPoint, size: QSize) -> QPoint:
    """The top-left (global) nearest to ``at`` at which ``size`` fits on ``at``'s screen; when it
    is larger than the screen, its top-left corner stays visible."""
    area = available_area(at)
    x = max(area.left(), min(at.x(), area.right() + 1 - size.width()))
    y = max(area.top(), min(at.y(), area.bottom() + 1 - size.height()))
    return QPoint(x, y)


def place(widget: QWidget, at: QPoint) -> None:
    """Move the top-level ``widget`` (sized already) to ``at``, kept on screen with its frame."""
    frame = widget.frameGeometry().size().expandedTo(widget.size())
    widget.move(on_screen(at, frame))


def fit_on_screen(widget: QWidget) -> None:
    """Shrink the top-level ``widget`` to its screen's available area where it is larger, and
    move it back onto that screen (a dialog opened over a window near a small screen's edge)."""
    area = available_area(widget.frameGeometry().center())
    extra = widget.frameGeometry().size() - widget.size()
    widget.resize(widget.size().boundedTo(area.size() - extra))
    place(widget, widget.frameGeometry().topLeft())


class _KeepOnScreen(QObject):
    """Fits its widget on screen each time it is shown (see :func:`keep_on_screen`)."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Show and isinstance(watched, QWidget):
            fit_on_screen(watched)
        return False


def keep_on_screen(widget: QWidget) -> None:
    """Fit the top-level ``widget`` (a dialog) on its screen whenever it is shown."""
    widget.installEventFilter(_KeepOnScreen(widget))
