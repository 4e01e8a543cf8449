"""A fake Twilio REST API on ``127.0.0.1:0`` for tests.

The real ``twilio`` SDK talks to it (``TwilioBackend(api_url=fake.base_url)``), so tests exercise
real URLs, basic auth and form encoding. It implements what the service uses:

- ``POST /2010-04-01/Accounts/{Sid}/Messages.json`` — create (``To``, ``From`` or
  ``MessagingServiceSid``, ``Body``, ``ValidityPeriod``), answered from a script of
  :class:`Reply` objects (201 when the script is empty);
- ``GET  /2010-04-01/Accounts/{Sid}/Messages/{MessageSid}.json`` — fetch;
- ``GET  /2010-04-01/Accounts/{Sid}/Messages.json`` — list, filtered by ``To``, ``From`` and
  ``DateSent`` / ``DateSent<`` / ``DateSent>`` (whole UTC days, like Twilio; messages not yet
  sent have no send date and never match a date filter), newest first (by send date; messages
  not yet sent first), paged by ``PageSize`` with a ``next_page_uri`` while more remain; it
  holds the texts people sent too (:meth:`FakeTwilio.receive`, ``direction: inbound``), and
  answers from a script of :class:`Reply` objects when one is given
  (:meth:`FakeTwilio.script_list`);
- ``GET  /2010-04-01/Accounts/{Sid}.json`` — account fetch.

Usage::

    with FakeTwilio() as fake:
        backend = TwilioBackend(fake.account_sid, fake.auth_token,
                                from_number="+13125550000", api_url=fake.base_url)
        fake.script_create([Reply.error(400, 21211)])
        ...
        assert len(fake.create_requests) == 1
        fake.receive("+13125550101", "OK")  # Ann replies to the team's number
        assert backend.list_inbound(since)[0].body == "OK"

Every request is recorded (even unauthorised ones). Replies that sleep wait on an event that
``__exit__`` sets, so leaving the ``with`` block never waits for a scripted delay, and all
handler threads are joined: nothing outlives the block. An exception inside a handler (a bug in
the fake) is re-raised from ``__exit__`` so it cannot hide as a mysterious dropped connection.
"""

from __future__ import annotations

import base64
import json
import re
import sys
import threading
import time
import traceback
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self
from urllib.parse import parse_qs, urlencode, urlsplit

API_VERSION = "2010-04-01"
DEFAULT_ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
DEFAULT_AUTH_TOKEN = "fake-auth-token-0123456789abcdef"

_ERROR_MESSAGES: dict[int, str] = {
    # Twilio's own wording quotes the number unmasked; keeping that here lets tests prove the
    # adapter masks it.
    20003: "Authenticate",
    20404: "The requested resource {path} was not found",
    20429: "Too Many Requests",
    21211: "The 'To' number {to} is not a valid phone number.",
    21408: "Permission to send an SMS has not been enabled for the region indicated by the "
    "'To' number: {to}.",
    21602: "Message body is required.",
    21603: "A 'From' phone number is required.",
    21604: "A 'To' phone number is required.",
    21610: "Attempt to send to unsubscribed recipient",
    21614: "'To' number {to} is not a valid mobile number",
}
_STATUS_MESSAGES: dict[int, str] = {
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}
_NOT_YET_SENT = frozenset({"accepted", "scheduled", "queued", "sending"})
_ROUTE = re.compile(rf"/{API_VERSION}/Accounts/(?P<account>[^/]+?)(?P<rest>\.json|/.*)")
_MESSAGE_ROUTE = re.compile(r"/Messages/(?P<sid>[^/]+)\.json")


@dataclass(frozen=True)
class Reply:
    """One scripted answer to a create-message or list request.

    ``status`` is the HTTP status (201 answers with the created message). ``code`` is the Twilio
    error code put in the JSON error body; ``None`` leaves ``code`` out, as a bare 5xx from a
    load balancer would. ``retry_after`` (seconds) adds a ``Retry-After`` header.
    ``delay_seconds`` waits before answering. ``drop_connection`` closes the socket without
    any HTTP response. ``create`` says whether the message is recorded as created, before any
    delay or drop, so a later list finds it; ``None`` means "created when status is 201".
    ``message`` overrides the error text (``{to}`` is replaced by the unmasked number, as
    Twilio itself quotes it). ``raw_body`` answers exactly those bytes with ``status`` instead
    (nothing is created), for replies Twilio's usual JSON does not cover. ``trickle_every``
    and ``trickle_for`` dribble the answer's header lines out (see :meth:`trickle`).
    """

    status: int = 201
    code: int | None = None
    retry_after: float | None = None
    delay_seconds: float = 0.0
    drop_connection: bool = False
    create: bool | None = None
    message: str | None = None
    raw_body: str | None = None
    trickle_every: float = 0.0
    trickle_for: float = 0.0

    @classmethod
    def trickle(cls, every: float = 2.0, lasting: float = 60.0, *, create: bool = True) -> Reply:
        """Answer the status line at once, then one header line every ``every`` seconds for
        ``lasting`` seconds, then the rest (201 with the message when ``create``, else 503):
        each read is quick, the whole answer slow."""
        return cls(
            status=201 if create else 503,
            create=create,
            trickle_every=every,
            trickle_for=lasting,
        )

    @classmethod
    def raw(cls, status: int, body: str) -> Reply:
        """Answer ``body`` verbatim with HTTP ``status`` (and create nothing)."""
        return cls(status=status, raw_body=body, create=False)

    @classmethod
    def error(cls, status: int, code: int | None = None, message: str | None = None) -> Reply:
        """An error answer: ``Reply.error(400, 21211)``, ``Reply.error(503)``."""
        return cls(status=status, code=code, message=message)

    @classmethod
    def rate_limited(cls, retry_after: float = 30, code: int | None = 20429) -> Reply:
        """HTTP 429 with ``Retry-After: <retry_after>`` (seconds) and Twilio error 20429."""
        return cls(status=429, code=code, retry_after=retry_after)

    @classmethod
    def slow(cls, seconds: float, *, create: bool = True) -> Reply:
        """Answer only after ``seconds``; longer than the client timeout, the client gives up.

        With ``create=True`` the message exists at once and the late answer is a 201 (Twilio
        got it, the reply was lost). With ``create=False`` nothing is created and the late
        answer is a 503.
        """
        return cls(status=201 if create else 503, delay_seconds=seconds, create=create)

    @classmethod
    def drop(cls, *, create: bool = False) -> Reply:
        """Close the connection without answering, after creating the message if ``create``."""
        return cls(drop_connection=True, create=create)

    @property
    def creates(self) -> bool:
        """Whether this reply records the message as created."""
        return self.create if self.create is not None else self.status == 201


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the fake received it.

    ``query`` and ``form`` hold the last value of each field (form: the url-encoded body).
    ``received_monotonic`` is ``time.monotonic()`` and ``received_at`` the UTC wall clock (from
    the fake's clock) when the request had been read. ``authorized`` says whether basic auth
    matched the configured account SID and token.
    """

    method: str
    path: str
    query: dict[str, str]
    form: dict[str, str]
    received_monotonic: float
    received_at: datetime
    authorized: bool


@dataclass(frozen=True)
class FakeMessage:
    """A message as the fake stores it; ``date_*`` are UTC, ``date_sent`` None until sent."""

    sid: str
    to: str
    from_: str | None
    messaging_service_sid: str | None
    body: str
    validity_period: int | None
    status: str
    error_code: int | None
    error_message: str | None
    date_created: datetime
    date_updated: datetime
    date_sent: datetime | None
    pending_statuses: tuple[str, ...] = field(default=(), repr=False)
    """Statuses the next fetches will step through, one per fetch."""
    direction: str = "outbound-api"
    """``outbound-api`` for a message created through the API, ``inbound`` for a received one."""


class FakeTwilio:
    """A fake Twilio REST server in a background thread; use as a context manager.

    ``clock`` returns the current UTC instant for message dates, request stamps and every
    reply's ``Date`` header (default: the system clock); a clock some hours off the client's
    is Twilio's clock disagreeing with the host's. ``account_status`` and ``friendly_name``
    shape the account fetch. ``phone_number`` is the account's number, where
    :meth:`receive` delivers a text unless told another.
    """

    def __init__(
        self,
        *,
        account_sid: str = DEFAULT_ACCOUNT_SID,
        auth_token: str = DEFAULT_AUTH_TOKEN,
        friendly_name: str = "WhoseOnFirst test account",
        account_status: str = "active",
        clock: Callable[[], datetime] | None = None,
        phone_number: str | None = None,
    ) -> None:
        self.account_sid = account_sid
        self.phone_number = phone_number
        self.auth_token = auth_token
        self.friendly_name = friendly_name
        self.account_status = account_status
        self._clock = clock or (lambda: datetime.now(UTC))
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._requests: list[RecordedRequest] = []
        self._messages: dict[str, FakeMessage] = {}
        self._create_script: deque[Reply] = deque()
        self._list_script: deque[Reply] = deque()
        self._status_script: tuple[str, ...] = ()
        self._handler_errors: list[str] = []
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
        if exc_type is None and self._handler_errors:
            raise AssertionError(
                "the fake Twilio server failed:\n" + "\n".join(self._handler_errors)
            )

    def start(self) -> None:
        """Listen on a free port of 127.0.0.1 and serve in a background thread."""
        if self._server is not None:
            raise RuntimeError("FakeTwilio is already running")
        self._stopping.clear()
        self._server = _Server(self)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.01},
            name="fake-twilio",
        )
        self._thread.start()

    def stop(self) -> None:
        """Wake any delayed replies, stop serving and join every thread the fake started."""
        if self._server is None or self._thread is None:
            return
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()  # joins the handler threads (block_on_close)
        self._thread.join()
        self._server = None
        self._thread = None

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``, the value for ``WHOSEONFIRST_TWILIO_API_URL``."""
        if self._server is None:
            raise RuntimeError("FakeTwilio is not running")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    # -- scripting -------------------------------------------------------------------------

    def script_create(self, replies: Iterable[Reply]) -> None:
        """Queue answers for the next create requests, one each; afterwards they get 201."""
        with self._lock:
            self._create_script.extend(replies)

    def script_list(self, replies: Iterable[Reply]) -> None:
        """Queue answers for the next list requests, one each; afterwards they list normally.

        ``Reply()`` (201) lists normally; an error status answers that error (with its
        ``Retry-After``), ``drop_connection`` closes the socket, ``delay_seconds`` waits and then
        lists, ``raw_body`` answers verbatim. ``create`` and ``trickle_*`` do not apply.
        """
        with self._lock:
            self._list_script.extend(replies)

    def receive(
        self,
        sender: str,
        body: str,
        *,
        sent_at: datetime | None = None,
        to: str | None = None,
        messaging_service_sid: str | None = None,
    ) -> str:
        """Someone texts ``to`` (default: :attr:`phone_number`) from ``sender``; returns the SID.

        The message is listed as Twilio lists a received one: ``direction: inbound``, status
        ``received``, ``from`` ``sender``, ``date_sent`` and ``date_created`` at ``sent_at``
        (aware; default: the fake's clock), to the whole second like Twilio's dates.
        ``messaging_service_sid`` is the service the number belongs to, if any.
        """
        to = to or self.phone_number
        if to is None:
            raise ValueError("say which number was texted: to=, or FakeTwilio(phone_number=)")
        at = (sent_at or self._clock()).astimezone(UTC).replace(microsecond=0)
        message = FakeMessage(
            sid="SM" + uuid.uuid4().hex,
            to=to,
            from_=sender,
            messaging_service_sid=messaging_service_sid,
            body=body,
            validity_period=None,
            status="received",
            error_code=None,
            error_message=None,
            date_created=at,
            date_updated=at,
            date_sent=at,
            direction="inbound",
        )
        with self._lock:
            self._messages[message.sid] = message
        return message.sid

    def set_status_script(self, statuses: Sequence[str]) -> None:
        """Statuses that messages created from now on step through, one per fetch.

        ``set_status_script(["sent", "delivered"])``: the first fetch says ``sent``, the second
        and later ones ``delivered``. A message starts ``queued`` (``accepted`` when sent
        through a messaging service).
        """
        with self._lock:
            self._status_script = tuple(statuses)

    def advance_status(
        self,
        sid: str,
        status: str,
        *,
        error_code: int | None = None,
        error_message: str | None = None,
    ) -> None:
        """Set message ``sid``'s status now (dropping any scripted steps it had left)."""
        with self._lock:
            message = self._messages[sid]
            self._messages[sid] = _with_status(
                replace(message, pending_statuses=()),
                status,
                self._clock(),
                error_code=error_code,
                error_message=error_message,
            )

    # -- inspection ------------------------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received so far, oldest first (a copy)."""
        with self._lock:
            return list(self._requests)

    @property
    def create_requests(self) -> list[RecordedRequest]:
        """The create-message requests received so far, oldest first."""
        return [
            request
            for request in self.requests
            if request.method == "POST" and request.path.endswith("/Messages.json")
        ]

    @property
    def list_requests(self) -> list[RecordedRequest]:
        """The message-list requests received so far (every page counts), oldest first."""
        return [
            request
            for request in self.requests
            if request.method == "GET" and request.path.endswith("/Messages.json")
        ]

    @property
    def created(self) -> list[FakeMessage]:
        """Messages created through the API so far, oldest first, in their current state."""
        with self._lock:
            return [m for m in self._messages.values() if m.direction != "inbound"]

    @property
    def received(self) -> list[FakeMessage]:
        """Texts people sent (:meth:`receive`), oldest first."""
        with self._lock:
            return [m for m in self._messages.values() if m.direction == "inbound"]

    def message(self, sid: str) -> FakeMessage:
        """Message ``sid`` in its current state; KeyError if it was never created."""
        with self._lock:
            return self._messages[sid]

    # -- request handling (handler threads) -----------------------------------------------

    def _handle(self, handler: _Handler, method: str) -> None:
        url = urlsplit(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        raw_body = handler.rfile.read(length).decode() if length else ""
        query = _last_values(parse_qs(url.query, keep_blank_values=True))
        form = _last_values(parse_qs(raw_body, keep_blank_values=True))
        authorized = self._authorized(handler.headers.get("Authorization"))
        with self._lock:
            self._requests.append(
                RecordedRequest(
                    method=method,
                    path=url.path,
                    query=query,
                    form=form,
                    received_monotonic=time.monotonic(),
                    received_at=self._clock(),
                    authorized=authorized,
                )
            )

        if not authorized:
            _send_error(
                handler, 401, 20003, headers={"WWW-Authenticate": 'Basic realm="Twilio API"'}
            )
            return
        route = _ROUTE.fullmatch(url.path)
        if route is None or route["account"] != self.account_sid:
            _send_error(handler, 404, 20404, path=url.path)
            return
        rest = route["rest"]
        if rest == ".json" and method == "GET":
            _send_json(handler, 200, self._account_json())
        elif rest == "/Messages.json" and method == "POST":
            self._create(handler, form)
        elif rest == "/Messages.json" and method == "GET":
            self._list(handler, query, url.path)
        elif (found := _MESSAGE_ROUTE.fullmatch(rest)) and method == "GET":
            self._fetch(handler, found["sid"], url.path)
        else:
            _send_error(handler, 404, 20404, path=url.path)

    def _create(self, handler: _Handler, form: dict[str, str]) -> None:
        to = form.get("To", "")
        sender = form.get("From") or form.get("MessagingServiceSid")
        for missing, code in ((not to, 21604), (not sender, 21603), (not form.get("Body"), 21602)):
            if missing:
                _send_error(handler, 400, code)
                return

        with self._lock:
            reply = self._create_script.popleft() if self._create_script else Reply()
            message = self._new_message(form) if reply.creates else None

        if reply.drop_connection:
            handler.close_connection = True  # no bytes written: the client sees a bare close
            return
        if reply.delay_seconds and self._stopping.wait(reply.delay_seconds):
            handler.close_connection = True  # shutting down; the client is long gone
            return
        if reply.trickle_every:
            self._trickle(handler, reply, message)
            return
        if reply.raw_body is not None:
            _send_raw(handler, reply.status, reply.raw_body)
            return
        if reply.status == 201 and message is not None:
            _send_json(handler, 201, _message_json(message, self.account_sid))
            return
        headers = {}
        if reply.retry_after is not None:
            headers["Retry-After"] = f"{reply.retry_after:g}"
        _send_error(
            handler, reply.status, reply.code, to=to, headers=headers, message=reply.message
        )

    def _trickle(self, handler: _Handler, reply: Reply, message: FakeMessage | None) -> None:
        """The status line now, a header line every ``reply.trickle_every`` s, then the rest."""
        if reply.status == 201 and message is not None:
            payload = _message_json(message, self.account_sid)
        else:
            payload = {"code": reply.code, "message": "Service Unavailable", "status": reply.status}
        body = json.dumps(payload).encode()
        handler.send_response(reply.status)
        handler.flush_headers()
        started = time.monotonic()
        line = 0
        while time.monotonic() - started < reply.trickle_for:
            if self._stopping.wait(reply.trickle_every):
                handler.close_connection = True  # shutting down; the client is long gone
                return
            line += 1
            handler.wfile.write(f"X-Trickle-{line}: still answering\r\n".encode())
            handler.wfile.flush()
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    def _new_message(self, form: dict[str, str]) -> FakeMessage:
        now = self._clock()
        validity = form.get("ValidityPeriod")
        message = FakeMessage(
            sid="SM" + uuid.uuid4().hex,
            to=form["To"],
            from_=form.get("From"),
            messaging_service_sid=form.get("MessagingServiceSid"),
            body=form["Body"],
            validity_period=int(validity) if validity else None,
            status="accepted" if form.get("MessagingServiceSid") else "queued",
            error_code=None,
            error_message=None,
            date_created=now,
            date_updated=now,
            date_sent=None,
            pending_statuses=self._status_script,
        )
        self._messages[message.sid] = message
        return message

    def _fetch(self, handler: _Handler, sid: str, path: str) -> None:
        with self._lock:
            message = self._messages.get(sid)
            if message is not None and message.pending_statuses:
                next_status, *later = message.pending_statuses
                message = _with_status(
                    replace(message, pending_statuses=tuple(later)), next_status, self._clock()
                )
                self._messages[sid] = message
        if message is None:
            _send_error(handler, 404, 20404, path=path)
        else:
            _send_json(handler, 200, _message_json(message, self.account_sid))

    def _list(self, handler: _Handler, query: dict[str, str], path: str) -> None:
        """One page of the list, as Twilio pages it: ``PageSize`` messages (default 50, at
        most 1000), newest first, and a ``next_page_uri`` (keeping the filters, with a
        ``PageToken`` naming the last message of this page) while more remain."""
        with self._lock:
            reply = self._list_script.popleft() if self._list_script else None
        if reply is not None and self._answered_by_script(handler, reply):
            return
        try:
            wanted = _list_filter(query)
            page_size = int(query.get("PageSize") or 50)
            if not 1 <= page_size <= 1000:
                raise ValueError("PageSize")
            page_number = int(query.get("Page") or 0)
        except ValueError:
            _send_error(handler, 400, 20001, path=path)
            return
        with self._lock:
            ordered = _newest_first(
                [message for message in self._messages.values() if wanted(message)]
            )
        start = 0
        token = query.get("PageToken")
        if token:
            after = [i for i, message in enumerate(ordered) if "PA" + message.sid == token]
            if not after:
                _send_error(handler, 400, 20001, path=path)
                return
            start = after[0] + 1
        page = ordered[start : start + page_size]
        filters = {key: value for key, value in query.items() if key in _LIST_FILTERS}

        def uri(number: int, token: str | None = None) -> str:
            params = {**filters, "PageSize": str(page_size), "Page": str(number)}
            if token is not None:
                params["PageToken"] = token
            return f"{path}?{urlencode(params)}"

        more = start + page_size < len(ordered)
        _send_json(
            handler,
            200,
            {
                "messages": [_message_json(message, self.account_sid) for message in page],
                "end": start + max(len(page) - 1, 0),
                "first_page_uri": uri(0),
                "next_page_uri": uri(page_number + 1, "PA" + page[-1].sid) if more else None,
                "page": page_number,
                "page_size": page_size,
                "previous_page_uri": uri(page_number - 1) if page_number > 0 else None,
                "start": start,
                "uri": uri(page_number, token),
            },
        )

    def _answered_by_script(self, handler: _Handler, reply: Reply) -> bool:
        """Answer a list request as ``reply`` says, unless it says to list normally (False)."""
        if reply.drop_connection:
            handler.close_connection = True
            return True
        if reply.delay_seconds and self._stopping.wait(reply.delay_seconds):
            handler.close_connection = True  # shutting down; the client is long gone
            return True
        if reply.raw_body is not None:
            _send_raw(handler, reply.status, reply.raw_body)
            return True
        if reply.status < 400:
            return False
        headers = {} if reply.retry_after is None else {"Retry-After": f"{reply.retry_after:g}"}
        _send_error(handler, reply.status, reply.code, headers=headers, message=reply.message)
        return True

    def _account_json(self) -> dict[str, Any]:
        created = _rfc2822(datetime(2024, 1, 1, tzinfo=UTC))
        return {
            "sid": self.account_sid,
            "owner_account_sid": self.account_sid,
            "friendly_name": self.friendly_name,
            "status": self.account_status,
            "type": "Full",
            "date_created": created,
            "date_updated": created,
            "uri": f"/{API_VERSION}/Accounts/{self.account_sid}.json",
            "subresource_uris": {
                "messages": f"/{API_VERSION}/Accounts/{self.account_sid}/Messages.json"
            },
        }

    def _authorized(self, header: str | None) -> bool:
        if not header or not header.startswith("Basic "):
            return False
        try:
            user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        except ValueError:
            return False
        return user == self.account_sid and password == self.auth_token

    def _record_handler_error(self) -> None:
        self._handler_errors.append(traceback.format_exc())


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    # HTTP/1.0: one request per connection, so a dropped connection never hits a pooled socket.
    protocol_version = "HTTP/1.0"

    def do_GET(self) -> None:  # the stdlib's naming
        self.server.fake._handle(self, "GET")

    def do_POST(self) -> None:
        self.server.fake._handle(self, "POST")

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the per-request stderr lines."""

    def date_time_string(self, timestamp: float | None = None) -> str:
        """Every reply's ``Date`` header, on the fake's clock (a skewed fake: a skewed Date)."""
        if timestamp is not None:
            return super().date_time_string(timestamp)
        return _rfc2822(self.server.fake._clock())


class _Server(ThreadingHTTPServer):
    # Handler threads are joined on server_close, so nothing outlives the fake.
    daemon_threads = False
    block_on_close = True

    def __init__(self, fake: FakeTwilio) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.fake = fake

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients that timed out or were dropped on purpose leave broken sockets behind: expected.
        # Anything else is a bug in the fake and is re-raised by FakeTwilio.__exit__.
        error = sys.exc_info()[1]
        if not isinstance(error, OSError):
            self.fake._record_handler_error()


def _with_status(
    message: FakeMessage,
    status: str,
    now: datetime,
    *,
    error_code: int | None = None,
    error_message: str | None = None,
) -> FakeMessage:
    """``message`` moved to ``status`` at ``now``; leaving the queue stamps ``date_sent``."""
    date_sent = message.date_sent
    if date_sent is None and status not in _NOT_YET_SENT:
        date_sent = now
    return replace(
        message,
        status=status,
        error_code=error_code,
        error_message=error_message,
        date_updated=now,
        date_sent=date_sent,
    )


def _list_filter(query: dict[str, str]) -> Callable[[FakeMessage], bool]:
    """A predicate for Twilio's list filters; raises ValueError for a malformed date."""
    to = query.get("To")
    from_ = query.get("From")
    on = _utc_day(query.get("DateSent"))
    on_or_before = _utc_day(query.get("DateSent<"))
    on_or_after = _utc_day(query.get("DateSent>"))

    def wanted(message: FakeMessage) -> bool:
        if to is not None and message.to != to:
            return False
        if from_ is not None and message.from_ != from_:
            return False
        if on is None and on_or_before is None and on_or_after is None:
            return True
        if message.date_sent is None:
            return False
        day = message.date_sent.date()
        return (
            (on is None or day == on)
            and (on_or_before is None or day <= on_or_before)
            and (on_or_after is None or day >= on_or_after)
        )

    return wanted


_LIST_FILTERS = ("To", "From", "DateSent", "DateSent<", "DateSent>")


def _newest_first(messages: list[FakeMessage]) -> list[FakeMessage]:
    """Twilio's list order: by send date, most recent first; messages not sent yet (no send
    date) come before every sent one; creation order breaks ties (newest first)."""
    indexed = list(enumerate(messages))
    indexed.sort(
        key=lambda pair: (
            pair[1].date_sent is None,
            pair[1].date_sent or pair[1].date_created,
            pair[1].date_created,
            pair[0],
        ),
        reverse=True,
    )
    return [message for _, message in indexed]


def _utc_day(value: str | None) -> date | None:
    """The UTC day of ``YYYY-MM-DD`` or ``YYYY-MM-DDTHH:MM:SSZ`` (Twilio compares whole days)."""
    if not value:
        return None
    return date.fromisoformat(value[:10])


def _message_json(message: FakeMessage, account_sid: str) -> dict[str, Any]:
    uri = f"/{API_VERSION}/Accounts/{account_sid}/Messages/{message.sid}.json"
    return {
        "account_sid": account_sid,
        "api_version": API_VERSION,
        "body": message.body,
        "date_created": _rfc2822(message.date_created),
        "date_sent": _rfc2822(message.date_sent) if message.date_sent else None,
        "date_updated": _rfc2822(message.date_updated),
        "direction": message.direction,
        "error_code": message.error_code,
        "error_message": message.error_message,
        "from": message.from_,
        "messaging_service_sid": message.messaging_service_sid,
        "num_media": "0",
        "num_segments": "1",
        "price": None,
        "price_unit": "USD",
        "sid": message.sid,
        "status": message.status,
        "subresource_uris": {"media": uri.replace(".json", "/Media.json")},
        "to": message.to,
        "uri": uri,
    }


def _rfc2822(instant: datetime) -> str:
    """Twilio's date format: ``Mon, 02 Mar 2026 14:00:00 +0000``."""
    return format_datetime(instant.astimezone(UTC))


def _last_values(parsed: dict[str, list[str]]) -> dict[str, str]:
    return {key: values[-1] for key, values in parsed.items()}


def _send_json(
    handler: _Handler, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None
) -> None:
    body = json.dumps(payload).encode()
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(body)))
    for name, value in (headers or {}).items():
        handler.send_header(name, value)
    handler.end_headers()
    handler.wfile.write(body)


def _send_raw(handler: _Handler, status: int, text: str) -> None:
    body = text.encode()
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def _send_error(
    handler: _Handler,
    status: int,
    code: int | None,
    *,
    to: str = "",
    path: str = "",
    headers: dict[str, str] | None = None,
    message: str | None = None,
) -> None:
    """Twilio's error JSON: ``{"code", "message", "more_info", "status"}`` (no code: omitted)."""
    default = _ERROR_MESSAGES.get(code or 0, _STATUS_MESSAGES.get(status, "Error"))
    payload: dict[str, Any] = {
        "message": (message or default).format(to=to, path=path),
        "status": status,
    }
    if code is not None:
        payload["code"] = code
        payload["more_info"] = f"https://www.twilio.com/docs/errors/{code}"
    _send_json(handler, status, payload, headers)
