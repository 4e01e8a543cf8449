"""How Twilio's error codes and delivery statuses read to people, in one place.

The Twilio adapter words the errors of a request (``permanent`` and ``transient`` codes), the
engine words what a status check reports (``delivery`` codes) and maps Twilio's message status
to an outbox :class:`~whoseonfirst_core.domain.notification.Status`; the app shows both. A
reason that knows its code ends with it once, in parentheses: ``Twilio rejected the number as
invalid (21211)``; :func:`error_text` shows a stored failure with its code exactly once.
"""

from __future__ import annotations

from whoseonfirst_core.domain.notification import Status

#: Twilio's error for a phone that has opted out (replied STOP): it is marked opted out here
#: too, so the service stops texting it (``usecases.inbound.opt_out``).
OPTED_OUT_CODE = 21610

#: Plain-English reasons for the Twilio request errors people are likely to meet; retrying
#: cannot help.
PERMANENT_REASONS: dict[int, str] = {
    20003: "Twilio refused the account SID and auth token "
    "(check TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN)",
    20404: "Twilio has no such account or message (check TWILIO_ACCOUNT_SID)",
    21211: "Twilio rejected the number as invalid",
    21408: "texting this number's country is not enabled on the Twilio account "
    "(Twilio console: Messaging > Settings > Geo permissions)",
    21602: "the text has no body",
    21606: "the From number cannot send texts on this Twilio account",
    21608: "a Twilio trial account can only text numbers verified in the Twilio console",
    21610: "the recipient replied STOP and has opted out of texts from this number "
    "(they can text START to opt back in)",
    21612: "Twilio cannot route a text from the From number to this number",
    21614: "the number is not a mobile number and cannot receive texts",
    21617: "the text is longer than Twilio's 1600-character limit",
}

#: Request errors that mean Twilio refuses the account's credentials: no text can go out until
#: the operator fixes ``TWILIO_ACCOUNT_SID`` / ``TWILIO_AUTH_TOKEN``.
CREDENTIAL_CODES = frozenset({20003, 20404})

#: Request errors after which a later retry can succeed.
TRANSIENT_REASONS: dict[int, str] = {
    20429: "Twilio is rate-limiting requests",
    20500: "Twilio had an internal error",
    20503: "Twilio is temporarily unavailable",
}

#: Delivery error codes a status check reports for an undelivered or failed text.
DELIVERY_REASONS: dict[int, str] = {
    30003: "the phone is unreachable (switched off or out of coverage)",
    30004: "the recipient blocked the message",
    30005: "the number is unknown or no longer active",
    30006: "the number is a landline or its carrier cannot receive texts",
    30007: "the carrier filtered the message as spam",
    30008: "the carrier reported an unknown delivery error",
}


def with_code(reason: str, code: int | None) -> str:
    """``reason (code)``, or ``reason`` alone when there is no code."""
    return f"{reason} ({code})" if code else reason


def delivery_outcome(
    twilio_status: str, code: int | None, message: str | None
) -> tuple[Status | None, str | None]:
    """Twilio's message status → the outbox row's status (None: still on its way), and the
    reason to store with a failure."""
    if twilio_status in ("delivered", "read"):
        return Status.DELIVERED, None
    if twilio_status in (Status.UNDELIVERED, Status.FAILED):
        reason = DELIVERY_REASONS.get(code or 0) or message or "no reason given"
        return Status(twilio_status), with_code(f"Twilio could not deliver it: {reason}", code)
    if twilio_status == "canceled":
        return Status.EXPIRED, "Twilio cancelled it: its validity ran out before delivery"
    return None, None


def error_text(code: int | None, message: str | None) -> str:
    """A stored failure as people read it, the code once: ``30003 Unreachable destination
    handset`` (Twilio's own words), ``the number is not a mobile number … (21614)`` (ours)."""
    message = (message or "").strip()
    if code is None or f"({code})" in message or message.startswith(str(code)):
        return message
    return f"{code} {message}".strip()
