"""The bar above the calendar: ◀ dates ▶, Today, Week | Month, Undo, Redo, "Tell the people
affected" and Save.

The bar only shows and asks: its signals go to the page, which moves the calendar and saves.
``shortcut_actions`` (Alt+Left, Alt+Right, Alt+Home) belong on the page, so they work wherever
the focus is inside it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QUndoStack
from PySide6.QtWidgets import QButtonGroup, QHBoxLayout, QLabel, QPushButton, QToolButton, QWidget

from whoseonfirst_core.domain.plurals import plural
from whoseonfirst_gui.calendar.days import ViewMode
from whoseonfirst_gui.tell import TellBox


class CalendarToolbar(QWidget):
    previous_requested = Signal()
    next_requested = Signal()
    today_requested = Signal()
    mode_requested = Signal(str)  # "week" or "month"
    save_requested = Signal()

    def __init__(self, undo_stack: QUndoStack, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        bar = QHBoxLayout(self)
        bar.setContentsMargins(0, 0, 0, 0)
        self.shortcut_actions: list[QAction] = []
        self.prev_button = self._tool("◀", "Previous week (Alt+Left)", "Alt+Left")
        self.prev_button.defaultAction().triggered.connect(self.previous_requested)
        self.range_label = QLabel("…")
        font = self.range_label.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.15)
        self.range_label.setFont(font)
        self.range_label.setMinimumWidth(190)
        self.range_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.range_label.setAccessibleName("Dates shown")
        self.next_button = self._tool("▶", "Next week (Alt+Right)", "Alt+Right")
        self.next_button.defaultAction().triggered.connect(self.next_requested)
        self.today_button = QPushButton("Today")
        self.today_button.setToolTip("Go to this week (Alt+Home)")
        self.today_button.setAccessibleName("Today")
        self.today_button.clicked.connect(self.today_requested)
        today_action = QAction("Go to this week", self)
        today_action.setShortcut("Alt+Home")
        today_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        today_action.triggered.connect(self.today_requested)
        self.shortcut_actions.append(today_action)
        self.week_button = QToolButton()
        self.week_button.setText("Week")
        self.month_button = QToolButton()
        self.month_button.setText("Month")
        self.mode_group = QButtonGroup(self)
        for button, mode in ((self.week_button, "week"), (self.month_button, "month")):
            button.setCheckable(True)
            button.setAccessibleName(f"{mode.title()} view")
            button.setToolTip(f"Show a {mode}")
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
            self.mode_group.addButton(button)
            button.clicked.connect(lambda _=False, m=mode: self.mode_requested.emit(m))
        self.week_button.setChecked(True)
        self.undo_action = self._stack_action("Undo", "Ctrl+Z", undo_stack.undo)
        self.redo_action = self._stack_action("Redo", "Ctrl+Shift+Z", undo_stack.redo)
        undo_stack.canUndoChanged.connect(self.undo_action.setEnabled)
        undo_stack.canRedoChanged.connect(self.redo_action.setEnabled)
        undo_stack.undoTextChanged.connect(lambda t: _describe(self.undo_action, "Ctrl+Z", t))
        undo_stack.redoTextChanged.connect(lambda t: _describe(self.redo_action, "Ctrl+Shift+Z", t))
        self.undo_button = self._stack_button(self.undo_action)
        self.redo_button = self._stack_button(self.redo_action)
        self.tell_box = TellBox()
        self.save_button = QPushButton("Save")
        self.save_button.setAccessibleName("Save calendar edits")
        self.save_button.clicked.connect(self.save_requested)
        for w in (self.prev_button, self.range_label, self.next_button, self.today_button):
            bar.addWidget(w)
        bar.addSpacing(8)
        bar.addWidget(self.week_button)
        bar.addWidget(self.month_button)
        bar.addStretch(1)
        right: tuple[QWidget, ...] = (
            self.undo_button,
            self.redo_button,
            self.tell_box,
            self.save_button,
        )
        for widget in right:
            bar.addWidget(widget)

    def _tool(self, text: str, tip: str, shortcut: str) -> QToolButton:
        action = QAction(text, self)
        action.setToolTip(tip)
        action.setShortcut(shortcut)
        action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.shortcut_actions.append(action)
        button = QToolButton()
        button.setDefaultAction(action)
        button.setAccessibleName(tip.split(" (")[0])
        return button

    def _stack_action(self, text: str, keys: str, slot: Callable[[], None]) -> QAction:
        action = QAction(text, self)
        _describe(action, keys, "")
        action.setEnabled(False)
        action.triggered.connect(slot)
        return action

    @staticmethod
    def _stack_button(action: QAction) -> QToolButton:
        button = QToolButton()
        button.setDefaultAction(action)
        button.setAccessibleName(action.text())
        return button

    # --- showing ------------------------------------------------------------------------------

    def show_mode(self, mode: ViewMode) -> None:
        (self.week_button if mode == "week" else self.month_button).setChecked(True)
        unit = "week" if mode == "week" else "month"
        self.prev_button.defaultAction().setToolTip(f"Previous {unit} (Alt+Left)")
        self.next_button.defaultAction().setToolTip(f"Next {unit} (Alt+Right)")

    def show_pending(self, descriptions: Sequence[str], *, saving: bool, read_only: bool) -> None:
        """The Save button for ``descriptions`` (one line per pending edit)."""
        n = len(descriptions)
        if saving:
            self.save_button.setText("Saving…")
        else:
            self.save_button.setText(f"Save {plural(n, 'edit')}" if n else "Save")
        self.save_button.setEnabled(bool(n) and not saving and not read_only)
        self.tell_box.setEnabled(bool(n) and not saving and not read_only)
        if not n:  # saved, dropped or undone: the next edits are a new save
            self.tell_box.reset()
        if n:
            self.save_button.setToolTip(
                "Save these edits in one go (Ctrl+S):\n• " + "\n• ".join(descriptions)
            )
        else:
            self.save_button.setToolTip("Nothing to save: drag a person onto a shift first")


def _describe(action: QAction, keys: str, what: str) -> None:
    """``Undo: Ann covers … (Ctrl+Z)``: what the Undo or Redo action would do, if anything."""
    text = action.text()
    action.setToolTip(f"{text}: {what} ({keys})" if what else f"{text} ({keys})")
