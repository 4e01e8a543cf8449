"""Phone numbers: parsed and validated with ``phonenumbers``, stored in E.164."""

from __future__ import annotations

import phonenumbers

DEFAULT_REGION = "US"


class PhoneError(ValueError):
    """A number that cannot be used; the message says why in plain words."""


def normalize_phone(raw: str, region: str = DEFAULT_REGION) -> str:
    """``(312) 555-0101`` → ``+13125550101``; raises :class:`PhoneError` with the reason."""
    if not isinstance(raw, str) or not raw.strip():
        raise PhoneError("a phone number is required")
    text = raw.strip()
    if len(text) > 40:
        raise PhoneError("too long to be a phone number")
    try:
        parsed = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        raise PhoneError(f"{text!r} is not a phone number") from exc
    if not phonenumbers.is_possible_number(parsed):
        raise PhoneError(f"{text!r} has the wrong number of digits")
    if not phonenumbers.is_valid_number(parsed):
        where = "US" if parsed.country_code == 1 else f"+{parsed.country_code}"
        raise PhoneError(f"{text!r} is not a valid {where} number")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def display_phone(e164: str) -> str:
    """``+13125550101`` → ``+1 312-555-0101`` for people to read."""
    try:
        parsed = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
