"""Twilio's answers, read: the message JSON this service uses, the stamps and numbers in it, what
a list of messages says (an earlier attempt's text, the texts people sent), and which transport
failures mean the request may have reached Twilio (see :class:`SmsError`).

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

from .sms import InboundMessage, SendResult, SmsError

MAY_HAVE_BEEN_CREATED = "; the text may have been created"
"""How a reason ends when the request may have created a message (an ambiguous failure)."""


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
    direction: str
    """``inbound`` for a text someone sent to us; ``outbound-api`` and others for ours."""
    sender: str
    """The ``from`` number (E.164), a short code or a sender ID; empty when absent."""
    to: str
    messaging_service_sid: str | None

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
            direction=str(payload.get("direction") or ""),
            sender=str(payload.get("from") or ""),
            to=str(payload.get("to") or ""),
            messaging_service_sid=str(payload.get("messaging_service_sid") or "") or None,
        )


class _BadReply(Exception):
    """Twilio answered 2xx with something that is not the JSON this module expects."""


def _first_match(
    messages: list[_Message], body: str, earliest: datetime, exclude: frozenset[str]
) -> SendResult | None:
    """The first message with ``body`` created at or after ``earliest`` and not in ``exclude``.

    Only ``date_created`` dates a message: a copy sent a minute before the attempt and still
    being delivered has a later ``date_sent``, but was not created by this attempt.
    """
    for message in messages:
        if message.sid in exclude:
            continue
        if message.body != body and message.body.strip() != body.strip():
            continue
        # No creation date means Twilio has not even dated it yet: it can only be brand new.
        if message.date_created is None or message.date_created >= earliest:
            return SendResult(sid=message.sid, status=message.status)
    return None


def _sent_before(messages: list[_Message], earliest: datetime) -> bool:
    """Whether this page (newest first by send date) ends with a message sent before
    ``earliest``: every later one was sent, and so created, before it too."""
    return (
        bool(messages)
        and messages[-1].date_sent is not None
        and (messages[-1].date_sent < earliest)
    )


def _inbound(
    messages: list[_Message], since: datetime, messaging_service_sid: str | None
) -> list[InboundMessage]:
    """The texts people sent among ``messages`` (one list page), sent at or after ``since``.

    With ``messaging_service_sid``, only those the service received: its list cannot be
    filtered by service, so it holds the whole account's traffic. A text is dated by its
    ``date_sent`` (for an inbound text, when Twilio took it in), else its ``date_created``;
    raises ``_BadReply`` for one with neither, which could not be placed before or after
    ``since`` and must not be dropped unseen.
    """
    found = []
    for message in messages:
        if message.direction != "inbound":
            continue
        if messaging_service_sid is not None and (
            message.messaging_service_sid != messaging_service_sid
        ):
            continue
        sent_at = message.date_sent or message.date_created
        if sent_at is None:
            raise _BadReply("a received text without a date")
        if sent_at >= since:
            found.append(
                InboundMessage(
                    sid=message.sid,
                    sender=message.sender,
                    to=message.to,
                    body=message.body,
                    sent_at=sent_at.astimezone(UTC),
                )
            )
    return found


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
            f"no answer from Twilio within {timeout:g} s after the request was sent"
            + MAY_HAVE_BEEN_CREATED,
        )
    if isinstance(exc, requests.ConnectionError):
        cause = exc.args[0] if exc.args else None
        if isinstance(cause, MaxRetryError):
            return SmsError("transient", f"could not connect to Twilio ({_describe(cause)})")
        return SmsError(
            "ambiguous",
            "the connection to Twilio dropped after the request was sent" + MAY_HAVE_BEEN_CREATED,
        )
    if isinstance(
        exc, (requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError)
    ):
        return SmsError("ambiguous", "Twilio's reply was cut off" + MAY_HAVE_BEEN_CREATED)
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
