"""Counts in words: ``1 edit``, ``2 edits``, ``1 upcoming shift`` — never ``edit(s)``."""

from __future__ import annotations


def plural(count: int, singular: str, many: str | None = None) -> str:
    """``count`` and the noun that agrees with it: ``plural(1, "edit")`` is ``1 edit``,
    ``plural(3, "edit")`` is ``3 edits``; ``many`` spells an irregular plural."""
    word = singular if count == 1 else (many if many is not None else singular + "s")
    return f"{count} {word}"
