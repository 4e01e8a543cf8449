"""Real Twilio backends talking to a fake server: one factory for the service tests' fixtures."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from whoseonfirst_service.twilio_sms import TwilioBackend

from tests.fakes.fake_twilio import FakeTwilio

MakeBackend = Callable[..., TwilioBackend]


@contextmanager
def backend_factory(fake: FakeTwilio, from_number: str, **defaults: Any) -> Iterator[MakeBackend]:
    """``make(**options)`` builds a :class:`TwilioBackend` on ``fake`` (``defaults``, then the
    options: ``timeout``, ``deadline``, ``clock``, ``auth_token``, ``api_url``, and
    ``messaging_service_sid``, which sends through that service instead of ``from_number``);
    every backend made is closed when the block ends."""
    made: list[TwilioBackend] = []

    def make(**options: Any) -> TwilioBackend:
        settings = {**defaults, **options}
        service = settings.pop("messaging_service_sid", None)
        backend = TwilioBackend(
            fake.account_sid,
            settings.pop("auth_token", None) or fake.auth_token,
            from_number=None if service else from_number,
            messaging_service_sid=service,
            api_url=settings.pop("api_url", None) or fake.base_url,
            **settings,
        )
        made.append(backend)
        return backend

    try:
        yield make
    finally:
        for backend in made:
            backend.close()
