"""The composition root: ``whoseonfirst`` (the admin app).

Builds the one database, clock, runner and message channel, opens the main window, and owns
switching databases. Nothing else in the GUI constructs those.

``whoseonfirst --screenshots DIR`` renders every page of the current database to ``DIR/<page>.png``
(and this week and month as printed to ``DIR/print-week.png``, ``DIR/print-month.png``) offscreen
and exits 0 (for docs and review), at ``--size WxH`` (default 1280x800) in the
``--appearance`` light or dark; ``--database URL`` opens another database.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QSettings
from PySide6.QtWidgets import QApplication

from whoseonfirst_core.actor import local_actor
from whoseonfirst_core.clock import Clock, SystemClock
from whoseonfirst_core.db.errors import redact_url
from whoseonfirst_core.domain.timeutil import local_date, zone
from whoseonfirst_core.usecases.setup import DEFAULT_TIMEZONE
from whoseonfirst_gui import first_paint
from whoseonfirst_gui.appearance import SETTINGS_KEY as APPEARANCE_KEY
from whoseonfirst_gui.appearance import Appearance
from whoseonfirst_gui.calendar.exports import write_printed_pages
from whoseonfirst_gui.connection_dialogs import FirstRunDialog, ProfileDialog
from whoseonfirst_gui.connections import (
    EMBEDDED,
    ConnectionProfile,
    OpenedDatabase,
    OpenError,
    ProfileStore,
    SecretStore,
    create_new_team,
    embedded_url,
    load_demo_team,
    open_database,
)
from whoseonfirst_gui.context import make_context
from whoseonfirst_gui.main_window import MainWindow
from whoseonfirst_gui.messages import MessageChannel
from whoseonfirst_gui.on_screen import keep_on_screen

log = logging.getLogger("whoseonfirst")

ORGANIZATION = "WhoseOnFirst"
APPLICATION = "WhoseOnFirst"
SCREENSHOT_SIZE = (1280, 800)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="whoseonfirst",
        description="WhoseOnFirst: the on-call rotation admin app.",
    )
    p.add_argument(
        "--database",
        metavar="URL",
        help="database URL (default: WHOSEONFIRST_DATABASE_URL, else the last "
        "connection used, else the embedded SQLite file)",
    )
    p.add_argument(
        "--screenshots",
        metavar="DIR",
        type=Path,
        help="render every page to DIR/<page>.png (and the printed week and month to "
        "DIR/print-week.png, DIR/print-month.png) offscreen and exit",
    )
    p.add_argument(
        "--size",
        metavar="WxH",
        type=_size,
        default=SCREENSHOT_SIZE,
        help="the window size for --screenshots (default: 1280x800)",
    )
    p.add_argument(
        "--appearance",
        choices=("light", "dark"),
        default="light",
        help="the colour scheme for --screenshots (default: light)",
    )
    return p


def _size(text: str) -> tuple[int, int]:
    """``1024x700`` → (1024, 700)."""
    width, sep, height = text.lower().partition("x")
    if not sep or not width.isdigit() or not height.isdigit():
        raise argparse.ArgumentTypeError(f"{text!r} is not WIDTHxHEIGHT, e.g. 1024x700")
    return int(width), int(height)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(list(argv) if argv is not None else None)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    if args.screenshots is not None:
        # Read when the QApplication is created: set it first.
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    existing = QApplication.instance()
    app = (
        existing
        if isinstance(existing, QApplication)
        else QApplication([sys.argv[0] if sys.argv else "whoseonfirst"])
    )
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APPLICATION)
    app.setApplicationDisplayName(APPLICATION)
    controller = AppController(SystemClock(), local_actor())
    if args.screenshots is not None:
        return controller.screenshots(
            args.database, args.screenshots, size=args.size, appearance=args.appearance
        )
    if not controller.start(args.database):
        return 1
    return app.exec()


class AppController:
    """Opens databases and main windows; one window at a time."""

    def __init__(self, clock: Clock, actor: str) -> None:
        self.clock = clock
        self.actor = actor
        self.store = ProfileStore()
        self.secrets = SecretStore()
        self.messages = MessageChannel()  # for messages before a window exists
        self.window: MainWindow | None = None

    # --- choosing and opening ------------------------------------------------------------

    def initial_url(self, explicit: str | None) -> tuple[str | None, str | None]:
        """The URL to open first, and where it came from (for a message about a bad URL)."""
        if explicit:
            return explicit, "--database"
        env = os.environ.get("WHOSEONFIRST_DATABASE_URL", "").strip()
        if env:
            return env, "WHOSEONFIRST_DATABASE_URL"
        last = self.store.last_used()
        profile = self.store.get(last) if last != EMBEDDED else None
        if profile is None:
            return embedded_url(), None
        password = self.secrets.get(profile)
        if password is None:
            return self.ask_connection(profile), None  # asks for the password
        return profile.url(password), None

    def ask_connection(
        self, profile: ConnectionProfile | None = None, problem: str | None = None
    ) -> str | None:
        """The connection dialog, showing ``problem`` (why the last database did not open)
        when given; returns a URL, or None when cancelled."""
        dialog = ProfileDialog(self.store, self.secrets, profile, self.window, problem=problem)
        keep_on_screen(dialog)
        result = dialog.exec()
        if result == ProfileDialog.USE_EMBEDDED:
            self.store.set_last_used(EMBEDDED)
            return embedded_url()
        if result != ProfileDialog.DialogCode.Accepted:
            return None
        url = dialog.remember(self.messages)
        self.store.set_last_used(dialog.profile().name)
        return url

    def open(self, url: str, origin: str | None = None) -> OpenedDatabase | str:
        """The opened database, or why it could not be opened (one message for people)."""
        try:
            return open_database(url, self.messages, origin=origin)
        except OpenError as exc:
            return str(exc)

    def start(self, explicit_url: str | None) -> bool:
        """Open the first database and its window; when it cannot be opened, the connection
        dialog says why and lets the user pick another. False when the user gave up."""
        url, origin = self.initial_url(explicit_url)
        while True:
            if url is None:
                return False
            opened = self.open(url, origin)
            if not isinstance(opened, str):
                break
            url, origin = self.ask_connection(problem=opened), None
        if not opened.has_team and not opened.read_only:
            url_after = self.first_run(opened)
            if url_after is not None:  # "connect to a shared database" was chosen
                opened.db.dispose()
                return self.start(url_after)
        self.show_window(opened)
        return True

    def first_run(self, opened: OpenedDatabase) -> str | None:
        """The first-run chooser; returns a URL when the user chose to connect elsewhere."""
        dialog = FirstRunDialog(self.window)
        keep_on_screen(dialog)
        dialog.set_today(local_date(self.clock.now(), zone(DEFAULT_TIMEZONE)))
        if dialog.exec() != FirstRunDialog.DialogCode.Accepted:
            return None
        try:
            if dialog.choice == FirstRunDialog.NEW:
                name, tz, anchor = dialog.new_team()
                create_new_team(
                    opened.db, self.clock, self.actor, name=name, timezone=tz, anchor=anchor
                )
            elif dialog.choice == FirstRunDialog.DEMO:
                load_demo_team(opened.db, self.clock, self.actor)
            elif dialog.choice == FirstRunDialog.CONNECT:
                return self.ask_connection()
        except Exception as exc:  # noqa: BLE001 - shown through the channel
            self.messages.exception(exc)
            return None
        opened.has_team = True
        return None

    def show_window(self, opened: OpenedDatabase) -> None:
        ctx = make_context(opened.db, self.clock, self.actor, read_only=opened.read_only)
        window = MainWindow(ctx)
        window.connect_requested.connect(self.reconnect)
        window.new_team_requested.connect(lambda: self._new_team(window, opened))
        self.window = window
        for note in opened.notes:
            window.statusBar().showMessage(note.capitalize() + ".", 8000)
        log.info(
            "opened %s%s", redact_url(opened.db.url), " (read-only)" if opened.read_only else ""
        )
        first_paint.install(window)  # WHOSEONFIRST_EXIT_AFTER_FIRST_PAINT=1: start-up benchmark
        window.show()
        window.refresh_all()

    def _new_team(self, window: MainWindow, opened: OpenedDatabase) -> None:
        url = self.first_run(opened)
        if url is not None:
            self._switch_or_ask(url)
        else:
            window.ctx.after_save()

    def reconnect(self) -> None:
        url = self.ask_connection()
        if url is not None:
            self._switch_or_ask(url)

    def _switch_or_ask(self, url: str | None) -> None:
        """Switch to ``url``; while it cannot be opened, ask for another, saying why. The
        current window stays as it is until another database opens."""
        while url is not None:
            problem = self._switch(url)
            if problem is None:
                return
            url = self.ask_connection(problem=problem)

    def _switch(self, url: str) -> str | None:
        """Open ``url`` in place of the current window; why it failed, or None."""
        opened = self.open(url)
        if isinstance(opened, str):
            return opened
        old = self.window
        if old is not None:
            if not old.close():  # unsaved edits and the user said Cancel
                opened.db.dispose()
                return None
            old.ctx.db.dispose()
            old.deleteLater()
        self.window = None
        if not opened.has_team and not opened.read_only:
            other = self.first_run(opened)
            if other is not None:
                opened.db.dispose()
                return self._switch(other)
        self.show_window(opened)
        return None

    # --- screenshots ---------------------------------------------------------------------

    def screenshots(
        self,
        explicit_url: str | None,
        directory: Path,
        *,
        size: tuple[int, int] = SCREENSHOT_SIZE,
        appearance: Appearance = "light",
    ) -> int:
        env = os.environ.get("WHOSEONFIRST_DATABASE_URL", "").strip()
        url, origin = (
            (explicit_url, "--database")
            if explicit_url
            else (env, "WHOSEONFIRST_DATABASE_URL")
            if env
            else (embedded_url(), None)
        )
        opened = self.open(url, origin)
        if isinstance(opened, str):
            print(f"whoseonfirst: {opened}", file=sys.stderr)
            return 1
        try:
            written = render_screenshots(
                opened, self.clock, self.actor, directory, size=size, appearance=appearance
            )
        finally:
            opened.db.dispose()
        for path in written:
            print(path)
        return 0


def render_screenshots(
    opened: OpenedDatabase,
    clock: Clock,
    actor: str,
    directory: Path,
    *,
    size: tuple[int, int] = SCREENSHOT_SIZE,
    appearance: Appearance = "light",
) -> list[Path]:
    """Render every page with the database's current content to ``directory/<slug>.png``,
    and this week and month as printed to ``print-week.png`` and ``print-month.png``, with the
    window ``size`` (width, height) in ``appearance``."""
    directory.mkdir(parents=True, exist_ok=True)
    ctx = make_context(opened.db, clock, actor, interactive=False, read_only=opened.read_only)
    # A throwaway settings file: screenshots must not depend on (or change) the user's layout.
    settings = QSettings(str(directory / ".screenshots.ini"), QSettings.Format.IniFormat)
    settings.setValue(APPEARANCE_KEY, appearance)
    window = MainWindow(ctx, settings=settings, poll=False)
    window.resize(*size)
    window.show()
    window.poller.poll_now()
    window.refresh_all()
    ctx.runner.wait_idle(30_000)
    written: list[Path] = []
    try:
        for slug in window.slugs:
            window.show_page(slug)
            refresh = getattr(window.page(slug), "refresh", None)
            if callable(refresh):
                refresh()
            ctx.runner.wait_idle(30_000)
            for _ in range(3):
                QCoreApplication.processEvents()
            path = directory / f"{slug}.png"
            if not window.grab().save(str(path)):
                raise OSError(f"could not write {path}")
            written.append(path)
        written += write_printed_pages(opened.db, clock.now(), directory)
    finally:
        window.appearance.set_choice("system")  # the app's palette as the platform gives it
        window.shutdown()
        window.deleteLater()
        settings_file = directory / ".screenshots.ini"
        settings.sync()
        if settings_file.exists():
            settings_file.unlink()
        for m in ctx.messages.sink:
            log.warning("while rendering: %s — %s", m.title, m.text)
    return written


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
