"""What differs between two weekly patterns, shift by shift: the conflict dialog's "what they
changed" when someone else saved the pattern first."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import zip_longest

from whoseonfirst_core.domain.rotation import ShiftDef


def pattern_changes(before: Sequence[ShiftDef], after: Sequence[ShiftDef]) -> list[str]:
    """What turned pattern ``before`` into ``after``, shift by shift in week order:
    ``Friday (Fri 08:00, 24h) → Sat (Sat 08:00, 24h)``, ``… added``, ``… removed``."""
    lines = []
    for old, new in zip_longest(before, after):
        if old is None:
            lines.append(f"{new.label()} added")
        elif new is None:
            lines.append(f"{old.label()} removed")
        elif old != new:
            lines.append(f"{old.label()} → {new.label()}")
    return lines
