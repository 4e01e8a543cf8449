"""Connections: profiles in QSettings, passwords only in the keyring (an in-memory one here),
no plaintext fallback, migrations on open, read-only detection."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import keyring
import pytest
from keyring.backends import chainer, fail
from PySide6.QtCore import QSettings
from sqlalchemy import text

from tests.gui.conftest import MemoryKeyring
from whoseonfirst_core.db.session import Database, needs_upgrade
from whoseonfirst_gui.connection_dialogs import ProfileDialog
from whoseonfirst_gui.connections import (
    EMBEDDED,
    ConnectionProfile,
    InsecureKeyringError,
    OpenError,
    ProfileStore,
    SecretStore,
    keyring_status,
    open_database,
)
from whoseonfirst_gui.messages import MessageChannel

PROFILE = ConnectionProfile("Ops", host="db01.example.com", port=5433, database="wof", user="alice")


def test_profile_round_trip_without_password(isolated_settings: Path) -> None:
    store = ProfileStore()
    store.save(PROFILE)
    store.set_last_used("Ops")
    again = ProfileStore()
    assert again.profiles() == [PROFILE]
    assert again.last_used() == "Ops"
    store.delete("Ops")
    assert ProfileStore().profiles() == []
    assert ProfileStore(QSettings()).last_used() == "Ops"


def test_password_goes_to_the_keyring_never_to_settings(
    memory_keyring: MemoryKeyring, isolated_settings: Path, qtbot: Any
) -> None:
    store, secrets = ProfileStore(), SecretStore()
    dialog = ProfileDialog(store, secrets, PROFILE)
    qtbot.addWidget(dialog)
    dialog.password.setText("s3cret-pw")
    url = dialog.remember(MessageChannel(interactive=False))
    assert "s3cret-pw" in url and url.startswith("postgresql+psycopg://alice:")
    assert memory_keyring.passwords == {
        ("whoseonfirst", "alice@db01.example.com:5433/wof"): "s3cret-pw"
    }
    QSettings().sync()
    for f in isolated_settings.rglob("*"):
        if f.is_file():
            assert "s3cret-pw" not in f.read_text(errors="replace")
    assert secrets.get(store.profiles()[0]) == "s3cret-pw"


@pytest.mark.parametrize(
    "backend", [fail.Keyring(), chainer.ChainerBackend()], ids=["fail", "empty-chainer"]
)
def test_no_secure_keyring_refuses_to_save_and_says_so(
    backend: Any, isolated_settings: Path, qtbot: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    if isinstance(backend, chainer.ChainerBackend):
        monkeypatch.setattr(chainer.ChainerBackend, "backends", [])
    keyring.set_keyring(backend)
    secure, why = keyring_status()
    assert not secure and "keyring" in why
    with pytest.raises(InsecureKeyringError, match="never writes passwords to a file"):
        SecretStore().set(PROFILE, "pw")
    dialog = ProfileDialog(ProfileStore(), SecretStore(), PROFILE)
    qtbot.addWidget(dialog)
    assert "will not be saved" in dialog.keyring_note.text()
    dialog.password.setText("pw")
    channel = MessageChannel(interactive=False)
    url = dialog.remember(channel)
    assert ":pw@" in url  # this connection still works …
    assert channel.sink[-1].title == "Password not saved"  # … and the user is told
    for f in isolated_settings.rglob("*"):
        if f.is_file():
            assert ":pw@" not in f.read_text() and "=pw" not in f.read_text()


def test_plaintext_backends_are_not_secure() -> None:
    class PlaintextKeyring(MemoryKeyring):
        pass

    keyring.set_keyring(PlaintextKeyring())
    assert not keyring_status()[0]


def test_sqlite_is_migrated_on_open(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'new.db'}"
    opened = open_database(url, MessageChannel(interactive=False))
    try:
        assert not needs_upgrade(opened.db)
        assert opened.notes == ["database schema created"]
        assert not opened.has_team and not opened.read_only
    finally:
        opened.db.dispose()


def test_read_only_sqlite_file_opens_read_only(sqlite_url: str) -> None:
    path = sqlite_url.removeprefix("sqlite:///")
    opened = open_database(
        f"sqlite:///file:{path}?mode=ro&uri=true", MessageChannel(interactive=False)
    )
    try:
        assert opened.read_only
    finally:
        opened.db.dispose()


def test_read_only_detection_for_unwritable_file(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import whoseonfirst_gui.connections as connections

    monkeypatch.setattr(connections, "can_write", lambda _path: False)
    opened = open_database(sqlite_url, MessageChannel(interactive=False))
    try:
        assert opened.read_only and "mode=ro" in opened.db.url
    finally:
        opened.db.dispose()


def test_postgresql_migration_is_offered_not_forced(pg_server: Any) -> None:
    from pytest_postgresql.janitor import DatabaseJanitor

    janitor = DatabaseJanitor(
        user=pg_server.user, host=pg_server.host, port=pg_server.port, dbname="wof_gui_empty"
    )
    janitor.init()
    try:
        url = pg_server.url("wof_gui_empty")
        with pytest.raises(OpenError, match="needs a schema upgrade"):
            open_database(
                url, MessageChannel(interactive=False), ask_to_migrate=lambda _u, _b, _h: False
            )
        db = Database(url)
        assert needs_upgrade(db)
        db.dispose()
        asked: list[str] = []
        opened = open_database(
            url,
            MessageChannel(interactive=False),
            ask_to_migrate=lambda u, _b, _h: asked.append(u) or True,
        )
        assert asked and "wof_gui_empty" in asked[0]
        assert not needs_upgrade(opened.db) and not opened.read_only
        opened.db.dispose()
    finally:
        janitor.drop()


def test_postgresql_viewer_role_is_read_only(pg_url: str) -> None:
    admin = Database(pg_url)
    with admin.engine.begin() as conn:
        conn.execute(text("DROP ROLE IF EXISTS wof_viewer"))
        conn.execute(text("CREATE ROLE wof_viewer LOGIN"))
        conn.execute(text("GRANT USAGE ON SCHEMA public TO wof_viewer"))
        conn.execute(text("GRANT SELECT ON ALL TABLES IN SCHEMA public TO wof_viewer"))
    from sqlalchemy.engine import make_url

    viewer_url = make_url(pg_url).set(username="wof_viewer").render_as_string(hide_password=False)
    try:
        opened = open_database(viewer_url, MessageChannel(interactive=False))
        assert opened.read_only
        opened.db.dispose()
        writer = open_database(pg_url, MessageChannel(interactive=False))
        assert not writer.read_only
        writer.db.dispose()
    finally:
        with admin.engine.begin() as conn:
            conn.execute(text("REVOKE ALL ON ALL TABLES IN SCHEMA public FROM wof_viewer"))
            conn.execute(text("REVOKE USAGE ON SCHEMA public FROM wof_viewer"))
        admin.dispose()


def test_unreachable_database_says_what_to_do() -> None:
    with pytest.raises(OpenError, match="Check the address") as info:
        open_database(
            "postgresql+psycopg://alice:topsecret@127.0.0.1:1/wof?connect_timeout=2",
            MessageChannel(interactive=False),
        )
    assert "topsecret" not in str(info.value)


def test_embedded_is_the_default_choice(isolated_settings: Path) -> None:
    assert ProfileStore().last_used() == EMBEDDED
