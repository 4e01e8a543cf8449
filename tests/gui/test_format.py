"""How the app words values (no Qt widgets needed)."""

from __future__ import annotations

import pytest

from whoseonfirst_gui import format as fmt


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
