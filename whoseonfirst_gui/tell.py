"""The "Tell the people affected" choice offered with every save that can change who is on call.

The box sits where the user decides to save (next to the Calendar's Save, in the impact dialog,
in a confirm box) and is ticked again for each new save: not telling is a choice made for one
save, such as fixing a typo. Every such save opens its unit of work with :func:`change_uow`,
which is the one place the choice reaches the core: unticked, the change is recorded as told
without texting anybody, and the audit log says so (``notices.skipped``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from PySide6.QtWidgets import QCheckBox, QWidget

from whoseonfirst_core.db.session import Database, UnitOfWork
from whoseonfirst_core.usecases.notices import told_quietly

TELL_LABEL = "Tell the &people affected"  # Alt+T opens the Team menu
TELL_TIP = (
    "Text each person whose on-call this save changes (one notice each, after a short delay; "
    "quiet hours hold notices about later shifts). Untick to save without telling anybody, "
    "for example to fix a typo: the audit log records that choice."
)


class TellBox(QCheckBox):
    """The "Tell the people affected" box, ticked (also after :meth:`reset`)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(TELL_LABEL, parent)
        self.setAccessibleName("Tell the people affected")
        self.setToolTip(TELL_TIP)
        self.reset()

    def reset(self) -> None:
        """Ticked again: for the next save."""
        self.setChecked(True)


@contextmanager
def change_uow(db: Database, actor: str, now: datetime, *, tell: bool) -> Iterator[UnitOfWork]:
    """A write unit of work for a change to who is on call (the caller commits); ``tell``
    False: nobody is told about it (:func:`~whoseonfirst_core.usecases.notices.told_quietly`,
    called before the change, as it must be)."""
    with db.uow(actor) as uow:
        if not tell:
            told_quietly(uow, now)
        yield uow
