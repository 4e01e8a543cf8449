"""Where the app's data lives: the embedded SQLite file, or a saved PostgreSQL profile.

* Profiles (host, port, database, user — never the password) are kept in ``QSettings`` under
  ``connections/``; the last one used opens next time.
* Passwords live only in the OS keyring (``keyring``, service name ``whoseonfirst``). When no
  secure keyring exists (the ``fail`` backend, or a chainer with nothing to chain, or a plaintext
  file backend) the app says so and refuses to store the password: it asks for it each time.
* Opening applies pending migrations to SQLite (it is ours), and offers them for PostgreSQL (a
  shared database may be upgraded by its operator instead).
* Read-only mode: a PostgreSQL role without INSERT on ``members``, or a SQLite file the user
  cannot write, opens read-only; every editing action is disabled.

The dialogs that ask for a profile or how to start are :mod:`whoseonfirst_gui.connection_dialogs`.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings
from sqlalchemy import text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import SQLAlchemyError

from whoseonfirst_core.clock import Clock
from whoseonfirst_core.db.errors import (
    GRANTS_DOC,
    DatabaseSetupError,
    DatabaseUrlError,
    first_line,
    permission_denied,
    redact_url,
)
from whoseonfirst_core.db.session import (
    Database,
    check_database_url,
    current_revision,
    default_sqlite_path,
    head_revision,
    needs_upgrade,
    sqlite_file,
    upgrade,
)
from whoseonfirst_core.domain.timeutil import local_date, zone
from whoseonfirst_core.usecases.common import has_team
from whoseonfirst_core.usecases.setup import DEFAULT_TIMEZONE, create_team, open_first_epoch
from whoseonfirst_gui.messages import MessageChannel

log = logging.getLogger(__name__)

KEYRING_SERVICE = "whoseonfirst"
SETTINGS_GROUP = "connections"
EMBEDDED = "Embedded (this computer)"


class OpenError(Exception):
    """Opening failed in a way the user can act on; the message says how."""


# --- profiles -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConnectionProfile:
    """A saved PostgreSQL connection, without its password."""

    name: str
    host: str = "localhost"
    port: int = 5432
    database: str = "whoseonfirst"
    user: str = ""
    sslmode: str = "prefer"

    @property
    def keyring_username(self) -> str:
        """The keyring entry's user name: identifies the account, not just the profile name."""
        return f"{self.user}@{self.host}:{self.port}/{self.database}"

    def url(self, password: str | None) -> str:
        return URL.create(
            "postgresql+psycopg",
            username=self.user or None,
            password=password or None,
            host=self.host,
            port=self.port,
            database=self.database,
            query={"sslmode": self.sslmode} if self.sslmode else {},
        ).render_as_string(hide_password=False)

    @classmethod
    def from_url(cls, name: str, url: str) -> tuple[ConnectionProfile, str | None]:
        """Split a PostgreSQL URL into a profile and its password."""
        parsed = make_url(url)
        sslmode = parsed.query.get("sslmode", "prefer")
        return cls(
            name=name,
            host=parsed.host or "localhost",
            port=parsed.port or 5432,
            database=parsed.database or "",
            user=parsed.username or "",
            sslmode=sslmode if isinstance(sslmode, str) else "prefer",
        ), parsed.password


class ProfileStore:
    """Connection profiles in QSettings (no secrets)."""

    def __init__(self, settings: QSettings | None = None) -> None:
        self.settings = settings or QSettings()

    def profiles(self) -> list[ConnectionProfile]:
        s = self.settings
        s.beginGroup(SETTINGS_GROUP)
        names = [n for n in s.childGroups()]
        out = []
        for n in sorted(names):
            s.beginGroup(n)
            out.append(
                ConnectionProfile(
                    name=str(s.value("name", n)),
                    host=str(s.value("host", "localhost")),
                    port=int(str(s.value("port", 5432))),
                    database=str(s.value("database", "")),
                    user=str(s.value("user", "")),
                    sslmode=str(s.value("sslmode", "prefer")),
                )
            )
            s.endGroup()
        s.endGroup()
        return out

    def get(self, name: str) -> ConnectionProfile | None:
        return next((p for p in self.profiles() if p.name == name), None)

    def save(self, profile: ConnectionProfile) -> None:
        s = self.settings
        s.beginGroup(f"{SETTINGS_GROUP}/{_key(profile.name)}")
        for k, v in asdict(profile).items():
            s.setValue(k, v)
        s.endGroup()
        s.sync()

    def delete(self, name: str) -> None:
        self.settings.remove(f"{SETTINGS_GROUP}/{_key(name)}")
        self.settings.sync()

    def last_used(self) -> str:
        """The profile name used last, or ``EMBEDDED``."""
        return str(self.settings.value("last_connection", EMBEDDED))

    def set_last_used(self, name: str) -> None:
        self.settings.setValue("last_connection", name)
        self.settings.sync()


def _key(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in name) or "profile"


# --- secrets --------------------------------------------------------------------------------


class InsecureKeyringError(Exception):
    """There is no secure place to keep a password on this computer."""


def keyring_status() -> tuple[bool, str]:
    """(secure?, explanation). Plaintext or absent backends are not secure."""
    import keyring

    try:
        backend = keyring.get_keyring()
    except Exception as exc:  # noqa: BLE001 - a broken keyring setup is "no keyring"
        return False, f"the system keyring could not be loaded ({exc})"
    return _backend_secure(backend)


def _backend_secure(backend: Any) -> tuple[bool, str]:
    from keyring.backends import chainer, fail

    name = f"{type(backend).__module__}.{type(backend).__name__}"
    if isinstance(backend, fail.Keyring):
        return False, "no system keyring is available (for example no Secret Service running)"
    if isinstance(backend, chainer.ChainerBackend):
        inner = [b for b in backend.backends if _backend_secure(b)[0]]
        if not inner:
            return False, "no system keyring is available to the keyring chainer"
        return True, ", ".join(type(b).__name__ for b in inner)
    if "plaintext" in name.lower() or name.startswith("keyrings.alt.file"):
        return False, f"the configured keyring ({name}) stores passwords in a plain file"
    priority = getattr(backend, "priority", 1)
    if isinstance(priority, int | float) and priority < 1:
        return False, f"the configured keyring ({name}) is not considered secure"
    return True, name


class SecretStore:
    """Passwords for profiles, in the OS keyring only."""

    def __init__(self, service: str = KEYRING_SERVICE) -> None:
        self.service = service

    def is_secure(self) -> tuple[bool, str]:
        return keyring_status()

    def get(self, profile: ConnectionProfile) -> str | None:
        if not self.is_secure()[0]:
            return None
        import keyring.errors

        try:
            return keyring.get_password(self.service, profile.keyring_username)
        except keyring.errors.KeyringError as exc:
            log.warning("keyring read failed: %s", exc)
            return None

    def set(self, profile: ConnectionProfile, password: str) -> None:
        secure, why = self.is_secure()
        if not secure:
            raise InsecureKeyringError(
                f"The password was not saved: {why}. WhoseOnFirst never writes passwords to a "
                "file, so it will ask for it each time you connect. Install or unlock a system "
                "keyring (GNOME Keyring, KWallet, macOS Keychain, Windows Credential Manager) "
                "to have it remembered."
            )
        import keyring

        keyring.set_password(self.service, profile.keyring_username, password)

    def delete(self, profile: ConnectionProfile) -> None:
        import keyring.errors

        try:
            keyring.delete_password(self.service, profile.keyring_username)
        except keyring.errors.PasswordDeleteError:
            pass


# --- opening --------------------------------------------------------------------------------


def embedded_url() -> str:
    return f"sqlite:///{default_sqlite_path()}"


@dataclass
class OpenedDatabase:
    db: Database
    read_only: bool
    has_team: bool
    notes: list[str] = field(default_factory=list)


def can_write(path: Path) -> bool:
    return os.access(path, os.W_OK)


def sqlite_read_only_url(url: str) -> str | None:
    """For a SQLite file this user cannot write, a URL that opens it read-only; else None."""
    path = sqlite_file(url)
    if path is not None and path.exists() and not can_write(path):
        return f"sqlite:///file:{path}?mode=ro&uri=true"
    return None


def detect_read_only(db: Database) -> bool:
    """True when this database refuses writes for us."""
    if db.is_sqlite:
        return "mode=ro" in db.url
    with db.engine.connect() as conn:
        allowed = conn.execute(
            text("SELECT has_table_privilege(current_user, 'members', 'INSERT')")
        ).scalar()
        return not allowed


def open_database(
    url: str,
    messages: MessageChannel,
    *,
    ask_to_migrate: Callable[[str, str | None, str], bool] | None = None,
    origin: str | None = None,
) -> OpenedDatabase:
    """Open ``url``: migrations (applied for SQLite, offered for PostgreSQL), read-only check.

    ``origin`` names where the URL came from (``--database``, ``WHOSEONFIRST_DATABASE_URL``)
    for a URL that is not one: the reason is the service's own (``check_database_url``).
    Raises :class:`OpenError` with a message that says what to do.
    """
    try:
        check_database_url(url)
    except DatabaseUrlError as exc:
        raise OpenError(f"{origin or 'The database URL'}: {exc}.") from None
    ro_url = sqlite_read_only_url(url)
    db = Database(ro_url or url)
    try:
        return _open(db, url, ro_url is not None, messages, ask_to_migrate)
    except OpenError:
        db.dispose()
        raise
    except (DatabaseSetupError, SQLAlchemyError) as exc:
        db.dispose()
        raise OpenError(_open_failure(url, exc)) from exc
    except BaseException:
        db.dispose()
        raise


def _open_failure(url: str, exc: BaseException) -> str:
    where = f"Could not open {redact_url(url)}"
    if isinstance(exc, DatabaseSetupError):
        return f"{where}: {exc}."
    denied = permission_denied(exc)
    if denied is not None:
        return (
            f"{where}: {denied}. Ask the database's administrator for the privileges in "
            f"{GRANTS_DOC}, or connect with another profile."
        )
    return (
        f"{where}: {first_line(exc).rstrip('.')}. Check the address, the user and the password, "
        "and that the server is running."
    )


def _open(
    db: Database,
    url: str,
    read_only_file: bool,
    messages: MessageChannel,
    ask_to_migrate: Callable[[str, str | None, str], bool] | None,
) -> OpenedDatabase:
    if db.is_sqlite and not read_only_file:
        db.create_if_missing()  # the app's own database: created on first use
    pending = needs_upgrade(db)
    notes: list[str] = []
    if pending:
        before = current_revision(db.engine)
        if read_only_file:
            raise OpenError(
                f"{redact_url(url)} is read-only for you and needs a schema upgrade first. "
                "Ask its owner to run `whoseonfirst-service db upgrade`."
            )
        if db.is_sqlite:
            upgrade(db)
            notes.append(
                "database schema created"
                if before is None
                else f"database upgraded from {before} to {head_revision()}"
            )
        else:
            ask = ask_to_migrate or (
                lambda u, b, h: messages.confirm(
                    "Upgrade the shared database?",
                    f"The database {u} is at schema version {b or 'none'}; this app "
                    f"needs {h}.\n\nUpgrade it now? Make sure the service and every other "
                    "admin's app are on this version too. (An operator can also run "
                    "`whoseonfirst-service db upgrade`.)",
                )
            )
            if not ask(redact_url(url), before, head_revision()):
                raise OpenError(
                    f"{redact_url(url)} needs a schema upgrade before this app can use it. "
                    "Nothing was changed."
                )
            upgrade(db)
            notes.append(f"database upgraded from {before or 'empty'} to {head_revision()}")
    read_only = read_only_file or detect_read_only(db)
    with db.reader() as uow:
        team = has_team(uow)
    return OpenedDatabase(db, read_only, team, notes)


def create_new_team(
    db: Database, clock: Clock, actor: str, *, name: str, timezone: str, anchor: date
) -> None:
    with db.uow(actor) as uow:
        now = clock.now()
        create_team(uow, now, name=name, timezone=timezone, anchor_date=anchor)
        open_first_epoch(uow, now, anchor)
        uow.commit()


def load_demo_team(db: Database, clock: Clock, actor: str) -> None:
    """The demo team, rotating from this week's Monday."""
    from whoseonfirst_core.roster import create_demo_team  # pydantic: not needed to start

    now = clock.now()
    today = local_date(now, zone(DEFAULT_TIMEZONE))
    with db.uow(actor) as uow:
        create_demo_team(uow, now, today - timedelta(days=today.weekday()))
        uow.commit()


__all__ = [
    "EMBEDDED",
    "ConnectionProfile",
    "InsecureKeyringError",
    "OpenError",
    "OpenedDatabase",
    "ProfileStore",
    "SecretStore",
    "create_new_team",
    "embedded_url",
    "keyring_status",
    "load_demo_team",
    "open_database",
]
