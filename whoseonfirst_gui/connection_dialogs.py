"""The dialogs that choose where the app's data lives: connecting to a shared PostgreSQL
database (:class:`ProfileDialog`) and the first start on a database with no team
(:class:`FirstRunDialog`). Profiles, passwords and opening the database are in
:mod:`whoseonfirst_gui.connections`.
"""

from __future__ import annotations

import os
from datetime import date

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QCommandLinkButton,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from whoseonfirst_core.db.session import default_sqlite_path
from whoseonfirst_core.domain.timeutil import all_zone_names
from whoseonfirst_core.usecases.setup import DEFAULT_TIMEZONE
from whoseonfirst_gui import format as fmt
from whoseonfirst_gui.connections import (
    ConnectionProfile,
    InsecureKeyringError,
    ProfileStore,
    SecretStore,
)
from whoseonfirst_gui.messages import MessageChannel


class ProfileDialog(QDialog):
    """Connect to a shared PostgreSQL database; saves the profile and (securely) the password.

    ``problem``, when given, is why the last database could not be opened: shown at the top, so
    the user reads it where they choose another database. ``exec()`` returns Accepted (connect
    with :meth:`remember`), Rejected, or ``USE_EMBEDDED``.
    """

    USE_EMBEDDED = 2

    def __init__(
        self,
        store: ProfileStore,
        secrets: SecretStore,
        profile: ConnectionProfile | None = None,
        parent: QWidget | None = None,
        *,
        problem: str | None = None,
    ) -> None:
        super().__init__(parent)
        self.store, self.secrets = store, secrets
        self.setWindowTitle("Connect to a shared database")
        layout = QVBoxLayout(self)
        self.problem = QLabel()
        self.problem.setWordWrap(True)
        self.problem.setTextFormat(Qt.TextFormat.PlainText)
        self.problem.setAccessibleName("Why the database did not open")
        if problem:
            self.setWindowTitle("Could not open the database")
            self.setMinimumWidth(560)
            self.problem.setText(
                f"⚠ {problem}\n\nChoose another database: connect to a shared one below, "
                "or use this computer's database."
            )
        self.problem.setVisible(bool(problem))
        layout.addWidget(self.problem)
        form = QFormLayout()
        self.saved = QComboBox()
        self.saved.addItem("New connection", None)
        for p in store.profiles():
            self.saved.addItem(p.name, p.name)
        self.saved.setAccessibleName("Saved connections")
        self.name = QLineEdit(profile.name if profile else "Shared database")
        self.host = QLineEdit(profile.host if profile else "localhost")
        self.port = QSpinBox()
        self.port.setRange(1, 65535)
        self.port.setValue(profile.port if profile else 5432)
        self.database = QLineEdit(profile.database if profile else "whoseonfirst")
        self.user = QLineEdit(profile.user if profile else os.environ.get("USER", ""))
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.sslmode = QComboBox()
        self.sslmode.addItems(["prefer", "require", "verify-full", "disable"])
        for label, w in (
            ("&Saved:", self.saved),
            ("&Name:", self.name),
            ("&Host:", self.host),
            ("&Port:", self.port),
            ("&Database:", self.database),
            ("&User:", self.user),
            ("Pass&word:", self.password),
            ("&TLS:", self.sslmode),
        ):
            w.setAccessibleName(label.replace("&", "").rstrip(":"))
            form.addRow(label, w)
        layout.addLayout(form)
        secure, why = secrets.is_secure()
        self.keyring_note = QLabel(
            "The password is kept in the system keyring."
            if secure
            else f"⚠ The password will not be saved: {why}. You will be asked for it each time."
        )
        self.keyring_note.setWordWrap(True)
        layout.addWidget(self.keyring_note)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
        if ok is not None:
            ok.setText("Connect")
        embedded = buttons.addButton(
            "Use this computer's database", QDialogButtonBox.ButtonRole.ResetRole
        )
        embedded.setToolTip(f"The embedded SQLite file {default_sqlite_path()}")
        embedded.clicked.connect(lambda: self.done(self.USE_EMBEDDED))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.saved.currentIndexChanged.connect(self._load_saved)

    def _load_saved(self) -> None:
        name = self.saved.currentData()
        p = self.store.get(name) if name else None
        if p is None:
            return
        self.name.setText(p.name)
        self.host.setText(p.host)
        self.port.setValue(p.port)
        self.database.setText(p.database)
        self.user.setText(p.user)
        self.sslmode.setCurrentText(p.sslmode)
        self.password.setText(self.secrets.get(p) or "")

    def profile(self) -> ConnectionProfile:
        return ConnectionProfile(
            self.name.text().strip() or "Shared database",
            self.host.text().strip(),
            self.port.value(),
            self.database.text().strip(),
            self.user.text().strip(),
            self.sslmode.currentText(),
        )

    def remember(self, messages: MessageChannel) -> str:
        """Save the profile (and the password if a secure keyring exists); returns the URL."""
        profile = self.profile()
        self.store.save(profile)
        password = self.password.text()
        if password:
            try:
                self.secrets.set(profile, password)
            except InsecureKeyringError as exc:
                messages.warning("Password not saved", str(exc))
        return profile.url(password)


class FirstRunDialog(QDialog):
    """New team / demo team / connect to a shared database."""

    NEW, DEMO, CONNECT = "new", "demo", "connect"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.choice = ""
        self.setWindowTitle("Welcome to WhoseOnFirst")
        self.setMinimumWidth(520)
        self.pages = QStackedWidget()
        layout = QVBoxLayout(self)
        layout.addWidget(self.pages)

        start = QWidget()
        v = QVBoxLayout(start)
        intro = QLabel("This database has no team yet. How would you like to start?")
        intro.setWordWrap(True)
        v.addWidget(intro)
        group = QButtonGroup(self)
        for key, title, desc in (
            (
                self.NEW,
                "Create a new team",
                "Name your team and pick its time zone; add people on the Team page.",
            ),
            (
                self.DEMO,
                "Load the demo team",
                "Seven people on the default pattern, to try things out (you can start over).",
            ),
            (
                self.CONNECT,
                "Connect to a shared database…",
                "Use the PostgreSQL database your team already shares with the service.",
            ),
        ):
            b = QCommandLinkButton(title, desc)
            b.setAccessibleName(title)
            group.addButton(b)
            b.clicked.connect(lambda _=False, k=key: self._chosen(k))
            v.addWidget(b)
        self.pages.addWidget(start)

        new = QWidget()
        form = QFormLayout(new)
        self.team_name = QLineEdit("Support")
        self.team_name.setAccessibleName("Team name")
        self.tz = QComboBox()
        self.tz.setEditable(True)
        self.tz.addItems(all_zone_names())
        self.tz.setCurrentText(DEFAULT_TIMEZONE)
        self.tz.setAccessibleName("Time zone")
        self.anchor = QDateEdit()
        self.anchor.setCalendarPopup(True)
        self.anchor.setDisplayFormat(fmt.date_edit_format())
        self.anchor.setAccessibleName("Rotation starts on")
        form.addRow("Team &name:", self.team_name)
        form.addRow("&Time zone:", self.tz)
        form.addRow("Rotation &starts:", self.anchor)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(lambda: self.pages.setCurrentIndex(0))
        form.addRow(buttons)
        self.pages.addWidget(new)

    def set_today(self, today: date) -> None:
        from PySide6.QtCore import QDate

        self.anchor.setDate(QDate(today.year, today.month, today.day))

    def _chosen(self, key: str) -> None:
        self.choice = key
        if key == self.NEW:
            self.pages.setCurrentIndex(1)
            self.team_name.setFocus()
        else:
            self.accept()

    def new_team(self) -> tuple[str, str, date]:
        d = self.anchor.date()
        return (
            self.team_name.text(),
            self.tz.currentText().strip(),
            date(d.year(), d.month(), d.day()),
        )


__all__ = ["FirstRunDialog", "ProfileDialog"]
