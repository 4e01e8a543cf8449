"""Logs people and journald can read, that never hold a full phone number or a secret.

:func:`setup_logging` installs one handler on the root logger whose formatter (``json``: one
object per line, or ``text``) passes every message, every extra field and every traceback
through :func:`scrub`: phone-number-like digit runs are masked (``+1312555XXXX``, SPEC §4 point
8), and the configured secret values (Twilio auth token, database password) are replaced by
``[REDACTED]``. The service's own code masks numbers too; this is the net under it, for
messages from libraries and exception texts (SQL parameters, URLs with ``To=%2B1…``).
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import IO, Any

from whoseonfirst_core.domain.masking import mask_phones

REDACTED = "[REDACTED]"

# Attributes every LogRecord has; anything else was passed as ``extra=``.
_STANDARD_ATTRS = set(logging.LogRecord("x", logging.INFO, "x", 0, "x", None, None).__dict__) | {
    "message",
    "asctime",
    "taskName",
}


class Scrubber:
    """Masks phone numbers and removes the given secret values from text."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        # Longest first, so a secret containing another is removed whole.
        self.secrets = sorted({s for s in secrets if s}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        return mask_phones(text)

    def value(self, value: Any) -> Any:
        """``value`` scrubbed recursively (strings in dicts, lists and tuples)."""
        if isinstance(value, str):
            return self(value)
        if isinstance(value, dict):
            return {k: self.value(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.value(v) for v in value]
        if isinstance(value, int | float | bool) or value is None:
            return value
        return self(str(value))


class SafeFormatter(logging.Formatter):
    """Formats records as JSON lines or text, scrubbed (see the module docstring)."""

    def __init__(self, kind: str = "json", secrets: Iterable[str] = ()) -> None:
        super().__init__()
        if kind not in ("json", "text"):
            raise ValueError(f"log format must be json or text, not {kind!r}")
        self.kind = kind
        self.scrub = Scrubber(secrets)

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        exc_text = self.formatException(record.exc_info) if record.exc_info else None
        ts = datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")
        if self.kind == "text":
            line = f"{ts} {record.levelname:<7} {record.name}: {message}"
            if exc_text:
                line += "\n" + exc_text
            return self.scrub(line)
        payload: dict[str, Any] = {
            "ts": ts,
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": message,
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD_ATTRS and not key.startswith("_"):
                payload.setdefault(key, value)
        if exc_text:
            payload["exc"] = exc_text
        return json.dumps(self.scrub.value(payload), ensure_ascii=False, default=str)


def setup_logging(
    kind: str = "json",
    *,
    secrets: Iterable[str] = (),
    stream: IO[str] | None = None,
    level: int = logging.INFO,
) -> logging.Handler:
    """Route every log record through one scrubbed handler on ``stream`` (default stdout).

    Replaces handlers installed by an earlier call; quietens chatty libraries. Returns the
    handler (tests read what it wrote).
    """
    handler = logging.StreamHandler(stream if stream is not None else sys.stdout)
    handler.setFormatter(SafeFormatter(kind, secrets))
    handler.set_name("whoseonfirst")
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == "whoseonfirst"]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # APScheduler logs every job run at INFO; the twilio SDK and urllib3 log request URLs.
    for noisy in ("apscheduler", "twilio", "urllib3", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    return handler
