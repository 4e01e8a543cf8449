"""The service's configuration, from environment variables (SPEC §5).

Every secret can also come from a file named by ``<NAME>_FILE`` (systemd ``LoadCredential=``,
Podman secrets): ``TWILIO_AUTH_TOKEN_FILE``, ``TWILIO_ACCOUNT_SID_FILE`` and
``WHOSEONFIRST_DATABASE_URL_FILE``. Setting both a variable and its ``_FILE`` is an error.

=================================  ==========================================================
``WHOSEONFIRST_DATABASE_URL``      SQLAlchemy URL; default: the SQLite file shared with the app
``TWILIO_ACCOUNT_SID``             ``AC…``
``TWILIO_AUTH_TOKEN``              secret
``TWILIO_FROM_NUMBER``             E.164 sender, or instead:
``TWILIO_MESSAGING_SERVICE_SID``   ``MG…``
``WHOSEONFIRST_TWILIO_API_URL``    replaces ``https://api.twilio.com`` (tests, outbound proxy)
``WHOSEONFIRST_SMS_BACKEND``       ``twilio`` or ``dry-run``; default: ``twilio`` when an account
                                   SID and token are configured, else ``dry-run``
``WHOSEONFIRST_HTTP``              ``host:port`` of ``/healthz`` and ``/metrics``;
                                   default ``127.0.0.1:8787`` (port 0: any free port)
``WHOSEONFIRST_FEEDS``             ``host:port`` of the calendar feeds (``/calendar/<token>.ics``,
                                   e.g. ``0.0.0.0:8788``); default: off
``WHOSEONFIRST_FEEDS_URL``         the feeds' address as calendars reach it (a reverse proxy's
                                   ``https://oncall.example.com``); default: ``http://`` this
                                   host's name and the port of ``WHOSEONFIRST_FEEDS``
``WHOSEONFIRST_LOG_FORMAT``        ``json`` (default) or ``text``
``WHOSEONFIRST_INSTANCE_ID``       name of this instance in heartbeats; default: the host name
=================================  ==========================================================

An invalid configuration raises :class:`ConfigError` whose message is one line naming the
variable and the problem — never the value, which may be a secret.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from whoseonfirst_core.clock import Clock
from whoseonfirst_core.db.errors import DatabaseUrlError
from whoseonfirst_core.db.session import check_database_url, default_database_url
from whoseonfirst_core.domain.phones import PhoneError, normalize_phone

from .twilio_sms import DryRunBackend, SmsBackend, TwilioBackend

DEFAULT_HTTP = "127.0.0.1:8787"
TWILIO_TIMEOUT_SECONDS = 10.0
_SID = re.compile(r"^(AC|MG)[0-9a-fA-F]{32}$")
_SID_PREFIX = {"twilio_account_sid": "AC", "twilio_messaging_service_sid": "MG"}
_BIND = re.compile(r"\[(?P<v6>[0-9a-fA-F:.]+)\]:(?P<p1>\d{1,5})|(?P<host>[\w.-]+):(?P<p2>\d{1,5})")


class ConfigError(Exception):
    """The configuration cannot be used; ``str()`` is one line for people (no secret values)."""


def _read_secret_file(variable: str, path: str) -> str:
    """The first line of a secret file, stripped; ConfigError naming ``variable`` otherwise."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{variable}: the file {path} does not exist") from None
    except PermissionError:
        raise ConfigError(f"{variable}: no permission to read {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{variable}: cannot read {path} ({type(exc).__name__})") from None
    value = text.strip()
    if not value or "\n" in value:
        raise ConfigError(f"{variable}: {path} must hold exactly one non-empty line")
    return value


def _from_file_variant(environ: Mapping[str, str], name: str) -> str | None:
    """``name`` from the environment or from the file named by ``name_FILE`` (not both)."""
    direct = environ.get(name, "").strip() or None
    file_path = environ.get(f"{name}_FILE", "").strip() or None
    if direct and file_path:
        raise ConfigError(f"{name} and {name}_FILE are both set: keep only one of them")
    if file_path:
        return _read_secret_file(f"{name}_FILE", file_path)
    return direct


def database_url_from_env(environ: Mapping[str, str] | None = None) -> str:
    """``WHOSEONFIRST_DATABASE_URL`` (or its ``_FILE``), else the default SQLite file;
    ConfigError naming the variable when the URL is not one the product can use."""
    env = os.environ if environ is None else environ
    url = _from_file_variant(env, "WHOSEONFIRST_DATABASE_URL")
    if url is None:
        return default_database_url()
    try:
        check_database_url(url)
    except DatabaseUrlError as exc:
        raise ConfigError(f"WHOSEONFIRST_DATABASE_URL: {exc}") from None
    return url


class ServiceSettings(BaseModel):
    """The validated settings; build with :func:`load_settings`, which reads the environment
    itself (to resolve ``*_FILE`` first) and passes every value in: no hidden second reading of
    ``os.environ`` or a ``.env`` file. A plain pydantic model, not pydantic-settings'
    ``BaseSettings``: that would read nothing more here and costs the service about 5 MB."""

    model_config = ConfigDict(extra="ignore", frozen=True, validate_default=True)

    # repr=False: a PostgreSQL URL may carry a password.
    database_url: str | None = Field(None, validation_alias="WHOSEONFIRST_DATABASE_URL", repr=False)
    twilio_account_sid: str | None = Field(None, validation_alias="TWILIO_ACCOUNT_SID")
    twilio_auth_token: SecretStr | None = Field(None, validation_alias="TWILIO_AUTH_TOKEN")
    twilio_from_number: str | None = Field(None, validation_alias="TWILIO_FROM_NUMBER")
    twilio_messaging_service_sid: str | None = Field(
        None, validation_alias="TWILIO_MESSAGING_SERVICE_SID"
    )
    twilio_api_url: str | None = Field(None, validation_alias="WHOSEONFIRST_TWILIO_API_URL")
    sms_backend: Literal["twilio", "dry-run"] | None = Field(
        None, validation_alias="WHOSEONFIRST_SMS_BACKEND"
    )
    http: str = Field(DEFAULT_HTTP, validation_alias="WHOSEONFIRST_HTTP")
    feeds: str | None = Field(None, validation_alias="WHOSEONFIRST_FEEDS")
    feeds_url: str | None = Field(None, validation_alias="WHOSEONFIRST_FEEDS_URL")
    log_format: Literal["json", "text"] = Field("json", validation_alias="WHOSEONFIRST_LOG_FORMAT")
    instance_id: str | None = Field(None, validation_alias="WHOSEONFIRST_INSTANCE_ID")

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                check_database_url(value)
            except DatabaseUrlError as exc:
                raise ValueError(str(exc)) from None
        return value

    @field_validator("twilio_account_sid", "twilio_messaging_service_sid")
    @classmethod
    def _check_sid(cls, value: str | None, info: ValidationInfo) -> str | None:
        prefix = _SID_PREFIX[info.field_name or ""]
        if value is not None and (not _SID.match(value) or not value.startswith(prefix)):
            raise ValueError(f"must be {prefix} followed by 32 hexadecimal characters")
        return value

    @field_validator("twilio_from_number")
    @classmethod
    def _check_from(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            return normalize_phone(value)
        except PhoneError:
            raise ValueError("not a valid phone number (use E.164, e.g. +13125550100)") from None

    @field_validator("twilio_api_url")
    @classmethod
    def _check_api_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("must be an http(s) URL such as http://127.0.0.1:8123")
        return value.rstrip("/")

    @field_validator("http")
    @classmethod
    def _check_http(cls, value: str) -> str:
        parse_bind(value)
        return value

    @field_validator("feeds")
    @classmethod
    def _check_feeds(cls, value: str | None) -> str | None:
        if value is not None:
            parse_bind(value)
        return value

    @field_validator("feeds_url")
    @classmethod
    def _check_feeds_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("must be an http(s) URL such as https://oncall.example.com")
        return value.rstrip("/")

    @field_validator("instance_id")
    @classmethod
    def _check_instance(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"[\w.@:-]{1,60}", value):
            raise ValueError("use 1-60 letters, digits and . _ - : @")
        return value

    @model_validator(mode="after")
    def _check_backend(self) -> ServiceSettings:
        if self.backend_name != "twilio":
            return self
        if not self.twilio_account_sid:
            raise ValueError(
                "TWILIO_ACCOUNT_SID is not set (needed to send texts through Twilio; "
                "set WHOSEONFIRST_SMS_BACKEND=dry-run to send nothing)"
            )
        if self.twilio_auth_token is None:
            raise ValueError(
                "TWILIO_AUTH_TOKEN (or TWILIO_AUTH_TOKEN_FILE) is not set (needed with "
                "TWILIO_ACCOUNT_SID; set WHOSEONFIRST_SMS_BACKEND=dry-run to send nothing)"
            )
        if bool(self.twilio_from_number) == bool(self.twilio_messaging_service_sid):
            raise ValueError(
                "TWILIO_FROM_NUMBER / TWILIO_MESSAGING_SERVICE_SID: set exactly one of them "
                "(the sender of the texts)"
            )
        return self

    # -- derived values ----------------------------------------------------------------------

    @property
    def backend_name(self) -> str:
        """``twilio`` or ``dry-run`` (see the module docstring for the default)."""
        if self.sms_backend is not None:
            return self.sms_backend
        if self.twilio_account_sid or self.twilio_auth_token is not None:
            return "twilio"
        return "dry-run"

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or default_database_url()

    @property
    def http_bind(self) -> tuple[str, int]:
        return parse_bind(self.http)

    @property
    def feeds_bind(self) -> tuple[str, int] | None:
        """Where the calendar feeds listen; None: they are off."""
        return parse_bind(self.feeds) if self.feeds is not None else None

    @property
    def feeds_base_url(self) -> str:
        """The start of every feed link (see ``WHOSEONFIRST_FEEDS_URL``)."""
        from whoseonfirst_core.usecases.feeds import feed_base_url

        return feed_base_url(self.feeds_url, self.feeds_bind)

    @property
    def talks_to_real_twilio(self) -> bool:
        """True when texts would go to the real Twilio API (no API URL override)."""
        return self.backend_name == "twilio" and self.twilio_api_url is None

    def secrets(self) -> list[str]:
        """Values that must never appear in a log line (for the log redactor)."""
        found: list[str] = []
        if self.twilio_auth_token is not None:
            found.append(self.twilio_auth_token.get_secret_value())
        if self.database_url:
            from sqlalchemy.engine import make_url

            password = make_url(self.database_url).password
            if password:
                found.append(str(password))
        return [s for s in found if len(s) >= 4]


def parse_bind(value: str) -> tuple[str, int]:
    """``host:port`` (``[::1]:8787`` for IPv6) → ``(host, port)``; ValueError otherwise."""
    match = _BIND.fullmatch(value.strip())
    if not match:
        raise ValueError("must be host:port, e.g. 127.0.0.1:8787")
    host = match["v6"] or match["host"]
    port = int(match["p1"] or match["p2"])
    if port > 65535:
        raise ValueError("the port must be 0-65535")
    return host, port


def load_settings(environ: Mapping[str, str] | None = None) -> ServiceSettings:
    """Validated settings from ``environ`` (default ``os.environ``); ConfigError if invalid."""
    env = dict(os.environ if environ is None else environ)
    overrides: dict[str, Any] = {}
    for name in ("TWILIO_AUTH_TOKEN", "TWILIO_ACCOUNT_SID", "WHOSEONFIRST_DATABASE_URL"):
        value = _from_file_variant(env, name)
        env.pop(name, None)
        if value is not None:
            overrides[name] = value
    known = {
        "WHOSEONFIRST_DATABASE_URL",
        "TWILIO_ACCOUNT_SID",
        "TWILIO_AUTH_TOKEN",
        "TWILIO_FROM_NUMBER",
        "TWILIO_MESSAGING_SERVICE_SID",
        "WHOSEONFIRST_TWILIO_API_URL",
        "WHOSEONFIRST_SMS_BACKEND",
        "WHOSEONFIRST_HTTP",
        "WHOSEONFIRST_FEEDS",
        "WHOSEONFIRST_FEEDS_URL",
        "WHOSEONFIRST_LOG_FORMAT",
        "WHOSEONFIRST_INSTANCE_ID",
    }
    values: dict[str, Any] = {k: v for k, v in env.items() if k in known and v.strip()}
    values.update(overrides)
    try:
        # Validated from the explicit mapping only, so tests and callers control every input.
        return ServiceSettings(**values)
    except ValidationError as exc:
        raise ConfigError(_one_line(exc)) from None


def _one_line(exc: ValidationError) -> str:
    """The first problem as ``VARIABLE: reason`` (pydantic's input value left out)."""
    error = exc.errors(include_input=False, include_url=False)[0]
    loc = ".".join(str(part) for part in error.get("loc", ()))
    message = str(error.get("msg", "invalid value"))
    message = message.removeprefix("Value error, ")
    return f"{loc}: {message}" if loc else message


def build_backend(settings: ServiceSettings, clock: Clock | None = None) -> SmsBackend:
    """The SMS backend the settings ask for (``clock``: the engine's, which Twilio's dates are
    compared with when reconciling)."""
    if settings.backend_name == "dry-run":
        return DryRunBackend()
    assert settings.twilio_account_sid and settings.twilio_auth_token is not None
    return TwilioBackend(
        settings.twilio_account_sid,
        settings.twilio_auth_token.get_secret_value(),
        from_number=settings.twilio_from_number,
        messaging_service_sid=settings.twilio_messaging_service_sid,
        api_url=settings.twilio_api_url,
        timeout=TWILIO_TIMEOUT_SECONDS,
        clock=clock,
    )
