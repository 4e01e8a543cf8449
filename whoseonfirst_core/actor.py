"""Who did it: ``user@host`` for the audit log."""

from __future__ import annotations

import getpass
import socket


def local_actor(suffix: str = "") -> str:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    host = socket.gethostname() or "localhost"
    return f"{user}@{host}" + (f" ({suffix})" if suffix else "")
