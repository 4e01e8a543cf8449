"""The main window: a sidebar of pages with badges, menus and shortcuts, and a status bar
(team · database · service heartbeat · unsaved edits · read-only)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import shiboken6
from PySide6.QtCore import (
    QByteArray,
    QSettings,
    Qt,
    Signal,
)
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QStackedWidget,
    QWidget,
)

from whoseonfirst_core.db.session import UnitOfWork
from whoseonfirst_core.usecases.common import has_team
from whoseonfirst_core.usecases.config import get_settings
from whoseonfirst_gui import format as fmt
from whoseonfirst_gui.calendar.page import CalendarPage
from whoseonfirst_gui.context import AppContext
from whoseonfirst_gui.live import RevisionPoller
from whoseonfirst_gui.pages.audit import AuditPage
from whoseonfirst_gui.pages.dashboard import DashboardPage
from whoseonfirst_gui.pages.notifications import NotificationsPage
from whoseonfirst_gui.pages.settings import SettingsPage
from whoseonfirst_gui.pages.shifts import ShiftsPage
from whoseonfirst_gui.pages.team import TeamPage
from whoseonfirst_gui.pages.test_send import TestSendPage
from whoseonfirst_gui.service_label import ServiceLabel
from whoseonfirst_gui.sidebar import BadgeDelegate, BadgeRole
from whoseonfirst_gui.tell import change_uow

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PageSpec:
    slug: str  # file name for --screenshots, settings key
    title: str
    factory: Callable[[AppContext, QWidget | None], QWidget]


PAGES: tuple[PageSpec, ...] = (
    PageSpec("dashboard", "Dashboard", DashboardPage),
    PageSpec("calendar", "Calendar", CalendarPage),
    PageSpec("team", "Team", TeamPage),
    PageSpec("shifts", "Shifts", ShiftsPage),
    PageSpec("notifications", "Texts", NotificationsPage),
    PageSpec("settings", "Settings", SettingsPage),
    PageSpec("audit", "Audit", AuditPage),
    PageSpec("test_send", "Test send", TestSendPage),
)


@dataclass(frozen=True)
class TeamInfo:
    name: str
    tz_name: str


class MainWindow(QMainWindow):
    connect_requested = Signal()  # File ▸ Connect to database… (the app reopens)
    new_team_requested = Signal()

    def __init__(
        self, ctx: AppContext, *, settings: QSettings | None = None, poll: bool = True
    ) -> None:
        super().__init__()
        self.ctx = ctx
        self.settings = settings or QSettings()
        self.team: TeamInfo | None = None
        self._routed_stacks: dict[int, Any] = {}
        ctx.messages.set_window(self)
        self.setWindowTitle("WhoseOnFirst")
        self.setAccessibleName("WhoseOnFirst")

        self.sidebar = QListWidget()
        self.sidebar.setObjectName("sidebar")
        self.sidebar.setAccessibleName("Pages")
        self.sidebar.setItemDelegate(BadgeDelegate(self.sidebar))
        self.sidebar.setFrameShape(QListWidget.Shape.NoFrame)
        self.sidebar.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        font = self.sidebar.font()
        font.setPointSizeF(font.pointSizeF() * 1.1)
        self.sidebar.setFont(font)
        self.stack = QStackedWidget()
        self.pages: list[QWidget] = []
        self.slugs: list[str] = []
        for spec in PAGES:
            page = spec.factory(ctx, None)
            self.add_page(spec.slug, spec.title, page)
        # Wide enough for the longest title plus a badge, never wider.
        metrics = self.sidebar.fontMetrics()
        widest = max(metrics.horizontalAdvance(spec.title) for spec in PAGES)
        self.sidebar.setFixedWidth(widest + metrics.height() * 3 + 24)
        central = QWidget()
        h = QHBoxLayout(central)
        h.setContentsMargins(0, 0, 0, 0)
        h.setSpacing(0)
        h.addWidget(self.sidebar)
        line = QFrame()
        line.setFrameShape(QFrame.Shape.VLine)
        line.setFrameShadow(QFrame.Shadow.Sunken)
        h.addWidget(line)
        h.addWidget(self.stack, 1)
        self.setCentralWidget(central)
        self.sidebar.currentRowChanged.connect(self._page_changed)

        self._build_status_bar()
        self._build_menus()

        ctx.events.dirty_changed.connect(self._dirty_changed)
        ctx.events.read_only_changed.connect(self._read_only_changed)
        ctx.events.data_changed.connect(self.load_team_info)
        ctx.messages.status.connect(lambda text, ms: self.statusBar().showMessage(text, ms))
        ctx.runner.busy_changed.connect(self.busy.setVisible)

        self.poller = RevisionPoller(ctx, self)
        self.poller.heartbeat_changed.connect(self.service_label.show_heartbeat)
        self.poller.polled.connect(lambda _revision: self.service_label.database_answered())
        self.poller.unreachable.connect(self.service_label.database_unreachable)
        if poll:
            self.poller.start()

        self._restore_state()
        self._read_only_changed(ctx.read_only)
        self.load_team_info()

    # --- pages ---------------------------------------------------------------------------

    def add_page(self, slug: str, title: str, page: QWidget) -> None:
        self.pages.append(page)
        self.slugs.append(slug)
        self.stack.addWidget(page)
        item = QListWidgetItem(title)
        item.setData(Qt.ItemDataRole.AccessibleTextRole, title)
        item.setToolTip(title)
        self.sidebar.addItem(item)
        badge = getattr(page, "badge_changed", None)
        if badge is not None:
            row = len(self.pages) - 1
            badge.connect(lambda text, r=row: self.set_badge(r, text))
        nav = getattr(page, "navigate_requested", None)
        if nav is not None:
            nav.connect(self.show_page_titled)
        texts = getattr(page, "show_texts_requested", None)
        if texts is not None:
            texts.connect(self._show_texts_for)

    def page(self, slug: str) -> QWidget:
        return self.pages[self.slugs.index(slug)]

    def current_page(self) -> QWidget | None:
        return self.stack.currentWidget()

    def show_page(self, slug: str) -> None:
        self.sidebar.setCurrentRow(self.slugs.index(slug))

    def show_page_titled(self, title: str) -> None:
        for row in range(self.sidebar.count()):
            item = self.sidebar.item(row)
            if item is not None and item.text() == title:
                self.sidebar.setCurrentRow(row)
                if title == "Texts":
                    page = self.pages[row]
                    if isinstance(page, NotificationsPage):
                        page.show_problems()
                return

    def _show_texts_for(self, span: Any) -> None:
        page = self.page("notifications")
        self.show_page("notifications")
        member_id = getattr(span, "member_id", None)
        if isinstance(page, NotificationsPage) and member_id is not None:
            page.member_combo.setCurrentIndex(max(0, page.member_combo.findData(member_id)))

    def set_badge(self, row: int, text: str) -> None:
        item = self.sidebar.item(row)
        if item is None:
            return
        item.setData(BadgeRole, text or None)
        title = PAGES[row].title if row < len(PAGES) else item.text()
        item.setData(
            Qt.ItemDataRole.AccessibleTextRole, f"{title}, {text} need attention" if text else title
        )
        item.setToolTip(f"{title} — {text} need attention" if text else title)

    def _page_changed(self, row: int) -> None:
        if 0 <= row < len(self.pages):
            self.stack.setCurrentIndex(row)
            self.settings.setValue("window/page", self.slugs[row])
        self._update_edit_actions()

    def refresh_all(self) -> None:
        for page in self.pages:
            refresh = getattr(page, "refresh", None)
            if callable(refresh):
                refresh()
        self.load_team_info()

    # --- menus ---------------------------------------------------------------------------

    def _action(
        self,
        text: str,
        slot: Callable[[], object],
        shortcut: QKeySequence | QKeySequence.StandardKey | str | None = None,
        tip: str = "",
    ) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut) if isinstance(shortcut, str) else shortcut)
        action.triggered.connect(lambda _checked=False: slot())
        if tip:
            action.setStatusTip(tip)
            action.setToolTip(tip)
        return action

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        self.connect_action = self._action(
            "&Connect to database…",
            self.connect_requested.emit,
            tip="Open the embedded database or a shared one",
        )
        self.new_team_action = self._action(
            "&New team…",
            self.new_team_requested.emit,
            tip="Create a team (or load the demo) in an empty database",
        )
        self.import_action = self._action("&Import roster…", self.import_roster)
        self.export_action = self._action("&Export roster…", self.export_roster)
        quit_action = self._action("&Quit", self.close, QKeySequence.StandardKey.Quit)
        for a in (
            self.connect_action,
            self.new_team_action,
            None,
            self.import_action,
            self.export_action,
            None,
            quit_action,
        ):
            if a is None:
                file_menu.addSeparator()
            else:
                file_menu.addAction(a)

        edit_menu = bar.addMenu("&Edit")
        self.undo_action = self._action("&Undo", self.undo, QKeySequence.StandardKey.Undo)
        self.redo_action = self._action("&Redo", self.redo, "Ctrl+Shift+Z")
        self.redo_action.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        self.save_action = self._action(
            "&Save", self.save_current, QKeySequence.StandardKey.Save, tip="Save this page's edits"
        )
        self.find_action = self._action(
            "&Find", self.find_current, QKeySequence.StandardKey.Find, tip="Search on this page"
        )
        for a in (self.undo_action, self.redo_action, self.save_action, self.find_action):
            edit_menu.addAction(a)

        view_menu = bar.addMenu("&View")
        for i, spec in enumerate(PAGES):
            view_menu.addAction(
                self._action(
                    f"&{i + 1} {spec.title}", partial(self.show_page, spec.slug), f"Ctrl+{i + 1}"
                )
            )
        view_menu.addSeparator()
        self.refresh_action = self._action(
            "&Refresh",
            self.refresh_all,
            QKeySequence.StandardKey.Refresh,
            tip="Reload everything from the database",
        )
        self.refresh_action.setShortcuts([QKeySequence("F5")])
        view_menu.addAction(self.refresh_action)

        team_menu = bar.addMenu("&Team")
        self.add_member_action = self._action("&Add member…", self._add_member, "Ctrl+Shift+N")
        team_menu.addAction(self.add_member_action)
        team_menu.addAction(self._action("&Rotation order", lambda: self.show_page("team")))
        team_menu.addAction(self._action("&Shift pattern", lambda: self.show_page("shifts")))
        team_menu.addSeparator()
        self.test_send_action = self._action(
            "Send &test text…", lambda: self.show_page("test_send"), "Ctrl+T"
        )
        team_menu.addAction(self.test_send_action)

        help_menu = bar.addMenu("&Help")
        help_menu.addAction(self._action("&About WhoseOnFirst", self.about))
        help_menu.addAction(self._action("About &Qt", QApplication.aboutQt))

    def _add_member(self) -> None:
        self.show_page("team")
        page = self.page("team")
        if isinstance(page, TeamPage):
            page.add_member()

    # --- edit routing ----------------------------------------------------------------------

    def _undo_stack(self) -> Any:
        return getattr(self.current_page(), "undo_stack", None)

    def undo(self) -> None:
        stack = self._undo_stack()
        if stack is not None and stack.canUndo():
            stack.undo()

    def redo(self) -> None:
        stack = self._undo_stack()
        if stack is not None and stack.canRedo():
            stack.redo()

    def save_current(self) -> None:
        save = getattr(self.current_page(), "save", None)
        if callable(save) and not self.ctx.read_only:
            save()

    def find_current(self) -> None:
        find = getattr(self.current_page(), "focus_search", None)
        if callable(find):
            find()

    def _stack_changed(self, _can: bool) -> None:
        if shiboken6.isValid(self.stack):  # stacks may signal while the window is torn down
            self._update_edit_actions()

    def _update_edit_actions(self) -> None:
        stack = self._undo_stack()
        for a, ok in (
            (self.undo_action, stack is not None and stack.canUndo()),
            (self.redo_action, stack is not None and stack.canRedo()),
        ):
            a.setEnabled(bool(ok))
        if stack is not None and id(stack) not in self._routed_stacks:
            self._routed_stacks[id(stack)] = stack  # connect once per stack
            stack.canUndoChanged.connect(self._stack_changed)
            stack.canRedoChanged.connect(self._stack_changed)
        self.save_action.setEnabled(
            callable(getattr(self.current_page(), "save", None)) and not self.ctx.read_only
        )

    # --- status bar ----------------------------------------------------------------------

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        self._separators: dict[QWidget, QLabel] = {}
        self.team_label = QLabel()
        self.db_label = QLabel(self.ctx.db.display_name)
        self.db_label.setToolTip(_redacted(self.ctx.db.url))
        self.service_label = ServiceLabel(self.ctx.clock)
        self.dirty_label = QLabel()
        self.read_only_label = QLabel("read-only")
        self.read_only_label.setStyleSheet(f"color: {fmt.WARNING_COLOR}; font-weight: bold;")
        self.read_only_label.setToolTip(
            "This database refuses changes for your account; editing is switched off."
        )
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)
        self.busy.setMaximumWidth(80)
        self.busy.setMaximumHeight(12)
        self.busy.setTextVisible(False)
        self.busy.setAccessibleName("Working")
        self.busy.setVisible(False)
        first = True
        for w, name in (
            (self.team_label, "Team"),
            (self.db_label, "Database"),
            (self.service_label, "Service status"),
            (self.dirty_label, "Unsaved edits"),
            (self.read_only_label, "Read-only"),
        ):
            w.setAccessibleName(name)
            if not first:
                dot = QLabel("·")
                dot.setAccessibleName("")
                self._separators[w] = dot
                bar.addPermanentWidget(dot)
            first = False
            bar.addPermanentWidget(w)
        bar.addPermanentWidget(self.busy)
        self._dirty_changed(self.ctx.dirty_count)

    def load_team_info(self) -> None:
        def query(uow: UnitOfWork) -> TeamInfo | None:
            if not has_team(uow):
                return None
            s = get_settings(uow)
            return TeamInfo(s.team_name, s.timezone)

        db = self.ctx.db

        def task() -> TeamInfo | None:
            with db.reader() as uow:
                return query(uow)

        self.ctx.runner.submit(task, self._team_loaded, lambda _e: None, key="window.team")

    def _team_loaded(self, team: TeamInfo | None) -> None:
        self.team = team
        self.team_label.setText(team.name if team else "No team yet")
        self.new_team_action.setEnabled(team is None and not self.ctx.read_only)
        self.export_action.setEnabled(team is not None)
        self.setWindowTitle(f"{team.name} — WhoseOnFirst" if team else "WhoseOnFirst")
        self.service_label.set_zone(team.tz_name if team else None)

    def _dirty_changed(self, count: int) -> None:
        self.dirty_label.setText(
            f"{count} unsaved edit{'s' if count != 1 else ''}" if count else ""
        )
        self.dirty_label.setVisible(bool(count))
        self._separators[self.dirty_label].setVisible(bool(count))
        self.setWindowModified(bool(count))

    def _read_only_changed(self, read_only: bool) -> None:
        self.read_only_label.setVisible(read_only)
        self._separators[self.read_only_label].setVisible(read_only)
        for a in (self.import_action, self.add_member_action, self.test_send_action):
            a.setEnabled(not read_only)
        self._update_edit_actions()
        for page in self.pages:
            apply = getattr(page, "apply_read_only", None)
            if callable(apply):
                apply(read_only)

    # --- roster import / export ----------------------------------------------------------

    def _ask_roster_file(self, *, save: bool) -> str:
        """The roster file the user picks to export to (``save``) or import from; "" for none."""
        if save:
            path, _ = QFileDialog.getSaveFileName(
                self, "Export roster", "roster.json", "Roster files (*.json)"
            )
        else:
            path, _ = QFileDialog.getOpenFileName(
                self, "Import roster", "", "Roster files (*.json);;All files (*)"
            )
        return path

    def import_roster(self, path: str | None = None) -> None:
        path = path if path is not None else self._ask_roster_file(save=False)
        if not path:
            return
        replace, tell = False, True  # a first import tells nobody anyway
        if self.team is not None:
            confirmed, tell = self.ctx.messages.confirm_change(
                "Replace the team's configuration?",
                f"Import {Path(path).name} over {self.team.name}? Members are matched by name; "
                "history is kept. Nothing changes if the file has a problem.",
                QMessageBox.StandardButton.Yes,
            )
            if not confirmed:
                return
            replace = True
        db, actor, clock = self.ctx.db, self.ctx.actor, self.ctx.clock

        def task() -> dict[str, int]:
            from whoseonfirst_core.roster import import_roster_data

            raw = Path(path).read_bytes()  # an unreadable file is the task's error message
            with change_uow(db, actor, clock.now(), tell=tell) as uow:
                counts = import_roster_data(uow, clock.now(), raw, replace=replace)
                uow.commit()
                return counts

        def done(counts: dict[str, int]) -> None:
            summary = ", ".join(f"{v} {k}" for k, v in counts.items())
            self.ctx.messages.flash(f"Imported {Path(path).name}: {summary}.")
            self.ctx.after_save()

        self.ctx.runner.submit(task, done)

    def export_roster(self, path: str | None = None) -> None:
        path = path if path is not None else self._ask_roster_file(save=True)
        if not path:
            return
        db = self.ctx.db

        def task() -> str:
            from whoseonfirst_core.roster import dumps_roster, export_roster_data, write_roster_file

            with db.reader() as uow:
                text = dumps_roster(export_roster_data(uow))
            write_roster_file(path, text)
            return path

        self.ctx.runner.submit(task, lambda p: self.ctx.messages.flash(f"Exported to {p}."))

    def about(self) -> None:
        from importlib.metadata import PackageNotFoundError, version

        try:
            v = version("whoseonfirst")
        except PackageNotFoundError:
            v = "development"
        self.ctx.messages.info(
            "About WhoseOnFirst",
            f"WhoseOnFirst {v}\nOn-call rotation and text notifications.\n\n"
            f"Database: {_redacted(self.ctx.db.url)}\nYou are: {self.ctx.actor}",
        )

    # --- window state --------------------------------------------------------------------

    def _restore_state(self) -> None:
        geometry = self.settings.value("window/geometry")
        if isinstance(geometry, QByteArray | bytes):
            self.restoreGeometry(QByteArray(geometry))
        else:
            self.resize(1200, 780)
        state = self.settings.value("window/state")
        if isinstance(state, QByteArray | bytes):
            self.restoreState(QByteArray(state))
        slug = str(self.settings.value("window/page", "dashboard"))
        self.sidebar.setCurrentRow(self.slugs.index(slug) if slug in self.slugs else 0)

    def save_state(self) -> None:
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/state", self.saveState())
        self.settings.sync()

    def closeEvent(self, event: QCloseEvent) -> None:
        dirty = self.ctx.dirty_count
        if dirty:
            answer = self.ctx.messages.ask(
                "Unsaved edits",
                f"You have {dirty} unsaved edit{'s' if dirty != 1 else ''}. Quit and discard "
                f"{'them' if dirty != 1 else 'it'}?",
                (QMessageBox.StandardButton.Discard, QMessageBox.StandardButton.Cancel),
                QMessageBox.StandardButton.Cancel,
            )
            if answer != QMessageBox.StandardButton.Discard:
                event.ignore()
                return
        self.save_state()
        self.shutdown()
        event.accept()

    def shutdown(self) -> None:
        """Stop polling and wait for running tasks (so nothing touches a closed database)."""
        self.poller.stop()
        for stack in self._routed_stacks.values():
            if shiboken6.isValid(stack):
                stack.canUndoChanged.disconnect(self._stack_changed)
                stack.canRedoChanged.disconnect(self._stack_changed)
        self._routed_stacks.clear()
        self.ctx.runner.shutdown()


def _redacted(url: str) -> str:
    from whoseonfirst_core.db.errors import redact_url

    return redact_url(url)
