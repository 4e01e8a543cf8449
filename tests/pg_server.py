"""A private, throwaway PostgreSQL server for the test run, from the machine's binaries.

PostgreSQL refuses to run as root, so when the tests run as root (CI does) the server runs as
the ``postgres`` system user through ``runuser``. It listens on 127.0.0.1 on a free port, with
trust authentication, in a temporary folder (in memory where it can) removed afterwards.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

#: Server settings of a throwaway test server: fast, not crash-safe.
FAST = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}


@dataclass
class PgServer:
    host: str
    port: int
    user: str
    datadir: Path
    bindir: Path
    _as_user: list[str]
    #: ``-c`` settings the server starts with (a drill of crashes wants durable ones).
    settings: dict[str, str] = field(default_factory=lambda: dict(FAST))

    def url(self, dbname: str) -> str:
        return f"postgresql+psycopg://{self.user}@{self.host}:{self.port}/{dbname}"

    def ctl(self, *args: str) -> None:
        subprocess.run(
            [*self._as_user, str(self.bindir / "pg_ctl"), "-D", str(self.datadir), *args],
            check=True,
            capture_output=True,
            timeout=60,
        )

    def stop(self) -> None:
        self.ctl("-m", "fast", "-w", "stop")

    def start(self) -> None:
        self.ctl(
            "-w",
            "-l",
            str(self.datadir / "server.log"),
            "-o",
            f"-p {self.port} -k {self.datadir} -c listen_addresses={self.host} "
            + " ".join(f"-c {k}={v}" for k, v in self.settings.items()),
            "start",
        )

    def run_as_owner(self, *argv: str, timeout: float = 120) -> None:
        """Run a PostgreSQL program from ``bindir`` as the server's owner (pg_basebackup…)."""
        subprocess.run(
            [*self._as_user, str(self.bindir / argv[0]), *argv[1:]],
            check=True,
            capture_output=True,
            timeout=timeout,
        )

    def as_user(self) -> list[str]:
        """The command prefix that runs a program as the server's owner ([] when we are it)."""
        return list(self._as_user)


def find_bindir() -> Path | None:
    pg_config = shutil.which("pg_config")
    candidates: list[Path] = []
    if pg_config:
        out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=False)
        if out.returncode == 0:
            candidates.append(Path(out.stdout.strip()))
    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    for c in candidates:
        if (c / "initdb").exists() and (c / "pg_ctl").exists():
            return c
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def memory_folder() -> str | None:
    """``/dev/shm`` (a tmpfs) when it can be written, else None (the usual temporary folder).

    Each test clones a database (some 300 files) and drops it afterwards; on ext4 every file
    created after so many deletions costs a scan for an inode that was not recently freed, and
    a clone took 0.2-0.6 s there against 0.03 s in memory."""
    shm = Path("/dev/shm")
    return str(shm) if shm.is_dir() and os.access(shm, os.W_OK | os.X_OK) else None


#: Free ports a test server tries before it gives up (see start_server).
PORT_ATTEMPTS = 3


def start_server() -> PgServer:
    bindir = find_bindir()
    if bindir is None:
        raise FileNotFoundError("no PostgreSQL server binaries (initdb, pg_ctl) found")
    as_user: list[str] = []
    base = Path(tempfile.mkdtemp(prefix="wof-pg-", dir=memory_folder()))
    datadir = base / "data"
    if os.geteuid() == 0:
        as_user = ["runuser", "-u", "postgres", "--"]
        shutil.chown(base, "postgres")
        os.chmod(base, 0o700)
    subprocess.run(
        [
            *as_user,
            str(bindir / "initdb"),
            "-D",
            str(datadir),
            "-A",
            "trust",
            "-U",
            "postgres",
            "-E",
            "UTF8",
            "--no-sync",
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    # A port free now may be taken before the server binds it, by another test process (each
    # pytest-xdist worker starts its own server): then the server tries another.
    attempt = 1
    while True:
        server = PgServer("127.0.0.1", free_port(), "postgres", datadir, bindir, as_user)
        try:
            server.start()
        except subprocess.CalledProcessError:
            if attempt == PORT_ATTEMPTS or not _lost_its_port(datadir):
                raise
            attempt += 1
        else:
            return server


def _lost_its_port(datadir: Path) -> bool:
    """Whether the server's log says its port was taken; the log is cleared for the next try."""
    log = datadir / "server.log"
    if not log.exists():
        return False
    taken = "could not bind" in log.read_text(errors="replace")
    log.unlink()
    return taken


def remove_server(server: PgServer) -> None:
    try:
        server.stop()
    finally:
        shutil.rmtree(server.datadir.parent, ignore_errors=True)
