"""Sending texts and reading replies, as the engine sees it: the SMS backend protocol, its values
and its one error, and the dry-run backend (the Twilio one is
:mod:`whoseonfirst_service.twilio_sms`).

The rest of the service sees frozen dataclasses (:class:`SendResult`, :class:`MessageStatus`,
:class:`InboundMessage`) and one exception, :class:`SmsError`, whose ``kind`` already says what
to do next (SPEC §4, delivery contract point 4):

- ``transient``: the request never reached Twilio, or Twilio asked us to come back later
  (HTTP 429 or 5xx, error 20429, connection refused, connect timeout). Retry with backoff.
- ``permanent``: retrying cannot help (invalid number, STOP, landline, region, credentials,
  any other 4xx). Mark the text failed and show ``reason`` to a person.
- ``ambiguous``: the request was sent but no answer came back (read timeout, dropped
  connection), so Twilio may have created the message. Call :meth:`SmsBackend.find_recent`
  before any retry so the text is neither lost nor sent twice.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

from whoseonfirst_core.domain.masking import mask_phone, mask_phones
from whoseonfirst_core.domain.notification import Status

_log = logging.getLogger(__name__)

ErrorKind = Literal["transient", "permanent", "ambiguous"]

MIN_VALIDITY_SECONDS = 1
"""Shortest ``ValidityPeriod`` Twilio accepts, in seconds."""
MAX_VALIDITY_SECONDS = 36_000
"""Longest ``ValidityPeriod`` Twilio accepts, in seconds (10 hours; also Twilio's default)."""


@dataclass(frozen=True)
class SendResult:
    """What Twilio said when it accepted a text.

    ``sid`` is Twilio's message SID (``SM…``; ``DRY…`` from the dry-run backend). ``status`` is
    Twilio's status string at that moment, usually ``queued`` or ``accepted`` (``simulated``
    from the dry-run backend).
    """

    sid: str
    status: str


@dataclass(frozen=True)
class MessageStatus:
    """A message's current state at Twilio.

    ``status`` is Twilio's string (``queued``, ``sending``, ``sent``, ``delivered``,
    ``undelivered``, ``failed``…; ``simulated`` for dry runs). ``error_code`` is Twilio's delivery
    error code (e.g. 30003 unreachable) when it failed, and ``error_message`` its text with phone
    numbers masked.
    """

    sid: str
    status: str
    error_code: int | None
    error_message: str | None


@dataclass(frozen=True)
class InboundMessage:
    """A text someone sent to the team's number (or to its messaging service).

    ``sid`` is Twilio's message SID, unique for ever, so a reply is acted on once however often
    it is listed. ``sender`` and ``to`` are E.164 as Twilio gives them. ``sent_at`` is when
    Twilio received it (its ``date_sent``, else its ``date_created``), aware UTC, whole seconds.
    """

    sid: str
    sender: str
    to: str
    body: str
    sent_at: datetime


class SmsError(Exception):
    """A text could not be sent, or Twilio could not be asked about one.

    ``kind`` is ``"transient"``, ``"permanent"`` or ``"ambiguous"`` (see the module docstring for
    what each means to the caller). ``code`` is Twilio's error code, or the HTTP status when
    Twilio gave none, or ``None`` when no HTTP answer arrived. ``reason`` is plain English, safe
    to log and to show: it never holds the auth token or an unmasked phone number; ``str(exc)`` is
    ``reason``. ``retry_after`` is the delay in seconds Twilio asked for in a ``Retry-After``
    header, if any.
    """

    def __init__(
        self,
        kind: ErrorKind,
        reason: str,
        code: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(reason)
        self.kind: ErrorKind = kind
        self.reason = reason
        self.code = code
        self.retry_after = retry_after

    def __str__(self) -> str:
        return self.reason

    def __repr__(self) -> str:
        return (
            f"SmsError(kind={self.kind!r}, reason={self.reason!r}, code={self.code!r}, "
            f"retry_after={self.retry_after!r})"
        )

    def __reduce__(self) -> tuple[type[SmsError], tuple[ErrorKind, str, int | None, float | None]]:
        return (type(self), (self.kind, self.reason, self.code, self.retry_after))


class SmsBackend(Protocol):
    """Something that can send texts and report on them (Twilio, or a dry run)."""

    name: str
    """Short name for logs, /healthz and ``check``: ``twilio`` or ``dry-run``."""

    def send(self, to: str, body: str, *, validity_seconds: int | None) -> SendResult:
        """Hand one text to the provider; ``to`` is E.164.

        ``validity_seconds`` is how long the provider may keep trying to deliver it (Twilio's
        ``ValidityPeriod``, clamped to 1..36000 s); ``None`` leaves the provider's default.
        Raises :class:`SmsError`.
        """
        ...

    def fetch_status(self, sid: str) -> MessageStatus:
        """The current status of message ``sid``. Raises :class:`SmsError`."""
        ...

    def find_recent(
        self, to: str, body: str, since: datetime, *, exclude: frozenset[str] = frozenset()
    ) -> SendResult | None:
        """The message to ``to`` with exactly ``body`` created at or after ``since``, whose SID
        is not in ``exclude``, if any.

        Used after an ambiguous send to learn whether it was created. ``since`` is a
        timezone-aware instant: the start of the ambiguous attempt, less whatever margin the
        caller allows for clock skew (the engine's ``reconcile_margin``); it is compared with
        the provider's creation date as given. ``exclude`` holds the SIDs already recorded for
        other texts, which can never be this one. Raises :class:`SmsError`.
        """
        ...

    def list_inbound(self, since: datetime) -> list[InboundMessage]:
        """Every text sent to the team (to the From number, or received by the messaging
        service) at or after ``since``, oldest first.

        ``since`` is timezone-aware and compared with the provider's dates as given; it is
        inclusive, so a cursor at the last text's ``sent_at`` lists that text again (its SID
        tells it apart). Either the whole list or an :class:`SmsError` (``transient`` for
        network trouble, 5xx and 429; listing creates nothing, so never ``ambiguous``).
        """
        ...

    def check(self) -> str:
        """A harmless request proving the credentials work; returns a one-line summary.

        Raises :class:`SmsError` when they do not.
        """
        ...

    def close(self) -> None:
        """Release what the backend holds (pooled connections); it is not used afterwards.

        Every backend has it, so callers close it unconditionally (``contextlib.closing``).
        """
        ...


def clamp_validity(validity_seconds: int) -> int:
    """``validity_seconds`` forced into Twilio's accepted ``ValidityPeriod`` range, 1..36000 s.

    The engine never sends a text whose validity has already run out; the lower clamp only
    guards against rounding down to zero.
    """
    return max(MIN_VALIDITY_SECONDS, min(MAX_VALIDITY_SECONDS, validity_seconds))


class DryRunBackend:
    """Sends nothing: logs each text it would send (numbers masked) and reports ``simulated``.

    The default when no Twilio credentials are configured (SPEC §4, SMS backends).
    """

    name: str = "dry-run"

    @property
    def is_real_twilio(self) -> bool:
        """Always False: no texts leave this machine."""
        return False

    def send(self, to: str, body: str, *, validity_seconds: int | None) -> SendResult:
        """Log the text and return a made-up ``DRY…`` SID with status ``simulated``."""
        sid = "DRY" + uuid.uuid4().hex
        validity = (
            "default" if validity_seconds is None else f"{clamp_validity(validity_seconds)} s"
        )
        _log.info(
            "dry run: would text %s (validity %s, sid %s): %s",
            mask_phone(to),
            validity,
            sid,
            mask_phones(body),
        )
        return SendResult(sid=sid, status=Status.SIMULATED)

    def fetch_status(self, sid: str) -> MessageStatus:
        """Always ``simulated``: dry-run texts never progress."""
        return MessageStatus(sid=sid, status=Status.SIMULATED, error_code=None, error_message=None)

    def find_recent(
        self, to: str, body: str, since: datetime, *, exclude: frozenset[str] = frozenset()
    ) -> SendResult | None:
        """Always None: a dry run cannot leave an ambiguous send behind."""
        return None

    def list_inbound(self, since: datetime) -> list[InboundMessage]:
        """Always empty: nobody can text a dry run."""
        return []

    def check(self) -> str:
        """Nothing to check."""
        return "dry-run backend: no texts leave this machine"

    def close(self) -> None:
        """Nothing to release."""
