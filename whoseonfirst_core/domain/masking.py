"""Masking phone numbers before they reach logs, exceptions or anything else people read."""

from __future__ import annotations

import re

_HIDDEN_DIGITS = 4
# E.164 allows at most 15 digits; fewer than 8 is not a whole number anyone can dial
# internationally, so such input is likely a typo or fragment and gets no visible prefix.
_MIN_DIGITS = 8
_MAX_DIGITS = 15
_FORMATTING = frozenset(" +-().")


def mask_phone(phone: str) -> str:
    """``phone`` with its last four digits replaced by ``X``: ``+13125550101`` → ``+1312555XXXX``.

    Formatting is kept (``(312) 555-0101`` → ``(312) 555-XXXX``). Anything that does not look
    like a whole phone number — fewer than 8 or more than 15 digits, or characters other than
    digits, spaces and ``+-().`` — has every digit replaced, so a malformed value can never leak
    the number it was meant to be.
    """
    digit_count = sum(1 for char in phone if char.isdigit())
    looks_like_phone = _MIN_DIGITS <= digit_count <= _MAX_DIGITS and all(
        char.isdigit() or char in _FORMATTING for char in phone
    )
    visible_digits = digit_count - _HIDDEN_DIGITS if looks_like_phone else 0

    masked: list[str] = []
    seen_digits = 0
    for char in phone:
        if char.isdigit():
            masked.append(char if seen_digits < visible_digits else "X")
            seen_digits += 1
        else:
            masked.append(char)
    return "".join(masked)


# In free text: ``+13125550101`` (7-15 digits after +), ``%2B13125550101`` (URL-encoded +),
# bare runs of 10-15 digits that are not part of a longer word (``To=13125550101``), and North
# American numbers as people type them. Hex SIDs (``SM0a1b…``) and short numbers (ids, ports,
# dates) do not match.
_PHONE_IN_TEXT = re.compile(
    r"(?P<prefix>\+|%2[bB])(?P<plus>\d{7,15})(?!\d)"
    r"|(?<![\w+%.:-])(?P<bare>\d{10,15})(?![\w])"
    # people's formatting: +1 312-555-0101, (312) 555-0101, 312.555.0101
    r"|(?<![\w+])(?P<formatted>(?:\+\d{1,3}[ .-]?)?\(?\d{3}\)?[ .-]\d{3}[ .-]\d{4})(?!\d)"
)


def mask_phones(text: str) -> str:
    """``text`` with every phone-number-like run masked like ``+1312555XXXX`` (log lines,
    Twilio's error messages, database errors, a dry run's text bodies)."""

    def repl(match: re.Match[str]) -> str:
        if match["plus"] is not None:
            return match["prefix"] + mask_phone(match["plus"])
        return mask_phone(match["bare"] or match["formatted"])

    return _PHONE_IN_TEXT.sub(repl, text)
