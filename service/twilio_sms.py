"""Sending texts through Twilio: :class:`TwilioBackend`, the only module that imports the
``twilio`` SDK. What the engine sees of it (the backend protocol, :class:`SmsError`) is in
:mod:`whoseonfirst_service.sms`; reading Twilio's answers, in
:mod:`whoseonfirst_service.twilio_replies`.

Each :meth:`TwilioBackend.send` is exactly one HTTP request: neither the SDK nor ``requests``
retries behind our back, because the retry policy (backoff, expiry, reconciliation) belongs to
the engine, which records every attempt.

Requests go through the SDK's :class:`~twilio.rest.Client` (authentication, its headers, edge
and region handling) and its HTTP client, but not through the SDK's generated resource classes:
the message resource alone imports about 95 modules (some 7 MB) into a service meant to stay
under 80 MB, to make four requests whose JSON is read by
:class:`~whoseonfirst_service.twilio_replies._Message`.

Nothing this module logs or raises contains the auth token or an unmasked phone number. That is
also why SDK exceptions are not chained onto :class:`SmsError`: their text holds request URLs
(with ``To=`` for list calls) and Twilio's messages, which quote the number verbatim.
"""

from __future__ import annotations

import http.client
import json
import logging
import socket
import threading
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client
from urllib3.connection import HTTPConnection
from urllib3.connectionpool import HTTPConnectionPool
from urllib3.util.retry import Retry

from whoseonfirst_core.clock import Clock, SystemClock
from whoseonfirst_core.domain.masking import mask_phone, mask_phones
from whoseonfirst_core.domain.sms_errors import PERMANENT_REASONS, TRANSIENT_REASONS, with_code

from .sms import (
    MAX_VALIDITY_SECONDS,
    MIN_VALIDITY_SECONDS,
    DryRunBackend,
    ErrorKind,
    InboundMessage,
    MessageStatus,
    SendResult,
    SmsBackend,
    SmsError,
    clamp_validity,
)
from .twilio_replies import (
    MAY_HAVE_BEEN_CREATED,
    _as_int,
    _BadReply,
    _first_match,
    _from_transport_failure,
    _inbound,
    _Message,
    _reply_date,
    _retry_after_seconds,
    _sent_before,
)

__all__ = [
    "MAX_VALIDITY_SECONDS",
    "MIN_VALIDITY_SECONDS",
    "DryRunBackend",
    "ErrorKind",
    "InboundMessage",
    "MessageStatus",
    "SendResult",
    "SmsBackend",
    "SmsError",
    "TwilioBackend",
    "clamp_validity",
    "mask_phone",
]

_log = logging.getLogger(__name__)

_RECONCILE_PAGE_SIZE = 50
"""Messages per list request when reconciling (one page covers a recipient's recent texts)."""
_RECONCILE_MAX_PAGES = 10
"""List pages read at most when reconciling; a number sent more texts than that since the
attempt cannot be searched to the end, and the question is asked again later."""
_INBOUND_PAGE_SIZE = 200
"""Messages per list request when reading the texts sent to the team."""
_INBOUND_MAX_PAGES = 50
"""List pages read at most for one :meth:`TwilioBackend.list_inbound`: a bound on a
``next_page_uri`` that never ends, far above a team's day of texts."""


SKEW_IGNORED = timedelta(seconds=2)
"""How far our clock and Twilio's (its ``Date`` header: whole seconds, and the reply's time in
transit) may differ before reconciliation translates the attempt's start onto Twilio's clock."""

REQUEST_DEADLINE_SECONDS = 12.0
"""The longest one request to Twilio may take in all (connecting, sending, every read): a
reply that dribbles a header line every few seconds never trips the per-read timeout, so
without this bound one slow answer would hold up every other text and outlast systemd's
``TimeoutStopSec=30`` on the way out."""

_current = threading.local()
"""The :class:`_Deadline` of the request the calling thread is making (the backend is used
from one thread at a time; a request runs in the thread that makes it)."""


class _DeadlineExpired(Exception):
    """A request ran past its deadline and its connection was cut."""


class _Deadline:
    """Cuts the connections of one request when ``seconds`` have passed, from a timer thread.

    Shutting the socket down (not only closing it) wakes a read blocked in another thread; the
    request then fails or ends early, and :attr:`expired` says why.
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.expired = False
        self._connections: list[HTTPConnection] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._cut)
        self._timer.daemon = True  # never holds the process up on its way out

    def __enter__(self) -> _Deadline:
        _current.deadline = self
        self._timer.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._timer.cancel()
        self._timer.join()  # at once: a cancelled timer wakes and ends; no thread outlives us
        _current.deadline = None

    def watch(self, connection: HTTPConnection) -> None:
        """Cut ``connection`` at the deadline (at once if it has passed)."""
        with self._lock:
            self._connections.append(connection)
            if self.expired:
                _shut(connection)

    def _cut(self) -> None:
        with self._lock:
            self.expired = True
            for connection in self._connections:
                _shut(connection)


def _shut(connection: HTTPConnection) -> None:
    sock = connection.sock
    if sock is None:
        return  # still connecting: the connect timeout bounds that, and connect() re-checks
    try:
        # The plain socket's shutdown, also for TLS: wakes the reader without touching the
        # TLS object another thread is reading through.
        socket.socket.shutdown(sock, socket.SHUT_RDWR)
    except OSError:
        pass  # already closed


class _Watched(HTTPConnection):
    """A urllib3 connection the running request's :class:`_Deadline` can cut."""

    def connect(self) -> None:
        super().connect()
        self._watch()

    def request(self, *args: Any, **kwargs: Any) -> None:
        self._watch()  # a pooled connection is reused without connecting again
        super().request(*args, **kwargs)

    def _watch(self) -> None:
        deadline: _Deadline | None = getattr(_current, "deadline", None)
        if deadline is not None:
            deadline.watch(self)


_WATCHED: dict[type[Any], type[Any]] = {}


def _watched(pool: HTTPConnectionPool) -> None:
    """Make ``pool`` open connections a deadline can cut (HTTP, HTTPS and through proxies)."""
    plain = pool.ConnectionCls
    if issubclass(plain, _Watched):
        return
    if plain not in _WATCHED:
        _WATCHED[plain] = type(f"_Watched{plain.__name__}", (_Watched, plain), {})
    pool.ConnectionCls = _WATCHED[plain]


class _DeadlineAdapter(HTTPAdapter):
    """``requests``' adapter whose pools open connections a :class:`_Deadline` can cut."""

    def get_connection_with_tls_context(self, *args: Any, **kwargs: Any) -> HTTPConnectionPool:
        pool = super().get_connection_with_tls_context(*args, **kwargs)
        _watched(pool)
        return pool


class _TwilioHttp(TwilioHttpClient):  # type: ignore[misc]
    """The SDK's HTTP client, adjusted for a service that keeps its own retry books.

    - No retries: ``requests`` adapters are mounted with ``Retry(total=0, read=False)`` for both
      schemes, so one call is one HTTP request and a read error is raised, not retried.
    - A deadline for each request as a whole (``deadline`` seconds): past it the connection is
      cut and :class:`_DeadlineExpired` raised, whatever the server had answered by then.
    - Optionally sends every request to ``base_url`` instead of ``https://api.twilio.com``,
      keeping path and query (tests point it at a fake server; operators at an outbound proxy).
    - Logs method and path at DEBUG only; the SDK's own logging prints query strings, which
      hold phone numbers (``To=``) on list requests.
    """

    def __init__(self, *, timeout: float, deadline: float, base_url: str | None) -> None:
        super().__init__(pool_connections=True, timeout=timeout)
        no_retries = Retry(total=0, read=False)
        for scheme in ("https://", "http://"):
            self.session.mount(scheme, _DeadlineAdapter(max_retries=no_retries))
        self._base = urlsplit(base_url) if base_url else None
        self._deadline = deadline

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        """The SDK's request (same arguments) sent to ``base_url`` and bounded by the deadline."""
        with _Deadline(self._deadline) as deadline:
            try:
                response = super().request(method, self._rewrite(url), *args, **kwargs)
            except Exception:
                if not deadline.expired:
                    raise
                response = None
        if deadline.expired:
            # Cut short: whatever arrived (an error, a truncated answer) is not the reply. The
            # pooled connections are dropped so none is reused half-read.
            self.session.close()
            raise _DeadlineExpired
        return response

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


class TwilioBackend:
    """Texts through Twilio's Programmable Messaging API with the official SDK's client.

    Give exactly one sender: ``from_number`` (E.164) or ``messaging_service_sid`` (``MG…``).
    ``api_url`` (``WHOSEONFIRST_TWILIO_API_URL``, e.g. ``http://127.0.0.1:8123``) replaces the
    scheme and host of every request; ``None`` talks to the real Twilio API. ``timeout`` is the
    connect and read timeout of each request, in seconds; ``deadline`` bounds each request in
    all (:data:`REQUEST_DEADLINE_SECONDS`). A create cut by either may have reached Twilio, so
    it is ambiguous: the engine reconciles it, never resends it blindly.

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
        deadline: float = REQUEST_DEADLINE_SECONDS,
        clock: Clock | None = None,
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
        if not deadline > 0:
            raise ValueError(
                f"the Twilio request deadline must be more than 0 seconds, not {deadline}"
            )
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
        self._deadline = deadline
        self._http = _TwilioHttp(timeout=timeout, deadline=deadline, base_url=api_url)
        self._client = Client(account_sid, auth_token, http_client=self._http)
        self._account_url = f"{_TWILIO_API}/Accounts/{quote(account_sid, safe='')}"
        #: The engine's clock: attempts are stamped with it, Twilio's dates are compared to it.
        self._clock: Clock = clock or SystemClock()
        #: Our clock less Twilio's, from the ``Date`` header of the last reply (None: unknown).
        self.skew: timedelta | None = None

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
        message = self._message(self._call("POST", self._account_url + "/Messages.json", data=form))
        return SendResult(sid=message.sid, status=message.status)

    def fetch_status(self, sid: str) -> MessageStatus:
        """Fetch message ``sid``; see :meth:`SmsBackend.fetch_status`."""
        message = self._message(
            self._call("GET", f"{self._account_url}/Messages/{quote(sid, safe='')}.json")
        )
        return MessageStatus(
            sid=message.sid,
            status=message.status,
            error_code=message.error_code,
            error_message=self._scrub(message.error_message) if message.error_message else None,
        )

    def find_recent(
        self, to: str, body: str, since: datetime, *, exclude: frozenset[str] = frozenset()
    ) -> SendResult | None:
        """Look for an already-created message; see :meth:`SmsBackend.find_recent`.

        Reads the list of messages to ``to``, newest first, page by page through
        ``next_page_uri``, until a page reaches messages *sent* before ``since`` (Twilio sorts
        by send date, so nothing later in the list can be newer) or the list ends. The
        ``DateSent`` filters are not used: they compare whole days and never match a message
        created a moment ago, which is still ``queued`` with no send date. A match is a
        message with ``body``, created at or after ``since`` (to the whole second, Twilio's
        resolution), whose SID is not in ``exclude``.

        ``since`` is on our clock, Twilio's dates on its own: when the list reply's ``Date``
        header shows the two apart by more than :data:`SKEW_IGNORED`, ``since`` is moved onto
        Twilio's clock by that much, so the window keeps its width (a host clock hours ahead
        neither misses the attempt's message nor widens the window onto older copies).
        """
        if since.tzinfo is None:
            raise ValueError("find_recent needs a timezone-aware 'since'")
        # No From filter: another instance, or this one before a configuration change, may
        # have sent the attempt from another number or through a messaging service.
        filters: dict[str, object] = {"To": to, "PageSize": _RECONCILE_PAGE_SIZE}
        self.skew = None
        page = self._list_page(self._account_url + "/Messages.json", filters)
        skew = self.skew if self.skew is not None and abs(self.skew) > SKEW_IGNORED else None
        if skew is not None:
            _log.warning(
                "our clock is %+d s off Twilio's; reconciling on Twilio's clock",
                round(skew.total_seconds()),
                extra={"event": "clock_skew", "skew_seconds": skew.total_seconds()},
            )
        earliest = (since.astimezone(UTC) - (skew or timedelta())).replace(microsecond=0)
        for _ in range(_RECONCILE_MAX_PAGES):
            messages, next_uri = page
            found = _first_match(messages, body, earliest, exclude)
            if found is not None:
                _log.info("found an earlier attempt's text to %s at Twilio", mask_phone(to))
                return found
            if next_uri is None or _sent_before(messages, earliest):
                return None
            page = self._list_page(self._next_page_url(next_uri), None)
        raise SmsError(
            "transient",
            f"more than {_RECONCILE_MAX_PAGES * _RECONCILE_PAGE_SIZE} messages to "
            f"{mask_phone(to)} since the attempt; could not search them all",
        )

    def list_inbound(self, since: datetime) -> list[InboundMessage]:
        """Read the texts sent to the team; see :meth:`SmsBackend.list_inbound`.

        Lists the messages ``To`` the From number (with a messaging service: every message of
        the account, keeping those the service received) sent on or after ``since``'s UTC day
        (``DateSent>``: Twilio compares whole days), every page through ``next_page_uri``, and
        keeps the ``inbound`` ones sent at or after ``since`` to the whole second (Twilio's
        resolution: a text of that second is never left out). A failure on any page fails the
        whole list; its ambiguous kinds (no answer, a cut reply) are transient here, because a
        list creates nothing.
        """
        if since.tzinfo is None:
            raise ValueError("list_inbound needs a timezone-aware 'since'")
        since = since.astimezone(UTC).replace(microsecond=0)
        filters: dict[str, object] = {
            "DateSent>": since.date().isoformat(),
            "PageSize": _INBOUND_PAGE_SIZE,
        }
        if self._from_number is not None:
            filters["To"] = self._from_number
        url = self._account_url + "/Messages.json"
        params: dict[str, object] | None = filters
        found: list[InboundMessage] = []
        try:
            for _ in range(_INBOUND_MAX_PAGES):
                messages, next_uri = self._list_page(url, params)
                found.extend(_inbound(messages, since, self._messaging_service_sid))
                if next_uri is None:
                    # Twilio lists newest first: reversed, the texts of one second stay in
                    # the order Twilio received them.
                    return sorted(reversed(found), key=lambda message: message.sent_at)
                url, params = self._next_page_url(next_uri), None
        except _BadReply as exc:
            raise SmsError("transient", f"unexpected reply from Twilio ({exc})") from None
        except SmsError as exc:
            if exc.kind != "ambiguous":
                raise
            reason = exc.reason.removesuffix(MAY_HAVE_BEEN_CREATED)
            raise SmsError("transient", reason, exc.code, exc.retry_after) from None
        raise SmsError(
            "transient",
            f"Twilio listed more than {_INBOUND_MAX_PAGES} pages of texts since "
            f"{since:%Y-%m-%d %H:%M} UTC; could not read them all",
        )

    def check(self) -> str:
        """Fetch the account (changes nothing); see :meth:`SmsBackend.check`."""
        account = self._call("GET", self._account_url + ".json")
        status = str(account.get("status"))
        where = "the real Twilio API" if self._api_url is None else f"the API at {self._api_url}"
        if status != "active":
            raise SmsError("permanent", f"the Twilio account is {status}, not active ({where})")
        return f"Twilio account {account.get('friendly_name')!r} is active ({where})"

    def close(self) -> None:
        """Close pooled HTTP connections; the backend must not be used afterwards."""
        self._http.close()

    def _list_page(
        self, url: str, params: dict[str, object] | None
    ) -> tuple[list[_Message], str | None]:
        """One page of a message list (newest first) and its ``next_page_uri``, if any."""
        page = self._call("GET", url, params=params)
        messages = page.get("messages")
        if not isinstance(messages, list) or not all(isinstance(m, dict) for m in messages):
            raise SmsError("ambiguous", "unexpected reply from Twilio (a list without messages)")
        next_uri = page.get("next_page_uri")
        if next_uri is not None and not isinstance(next_uri, str):
            raise SmsError("ambiguous", "unexpected reply from Twilio (a bad next_page_uri)")
        return [self._message(message) for message in messages], next_uri or None

    def _next_page_url(self, uri: str) -> str:
        """The absolute URL of a ``next_page_uri``, which must stay on this account's
        message list (anything else is not followed)."""
        parts = urlsplit(uri)
        list_path = urlsplit(self._account_url).path + "/Messages.json"
        if parts.path != list_path or (parts.netloc and parts.netloc != "api.twilio.com"):
            raise SmsError("ambiguous", "unexpected reply from Twilio (a foreign next_page_uri)")
        return urlunsplit(("https", "api.twilio.com", parts.path, parts.query, ""))

    @staticmethod
    def _message(payload: Mapping[str, Any]) -> _Message:
        try:
            return _Message.from_json(payload)
        except _BadReply as exc:
            raise SmsError("ambiguous", f"unexpected reply from Twilio ({exc})") from None

    def _call(
        self,
        method: str,
        url: str,
        *,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
    ) -> dict[str, Any]:
        """Make one request (``url`` absolute) and return Twilio's JSON object.

        Every way it can fail becomes an :class:`SmsError`.
        """
        error: SmsError
        try:
            response = self._client.request(
                method, url, params=params, data=data, timeout=self._timeout
            )
        except _DeadlineExpired:
            error = SmsError(
                "ambiguous",
                f"Twilio had not finished answering after {self._deadline:g} s (the whole "
                "request's limit)" + MAY_HAVE_BEEN_CREATED,
            )
        except requests.RequestException as exc:
            error = _from_transport_failure(exc, self._timeout)
        except http.client.HTTPException as exc:
            error = SmsError(
                "ambiguous",
                f"the connection to Twilio failed after the request was sent "
                f"({type(exc).__name__})" + MAY_HAVE_BEEN_CREATED,
            )
        else:
            theirs = _reply_date(response.headers)
            self.skew = None if theirs is None else self._clock.now() - theirs
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
