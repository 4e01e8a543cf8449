"""Sending texts: the Twilio adapter and a dry-run stand-in.

This is the only module that imports the ``twilio`` SDK. The rest of the service sees frozen
dataclasses (:class:`SendResult`, :class:`MessageStatus`) and one exception, :class:`SmsError`,
whose ``kind`` already says what to do next (SPEC §4, delivery contract point 4):

- ``transient``: the request never reached Twilio, or Twilio asked us to come back later
  (HTTP 429 or 5xx, error 20429, connection refused, connect timeout). Retry with backoff.
- ``permanent``: retrying cannot help (invalid number, STOP, landline, region, credentials,
  any other 4xx). Mark the text failed and show ``reason`` to a person.
- ``ambiguous``: the request was sent but no answer came back (read timeout, dropped
  connection), so Twilio may have created the message. Call :meth:`SmsBackend.find_recent`
  before any retry so the text is neither lost nor sent twice.

Each :meth:`TwilioBackend.send` is exactly one HTTP request: neither the SDK nor ``requests``
retries behind our back, because the retry policy (backoff, expiry, reconciliation) belongs to
the engine, which records every attempt.

Requests go through the SDK's :class:`~twilio.rest.Client` (authentication, its headers, edge
and region handling) and its HTTP client, but not through the SDK's generated resource classes:
the message resource alone imports about 95 modules (some 7 MB) into a service meant to stay
under 80 MB, to make four requests whose JSON is read here (:class:`_Message`).

Nothing this module logs or raises contains the auth token or an unmasked phone number. That is
also why SDK exceptions are not chained onto :class:`SmsError`: their text holds request URLs
(with ``To=`` for list calls) and Twilio's messages, which quote the number verbatim.
"""

from __future__ import annotations

import http.client
import json
import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any, Literal, Protocol
from urllib.parse import quote, urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client
from urllib3.exceptions import MaxRetryError, NameResolutionError, NewConnectionError
from urllib3.util.retry import Retry

from whoseonfirst_core.domain.masking import mask_phone, mask_phones
from whoseonfirst_core.domain.notification import Status
from whoseonfirst_core.domain.sms_errors import PERMANENT_REASONS, TRANSIENT_REASONS, with_code

__all__ = [
    "MAX_VALIDITY_SECONDS",
    "MIN_VALIDITY_SECONDS",
    "DryRunBackend",
    "ErrorKind",
    "MessageStatus",
    "SendResult",
    "SmsBackend",
    "SmsError",
    "TwilioBackend",
    "clamp_validity",
    "mask_phone",
]

_log = logging.getLogger(__name__)

ErrorKind = Literal["transient", "permanent", "ambiguous"]

MIN_VALIDITY_SECONDS = 1
"""Shortest ``ValidityPeriod`` Twilio accepts, in seconds."""
MAX_VALIDITY_SECONDS = 36_000
"""Longest ``ValidityPeriod`` Twilio accepts, in seconds (10 hours; also Twilio's default)."""

_RECONCILE_CLOCK_SKEW = timedelta(minutes=2)
"""How much earlier than ``since`` a message may be stamped by Twilio's clock and still match."""
_RECONCILE_PAGE_SIZE = 50
"""Messages per list request when reconciling (one page covers a recipient's recent texts)."""


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

    def find_recent(self, to: str, body: str, since: datetime) -> SendResult | None:
        """The message to ``to`` with exactly ``body`` created at or after ``since``, if any.

        Used after an ambiguous send to learn whether it was created. ``since`` is a
        timezone-aware instant (the start of the ambiguous attempt); a couple of minutes of
        clock skew between us and the provider is allowed for. Raises :class:`SmsError`.
        """
        ...

    def check(self) -> str:
        """A harmless request proving the credentials work; returns a one-line summary.

        Raises :class:`SmsError` when they do not.
        """
        ...


def clamp_validity(validity_seconds: int) -> int:
    """``validity_seconds`` forced into Twilio's accepted ``ValidityPeriod`` range, 1..36000 s.

    The engine never sends a text whose validity has already run out; the lower clamp only
    guards against rounding down to zero.
    """
    return max(MIN_VALIDITY_SECONDS, min(MAX_VALIDITY_SECONDS, validity_seconds))


class _TwilioHttp(TwilioHttpClient):  # type: ignore[misc]
    """The SDK's HTTP client, adjusted for a service that keeps its own retry books.

    - No retries: ``requests`` adapters are mounted with ``Retry(total=0, read=False)`` for both
      schemes, so one call is one HTTP request and a read error is raised, not retried.
    - Optionally sends every request to ``base_url`` instead of ``https://api.twilio.com``,
      keeping path and query (tests point it at a fake server; operators at an outbound proxy).
    - Logs method and path at DEBUG only; the SDK's own logging prints query strings, which
      hold phone numbers (``To=``) on list requests.
    """

    def __init__(self, *, timeout: float, base_url: str | None) -> None:
        super().__init__(pool_connections=True, timeout=timeout)
        no_retries = Retry(total=0, read=False)
        for scheme in ("https://", "http://"):
            self.session.mount(scheme, HTTPAdapter(max_retries=no_retries))
        self._base = urlsplit(base_url) if base_url else None

    def request(
        self,
        method: str,
        url: str,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,
        allow_redirects: bool = False,
    ) -> Any:
        return super().request(
            method,
            self._rewrite(url),
            params=params,
            data=data,
            headers=headers,
            auth=auth,
            timeout=timeout,
            allow_redirects=allow_redirects,
        )

    def log_request(self, kwargs: dict[str, Any]) -> None:
        _log.debug("Twilio API request %s %s", kwargs["method"], urlsplit(kwargs["url"]).path)

    def log_response(self, status_code: int, response: Any) -> None:
        _log.debug("Twilio API answered HTTP %s", status_code)

    def close(self) -> None:
        """Close pooled connections."""
        self.session.close()

    def _rewrite(self, url: str) -> str:
        if self._base is None:
            return url
        original = urlsplit(url)
        return urlunsplit(
            (
                self._base.scheme,
                self._base.netloc,
                self._base.path.rstrip("/") + original.path,
                original.query,
                original.fragment,
            )
        )


_TWILIO_API = "https://api.twilio.com/2010-04-01"


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


class TwilioBackend:
    """Texts through Twilio's Programmable Messaging API with the official SDK's client.

    Give exactly one sender: ``from_number`` (E.164) or ``messaging_service_sid`` (``MG…``).
    ``api_url`` (``WHOSEONFIRST_TWILIO_API_URL``, e.g. ``http://127.0.0.1:8123``) replaces the
    scheme and host of every request; ``None`` talks to the real Twilio API. ``timeout`` is the
    connect and read timeout of each request, in seconds.

    Use one instance from one thread at a time (it holds one pooled ``requests`` session).
    """

    name: str = "twilio"

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        *,
        from_number: str | None = None,
        messaging_service_sid: str | None = None,
        api_url: str | None = None,
        timeout: float = 10.0,
    ) -> None:
        if not account_sid or not auth_token:
            raise ValueError("Twilio needs both an account SID and an auth token")
        if bool(from_number) == bool(messaging_service_sid):
            raise ValueError(
                "give exactly one of a From number (TWILIO_FROM_NUMBER) or a messaging "
                "service SID (TWILIO_MESSAGING_SERVICE_SID)"
            )
        if not timeout > 0:
            raise ValueError(f"the Twilio timeout must be more than 0 seconds, not {timeout}")
        if api_url is not None:
            parts = urlsplit(api_url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise ValueError(
                    "WHOSEONFIRST_TWILIO_API_URL must be an http(s) URL such as "
                    f"http://127.0.0.1:8123, not {api_url!r}"
                )
        self._account_sid = account_sid
        self._auth_token = auth_token  # kept only to scrub it from anything we report
        self._from_number = from_number or None
        self._messaging_service_sid = messaging_service_sid or None
        self._api_url = api_url
        self._timeout = timeout
        self._http = _TwilioHttp(timeout=timeout, base_url=api_url)
        self._client = Client(account_sid, auth_token, http_client=self._http)
        self._account_url = f"{_TWILIO_API}/Accounts/{quote(account_sid, safe='')}"

    @property
    def is_real_twilio(self) -> bool:
        """True when requests go to the real Twilio API (no ``api_url`` override)."""
        return self._api_url is None

    def send(self, to: str, body: str, *, validity_seconds: int | None) -> SendResult:
        """Create one message at Twilio (one HTTP request); see :meth:`SmsBackend.send`."""
        form: dict[str, object] = {"To": to, "Body": body}
        if self._from_number is not None:
            form["From"] = self._from_number
        else:
            form["MessagingServiceSid"] = self._messaging_service_sid
        if validity_seconds is not None:
            form["ValidityPeriod"] = clamp_validity(validity_seconds)
        _log.debug("sending a text to %s through Twilio", mask_phone(to))
        message = self._message(self._call("POST", "/Messages.json", data=form))
        return SendResult(sid=message.sid, status=message.status)

    def fetch_status(self, sid: str) -> MessageStatus:
        """Fetch message ``sid``; see :meth:`SmsBackend.fetch_status`."""
        message = self._message(self._call("GET", f"/Messages/{quote(sid, safe='')}.json"))
        return MessageStatus(
            sid=message.sid,
            status=message.status,
            error_code=message.error_code,
            error_message=self._scrub(message.error_message) if message.error_message else None,
        )

    def find_recent(self, to: str, body: str, since: datetime) -> SendResult | None:
        """Look for an already-created message; see :meth:`SmsBackend.find_recent`.

        Two list requests at most. Twilio's ``DateSent>`` filter only finds messages that have
        a send date (and compares whole days), while a message created a moment ago is often
        still ``queued`` with none, so when the filtered list has no match the newest page of
        messages to ``to`` is searched too. Matches are checked against the exact instant here.
        """
        if since.tzinfo is None:
            raise ValueError("find_recent needs a timezone-aware 'since'")
        earliest = since.astimezone(UTC) - _RECONCILE_CLOCK_SKEW

        found = _first_match(
            self._list_messages({"To": to, "DateSent>": earliest.strftime("%Y-%m-%dT%H:%M:%SZ")}),
            body,
            earliest,
        )
        if found is None:
            found = _first_match(self._list_messages({"To": to}), body, earliest)
        if found is not None:
            _log.info("found an earlier attempt's text to %s at Twilio", mask_phone(to))
        return found

    def check(self) -> str:
        """Fetch the account (changes nothing); see :meth:`SmsBackend.check`."""
        account = self._call("GET", ".json")
        status = str(account.get("status"))
        where = "the real Twilio API" if self._api_url is None else f"the API at {self._api_url}"
        if status != "active":
            raise SmsError("permanent", f"the Twilio account is {status}, not active ({where})")
        return f"Twilio account {account.get('friendly_name')!r} is active ({where})"

    def close(self) -> None:
        """Close pooled HTTP connections; the backend must not be used afterwards."""
        self._http.close()

    def _list_messages(self, filters: dict[str, object]) -> list[_Message]:
        """The first page (newest first) of messages matching ``filters``."""
        page = self._call(
            "GET", "/Messages.json", params={**filters, "PageSize": _RECONCILE_PAGE_SIZE}
        )
        messages = page.get("messages")
        if not isinstance(messages, list) or not all(isinstance(m, dict) for m in messages):
            raise SmsError("ambiguous", "unexpected reply from Twilio (a list without messages)")
        return [self._message(message) for message in messages]

    @staticmethod
    def _message(payload: Mapping[str, Any]) -> _Message:
        try:
            return _Message.from_json(payload)
        except _BadReply as exc:
            raise SmsError("ambiguous", f"unexpected reply from Twilio ({exc})") from None

    def _call(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
    ) -> dict[str, Any]:
        """Make one request under the account and return Twilio's JSON object.

        Every way it can fail becomes an :class:`SmsError`.
        """
        error: SmsError
        try:
            response = self._client.request(
                method, self._account_url + path, params=params, data=data, timeout=self._timeout
            )
        except requests.RequestException as exc:
            error = _from_transport_failure(exc, self._timeout)
        except http.client.HTTPException as exc:
            error = SmsError(
                "ambiguous",
                f"the connection to Twilio failed after the request was sent "
                f"({type(exc).__name__}); the text may have been created",
            )
        else:
            if not 200 <= response.status_code < 300:
                raise self._from_error_reply(response.status_code, response.text, response.headers)
            try:
                payload = json.loads(response.text)
            except ValueError:
                raise SmsError("ambiguous", "Twilio's reply was not valid JSON") from None
            if not isinstance(payload, dict):
                raise SmsError("ambiguous", "unexpected reply from Twilio (not a JSON object)")
            return payload
        # Raised here rather than inside the except clauses so the transport exception is not
        # chained: its text may quote the request URL, with the number in it.
        raise error

    def _from_error_reply(
        self, status: int, text: str, headers: Mapping[str, str] | None
    ) -> SmsError:
        """Classify an HTTP error answer from Twilio.

        Twilio's error JSON is ``{"code", "message", "more_info", "status"}``; newer APIs answer
        RFC 9457 problem details (``type``, ``title``, ``status``, ``code``, ``detail``). A body
        that is neither is classified by the HTTP status alone.
        """
        try:
            payload = json.loads(text)
        except ValueError:
            payload = None
        if not isinstance(payload, dict):
            payload = {}
        code = _as_int(payload.get("code"))
        message = str(payload.get("message") or payload.get("detail") or payload.get("title") or "")
        retry_after = _retry_after_seconds(headers)
        reported_code = code if code is not None else status

        if code in TRANSIENT_REASONS:
            return SmsError(
                "transient", with_code(TRANSIENT_REASONS[code], code), code, retry_after
            )
        if code in PERMANENT_REASONS:
            return SmsError("permanent", with_code(PERMANENT_REASONS[code], code), code)
        if status == 429:
            return SmsError(
                "transient",
                "Twilio is rate-limiting requests (HTTP 429)",
                reported_code,
                retry_after,
            )
        if status >= 500:
            return SmsError(
                "transient",
                f"Twilio had a server error (HTTP {status})",
                reported_code,
                retry_after,
            )
        detail = f": {self._scrub(message)}" if message else ""
        return SmsError(
            "permanent",
            f"Twilio refused the request (HTTP {status}, error {reported_code}){detail}",
            reported_code,
        )

    def _scrub(self, text: str) -> str:
        """``text`` with phone numbers masked and the auth token removed."""
        return mask_phones(text.replace(self._auth_token, "[auth token]"))


def _first_match(messages: list[_Message], body: str, earliest: datetime) -> SendResult | None:
    """The first (newest) message with ``body`` created or sent at or after ``earliest``."""
    for message in messages:
        if message.body != body and message.body.strip() != body.strip():
            continue
        stamps = [stamp for stamp in (message.date_created, message.date_sent) if stamp]
        # No stamp at all means Twilio has not even dated it yet: it can only be brand new.
        if not stamps or max(stamps) >= earliest:
            return SendResult(sid=message.sid, status=message.status)
    return None


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

    def find_recent(self, to: str, body: str, since: datetime) -> SendResult | None:
        """Always None: a dry run cannot leave an ambiguous send behind."""
        return None

    def check(self) -> str:
        """Nothing to check."""
        return "dry-run backend: no texts leave this machine"
