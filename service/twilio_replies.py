"""Twilio's answers, read: the message JSON this service uses, the stamps and numbers in it, and
which transport failures mean the request may have reached Twilio (see :class:`SmsError`).

Nothing here imports the ``twilio`` SDK; :mod:`whoseonfirst_service.twilio_sms` makes the
requests. Nothing here returns the auth token or an unmasked phone number.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import requests
from urllib3.exceptions import MaxRetryError, NameResolutionError, NewConnectionError

from .sms import SmsError


@dataclass(frozen=True)
class _Message:
    """The fields of a Twilio Message resource this module reads."""

    sid: str
    status: str
    body: str
    error_code: int | None
    error_message: str | None
    date_created: datetime | None
    date_sent: datetime | None

    @classmethod
    def from_json(cls, payload: Mapping[str, Any]) -> _Message:
        """Read one message object of Twilio's JSON; raises ``_BadReply`` if it is not one."""
        sid = payload.get("sid")
        status = payload.get("status")
        if not isinstance(sid, str) or not sid or not isinstance(status, str):
            raise _BadReply("a message without a sid or status")
        error_message = payload.get("error_message")
        return cls(
            sid=sid,
            status=status,
            body=str(payload.get("body") or ""),
            error_code=_as_int(payload.get("error_code")),
            error_message=str(error_message) if error_message else None,
            date_created=_rfc2822(payload.get("date_created")),
            date_sent=_rfc2822(payload.get("date_sent")),
        )


class _BadReply(Exception):
    """Twilio answered 2xx with something that is not the JSON this module expects."""


def _rfc2822(value: object) -> datetime | None:
    """An aware datetime from Twilio's RFC 2822 stamp (``Thu, 26 Nov 2026 14:00:05 +0000``)."""
    if not isinstance(value, str) or not value:
        return None
    try:
        stamp = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return stamp if stamp.tzinfo is not None else stamp.replace(tzinfo=UTC)


def _as_int(value: object) -> int | None:
    """``value`` as an int, or None when it is missing or not a number."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            return None
    return None


def _retry_after_seconds(headers: Mapping[str, str] | None) -> float | None:
    """Seconds from a ``Retry-After: <seconds>`` header; None if absent or an HTTP date."""
    if not headers:
        return None
    value = headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def _from_transport_failure(exc: requests.RequestException, timeout: float) -> SmsError:
    """Classify a failure below HTTP: did the request (possibly) reach Twilio?

    ``requests`` wraps connection-establishment failures (refused, unreachable, DNS, proxy,
    TLS handshake) as ``MaxRetryError`` — nothing was sent, so they are transient. A read
    timeout or a connection that breaks once the request is on the wire (``ProtocolError``,
    ``RemoteDisconnected``, a cut-off body) is ambiguous.
    """
    if isinstance(exc, requests.ConnectTimeout):
        return SmsError(
            "transient", f"timed out connecting to Twilio after {timeout:g} s (nothing was sent)"
        )
    if isinstance(exc, requests.ReadTimeout):
        return SmsError(
            "ambiguous",
            f"no answer from Twilio within {timeout:g} s after the request was sent; "
            "the text may have been created",
        )
    if isinstance(exc, requests.ConnectionError):
        cause = exc.args[0] if exc.args else None
        if isinstance(cause, MaxRetryError):
            return SmsError("transient", f"could not connect to Twilio ({_describe(cause)})")
        return SmsError(
            "ambiguous",
            "the connection to Twilio dropped after the request was sent; "
            "the text may have been created",
        )
    if isinstance(
        exc, (requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError)
    ):
        return SmsError("ambiguous", "Twilio's reply was cut off; the text may have been created")
    # InvalidURL, MissingSchema and friends: a configuration mistake, not a network mood.
    return SmsError("permanent", f"could not make a request to Twilio ({type(exc).__name__})")


def _describe(failure: MaxRetryError) -> str:
    """A short, number-free description of why a connection could not be made."""
    reason = failure.reason
    if isinstance(reason, NameResolutionError):
        return "the host name did not resolve"
    if isinstance(reason, NewConnectionError):
        if isinstance(reason.__cause__ or reason.__context__, ConnectionRefusedError) or (
            "refused" in str(reason).lower()
        ):
            return "connection refused"
        return "host unreachable"
    return type(reason).__name__ if reason is not None else "unknown error"


def _reply_date(headers: Mapping[str, str] | None) -> datetime | None:
    """The instant a reply's ``Date`` header gives (Twilio's clock, whole seconds), if any."""
    return _rfc2822((headers or {}).get("Date") or (headers or {}).get("date"))
