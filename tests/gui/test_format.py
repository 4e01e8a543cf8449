"""How the app words values (no Qt widgets needed)."""

from __future__ import annotations

import pytest

from whoseonfirst_gui import format as fmt


@pytest.mark.parametrize(
    ("code", "message", "shown"),
    [
        (30003, "Unreachable destination handset", "30003 Unreachable destination handset"),
        (
            21614,
            "the number is not a mobile number (21614)",
            "the number is not a mobile number (21614)",
        ),
        (None, "no answer from Twilio within 10 s", "no answer from Twilio within 10 s"),
        (429, None, "429"),
        (None, None, ""),
    ],
)
def test_error_text_names_the_code_once(code: int | None, message: str | None, shown: str) -> None:
    assert fmt.error_text(code, message) == shown


@pytest.mark.parametrize(
    ("text", "end", "shown"),
    [
        ("nobody is on call", "", "Nobody is on call"),
        ("that shift is over", ".", "That shift is over."),
        ("already said (twice).", ".", "Already said (twice)."),
        ("", ".", ""),
    ],
)
def test_sentence(text: str, end: str, shown: str) -> None:
    assert fmt.sentence(text, end=end) == shown
